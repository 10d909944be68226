package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Facility is one quarantine facility of the registry.
type Facility struct {
	ID          string
	Name        string
	Address     string
	District    string
	Commune     string
	Kind        string
	Capacity    int
	Status      string // active | suspended | closed
	StatusSince int64  // ns since epoch; 0 = not known
	Notes       string
	Origin      string // FromConfig | FromCamera | FromAPI | FromImport: who created the row
	Created     int64
	Updated     int64 // last change of the row or of its contacts
	Edited      int64 // last change through the API or an import; 0 = never, so seeding may still update it
}

// Contact is a facility's contact person.
type Contact struct {
	ID         int64
	FacilityID string
	Name       string
	Title      string
	Phone      string // +84…
	Email      string
	Primary    bool
	Confirmed  int64 // ns since epoch; 0 = never
	Created    int64
	Updated    int64
}

// Who writes to the registry. Changes made FromAPI or FromImport are edits: they set Facility.Edited, and
// seeding from the config leaves an edited facility alone.
const (
	FromConfig = "config"
	FromCamera = "camera" // a camera names a facility the store did not have
	FromAPI    = "api"
	FromImport = "import"
)

// Errors of the registry accessors, for errors.Is.
var (
	ErrFacilityNotFound = errors.New("facility not found")
	ErrContactNotFound  = errors.New("contact not found")
	ErrFacilityExists   = errors.New("facility already exists")
)

// registryQuerier is what *sql.DB and *sql.Tx have in common, so one read function serves the pool and a
// transaction.
type registryQuerier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

const facilityColumns = `id, name, address, district, commune, kind, capacity, status, status_since_ns, notes,
  origin, created_ns, updated_ns, edited_ns`

const contactColumns = `id, facility_id, name, title, phone, email, is_primary, confirmed_ns, created_ns, updated_ns`

type registryScanner interface{ Scan(dest ...any) error }

func scanFacility(r registryScanner) (Facility, error) {
	var f Facility
	err := r.Scan(&f.ID, &f.Name, &f.Address, &f.District, &f.Commune, &f.Kind, &f.Capacity, &f.Status,
		&f.StatusSince, &f.Notes, &f.Origin, &f.Created, &f.Updated, &f.Edited)
	return f, err
}

func scanContact(r registryScanner) (Contact, error) {
	var c Contact
	err := r.Scan(&c.ID, &c.FacilityID, &c.Name, &c.Title, &c.Phone, &c.Email, &c.Primary, &c.Confirmed,
		&c.Created, &c.Updated)
	return c, err
}

// Facilities returns every facility, by id.
func (s *Store) Facilities(ctx context.Context) ([]Facility, error) {
	return listFacilities(ctx, s.read)
}

// Facility returns one facility or ErrFacilityNotFound.
func (s *Store) Facility(ctx context.Context, id string) (Facility, error) {
	return getFacility(ctx, s.read, id)
}

// Contacts returns a facility's contacts, the primary first, then in the order they were added.
func (s *Store) Contacts(ctx context.Context, facilityID string) ([]Contact, error) {
	return listContacts(ctx, s.read, `WHERE facility_id = ?`, facilityID)
}

// AllContacts returns every contact of every facility, by facility id, the primary first.
func (s *Store) AllContacts(ctx context.Context) ([]Contact, error) {
	return listContacts(ctx, s.read, ``)
}

// Contact returns one contact of a facility or ErrContactNotFound.
func (s *Store) Contact(ctx context.Context, facilityID string, id int64) (Contact, error) {
	return getContact(ctx, s.read, facilityID, id)
}

func listFacilities(ctx context.Context, q registryQuerier) ([]Facility, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+facilityColumns+` FROM facility ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list facilities: %w", err)
	}
	defer rows.Close()
	var out []Facility
	for rows.Next() {
		f, err := scanFacility(rows)
		if err != nil {
			return nil, fmt.Errorf("list facilities: %w", err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

func getFacility(ctx context.Context, q registryQuerier, id string) (Facility, error) {
	f, err := scanFacility(q.QueryRowContext(ctx, `SELECT `+facilityColumns+` FROM facility WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return f, fmt.Errorf("%w: %q", ErrFacilityNotFound, id)
	}
	if err != nil {
		return f, fmt.Errorf("read facility %s: %w", id, err)
	}
	return f, nil
}

func listContacts(ctx context.Context, q registryQuerier, where string, args ...any) ([]Contact, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+contactColumns+` FROM contact `+where+
		` ORDER BY facility_id, is_primary DESC, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list contacts: %w", err)
	}
	defer rows.Close()
	var out []Contact
	for rows.Next() {
		c, err := scanContact(rows)
		if err != nil {
			return nil, fmt.Errorf("list contacts: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func getContact(ctx context.Context, q registryQuerier, facilityID string, id int64) (Contact, error) {
	c, err := scanContact(q.QueryRowContext(ctx, `SELECT `+contactColumns+` FROM contact WHERE facility_id = ? AND id = ?`,
		facilityID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("%w: %d of facility %q", ErrContactNotFound, id, facilityID)
	}
	if err != nil {
		return c, fmt.Errorf("read contact %d: %w", id, err)
	}
	return c, nil
}

// RegistryTx is one write transaction on facilities and contacts. Its reads see its own writes, and
// nothing else writes meanwhile (vigil has one writer connection), so a whole import can be checked
// against the current rows and applied, or refused, as one.
type RegistryTx struct {
	ctx    context.Context
	tx     *sql.Tx
	origin string
	now    int64
}

// UpdateRegistry runs fn in one transaction, committed if fn returns nil. origin says who is writing
// (FromConfig, FromCamera, FromAPI, FromImport): it becomes the origin of the facilities created, and
// changes FromAPI or FromImport mark their facilities as edited.
func (s *Store) UpdateRegistry(ctx context.Context, origin string, fn func(*RegistryTx) error) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		return fn(&RegistryTx{ctx: ctx, tx: tx, origin: origin, now: time.Now().UnixNano()})
	})
}

// Now is the time the transaction stamps on what it changes.
func (t *RegistryTx) Now() int64 { return t.now }

func (t *RegistryTx) editing() bool { return t.origin == FromAPI || t.origin == FromImport }

// Facilities returns every facility, by id.
func (t *RegistryTx) Facilities() ([]Facility, error) { return listFacilities(t.ctx, t.tx) }

// Facility returns one facility or ErrFacilityNotFound.
func (t *RegistryTx) Facility(id string) (Facility, error) { return getFacility(t.ctx, t.tx, id) }

// Contacts returns a facility's contacts, the primary first.
func (t *RegistryTx) Contacts(facilityID string) ([]Contact, error) {
	return listContacts(t.ctx, t.tx, `WHERE facility_id = ?`, facilityID)
}

// CreateFacility inserts a new facility, or returns ErrFacilityExists. Origin, Created, Updated and Edited
// come from the transaction.
func (t *RegistryTx) CreateFacility(f Facility) error {
	edited := int64(0)
	if t.editing() {
		edited = t.now
	}
	res, err := t.tx.ExecContext(t.ctx, `
INSERT INTO facility (id, name, address, district, commune, kind, capacity, status, status_since_ns, notes,
  origin, created_ns, updated_ns, edited_ns)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO NOTHING`,
		f.ID, f.Name, f.Address, f.District, f.Commune, f.Kind, f.Capacity, statusOrActive(f.Status), f.StatusSince,
		f.Notes, t.origin, t.now, t.now, edited)
	if err != nil {
		return fmt.Errorf("create facility %s: %w", f.ID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%w: %q", ErrFacilityExists, f.ID)
	}
	return nil
}

// UpdateFacility writes the descriptive fields of an existing facility (not its origin or times) and
// reports whether anything changed: writing what is already there touches nothing, so an unchanged import
// or restart leaves the facility's times, and seeding's right to update it, as they were.
func (t *RegistryTx) UpdateFacility(f Facility) (bool, error) {
	res, err := t.tx.ExecContext(t.ctx, `
UPDATE facility SET name = ?, address = ?, district = ?, commune = ?, kind = ?, capacity = ?, status = ?,
  status_since_ns = ?, notes = ?
WHERE id = ? AND NOT (name = ? AND address = ? AND district = ? AND commune = ? AND kind = ? AND capacity = ?
  AND status = ? AND status_since_ns = ? AND notes = ?)`,
		f.Name, f.Address, f.District, f.Commune, f.Kind, f.Capacity, statusOrActive(f.Status), f.StatusSince, f.Notes,
		f.ID,
		f.Name, f.Address, f.District, f.Commune, f.Kind, f.Capacity, statusOrActive(f.Status), f.StatusSince, f.Notes)
	if err != nil {
		return false, fmt.Errorf("update facility %s: %w", f.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		_, err := t.Facility(f.ID) // unchanged, or missing?
		return false, err
	}
	return true, t.touch(f.ID)
}

// DeleteFacility deletes a facility and its contacts, or returns ErrFacilityNotFound.
func (t *RegistryTx) DeleteFacility(id string) error {
	if _, err := t.tx.ExecContext(t.ctx, `DELETE FROM contact WHERE facility_id = ?`, id); err != nil {
		return fmt.Errorf("delete contacts of %s: %w", id, err)
	}
	res, err := t.tx.ExecContext(t.ctx, `DELETE FROM facility WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete facility %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: %q", ErrFacilityNotFound, id)
	}
	return nil
}

// AddContact adds a contact to an existing facility and returns its id. A contact added as primary takes
// the place of the facility's previous primary contact, who stays as an ordinary contact.
func (t *RegistryTx) AddContact(c Contact) (int64, error) {
	if _, err := t.Facility(c.FacilityID); err != nil {
		return 0, err
	}
	if c.Primary {
		if err := t.demotePrimary(c.FacilityID, 0); err != nil {
			return 0, err
		}
	}
	res, err := t.tx.ExecContext(t.ctx, `
INSERT INTO contact (facility_id, name, title, phone, email, is_primary, confirmed_ns, created_ns, updated_ns)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.FacilityID, c.Name, c.Title, c.Phone, c.Email, c.Primary, c.Confirmed, t.now, t.now)
	if err != nil {
		return 0, fmt.Errorf("add contact to %s: %w", c.FacilityID, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, err
	}
	return id, t.settle(c.FacilityID)
}

// UpdateContact rewrites an existing contact (found by FacilityID and ID) and reports whether anything
// changed. Making it primary demotes the facility's previous primary contact.
func (t *RegistryTx) UpdateContact(c Contact) (bool, error) {
	old, err := getContact(t.ctx, t.tx, c.FacilityID, c.ID)
	if err != nil {
		return false, err
	}
	if sameContact(old, c) {
		return false, nil
	}
	if c.Primary && !old.Primary {
		if err := t.demotePrimary(c.FacilityID, c.ID); err != nil {
			return false, err
		}
	}
	_, err = t.tx.ExecContext(t.ctx, `
UPDATE contact SET name = ?, title = ?, phone = ?, email = ?, is_primary = ?, confirmed_ns = ?, updated_ns = ?
WHERE id = ?`, c.Name, c.Title, c.Phone, c.Email, c.Primary, c.Confirmed, t.now, c.ID)
	if err != nil {
		return false, fmt.Errorf("update contact %d: %w", c.ID, err)
	}
	return true, t.settle(c.FacilityID)
}

func sameContact(a, b Contact) bool {
	return a.Name == b.Name && a.Title == b.Title && a.Phone == b.Phone && a.Email == b.Email &&
		a.Primary == b.Primary && a.Confirmed == b.Confirmed
}

// DeleteContact deletes one contact of a facility, or returns ErrContactNotFound.
func (t *RegistryTx) DeleteContact(facilityID string, id int64) error {
	res, err := t.tx.ExecContext(t.ctx, `DELETE FROM contact WHERE facility_id = ? AND id = ?`, facilityID, id)
	if err != nil {
		return fmt.Errorf("delete contact %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: %d of facility %q", ErrContactNotFound, id, facilityID)
	}
	return t.settle(facilityID)
}

// ReplaceContacts makes cs the whole contact list of a facility (their IDs are ignored) and reports whether
// that changed anything; an identical list is left as it is, ids and times included.
func (t *RegistryTx) ReplaceContacts(facilityID string, cs []Contact) (bool, error) {
	old, err := t.Contacts(facilityID)
	if err != nil {
		return false, err
	}
	if sameContacts(old, cs) {
		return false, nil
	}
	if _, err := t.tx.ExecContext(t.ctx, `DELETE FROM contact WHERE facility_id = ?`, facilityID); err != nil {
		return false, fmt.Errorf("replace contacts of %s: %w", facilityID, err)
	}
	for _, c := range cs {
		c.FacilityID = facilityID
		if _, err := t.AddContact(c); err != nil {
			return false, err
		}
	}
	return true, t.settle(facilityID)
}

// sameContacts compares lists in the order listContacts returns them (primary first, then by id).
func sameContacts(old, cs []Contact) bool {
	if len(old) != len(cs) {
		return false
	}
	want := append([]Contact(nil), cs...)
	for i, c := range want { // the primary comes first in old; put it first in want too
		if c.Primary && i > 0 {
			copy(want[1:i+1], want[:i])
			want[0] = c
			break
		}
	}
	for i := range old {
		if !sameContact(old[i], want[i]) {
			return false
		}
	}
	return true
}

func (t *RegistryTx) demotePrimary(facilityID string, except int64) error {
	_, err := t.tx.ExecContext(t.ctx, `UPDATE contact SET is_primary = 0, updated_ns = ? WHERE facility_id = ? AND is_primary = 1 AND id <> ?`,
		t.now, facilityID, except)
	if err != nil {
		return fmt.Errorf("demote primary contact of %s: %w", facilityID, err)
	}
	return nil
}

// settle keeps the rule the config also follows, that a facility with contacts has a primary one (the
// person the province calls): when the primary is deleted or unmarked, the longest-standing contact takes
// over. Then it records the change on the facility.
func (t *RegistryTx) settle(facilityID string) error {
	_, err := t.tx.ExecContext(t.ctx, `
UPDATE contact SET is_primary = 1, updated_ns = ?1
WHERE id = (SELECT id FROM contact WHERE facility_id = ?2 ORDER BY id LIMIT 1)
  AND NOT EXISTS (SELECT 1 FROM contact WHERE facility_id = ?2 AND is_primary = 1)`,
		t.now, facilityID)
	if err != nil {
		return fmt.Errorf("settle primary contact of %s: %w", facilityID, err)
	}
	return t.touch(facilityID)
}

// touch records a change of a facility or its contacts, as an edit when it comes from a person.
func (t *RegistryTx) touch(facilityID string) error {
	q := `UPDATE facility SET updated_ns = ? WHERE id = ?`
	if t.editing() {
		q = `UPDATE facility SET updated_ns = ?1, edited_ns = ?1 WHERE id = ?2`
	}
	if _, err := t.tx.ExecContext(t.ctx, q, t.now, facilityID); err != nil {
		return fmt.Errorf("touch facility %s: %w", facilityID, err)
	}
	return nil
}

func statusOrActive(s string) string {
	if strings.TrimSpace(s) == "" {
		return "active"
	}
	return s
}
