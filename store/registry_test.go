package store

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestRegistryFacilitiesAndContacts(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	err := s.UpdateRegistry(ctx, FromConfig, func(tx *RegistryTx) error {
		if err := tx.CreateFacility(Facility{ID: "ktx-b", Name: "Ký túc xá B"}); err != nil {
			return err
		}
		return tx.CreateFacility(Facility{ID: "ktx-a", Name: "Ký túc xá A", District: "Biên Hòa", Capacity: 300})
	})
	if err != nil {
		t.Fatal(err)
	}
	fs, err := s.Facilities(ctx)
	if err != nil || len(fs) != 2 || fs[0].ID != "ktx-a" || fs[1].ID != "ktx-b" {
		t.Fatalf("facilities = %+v, %v", fs, err)
	}
	a := fs[0]
	if a.Status != "active" || a.Origin != FromConfig || a.Edited != 0 || a.Created == 0 || a.Updated != a.Created {
		t.Errorf("ktx-a = %+v", a)
	}
	err = s.UpdateRegistry(ctx, FromAPI, func(tx *RegistryTx) error { return tx.CreateFacility(Facility{ID: "ktx-a", Name: "again"}) })
	if !errors.Is(err, ErrFacilityExists) {
		t.Errorf("second create: %v, want ErrFacilityExists", err)
	}
	if _, err := s.Facility(ctx, "nope"); !errors.Is(err, ErrFacilityNotFound) {
		t.Errorf("missing facility: %v", err)
	}

	// The first contact becomes primary on its own; a second one added as primary takes over.
	var first, second int64
	err = s.UpdateRegistry(ctx, FromAPI, func(tx *RegistryTx) error {
		var err error
		if first, err = tx.AddContact(Contact{FacilityID: "ktx-a", Name: "Nguyễn Văn An", Phone: "+84912345678"}); err != nil {
			return err
		}
		second, err = tx.AddContact(Contact{FacilityID: "ktx-a", Name: "Trần Thị B", Phone: "+84388123456", Primary: true})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	cs, err := s.Contacts(ctx, "ktx-a")
	if err != nil || len(cs) != 2 || cs[0].ID != second || !cs[0].Primary || cs[1].ID != first || cs[1].Primary {
		t.Fatalf("contacts = %+v, %v; want the second, primary, first", cs, err)
	}
	if a, _ := s.Facility(ctx, "ktx-a"); a.Edited == 0 || a.Updated < a.Created {
		t.Errorf("an API change must mark the facility edited: %+v", a)
	}

	// The database itself refuses two primaries.
	_, err = s.write.ExecContext(ctx, `UPDATE contact SET is_primary = 1 WHERE id = ?`, first)
	if err == nil || !strings.Contains(err.Error(), "UNIQUE") {
		t.Errorf("two primary contacts: %v, want a UNIQUE constraint error", err)
	}

	// Deleting the primary of three: the longest-standing contact left takes over.
	var third int64
	err = s.UpdateRegistry(ctx, FromAPI, func(tx *RegistryTx) error {
		var err error
		third, err = tx.AddContact(Contact{FacilityID: "ktx-a", Name: "Lê Văn C", Phone: "+84903123456"})
		if err != nil {
			return err
		}
		return tx.DeleteContact("ktx-a", second)
	})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := s.Contact(ctx, "ktx-a", first); err != nil || !c.Primary {
		t.Errorf("oldest contact left = %+v, %v; want primary", c, err)
	}
	if c, err := s.Contact(ctx, "ktx-a", third); err != nil || c.Primary {
		t.Errorf("newer contact = %+v, %v; want not primary", c, err)
	}
	err = s.UpdateRegistry(ctx, FromAPI, func(tx *RegistryTx) error { return tx.DeleteContact("ktx-b", first) })
	if !errors.Is(err, ErrContactNotFound) {
		t.Errorf("contact of another facility: %v, want ErrContactNotFound", err)
	}

	// Deleting a facility deletes its contacts.
	err = s.UpdateRegistry(ctx, FromAPI, func(tx *RegistryTx) error { return tx.DeleteFacility("ktx-a") })
	if err != nil {
		t.Fatal(err)
	}
	if all, err := s.AllContacts(ctx); err != nil || len(all) != 0 {
		t.Errorf("contacts left: %+v, %v", all, err)
	}
}

func TestRegistryUnchangedWritesTouchNothing(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	f := Facility{ID: "f1", Name: "Cơ sở 1", Address: "Số 1"}
	cs := []Contact{{Name: "A", Phone: "+84912345678"}, {Name: "B", Phone: "+84912345679", Primary: true, Confirmed: 42}}
	err := s.UpdateRegistry(ctx, FromConfig, func(tx *RegistryTx) error {
		if err := tx.CreateFacility(f); err != nil {
			return err
		}
		_, err := tx.ReplaceContacts("f1", cs)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	before, _ := s.Facility(ctx, "f1")
	beforeContacts, _ := s.Contacts(ctx, "f1")
	err = s.UpdateRegistry(ctx, FromImport, func(tx *RegistryTx) error {
		changed, err := tx.UpdateFacility(f)
		if err != nil || changed {
			t.Errorf("same facility: changed %v, %v", changed, err)
		}
		changed, err = tx.ReplaceContacts("f1", cs)
		if err != nil || changed {
			t.Errorf("same contacts: changed %v, %v", changed, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	after, _ := s.Facility(ctx, "f1")
	afterContacts, _ := s.Contacts(ctx, "f1")
	if after != before || len(afterContacts) != 2 || afterContacts[0] != beforeContacts[0] || afterContacts[1] != beforeContacts[1] {
		t.Errorf("unchanged writes changed rows:\n%+v\n%+v", before, after)
	}
	if after.Edited != 0 {
		t.Error("an import that changed nothing marked the facility edited")
	}

	// A failing transaction leaves nothing behind.
	boom := errors.New("boom")
	err = s.UpdateRegistry(ctx, FromImport, func(tx *RegistryTx) error {
		if _, err := tx.UpdateFacility(Facility{ID: "f1", Name: "changed"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if f, _ := s.Facility(ctx, "f1"); f.Name != "Cơ sở 1" {
		t.Errorf("rolled-back change is visible: %+v", f)
	}
}
