package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"vigil/auth"
	"vigil/config"
	"vigil/registry"
	"vigil/store"
)

// The province's facility registry: the province profile, facilities, their contacts, search, and the
// consolidated contact list as CSV and XLSX (package registry holds the rules; this file holds HTTP).

// maxRegistryBody bounds a JSON body: a facility or a contact is a few hundred bytes.
const maxRegistryBody = 64 << 10

func (h *handlers) reg() *registry.Registry {
	return &registry.Registry{Store: h.Store, Config: h.Config}
}

// provinceAnswer is the configured province profile.
type provinceAnswer struct {
	Name            string `json:"name"`
	Code            string `json:"code"`
	Operator        string `json:"operator"`
	InReferenceList bool   `json:"in_reference_list"` // false for a province named after the 2025 mergers
	TimeZone        string `json:"time_zone"`
}

func (h *handlers) regProvince(c echo.Context) error {
	return c.JSON(http.StatusOK, h.provinceAnswer())
}

func (h *handlers) provinceAnswer() provinceAnswer {
	a := provinceAnswer{TimeZone: h.loc.String()}
	if h.Config != nil {
		p := h.Config.Province
		a.Name, a.Code, a.Operator, a.InReferenceList = p.Name, p.Code, p.Operator, p.InReferenceList()
	}
	return a
}

func (h *handlers) regProvinces(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]any{"provinces": config.Provinces()})
}

// registryFacility is a facility as the API shows it.
type registryFacility struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Address     string   `json:"address"`
	District    string   `json:"district"`
	Commune     string   `json:"commune"`
	Kind        string   `json:"kind"`
	Capacity    int      `json:"capacity"`
	Status      string   `json:"status"`
	StatusSince *apiTime `json:"status_since"`
	Notes       string   `json:"notes"`
	Origin      string   `json:"origin"` // config | camera | api | import
	Created     apiTime  `json:"created"`
	Updated     apiTime  `json:"updated"`
	Edited      *apiTime `json:"edited"` // last change through the API or an import; null = as seeded from the config
	Cameras     []string `json:"cameras"`
	// In lists: the primary contact and how many there are. For one facility: every contact.
	PrimaryContact *registryContact  `json:"primary_contact,omitempty"`
	ContactCount   *int              `json:"contact_count,omitempty"`
	Contacts       []registryContact `json:"contacts,omitempty"`
}

// registryContact is a contact as the API shows it.
type registryContact struct {
	ID         int64    `json:"id"`
	FacilityID string   `json:"facility_id"`
	Name       string   `json:"name"`
	Title      string   `json:"title"`
	Phone      string   `json:"phone"`       // +84…
	PhoneLocal string   `json:"phone_local"` // 0912 345 678, as lists write it
	Email      string   `json:"email"`
	Primary    bool     `json:"primary"`
	Confirmed  *apiTime `json:"confirmed"`
	Updated    apiTime  `json:"updated"`
	// Missing names what the letter asks for (name, title, phone, e-mail) that this contact lacks.
	Missing []string `json:"missing,omitempty"`
}

// optionalTime is nil for the store's "not known" (0).
func (h *handlers) optionalTime(ns int64) *apiTime {
	if ns == 0 {
		return nil
	}
	t := h.apiTime(time.Unix(0, ns))
	return &t
}

func (h *handlers) registryFacility(f store.Facility, cameras []string) registryFacility {
	if cameras == nil {
		cameras = []string{}
	}
	return registryFacility{ID: f.ID, Name: f.Name, Address: f.Address, District: f.District, Commune: f.Commune,
		Kind: f.Kind, Capacity: f.Capacity, Status: f.Status, StatusSince: h.optionalTime(f.StatusSince), Notes: f.Notes,
		Origin: f.Origin, Created: h.apiTime(time.Unix(0, f.Created)), Updated: h.apiTime(time.Unix(0, f.Updated)),
		Edited: h.optionalTime(f.Edited), Cameras: cameras}
}

func (h *handlers) registryContact(c store.Contact) registryContact {
	v := registryContact{ID: c.ID, FacilityID: c.FacilityID, Name: c.Name, Title: c.Title, Phone: c.Phone,
		PhoneLocal: config.FormatPhoneLocal(c.Phone), Email: c.Email, Primary: c.Primary,
		Confirmed: h.optionalTime(c.Confirmed), Updated: h.apiTime(time.Unix(0, c.Updated))}
	for _, m := range []struct{ field, value string }{{"title", c.Title}, {"email", c.Email}} {
		if m.value == "" {
			v.Missing = append(v.Missing, m.field)
		}
	}
	return v
}

func (h *handlers) regFacilities(c echo.Context) error {
	sums, err := h.reg().Summaries(c.Request().Context())
	if err != nil {
		return err
	}
	p := principal(c)
	out := make([]registryFacility, 0, len(sums))
	for i, s := range sums {
		if !p.CanAt(auth.RegistryRead, s.Facility.ID) {
			continue
		}
		v := h.registryFacility(s.Facility, s.Cameras)
		if s.Primary != nil {
			p := h.registryContact(*s.Primary)
			v.PrimaryContact = &p
		}
		v.ContactCount = &sums[i].Contacts
		out = append(out, v)
	}
	return c.JSON(http.StatusOK, map[string]any{"facilities": out})
}

func (h *handlers) regFacility(c echo.Context) error {
	ctx := c.Request().Context()
	f, err := h.Store.Facility(ctx, c.Param("id"))
	if err != nil {
		return h.registryError(c, err)
	}
	cs, err := h.Store.Contacts(ctx, f.ID)
	if err != nil {
		return err
	}
	v := h.registryFacility(f, h.reg().CamerasAt()[f.ID])
	v.Contacts = make([]registryContact, len(cs))
	for i, ct := range cs {
		v.Contacts[i] = h.registryContact(ct)
	}
	return c.JSON(http.StatusOK, v)
}

// facilityInput is the body of POST and PUT /facilities: a field left out keeps its value (its default
// for a new facility), so a client can send only what it changes.
type facilityInput struct {
	ID          *string `json:"id"`
	Name        *string `json:"name"`
	Address     *string `json:"address"`
	District    *string `json:"district"`
	Commune     *string `json:"commune"`
	Kind        *string `json:"kind"`
	Capacity    *int    `json:"capacity"`
	Status      *string `json:"status"`
	StatusSince *string `json:"status_since"` // RFC 3339, yyyy-mm-dd or dd/mm/yyyy; "" clears it
	Notes       *string `json:"notes"`
}

// apply copies the fields given onto f.
func (in facilityInput) apply(f *store.Facility, loc *time.Location) error {
	setSent(&f.Name, in.Name)
	setSent(&f.Address, in.Address)
	setSent(&f.District, in.District)
	setSent(&f.Commune, in.Commune)
	setSent(&f.Kind, in.Kind)
	setSent(&f.Status, in.Status)
	setSent(&f.Notes, in.Notes)
	setSent(&f.Capacity, in.Capacity)
	return setSentTime(&f.StatusSince, in.StatusSince, "status_since", loc)
}

// setSent sets *dst to *src when the request sent the field (PUT changes only the fields it names).
func setSent[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

// setSentTime is setSent for a time field given as text, stored as ns since the epoch.
func setSentTime(dst *int64, src *string, field string, loc *time.Location) error {
	if src == nil {
		return nil
	}
	ns, err := parseRegistryTime(*src, loc)
	if err != nil {
		return &registry.InvalidError{Problems: []config.FieldProblem{{Field: field, Message: err.Error()}}}
	}
	*dst = ns
	return nil
}

func (h *handlers) regCreateFacility(c echo.Context) error {
	var in facilityInput
	if err := decodeRegistryBody(c, &in); err != nil {
		return err
	}
	var f store.Facility
	if in.ID != nil {
		f.ID = *in.ID
	}
	if err := in.apply(&f, h.loc); err != nil {
		return h.registryError(c, err)
	}
	created, err := h.reg().CreateFacility(c.Request().Context(), f)
	if errors.Is(err, store.ErrFacilityExists) {
		return apiError(http.StatusConflict, "facility %q already exists", created.ID)
	}
	if err != nil {
		return h.registryError(c, err)
	}
	return c.JSON(http.StatusCreated, h.registryFacility(created, h.reg().CamerasAt()[created.ID]))
}

func (h *handlers) regUpdateFacility(c echo.Context) error {
	ctx := c.Request().Context()
	var in facilityInput
	if err := decodeRegistryBody(c, &in); err != nil {
		return err
	}
	f, err := h.Store.Facility(ctx, c.Param("id"))
	if err != nil {
		return h.registryError(c, err)
	}
	if in.ID != nil && *in.ID != f.ID {
		return apiError(http.StatusBadRequest, "id: a facility's id cannot change (cameras name it); create a new facility instead")
	}
	if err := in.apply(&f, h.loc); err != nil {
		return h.registryError(c, err)
	}
	updated, err := h.reg().UpdateFacility(ctx, f)
	if err != nil {
		return h.registryError(c, err)
	}
	return c.JSON(http.StatusOK, h.registryFacility(updated, h.reg().CamerasAt()[f.ID]))
}

func (h *handlers) regDeleteFacility(c echo.Context) error {
	if err := h.reg().DeleteFacility(c.Request().Context(), c.Param("id")); err != nil {
		return h.registryError(c, err)
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *handlers) regContacts(c echo.Context) error {
	ctx := c.Request().Context()
	f, err := h.Store.Facility(ctx, c.Param("id"))
	if err != nil {
		return h.registryError(c, err)
	}
	cs, err := h.Store.Contacts(ctx, f.ID)
	if err != nil {
		return err
	}
	out := make([]registryContact, len(cs))
	for i, ct := range cs {
		out[i] = h.registryContact(ct)
	}
	return c.JSON(http.StatusOK, map[string]any{"contacts": out})
}

// contactInput is the body of POST and PUT /facilities/{id}/contacts: a field left out keeps its value.
type contactInput struct {
	Name      *string `json:"name"`
	Title     *string `json:"title"`
	Phone     *string `json:"phone"`
	Email     *string `json:"email"`
	Primary   *bool   `json:"primary"`
	Confirmed *string `json:"confirmed"` // RFC 3339, yyyy-mm-dd or dd/mm/yyyy; "" clears it
}

func (in contactInput) apply(ct *store.Contact, loc *time.Location) error {
	setSent(&ct.Name, in.Name)
	setSent(&ct.Title, in.Title)
	setSent(&ct.Phone, in.Phone)
	setSent(&ct.Email, in.Email)
	setSent(&ct.Primary, in.Primary)
	return setSentTime(&ct.Confirmed, in.Confirmed, "confirmed", loc)
}

func (h *handlers) regAddContact(c echo.Context) error {
	ctx := c.Request().Context()
	var in contactInput
	if err := decodeRegistryBody(c, &in); err != nil {
		return err
	}
	f, err := h.Store.Facility(ctx, c.Param("id"))
	if err != nil {
		return h.registryError(c, err)
	}
	ct := store.Contact{FacilityID: f.ID}
	if err := in.apply(&ct, h.loc); err != nil {
		return h.registryError(c, err)
	}
	added, err := h.reg().AddContact(ctx, ct)
	if err != nil {
		return h.registryError(c, err)
	}
	return c.JSON(http.StatusCreated, h.registryContact(added))
}

func (h *handlers) regUpdateContact(c echo.Context) error {
	ctx := c.Request().Context()
	var in contactInput
	if err := decodeRegistryBody(c, &in); err != nil {
		return err
	}
	id, err := contactID(c)
	if err != nil {
		return err
	}
	ct, err := h.Store.Contact(ctx, c.Param("id"), id)
	if err != nil {
		return h.registryError(c, err)
	}
	if err := in.apply(&ct, h.loc); err != nil {
		return h.registryError(c, err)
	}
	updated, err := h.reg().UpdateContact(ctx, ct)
	if err != nil {
		return h.registryError(c, err)
	}
	return c.JSON(http.StatusOK, h.registryContact(updated))
}

func (h *handlers) regDeleteContact(c echo.Context) error {
	id, err := contactID(c)
	if err != nil {
		return err
	}
	if err := h.reg().DeleteContact(c.Request().Context(), c.Param("id"), id); err != nil {
		return h.registryError(c, err)
	}
	return c.NoContent(http.StatusNoContent)
}

func contactID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("contact"), 10, 64)
	if err != nil || id <= 0 {
		return 0, apiError(http.StatusNotFound, "contact %q not found", c.Param("contact"))
	}
	return id, nil
}

// registryEntry is one search result: a contact with its facility, or a facility without contacts.
type registryEntry struct {
	Facility registryFacility `json:"facility"`
	Contact  *registryContact `json:"contact"`
}

func (h *handlers) regSearch(c echo.Context) error {
	entries, err := h.reg().Search(c.Request().Context(), c.QueryParam("q"))
	if err != nil {
		return err
	}
	cams := h.reg().CamerasAt()
	out := make([]registryEntry, len(entries))
	for i, e := range entries {
		out[i].Facility = h.registryFacility(e.Facility, cams[e.Facility.ID])
		if e.Contact != nil {
			v := h.registryContact(*e.Contact)
			out[i].Contact = &v
		}
	}
	return c.JSON(http.StatusOK, map[string]any{"results": out})
}

// Media types of the exports.
const (
	csvType  = "text/csv; charset=utf-8"
	xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)

func (h *handlers) regExportCSV(c echo.Context) error {
	data, err := h.reg().ExportCSV(c.Request().Context())
	if err != nil {
		return err
	}
	return h.sendExport(c, "csv", csvType, data)
}

func (h *handlers) regExportXLSX(c echo.Context) error {
	data, err := h.reg().ExportXLSX(c.Request().Context())
	if err != nil {
		return err
	}
	return h.sendExport(c, "xlsx", xlsxType, data)
}

func (h *handlers) sendExport(c echo.Context, ext, mediaType string, data []byte) error {
	name := h.reg().ExportFileName(ext, time.Now())
	c.Response().Header().Set(echo.HeaderContentDisposition, fmt.Sprintf("attachment; filename=%q", name))
	c.Response().Header().Set("Cache-Control", "no-store") // names and phone numbers: keep them out of caches
	return c.Blob(http.StatusOK, mediaType, data)
}

// importAnswer is the 400 answer to a refused import: every bad row, and the assurance that nothing
// changed.
type importAnswer struct {
	Error string              `json:"error"`
	Rows  []registry.RowError `json:"rows"`
}

func (h *handlers) regImport(c echo.Context) error {
	req := c.Request()
	req.Body = http.MaxBytesReader(c.Response(), req.Body, registry.MaxImportBytes+64<<10)
	fh, err := c.FormFile("file")
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return apiError(http.StatusRequestEntityTooLarge, "the file is larger than %d MB", registry.MaxImportBytes>>20)
		}
		return apiError(http.StatusBadRequest, "send the list as the multipart form field \"file\" (CSV or XLSX)")
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, registry.MaxImportBytes+1))
	if err != nil {
		return err
	}
	if len(data) > registry.MaxImportBytes {
		return apiError(http.StatusRequestEntityTooLarge, "the file is larger than %d MB", registry.MaxImportBytes>>20)
	}
	res, err := h.reg().Import(req.Context(), fh.Filename, data)
	if err != nil {
		return h.registryError(c, err)
	}
	h.log.Info("contact list imported", "file", fh.Filename, "rows", res.Rows,
		"facilities_created", res.FacilitiesCreated, "facilities_updated", res.FacilitiesUpdated,
		"contacts_created", res.ContactsCreated, "contacts_updated", res.ContactsUpdated)
	return c.JSON(http.StatusOK, res)
}

// fieldsAnswer is the 400 answer to a facility or contact with bad fields.
type fieldsAnswer struct {
	Error  string                `json:"error"`
	Fields []config.FieldProblem `json:"fields"`
}

// registryError turns the registry's errors into answers; anything else is an internal error.
func (h *handlers) registryError(c echo.Context, err error) error {
	var invalid *registry.InvalidError
	var inUse *registry.InUseError
	var imp *registry.ImportError
	switch {
	case errors.As(err, &invalid):
		return c.JSON(http.StatusBadRequest, fieldsAnswer{Error: invalid.Error(), Fields: invalid.Problems})
	case errors.As(err, &imp):
		rows := imp.Rows
		if rows == nil {
			rows = []registry.RowError{}
		}
		return c.JSON(http.StatusBadRequest, importAnswer{Error: imp.Message, Rows: rows})
	case errors.As(err, &inUse):
		return apiError(http.StatusConflict, "%s", inUse.Error())
	case errors.Is(err, store.ErrContactNotFound):
		return apiError(http.StatusNotFound, "contact %q of facility %q not found", c.Param("contact"), c.Param("id"))
	case errors.Is(err, store.ErrFacilityNotFound):
		return apiError(http.StatusNotFound, "facility %q not found", c.Param("id"))
	}
	return err
}

// decodeRegistryBody reads a JSON object strictly: unknown fields are mistakes worth a 400, not silence.
func decodeRegistryBody(c echo.Context, dst any) error {
	req := c.Request()
	req.Body = http.MaxBytesReader(c.Response(), req.Body, maxRegistryBody)
	dec := json.NewDecoder(req.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return apiError(http.StatusRequestEntityTooLarge, "the body is larger than %d KB", maxRegistryBody>>10)
		}
		return apiError(http.StatusBadRequest, "invalid JSON body: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if dec.More() {
		return apiError(http.StatusBadRequest, "invalid JSON body: one object expected")
	}
	return nil
}

// parseRegistryTime reads a time given through the API: RFC 3339, or a calendar date (midnight in loc).
// "" means not known.
func parseRegistryTime(s string, loc *time.Location) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UnixNano(), nil
	}
	t, err := config.ParseDate(s, loc)
	if err != nil {
		return 0, errors.New(strings.Replace(err.Error(), "invalid date", "invalid date or time", 1))
	}
	return t.UnixNano(), nil
}

// placeCameras adds where each camera looks (from the config) and its facility's name (one query for all).
// A registry that cannot be read leaves the names out rather than failing the camera list.
// cameraLocations maps each configured camera to where it looks.
func (h *handlers) cameraLocations() map[string]string {
	locations := map[string]string{}
	if h.Config != nil {
		for _, cam := range h.Config.Cameras {
			locations[cam.ID] = cam.Location
		}
	}
	return locations
}

func (h *handlers) placeCameras(ctx context.Context, views []cameraView) {
	locations := h.cameraLocations()
	names := map[string]string{}
	if fs, err := h.Store.Facilities(ctx); err != nil {
		h.log.Warn("camera list: facility names unavailable", "err", err)
	} else {
		for _, f := range fs {
			names[f.ID] = f.Name
		}
	}
	for i := range views {
		views[i].Location = locations[views[i].ID]
		views[i].FacilityName = names[views[i].Facility]
	}
}
