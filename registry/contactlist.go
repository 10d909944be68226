package registry

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/xuri/excelize/v2"

	"vigil/config"
)

// column is one column of the consolidated contact list.
type column struct {
	Title string // the header, in Vietnamese, as exported
	Field string // the field name errors use, the same as in the API
	// key is what a header cell must start with once folded and stripped of everything but letters and
	// digits, so "Email", "E-mail" and "Xác nhận lần cuối" all pass.
	key string
}

// listColumns are the columns of the consolidated list: the facility, then the four facts the letter asks
// for in its order (họ tên; chức danh; số điện thoại; e-mail), then when they were last confirmed.
var listColumns = []column{
	{"STT", "no", "stt"},
	{"Mã cơ sở", "facility_id", "macoso"},
	{"Tên cơ sở cách ly", "facility_name", "tencoso"},
	{"Địa chỉ", "address", "diachi"},
	{"Quận/Huyện", "district", "quanhuyen"},
	{"Họ và tên", "name", "hovaten"},
	{"Chức danh", "title", "chucdanh"},
	{"Số điện thoại", "phone", "sodienthoai"},
	{"E-mail", "email", "email"},
	{"Xác nhận lần cuối (dd/mm/yyyy)", "confirmed", "xacnhan"},
}

// Column positions.
const (
	colNo = iota
	colFacilityID
	colFacilityName
	colAddress
	colDistrict
	colName
	colTitle
	colPhone
	colEmail
	colConfirmed
)

// sheetName is the XLSX worksheet the list is written to (Excel allows 31 characters).
const sheetName = "Danh sách đầu mối"

// ExportFileName names an export after the day it was made, e.g. "danh-sach-dau-moi-2021-05-07.csv".
func (r *Registry) ExportFileName(ext string, now time.Time) string {
	return "danh-sach-dau-moi-" + now.In(r.Location()).Format("2006-01-02") + "." + ext
}

// listRows builds the consolidated list: one row per facility, by id, with its primary contact, or with
// the contact columns empty when it has none, so the gap shows in the list the province sends.
func (r *Registry) listRows(ctx context.Context) ([][]string, error) {
	sums, err := r.Summaries(ctx)
	if err != nil {
		return nil, err
	}
	loc := r.Location()
	rows := make([][]string, len(sums))
	for i, s := range sums {
		f := s.Facility
		row := []string{strconv.Itoa(i + 1), f.ID, f.Name, f.Address, f.District, "", "", "", "", ""}
		if c := s.Primary; c != nil {
			row[colName], row[colTitle], row[colEmail] = c.Name, c.Title, c.Email
			row[colPhone] = config.FormatPhoneLocal(c.Phone)
			if c.Confirmed != 0 {
				row[colConfirmed] = time.Unix(0, c.Confirmed).In(loc).Format(config.DateLayout)
			}
		}
		rows[i] = row
	}
	return rows, nil
}

func headerRow() []string {
	h := make([]string, len(listColumns))
	for i, c := range listColumns {
		h[i] = c.Title
	}
	return h
}

// utf8BOM makes Excel read the CSV as UTF-8; without it Vietnamese text opens as mojibake.
const utf8BOM = "\uFEFF"

// ExportCSV writes the consolidated list as CSV: UTF-8 with a byte-order mark, comma-separated, CRLF line
// ends, the way Excel writes "CSV UTF-8".
func (r *Registry) ExportCSV(ctx context.Context) ([]byte, error) {
	rows, err := r.listRows(ctx)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.WriteString(utf8BOM)
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	if err := w.Write(headerRow()); err != nil {
		return nil, err
	}
	for _, row := range rows {
		for i := range row {
			row[i] = EscapeCSVCell(row[i])
		}
		if err := w.Write(row); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// formulaStarts are the first characters that make a spreadsheet read a CSV cell as a formula: a name or
// note typed through the API could otherwise run in the officer's Excel ("CSV injection").
const formulaStarts = "=+-@\t\r"

// EscapeCSVCell prefixes such a cell with an apostrophe, which spreadsheets show as text; csvUnescape removes it
// on import, so the round trip is exact.
func EscapeCSVCell(s string) string {
	// A value that already starts with an apostrophe gets one more, or the import would take it for ours.
	if s != "" && (strings.ContainsRune(formulaStarts, rune(s[0])) || s[0] == '\'') {
		return "'" + s
	}
	return s
}

func csvUnescape(s string) string {
	if len(s) > 1 && s[0] == '\'' && (strings.ContainsRune(formulaStarts, rune(s[1])) || s[1] == '\'') {
		return s[1:]
	}
	return s
}

// ExportXLSX writes the consolidated list as an Excel workbook: one sheet, a bold frozen header, every
// cell but the row number as text so that phone numbers keep their leading zero.
func (r *Registry) ExportXLSX(ctx context.Context) ([]byte, error) {
	rows, err := r.listRows(ctx)
	if err != nil {
		return nil, err
	}
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName(f.GetSheetName(0), sheetName); err != nil {
		return nil, err
	}
	if err := writeXLSXHeader(f); err != nil {
		return nil, err
	}
	for i, row := range rows {
		if err := writeXLSXRow(f, i+2, row); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// xlsxWidths are the column widths, in characters, that fit typical values.
var xlsxWidths = []float64{6, 14, 36, 40, 20, 26, 24, 16, 30, 16}

func writeXLSXHeader(f *excelize.File) error {
	for i, title := range headerRow() {
		cell, err := excelize.CoordinatesToCellName(i+1, 1)
		if err != nil {
			return err
		}
		if err := f.SetCellStr(sheetName, cell, title); err != nil {
			return err
		}
		col, _, _ := strings.Cut(cell, "1")
		if err := f.SetColWidth(sheetName, col, col, xlsxWidths[i]); err != nil {
			return err
		}
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	if err := f.SetRowStyle(sheetName, 1, 1, bold); err != nil {
		return err
	}
	return f.SetPanes(sheetName, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
}

func writeXLSXRow(f *excelize.File, line int, row []string) error {
	for i, v := range row {
		cell, err := excelize.CoordinatesToCellName(i+1, line)
		if err != nil {
			return err
		}
		if i == colNo {
			n, _ := strconv.ParseInt(v, 10, 64)
			err = f.SetCellInt(sheetName, cell, n)
		} else if v != "" {
			err = f.SetCellStr(sheetName, cell, v)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// headerKey reduces a header cell to lower-case letters and digits without accents.
func headerKey(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return r
		}
		return -1
	}, config.Fold(s))
}

// isHeader tells whether cells are the list's header row.
func isHeader(cells []string) bool {
	if len(cells) < len(listColumns) {
		return false
	}
	for i, c := range listColumns {
		if !strings.HasPrefix(headerKey(cells[i]), c.key) {
			return false
		}
	}
	return true
}

// headerHint is the message for a file without the header row.
func headerHint() string {
	return fmt.Sprintf("no header row found: the list needs the columns of the export, in order: %s",
		strings.Join(headerRow(), ", "))
}
