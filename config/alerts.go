package config

import "go.yaml.in/yaml/v3"

// Alerts says when a camera's outage becomes an alert and where alerts are sent (issue 4). To be filled in.
type Alerts struct{}

func (d *decoder) alerts(path string, n *yaml.Node, a *Alerts) { d.mapping(path, n, nil) }

func (a *Alerts) applyDefaults() {}

func (v *validator) alerts(a *Alerts) {}
