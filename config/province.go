package config

import "go.yaml.in/yaml/v3"

// Province is the profile of the province this vigil serves (issue 4). To be filled in.
type Province struct{}

// Facility is one quarantine facility (issue 4). To be filled in.
type Facility struct {
	ID string
}

func (d *decoder) province(path string, n *yaml.Node, p *Province) { d.mapping(path, n, nil) }

func (d *decoder) facilities(path string, n *yaml.Node, c *Config) {}

func (c *Config) applyProvinceDefaults() {}

func (v *validator) province(p *Province) {}

func (v *validator) facilities(fs []Facility) {}
