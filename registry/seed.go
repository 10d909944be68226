package registry

import (
	"context"
	"errors"
	"time"

	"vigil/config"
	"vigil/store"
)

// SeedReport says what Seed did, for the startup log.
type SeedReport struct {
	Created     []string // facilities of the config that the store did not have
	Updated     []string // unedited facilities brought in step with the config
	Kept        []string // facilities edited through the API or an import since: the store's version stays
	FromCameras []string // facilities that only cameras name, created with their id as name
}

// Seed brings the config's facilities and their contacts into the store at startup.
//
// How it decides: a facility the store lacks is created with its contacts. A facility that nobody has
// edited through the API or an import since it was created (store.Facility.Edited is 0) follows the config:
// its fields and its contact list are rewritten when the config's differ, so fixing a phone number in the
// file and restarting works. Once a person has edited a facility or any of its contacts, the store's
// version is theirs and Seed leaves it alone, whatever the file says. Then every facility a camera names
// but the store lacks is created with its id as name, so that every camera belongs to a listed facility.
func Seed(ctx context.Context, st *store.Store, cfg *config.Config) (SeedReport, error) {
	var rep SeedReport
	err := st.UpdateRegistry(ctx, store.FromConfig, func(tx *store.RegistryTx) error {
		rep = SeedReport{}
		for _, f := range cfg.Facilities {
			if err := seedFacility(tx, f, &rep); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return rep, err
	}
	err = st.UpdateRegistry(ctx, store.FromCamera, func(tx *store.RegistryTx) error {
		rep.FromCameras = nil
		for _, cam := range cfg.Cameras {
			err := tx.CreateFacility(store.Facility{ID: cam.Facility, Name: cam.Facility})
			switch {
			case err == nil:
				rep.FromCameras = append(rep.FromCameras, cam.Facility)
			case !errors.Is(err, store.ErrFacilityExists):
				return err
			}
		}
		return nil
	})
	return rep, err
}

func seedFacility(tx *store.RegistryTx, f config.Facility, rep *SeedReport) error {
	want, contacts := fromConfig(f)
	have, err := tx.Facility(f.ID)
	switch {
	case errors.Is(err, store.ErrFacilityNotFound):
		if err := tx.CreateFacility(want); err != nil {
			return err
		}
		if _, err := tx.ReplaceContacts(f.ID, contacts); err != nil {
			return err
		}
		rep.Created = append(rep.Created, f.ID)
		return nil
	case err != nil:
		return err
	case have.Edited != 0:
		rep.Kept = append(rep.Kept, f.ID)
		return nil
	}
	changed, err := tx.UpdateFacility(want)
	if err != nil {
		return err
	}
	contactsChanged, err := tx.ReplaceContacts(f.ID, contacts)
	if err != nil {
		return err
	}
	if changed || contactsChanged {
		rep.Updated = append(rep.Updated, f.ID)
	}
	return nil
}

// fromConfig converts a validated config facility, defaults applied, to store rows.
func fromConfig(f config.Facility) (store.Facility, []store.Contact) {
	sf := store.Facility{ID: f.ID, Name: f.Name, Address: f.Address, District: f.District, Commune: f.Commune,
		Kind: f.Kind, Capacity: f.Capacity, Status: f.Status, StatusSince: unixNano(f.StatusSince), Notes: f.Notes}
	cs := make([]store.Contact, len(f.Contacts))
	for i, c := range f.Contacts {
		if norm, ps := config.CheckContact(c); len(ps) == 0 {
			c = norm // a config built in code may hold numbers as people write them
		}
		cs[i] = store.Contact{FacilityID: f.ID, Name: c.Name, Title: c.Title, Phone: c.Phone, Email: c.Email,
			Primary: c.Primary, Confirmed: unixNano(c.Confirmed)}
	}
	return sf, cs
}

// unixNano is the store's form of a time: ns since the epoch, 0 for "not known".
func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}
