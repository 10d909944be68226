// Package registry is the province's facility registry: the quarantine facilities and their contact
// persons, seeded from the config, edited through the API, searched without regard to accents, and
// exported to or imported from the consolidated contact list (CSV and XLSX) that letter 1407/BTTTT-CVT
// asks every province to send. The rules for single fields (phone numbers, e-mail, dates, ids) are the
// config's, so a value the config accepts the API and the import accept too.
package registry

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"vigil/config"
	"vigil/store"
)

// Registry applies the province's rules to the facilities and contacts in the store.
type Registry struct {
	Store *store.Store
	// Config gives the time zone dates are read and written in, the facilities the config declares (which
	// the API cannot delete: the next start would bring them back) and the cameras at each facility.
	Config *config.Config
}

// InvalidError lists what is wrong with a facility or contact handed to the registry.
type InvalidError struct {
	Problems []config.FieldProblem
}

func (e *InvalidError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Field + ": " + p.Message
	}
	return strings.Join(parts, "; ")
}

// InUseError refuses to delete a facility that cameras or the config still name.
type InUseError struct {
	Facility string
	Cameras  []string // camera ids naming the facility
	InConfig bool     // the facilities section declares it
}

func (e *InUseError) Error() string {
	if len(e.Cameras) > 0 {
		return fmt.Sprintf("facility %q is named by cameras %s; move or remove them in the config first",
			e.Facility, strings.Join(e.Cameras, ", "))
	}
	return fmt.Sprintf("facility %q is declared in the config file, which would bring it back at the next start; remove it there", e.Facility)
}

// Location is the zone dates are read and written in: the configured one, else Asia/Ho_Chi_Minh.
func (r *Registry) Location() *time.Location {
	if r.Config != nil && r.Config.Location != nil {
		return r.Config.Location
	}
	if loc, err := time.LoadLocation(config.DefaultTimeZone); err == nil {
		return loc
	}
	return time.UTC
}

// CamerasAt returns the ids of the configured cameras at each facility.
func (r *Registry) CamerasAt() map[string][]string {
	out := map[string][]string{}
	if r.Config == nil {
		return out
	}
	for _, c := range r.Config.Cameras {
		out[c.Facility] = append(out[c.Facility], c.ID)
	}
	return out
}

// CreateFacility validates and adds a facility; the id must be new.
func (r *Registry) CreateFacility(ctx context.Context, f store.Facility) (store.Facility, error) {
	f, err := checkFacility(f)
	if err != nil {
		return f, err
	}
	if f.Name == "" {
		f.Name = f.ID
	}
	err = r.Store.UpdateRegistry(ctx, store.FromAPI, func(tx *store.RegistryTx) error { return tx.CreateFacility(f) })
	if err != nil {
		return f, err
	}
	return r.Store.Facility(ctx, f.ID)
}

// UpdateFacility validates and writes a facility's descriptive fields.
func (r *Registry) UpdateFacility(ctx context.Context, f store.Facility) (store.Facility, error) {
	f, err := checkFacility(f)
	if err != nil {
		return f, err
	}
	if f.Name == "" {
		f.Name = f.ID
	}
	err = r.Store.UpdateRegistry(ctx, store.FromAPI, func(tx *store.RegistryTx) error {
		_, err := tx.UpdateFacility(f)
		return err
	})
	if err != nil {
		return f, err
	}
	return r.Store.Facility(ctx, f.ID)
}

// DeleteFacility deletes a facility and its contacts, unless a camera or the config names it.
func (r *Registry) DeleteFacility(ctx context.Context, id string) error {
	if _, err := r.Store.Facility(ctx, id); err != nil {
		return err
	}
	inUse := &InUseError{Facility: id, Cameras: r.CamerasAt()[id]}
	if r.Config != nil {
		for _, f := range r.Config.Facilities {
			inUse.InConfig = inUse.InConfig || f.ID == id
		}
	}
	if len(inUse.Cameras) > 0 || inUse.InConfig {
		return inUse
	}
	return r.Store.UpdateRegistry(ctx, store.FromAPI, func(tx *store.RegistryTx) error { return tx.DeleteFacility(id) })
}

// AddContact validates and adds a contact to a facility. A new primary contact takes over from the
// previous one, who stays as an ordinary contact; a facility's only contact is always its primary.
func (r *Registry) AddContact(ctx context.Context, c store.Contact) (store.Contact, error) {
	c, err := checkContact(c)
	if err != nil {
		return c, err
	}
	err = r.Store.UpdateRegistry(ctx, store.FromAPI, func(tx *store.RegistryTx) error {
		c.ID, err = tx.AddContact(c)
		return err
	})
	if err != nil {
		return c, err
	}
	return r.Store.Contact(ctx, c.FacilityID, c.ID)
}

// UpdateContact validates and rewrites a contact of a facility.
func (r *Registry) UpdateContact(ctx context.Context, c store.Contact) (store.Contact, error) {
	c, err := checkContact(c)
	if err != nil {
		return c, err
	}
	err = r.Store.UpdateRegistry(ctx, store.FromAPI, func(tx *store.RegistryTx) error {
		_, err := tx.UpdateContact(c)
		return err
	})
	if err != nil {
		return c, err
	}
	return r.Store.Contact(ctx, c.FacilityID, c.ID)
}

// DeleteContact deletes a contact of a facility.
func (r *Registry) DeleteContact(ctx context.Context, facilityID string, id int64) error {
	return r.Store.UpdateRegistry(ctx, store.FromAPI, func(tx *store.RegistryTx) error {
		return tx.DeleteContact(facilityID, id)
	})
}

// checkFacility applies the config's rules for a facility to one given through the API.
func checkFacility(f store.Facility) (store.Facility, error) {
	norm, ps := config.CheckFacility(config.Facility{ID: f.ID, Name: f.Name, Address: f.Address, District: f.District,
		Commune: f.Commune, Kind: f.Kind, Capacity: f.Capacity, Status: f.Status, Notes: f.Notes})
	if len(ps) > 0 {
		return f, &InvalidError{Problems: ps}
	}
	f.ID, f.Name, f.Address, f.District, f.Commune, f.Kind, f.Status =
		norm.ID, norm.Name, norm.Address, norm.District, norm.Commune, norm.Kind, norm.Status
	return f, nil
}

// checkContact applies the config's rules for a contact to one given through the API or an import.
func checkContact(c store.Contact) (store.Contact, error) {
	norm, ps := config.CheckContact(config.Contact{Name: c.Name, Title: c.Title, Phone: c.Phone, Email: c.Email})
	if len(ps) > 0 {
		return c, &InvalidError{Problems: ps}
	}
	c.Name, c.Title, c.Phone, c.Email = norm.Name, norm.Title, norm.Phone, norm.Email
	return c, nil
}

// Entry is one line of the consolidated list: a facility with one of its contacts, or with none.
type Entry struct {
	Facility store.Facility
	Contact  *store.Contact
}

// Summary is a facility with its primary contact, how many contacts it has and its cameras.
type Summary struct {
	Facility store.Facility
	Primary  *store.Contact
	Contacts int
	Cameras  []string
}

// Summaries lists every facility with its primary contact and cameras, by id.
func (r *Registry) Summaries(ctx context.Context) ([]Summary, error) {
	fs, err := r.Store.Facilities(ctx)
	if err != nil {
		return nil, err
	}
	cs, err := r.Store.AllContacts(ctx)
	if err != nil {
		return nil, err
	}
	byFacility := groupContacts(cs)
	cams := r.CamerasAt()
	out := make([]Summary, len(fs))
	for i, f := range fs {
		out[i] = Summary{Facility: f, Primary: primaryOf(byFacility[f.ID]), Contacts: len(byFacility[f.ID]), Cameras: cams[f.ID]}
	}
	return out, nil
}

func groupContacts(cs []store.Contact) map[string][]store.Contact {
	out := map[string][]store.Contact{}
	for _, c := range cs {
		out[c.FacilityID] = append(out[c.FacilityID], c)
	}
	return out
}

func primaryOf(cs []store.Contact) *store.Contact {
	for i := range cs {
		if cs[i].Primary {
			return &cs[i]
		}
	}
	return nil
}

// Search finds the contacts, and the facilities without contacts, that hold every word of q, ignoring
// case and accents ("dong nai" finds "Đồng Nai", "nguyen van a" finds "Nguyễn Văn A") in the facility's
// id, name, address, district, commune and kind and the contact's name, title, phone (either form) and
// e-mail. An empty q lists everything. A province has at most a few hundred facilities, so this folds
// in Go over every row: sub-millisecond, and no folded column to keep in step with the text.
func (r *Registry) Search(ctx context.Context, q string) ([]Entry, error) {
	fs, err := r.Store.Facilities(ctx)
	if err != nil {
		return nil, err
	}
	cs, err := r.Store.AllContacts(ctx)
	if err != nil {
		return nil, err
	}
	words := strings.Fields(config.Fold(q))
	byFacility := groupContacts(cs)
	var out []Entry
	for _, f := range fs {
		fText := facilityText(f)
		contacts := byFacility[f.ID]
		if len(contacts) == 0 && matches(fText, words) {
			out = append(out, Entry{Facility: f})
		}
		for i := range contacts {
			if matches(fText+"\n"+contactText(contacts[i]), words) {
				out = append(out, Entry{Facility: f, Contact: &contacts[i]})
			}
		}
	}
	return out, nil
}

func facilityText(f store.Facility) string {
	return config.Fold(strings.Join([]string{f.ID, f.Name, f.Address, f.District, f.Commune, f.Kind}, "\n"))
}

func contactText(c store.Contact) string {
	local := config.FormatPhoneLocal(c.Phone)
	return config.Fold(strings.Join([]string{c.Name, c.Title, c.Email, c.Phone, local, strings.ReplaceAll(local, " ", "")}, "\n"))
}

func matches(text string, words []string) bool {
	for _, w := range words {
		if !strings.Contains(text, w) {
			return false
		}
	}
	return true
}

// IsNotFound tells whether err means the facility or contact asked for does not exist.
func IsNotFound(err error) bool {
	return errors.Is(err, store.ErrFacilityNotFound) || errors.Is(err, store.ErrContactNotFound)
}

// Known tells whether a facility id exists: in the store, or in the config (users and tokens are often
// made before the first start, when the config's facilities have not reached the store yet).
func (r *Registry) Known(ctx context.Context) func(string) bool {
	return func(id string) bool {
		if r.Config != nil {
			for _, f := range r.Config.Facilities {
				if f.ID == id {
					return true
				}
			}
			for _, c := range r.Config.Cameras {
				if c.Facility == id {
					return true
				}
			}
		}
		_, err := r.Store.Facility(ctx, id)
		return err == nil
	}
}
