package config

import "go.yaml.in/yaml/v3"

// Survey holds what the camera survey measures cameras against (issue 4). To be filled in.
type Survey struct{}

func (d *decoder) survey(path string, n *yaml.Node, s *Survey) { d.mapping(path, n, nil) }

func (s *Survey) applyDefaults() {}

func (v *validator) survey(s *Survey) {}
