package config

import (
	"time"

	"go.yaml.in/yaml/v3"
)

// Province is the profile of the province this vigil serves.
type Province struct {
	Name     string // `name`: e.g. "Tỉnh Đồng Nai"; from the reference list or, since the 2025 mergers, any name
	Code     string // `code`: the province code (GSO), e.g. "75"; filled from the reference list when the name is in it
	Operator string // `operator`: the designated operator (Viettel | VNPT | other); defaults from the reference list
}

// Facility is one quarantine facility. The config seeds the store's registry; edits made in the UI live
// in the store.
type Facility struct {
	ID          string    // `id`: required, unique, same pattern as camera ids
	Name        string    // `name`: default = ID
	Address     string    // `address`
	District    string    // `district`
	Commune     string    // `commune`
	Kind        string    // `kind`: e.g. dormitory, hotel, hospital, barracks, school, other
	Capacity    int       // `capacity`: people
	Status      string    // `status`: active (default) | suspended | closed
	StatusSince time.Time // `status_since`: date (dd/mm/yyyy or yyyy-mm-dd) the status took effect
	Notes       string    // `notes`
	Contacts    []Contact // `contacts`
}

// Contact is a facility's contact person: at least full name, job title, phone and e-mail (letter
// 1407/BTTTT-CVT).
type Contact struct {
	Name      string    // `name`: full name, required
	Title     string    // `title`: job title
	Phone     string    // `phone`: a Vietnamese number, stored as +84…
	Email     string    // `email`
	Primary   bool      // `primary`: one per facility
	Confirmed time.Time // `confirmed`: when the details were last confirmed
}

func (d *decoder) province(path string, n *yaml.Node, p *Province) { d.mapping(path, n, nil) }

func (d *decoder) facilities(path string, n *yaml.Node, c *Config) {}

func (c *Config) applyProvinceDefaults() {}

func (v *validator) province(p *Province) {}

func (v *validator) facilities(fs []Facility) {}
