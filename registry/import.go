package registry

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"vigil/config"
	"vigil/store"
)

// Import limits: a province's list has hundreds of rows, so these only stop a wrong or hostile file.
const (
	MaxImportBytes   = 10 << 20  // the largest file Import is handed
	maxImportRows    = 20000     // rows, header included
	maxUnzippedBytes = 256 << 20 // what an XLSX may expand to
	headerSearchRows = 20        // rows above the header (a title block) that are skipped
)

// RowError is one bad cell of an imported list. Line is the row number in the file: the spreadsheet's row
// for XLSX, the line a record starts on for CSV.
type RowError struct {
	Line    int    `json:"line"`
	Field   string `json:"field"`            // as in the API: facility_id, facility_name, address, district, name, title, phone, email, confirmed
	Column  string `json:"column,omitempty"` // the column's header, for the person fixing the file
	Message string `json:"message"`
}

// ImportError refuses a file: it names every bad row, or says why the file could not be read at all.
// Nothing was changed.
type ImportError struct {
	Message string
	Rows    []RowError
}

func (e *ImportError) Error() string {
	var b strings.Builder
	b.WriteString(e.Message)
	for _, r := range e.Rows {
		fmt.Fprintf(&b, "\nline %d: %s: %s", r.Line, r.Field, r.Message)
	}
	return b.String()
}

// ImportResult counts what an import changed.
type ImportResult struct {
	Rows              int `json:"rows"` // facilities in the file
	FacilitiesCreated int `json:"facilities_created"`
	FacilitiesUpdated int `json:"facilities_updated"`
	ContactsCreated   int `json:"contacts_created"`
	ContactsUpdated   int `json:"contacts_updated"`
	Unchanged         int `json:"unchanged"` // rows that matched the registry already
}

// tableRow is one row of the file and where it is.
type tableRow struct {
	line  int
	cells []string
}

// listEntry is one valid row: a facility and, unless its contact cells are empty, its primary contact.
type listEntry struct {
	line     int
	facility store.Facility
	contact  *store.Contact
}

// Import reads a consolidated contact list, CSV or XLSX in the layout of the export, and applies it in one
// transaction. Every row is checked first; one bad row refuses the whole file with an ImportError naming
// every bad row and field, and nothing changes.
//
// Each row creates its facility or updates its name, address and district. Its contact becomes the
// facility's primary contact: the existing contact of the same name (compared without accents or case) is
// updated, or a new one is added, and the previous primary stays as an ordinary contact, since a list
// that names someone else is no reason to forget a person. A row whose contact cells are all empty leaves
// the facility's contacts alone. Importing a file just exported changes nothing.
func (r *Registry) Import(ctx context.Context, fileName string, data []byte) (ImportResult, error) {
	table, err := readTable(fileName, data)
	if err != nil {
		return ImportResult{}, err
	}
	entries, err := r.parseList(table)
	if err != nil {
		return ImportResult{}, err
	}
	loc := r.Location()
	var res ImportResult
	err = r.Store.UpdateRegistry(ctx, store.FromImport, func(tx *store.RegistryTx) error {
		res = ImportResult{Rows: len(entries)}
		for _, e := range entries {
			if err := applyEntry(tx, e, &res, loc); err != nil {
				return fmt.Errorf("line %d: %w", e.line, err)
			}
		}
		return nil
	})
	return res, err
}

// readTable reads the rows of a CSV or XLSX file, told apart by content (an XLSX is a zip file) and, for
// a broken file, by its name.
func readTable(fileName string, data []byte) ([]tableRow, error) {
	switch {
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		return readXLSX(data)
	case bytes.HasPrefix(data, []byte("\xD0\xCF\x11\xE0")):
		return nil, &ImportError{Message: "this is an old Excel 97-2003 (.xls) file: save it as Excel Workbook (.xlsx) or as CSV UTF-8"}
	case strings.EqualFold(filepath.Ext(fileName), ".xlsx"):
		return nil, &ImportError{Message: "the file is named .xlsx but is not an Excel workbook"}
	}
	data = bytes.TrimPrefix(data, []byte(utf8BOM))
	if !utf8.Valid(data) {
		return nil, &ImportError{Message: "the file is not UTF-8 text: in Excel, save it as \"CSV UTF-8\" (or as .xlsx)"}
	}
	// Excel writes ";" instead of "," where the decimal mark is a comma, as in Vietnamese settings: the
	// separator is the one under which the header shows.
	for _, sep := range []rune{';', '\t'} {
		if rows, err := readCSV(data, sep); err == nil && headerIndex(rows) >= 0 {
			return rows, nil
		}
	}
	return readCSV(data, ',')
}

func readCSV(data []byte, sep rune) ([]tableRow, error) {
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comma = sep
	cr.FieldsPerRecord = -1
	var rows []tableRow
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, &ImportError{Message: "the CSV cannot be read", Rows: []RowError{{Line: pe.StartLine, Field: "file", Message: pe.Err.Error()}}}
		}
		if err != nil {
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		for i := range rec {
			rec[i] = csvUnescape(rec[i])
		}
		rows = append(rows, tableRow{line: line, cells: rec})
		if len(rows) > maxImportRows {
			return nil, &ImportError{Message: fmt.Sprintf("too many rows: at most %d", maxImportRows)}
		}
	}
}

func readXLSX(data []byte) ([]tableRow, error) {
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: maxUnzippedBytes})
	if err != nil {
		return nil, &ImportError{Message: "the Excel workbook cannot be read: " + err.Error()}
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, &ImportError{Message: "the Excel workbook has no sheet"}
	}
	sheet := sheets[0]
	for _, s := range sheets {
		if s == sheetName {
			sheet = s
		}
	}
	// Raw values: a date cell gives its serial number and a phone typed as a number its digits, rather than
	// whatever the cell's display format makes of them.
	cells, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, &ImportError{Message: "the Excel workbook cannot be read: " + err.Error()}
	}
	if len(cells) > maxImportRows {
		return nil, &ImportError{Message: fmt.Sprintf("too many rows: at most %d", maxImportRows)}
	}
	rows := make([]tableRow, len(cells))
	for i, c := range cells {
		rows[i] = tableRow{line: i + 1, cells: c}
	}
	return rows, nil
}

// parseList finds the header, then checks every row below it and reports every problem at once.
func (r *Registry) parseList(table []tableRow) ([]listEntry, error) {
	start := headerIndex(table)
	if start < 0 {
		return nil, &ImportError{Message: headerHint()}
	}
	var entries []listEntry
	var bad []RowError
	firstLine := map[string]int{}
	for _, row := range table[start+1:] {
		cells := padCells(row.cells)
		if blankRow(cells) {
			continue
		}
		e, errs := r.parseEntry(row.line, cells)
		if config.ValidID(e.facility.ID) {
			if first, dup := firstLine[e.facility.ID]; dup {
				errs = append(errs, rowError(row.line, colFacilityID,
					fmt.Sprintf("facility %q is already on line %d: one row per facility", e.facility.ID, first)))
			} else {
				firstLine[e.facility.ID] = row.line
			}
		}
		bad = append(bad, errs...)
		entries = append(entries, e)
	}
	if len(bad) > 0 {
		return nil, &ImportError{Message: fmt.Sprintf("%s with problems: nothing was imported", countRows(bad)), Rows: bad}
	}
	return entries, nil
}

// headerIndex finds the header among the first rows (a title block may sit above it), or returns -1.
func headerIndex(table []tableRow) int {
	for i := 0; i < len(table) && i < headerSearchRows; i++ {
		if isHeader(table[i].cells) {
			return i
		}
	}
	return -1
}

func countRows(errs []RowError) string {
	lines := map[int]bool{}
	for _, e := range errs {
		lines[e.Line] = true
	}
	if len(lines) == 1 {
		return "1 row"
	}
	return strconv.Itoa(len(lines)) + " rows"
}

func padCells(cells []string) []string {
	for len(cells) < len(listColumns) {
		cells = append(cells, "")
	}
	return cells
}

// blankRow tells whether a row holds nothing but perhaps its number, as the empty rows of a template do.
func blankRow(cells []string) bool {
	for i, c := range cells {
		if i != colNo && strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

func rowError(line, col int, msg string) RowError {
	return RowError{Line: line, Field: listColumns[col].Field, Column: listColumns[col].Title, Message: msg}
}

// facilityColumns and contactColumns map the config's field names to the list's columns.
var (
	facilityColumns = map[string]int{"id": colFacilityID, "name": colFacilityName, "address": colAddress, "district": colDistrict}
	contactColumns  = map[string]int{"name": colName, "title": colTitle, "phone": colPhone, "email": colEmail}
)

// parseEntry checks one row with the config's rules.
func (r *Registry) parseEntry(line int, cells []string) (listEntry, []RowError) {
	cell := func(col int) string { return strings.TrimSpace(cells[col]) }
	var errs []RowError
	f, ps := config.CheckFacility(config.Facility{ID: cell(colFacilityID), Name: cell(colFacilityName),
		Address: cell(colAddress), District: cell(colDistrict)})
	for _, p := range ps {
		errs = append(errs, rowError(line, facilityColumns[p.Field], p.Message))
	}
	if f.Name == "" {
		errs = append(errs, rowError(line, colFacilityName, "required"))
	}
	e := listEntry{line: line, facility: store.Facility{ID: f.ID, Name: f.Name, Address: f.Address, District: f.District}}
	if !contactGiven(cells) {
		return e, errs
	}
	c, ps := config.CheckContact(config.Contact{Name: cell(colName), Title: cell(colTitle), Phone: cell(colPhone), Email: cell(colEmail)})
	for _, p := range ps {
		errs = append(errs, rowError(line, contactColumns[p.Field], p.Message))
	}
	e.contact = &store.Contact{FacilityID: f.ID, Name: c.Name, Title: c.Title, Phone: c.Phone, Email: c.Email, Primary: true}
	if s := cell(colConfirmed); s != "" {
		t, err := parseListDate(s, r.Location())
		if err != nil {
			errs = append(errs, rowError(line, colConfirmed, err.Error()))
		}
		e.contact.Confirmed = unixNano(t)
	}
	return e, errs
}

func contactGiven(cells []string) bool {
	for _, col := range []int{colName, colTitle, colPhone, colEmail, colConfirmed} {
		if strings.TrimSpace(cells[col]) != "" {
			return true
		}
	}
	return false
}

// parseListDate reads a date cell: text as the config reads it, or the serial number an Excel date cell
// holds.
func parseListDate(s string, loc *time.Location) (time.Time, error) {
	if serial, err := strconv.ParseFloat(s, 64); err == nil && serial >= 1 && serial < 200000 {
		t, err := excelize.ExcelDateToTime(serial, false)
		if err != nil {
			return time.Time{}, err
		}
		y, m, d := t.Date()
		return time.Date(y, m, d, 0, 0, 0, 0, loc), nil
	}
	return config.ParseDate(s, loc)
}

// applyEntry writes one row and counts what changed.
func applyEntry(tx *store.RegistryTx, e listEntry, res *ImportResult, loc *time.Location) error {
	changed := false
	have, err := tx.Facility(e.facility.ID)
	switch {
	case errors.Is(err, store.ErrFacilityNotFound):
		if err := tx.CreateFacility(e.facility); err != nil {
			return err
		}
		res.FacilitiesCreated++
		changed = true
	case err != nil:
		return err
	default:
		have.Name, have.Address, have.District = e.facility.Name, e.facility.Address, e.facility.District
		updated, err := tx.UpdateFacility(have)
		if err != nil {
			return err
		}
		if updated {
			res.FacilitiesUpdated++
			changed = true
		}
	}
	if e.contact != nil {
		created, updated, err := applyPrimary(tx, *e.contact, loc)
		if err != nil {
			return err
		}
		res.ContactsCreated += created
		res.ContactsUpdated += updated
		changed = changed || created+updated > 0
	}
	if !changed {
		res.Unchanged++
	}
	return nil
}

// applyPrimary makes c the primary contact of its facility: the contact of the same name is updated, or c
// is added.
func applyPrimary(tx *store.RegistryTx, c store.Contact, loc *time.Location) (created, updated int, err error) {
	cs, err := tx.Contacts(c.FacilityID)
	if err != nil {
		return 0, 0, err
	}
	match := contactNamed(cs, c.Name)
	if match == nil {
		_, err := tx.AddContact(c)
		return 1, 0, err
	}
	upd := *match
	upd.Name, upd.Title, upd.Phone, upd.Email, upd.Primary = c.Name, c.Title, c.Phone, c.Email, true
	// The list holds the day only: a confirmation stamped earlier that day keeps its time.
	if !sameDay(match.Confirmed, c.Confirmed, loc) {
		upd.Confirmed = c.Confirmed
	}
	changed, err := tx.UpdateContact(upd)
	if changed {
		updated = 1
	}
	return 0, updated, err
}

// contactNamed finds the contact whose name matches without regard to accents, case or spacing; the
// primary contact wins a tie (cs lists it first).
func contactNamed(cs []store.Contact, name string) *store.Contact {
	key := strings.Join(strings.Fields(config.Fold(name)), " ")
	for i := range cs {
		if strings.Join(strings.Fields(config.Fold(cs[i].Name)), " ") == key {
			return &cs[i]
		}
	}
	return nil
}

func sameDay(a, b int64, loc *time.Location) bool {
	if a == 0 || b == 0 {
		return a == b
	}
	ya, ma, da := time.Unix(0, a).In(loc).Date()
	yb, mb, db := time.Unix(0, b).In(loc).Date()
	return ya == yb && ma == mb && da == db
}
