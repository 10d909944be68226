package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Province is the profile of the province this vigil serves.
type Province struct {
	Name     string // `name`: e.g. "Tỉnh Đồng Nai"; from the reference list or, since the 2025 mergers, any name
	Code     string // `code`: the province code (GSO), e.g. "75"; filled from the reference list when the name is in it
	Operator string // `operator`: the designated operator (Viettel | VNPT | other); defaults from the reference list
}

// InReferenceList tells whether the profile is one of the 63 provinces of the reference list.
func (p Province) InReferenceList() bool {
	ref, ok := provinceByName(p.Name)
	return ok && ref.Code == p.Code
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

// Facility statuses.
const (
	StatusActive    = "active"
	StatusSuspended = "suspended"
	StatusClosed    = "closed"
)

// FacilityStatuses lists the statuses a facility may have.
var FacilityStatuses = []string{StatusActive, StatusSuspended, StatusClosed}

// ValidID tells whether s may be a camera or facility id: ids become folder names and URL path parts.
func ValidID(s string) bool { return idPattern.MatchString(s) }

// Text limits: generous for real names and addresses, small enough that a pasted document is refused.
const (
	maxLineLength  = 300
	maxNotesLength = 4000
)

// FieldProblem is one bad field of a facility or a contact, named by its key in the config file (which is
// also its name in the API), so the config, the API and the import report the same problems the same way.
type FieldProblem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// CheckFacility normalises a facility's own fields (not its contacts) and returns the problems left.
func CheckFacility(f Facility) (Facility, []FieldProblem) {
	var ps problems
	f.ID = strings.TrimSpace(f.ID)
	switch {
	case f.ID == "":
		ps.add("id", "required")
	case !ValidID(f.ID):
		ps.add("id", "invalid id %q: %s", f.ID, idRule)
	}
	if f.Status == "" {
		f.Status = StatusActive
	} else if !oneOf(f.Status, FacilityStatuses) {
		ps.add("status", "must be one of %s; got %q", strings.Join(FacilityStatuses, ", "), f.Status)
	}
	if f.Capacity < 0 {
		ps.add("capacity", "must be >= 0, got %d", f.Capacity)
	}
	f.Name = strings.TrimSpace(f.Name)
	for _, t := range []struct {
		field string
		value *string
	}{{"name", &f.Name}, {"address", &f.Address}, {"district", &f.District}, {"commune", &f.Commune}, {"kind", &f.Kind}} {
		*t.value = strings.TrimSpace(*t.value)
		ps.text(t.field, *t.value, maxLineLength, false)
	}
	ps.text("notes", f.Notes, maxNotesLength, true)
	return f, ps
}

// CheckContact normalises a contact (phone to +84…, e-mail domain to lower case, spaces trimmed) and
// returns the problems left. Name and phone are required: a contact nobody can call is no contact. Title
// and e-mail, which the letter also asks for, may be filled in later.
func CheckContact(c Contact) (Contact, []FieldProblem) {
	var ps problems
	c.Name, c.Title = strings.TrimSpace(c.Name), strings.TrimSpace(c.Title)
	if c.Name == "" {
		ps.add("name", "required")
	}
	ps.text("name", c.Name, maxLineLength, false)
	ps.text("title", c.Title, maxLineLength, false)
	if phone, err := NormalizePhone(c.Phone); err != nil {
		ps.add("phone", "%v", err)
	} else {
		c.Phone = phone
	}
	if c.Email = strings.TrimSpace(c.Email); c.Email != "" {
		if email, err := CheckEmail(c.Email); err != nil {
			ps.add("email", "%v", err)
		} else {
			c.Email = email
		}
	}
	return c, ps
}

type problems []FieldProblem

func (ps *problems) add(field, format string, args ...any) {
	*ps = append(*ps, FieldProblem{Field: field, Message: fmt.Sprintf(format, args...)})
}

// text refuses control characters (a line break in a name breaks every list it is printed in) and text
// longer than max characters.
func (ps *problems) text(field, s string, max int, multiline bool) {
	if n := utf8.RuneCountInString(s); n > max {
		ps.add(field, "too long: %d characters, at most %d", n, max)
		return
	}
	if !utf8.ValidString(s) {
		ps.add(field, "not valid UTF-8 text")
		return
	}
	for _, r := range s {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t')) {
			ps.add(field, "control character %U not allowed", r)
			return
		}
	}
}

func oneOf(s string, allowed []string) bool {
	for _, a := range allowed {
		if s == a {
			return true
		}
	}
	return false
}

// Decoding.

func (d *decoder) province(path string, n *yaml.Node, p *Province) {
	d.mapping(path, n, []field{
		{"name", d.str(&p.Name)},
		{"code", d.str(&p.Code)},
		{"operator", d.str(&p.Operator)},
	})
}

func (d *decoder) facilities(path string, n *yaml.Node, c *Config) {
	seq := resolve(n)
	if seq.Kind != yaml.SequenceNode {
		d.reject(n, path, "expected a list, got %s", describe(seq))
		return
	}
	// Non-nil even when empty: a facilities section that is present makes every camera name one of them.
	c.Facilities = make([]Facility, len(seq.Content))
	for i, item := range seq.Content {
		p := fmt.Sprintf("%s[%d]", path, i)
		d.lines[p] = item.Line
		d.facility(p, item, &c.Facilities[i])
	}
}

func (d *decoder) facility(path string, n *yaml.Node, f *Facility) {
	d.mapping(path, n, []field{
		{"id", d.str(&f.ID)},
		{"name", d.str(&f.Name)},
		{"address", d.str(&f.Address)},
		{"district", d.str(&f.District)},
		{"commune", d.str(&f.Commune)},
		{"kind", d.str(&f.Kind)},
		{"capacity", d.registryInt(&f.Capacity)},
		{"status", d.str(&f.Status)},
		{"status_since", d.registryDate(&f.StatusSince)},
		{"notes", d.str(&f.Notes)},
		{"contacts", func(p string, v *yaml.Node) { d.contacts(p, v, f) }},
	})
}

func (d *decoder) contacts(path string, n *yaml.Node, f *Facility) {
	seq := resolve(n)
	if seq.Kind != yaml.SequenceNode {
		d.reject(n, path, "expected a list, got %s", describe(seq))
		return
	}
	f.Contacts = make([]Contact, len(seq.Content))
	for i, item := range seq.Content {
		p := fmt.Sprintf("%s[%d]", path, i)
		d.lines[p] = item.Line
		c := &f.Contacts[i]
		var primarySet bool // "primary: false" means the same as leaving it out
		d.mapping(p, item, []field{
			{"name", d.str(&c.Name)},
			{"title", d.str(&c.Title)},
			{"phone", d.str(&c.Phone)},
			{"email", d.str(&c.Email)},
			{"primary", d.boolean(&c.Primary, &primarySet)},
			{"confirmed", d.registryDate(&c.Confirmed)},
		})
	}
}

// registryInt decodes a whole number; its range is Validate's to check.
func (d *decoder) registryInt(dst *int) func(string, *yaml.Node) {
	return func(path string, v *yaml.Node) {
		s, ok := d.scalar(path, v, "a whole number")
		if !ok {
			return
		}
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			d.reject(v, path, "expected a whole number, got %s", describe(resolve(v)))
			return
		}
		*dst = n
	}
}

// registryDate decodes a calendar date. The time zone is not known yet (time_zone may come later in the
// file), so the date is held at midnight UTC and ApplyDefaults moves it to midnight in the configured zone.
func (d *decoder) registryDate(dst *time.Time) func(string, *yaml.Node) {
	return func(path string, v *yaml.Node) {
		s, ok := d.scalar(path, v, "a date")
		if !ok {
			return
		}
		t, err := ParseDate(s, time.UTC)
		if err != nil {
			d.reject(v, path, "%v", err)
			return
		}
		*dst = t
	}
}

// Defaults.

func (c *Config) applyProvinceDefaults() {
	c.Province.applyDefaults()
	loc := c.Location
	if loc == nil {
		loc = time.UTC // time_zone is invalid and reported; the dates stay what the file says
	}
	for i := range c.Facilities {
		f := &c.Facilities[i]
		if f.Name == "" {
			f.Name = f.ID
		}
		if f.Status == "" {
			f.Status = StatusActive
		}
		f.StatusSince = inZone(f.StatusSince, loc)
		for j := range f.Contacts {
			ct := &f.Contacts[j]
			if norm, ps := CheckContact(*ct); len(ps) == 0 {
				*ct = norm
			}
			ct.Confirmed = inZone(ct.Confirmed, loc)
		}
		if len(f.Contacts) == 1 {
			f.Contacts[0].Primary = true // a facility's only contact is its primary one
		}
	}
}

// applyDefaults picks the province from the reference list by name or code and fills in the rest. A name
// and a code that disagree are left for Validate to report.
func (p *Province) applyDefaults() {
	p.Name, p.Operator = strings.TrimSpace(p.Name), canonicalOperator(p.Operator)
	if code, ok := normalizeProvinceCode(p.Code); ok {
		p.Code = code
	}
	var ref ProvinceRef
	var ok bool
	switch {
	case p.Name != "":
		ref, ok = provinceByName(p.Name)
		ok = ok && (p.Code == "" || p.Code == ref.Code)
	case p.Code != "":
		ref, ok = provinceByCode(p.Code)
	}
	if !ok {
		return
	}
	p.Name, p.Code = ref.Name, ref.Code
	if p.Operator == "" {
		p.Operator = ref.Operator
	}
}

// inZone moves a date to midnight of the same calendar day in loc; the zero time stays zero.
func inZone(t time.Time, loc *time.Location) time.Time {
	if t.IsZero() {
		return t
	}
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// Validation.

func (v *validator) province(p *Province) {
	_, present := v.c.lines["province"]
	switch {
	case *p == (Province{}):
		if present {
			v.errorf("province.name", "required: a province of the reference list (e.g. Tỉnh Đồng Nai) or its code")
		}
	case p.Name == "" && p.Code == "":
		v.errorf("province.name", "required: a province of the reference list (e.g. Tỉnh Đồng Nai) or its code")
	case p.Name == "":
		v.provinceCode(p.Code)
		if _, ok := normalizeProvinceCode(p.Code); ok {
			v.errorf("province.code", "no province of the reference list has code %q; give province.name and province.operator instead", p.Code)
		}
	default:
		v.provinceName(p)
	}
}

func (v *validator) provinceCode(code string) {
	if _, ok := normalizeProvinceCode(code); !ok {
		v.errorf("province.code", "must be the province's number in the official list (e.g. 75), got %q", code)
	}
}

func (v *validator) provinceName(p *Province) {
	if p.Code != "" {
		v.provinceCode(p.Code)
	}
	ref, inList := provinceByName(p.Name)
	if inList {
		if p.Code != "" && p.Code != ref.Code {
			if other, ok := provinceByCode(p.Code); ok {
				v.errorf("province.code", "%q is the code of %s; %s is %q", p.Code, other.Name, ref.Name, ref.Code)
			} else if _, ok := normalizeProvinceCode(p.Code); ok {
				v.errorf("province.code", "%s is %q in the reference list, not %q", ref.Name, ref.Code, p.Code)
			}
		}
		return
	}
	if p.Operator == "" {
		hint := ""
		if near, ok := closestProvince(p.Name); ok {
			hint = fmt.Sprintf(" (did you mean %s?)", near.Name)
		}
		v.errorf("province.operator", "required for a province outside the reference list of 63: %q is not in it%s", p.Name, hint)
	}
}

func (v *validator) facilities(fs []Facility) {
	firstByID := map[string]int{}
	for i := range fs {
		v.facility(i, fs[i], firstByID)
	}
	if fs != nil {
		v.cameraFacilities(firstByID)
	}
}

func (v *validator) facility(i int, f Facility, firstByID map[string]int) {
	path := fmt.Sprintf("facilities[%d]", i)
	_, ps := CheckFacility(f)
	for _, p := range ps {
		v.errorf(path+"."+p.Field, "%s", p.Message)
	}
	if ValidID(f.ID) {
		if j, dup := firstByID[f.ID]; dup {
			v.errorf(path+".id", "duplicate facility id %q (first at %s)", f.ID, v.place(fmt.Sprintf("facilities[%d].id", j)))
		} else {
			firstByID[f.ID] = i
		}
	}
	firstPrimary := ""
	for j, ct := range f.Contacts {
		cpath := fmt.Sprintf("%s.contacts[%d]", path, j)
		_, ps := CheckContact(ct)
		for _, p := range ps {
			v.errorf(cpath+"."+p.Field, "%s", p.Message)
		}
		if !ct.Primary {
			continue
		}
		if firstPrimary != "" {
			v.errorf(cpath+".primary", "only one contact of a facility can be primary (the one at %s already is)", v.place(firstPrimary))
		} else {
			firstPrimary = cpath
		}
	}
}

// cameraFacilities checks that every camera names a facility of the facilities section, once there is one.
func (v *validator) cameraFacilities(known map[string]int) {
	for i, cam := range v.c.Cameras {
		if !ValidID(cam.Facility) {
			continue // reported with the camera
		}
		if _, ok := known[cam.Facility]; ok {
			continue
		}
		hint := ""
		best, bestDist := "", 3
		for id := range known {
			if d := editDistance(cam.Facility, id); d < bestDist || d == bestDist && id < best {
				best, bestDist = id, d
			}
		}
		if best != "" {
			hint = fmt.Sprintf(" (did you mean %s?)", best)
		}
		v.errorf(fmt.Sprintf("cameras[%d].facility", i), "no facility %q in the facilities section%s", cam.Facility, hint)
	}
}

// place names a field for a message: its line in the file, or its path for a config built in code.
func (v *validator) place(field string) string {
	if _, ok := v.c.lines[field]; ok {
		return "line " + strconv.Itoa(v.c.lineOf(field))
	}
	return field
}

// provinceByName and provinceByCode are LookupProvince restricted to one kind of key, so that a name made
// of digits is never taken for a code or the reverse.
func provinceByName(name string) (ProvinceRef, bool) {
	if _, isCode := normalizeProvinceCode(name); isCode || strings.TrimSpace(name) == "" {
		return ProvinceRef{}, false
	}
	return LookupProvince(name)
}

func provinceByCode(code string) (ProvinceRef, bool) {
	if _, isCode := normalizeProvinceCode(code); !isCode {
		return ProvinceRef{}, false
	}
	return LookupProvince(code)
}
