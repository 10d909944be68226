package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"vigil/config"
	"vigil/store"
)

// newRegistry opens a real store in a temp folder with cfg (defaults applied) as the registry's config.
func newRegistry(t *testing.T, cfg *config.Config) *Registry {
	t.Helper()
	if cfg == nil {
		cfg = &config.Config{}
	}
	cfg.Storage.Path = t.TempDir()
	cfg.ApplyDefaults()
	st, err := store.Open(filepath.Join(t.TempDir(), "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &Registry{Store: st, Config: cfg}
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// demoConfig is a province with three facilities: two with contacts, one named only by a camera.
func demoConfig() *config.Config {
	return &config.Config{
		Province: config.Province{Name: "Tỉnh Đồng Nai"},
		Cameras: []config.Camera{
			{ID: "cam-1", Facility: "ktx-a", URL: "rtsp://127.0.0.1/a"},
			{ID: "cam-2", Facility: "bv-1", URL: "rtsp://127.0.0.1/b"},
			{ID: "cam-3", Facility: "truong-c", URL: "rtsp://127.0.0.1/c"},
		},
		Facilities: []config.Facility{{
			ID: "ktx-a", Name: "Khu cách ly Ký túc xá A", Address: "Số 1, phường Tân Hiệp, Đồng Nai",
			District: "Thành phố Biên Hòa", Capacity: 300,
			Contacts: []config.Contact{
				{Name: "Nguyễn Văn An", Title: "Trưởng ban", Phone: "0912 345 678", Email: "an@example.vn",
					Confirmed: date(2021, 5, 7), Primary: true},
				{Name: "Lê Thị Hoa", Title: "Cán bộ y tế", Phone: "0388 123 456"},
			},
		}, {
			ID: "bv-1", Name: "Bệnh viện dã chiến số 1", District: "Huyện Trảng Bom",
			Contacts: []config.Contact{{Name: "Trần Thị Bích Ngọc", Title: "Phó giám đốc", Phone: "(0251) 3822 123"}},
		}, {
			ID: "truong-c", Name: "Trường THPT C",
		}},
	}
}

func TestSeed(t *testing.T) {
	cfg := demoConfig()
	cfg.Cameras = append(cfg.Cameras, config.Camera{ID: "cam-4", Facility: "ktx-x", URL: "rtsp://127.0.0.1/d"})
	r := newRegistry(t, cfg)
	ctx := context.Background()
	rep, err := Seed(ctx, r.Store, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(rep.Created, rep.FromCameras, rep.Updated, rep.Kept) != "[ktx-a bv-1 truong-c] [ktx-x] [] []" {
		t.Errorf("first seed: %+v", rep)
	}
	x, err := r.Store.Facility(ctx, "ktx-x")
	if err != nil || x.Name != "ktx-x" || x.Origin != store.FromCamera {
		t.Errorf("camera-only facility = %+v, %v", x, err)
	}
	cs, _ := r.Store.Contacts(ctx, "bv-1")
	if len(cs) != 1 || !cs[0].Primary || cs[0].Phone != "+842513822123" {
		t.Errorf("bv-1 contacts = %+v", cs)
	}

	// A restart with the same config changes nothing.
	before, _ := r.Store.Facility(ctx, "ktx-a")
	if rep, err := Seed(ctx, r.Store, cfg); err != nil || len(rep.Created)+len(rep.Updated)+len(rep.FromCameras) != 0 {
		t.Errorf("second seed: %+v, %v", rep, err)
	}
	if after, _ := r.Store.Facility(ctx, "ktx-a"); after != before {
		t.Errorf("an unchanged seed rewrote the row:\n%+v\n%+v", before, after)
	}

	// Someone edits ktx-a through the API; the config changes both facilities.
	a, _ := r.Store.Facility(ctx, "ktx-a")
	a.Notes = "cổng phụ đóng"
	if _, err := r.UpdateFacility(ctx, a); err != nil {
		t.Fatal(err)
	}
	cfg.Facilities[0].Name = "Tên mới trong tệp cấu hình"
	cfg.Facilities[1].Contacts[0].Phone = "+84 251 3822 999"
	rep, err = Seed(ctx, r.Store, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(rep.Updated, rep.Kept) != "[bv-1] [ktx-a]" {
		t.Errorf("third seed: %+v", rep)
	}
	if a, _ := r.Store.Facility(ctx, "ktx-a"); a.Name != "Khu cách ly Ký túc xá A" || a.Notes != "cổng phụ đóng" {
		t.Errorf("the seed overwrote an edited facility: %+v", a)
	}
	if cs, _ := r.Store.Contacts(ctx, "bv-1"); len(cs) != 1 || cs[0].Phone != "+842513822999" {
		t.Errorf("the seed did not follow the config for an unedited facility: %+v", cs)
	}
}

func TestDeleteFacilityInUse(t *testing.T) {
	cfg := demoConfig()
	r := newRegistry(t, cfg)
	ctx := context.Background()
	if _, err := Seed(ctx, r.Store, cfg); err != nil {
		t.Fatal(err)
	}
	var inUse *InUseError
	if err := r.DeleteFacility(ctx, "ktx-a"); !errors.As(err, &inUse) || len(inUse.Cameras) != 1 {
		t.Errorf("delete a facility with cameras: %v", err)
	}
	if _, err := r.CreateFacility(ctx, store.Facility{ID: "moi"}); err != nil {
		t.Fatal(err)
	}
	if err := r.DeleteFacility(ctx, "moi"); err != nil {
		t.Errorf("delete an unused facility: %v", err)
	}
	cfg.Cameras = nil
	if err := r.DeleteFacility(ctx, "ktx-a"); !errors.As(err, &inUse) || !inUse.InConfig {
		t.Errorf("delete a facility of the config: %v", err)
	}
}

func TestValidation(t *testing.T) {
	r := newRegistry(t, nil)
	ctx := context.Background()
	_, err := r.CreateFacility(ctx, store.Facility{ID: "Bad Id", Status: "open", Capacity: -1})
	var invalid *InvalidError
	if !errors.As(err, &invalid) || len(invalid.Problems) != 3 {
		t.Fatalf("bad facility: %v", err)
	}
	f, err := r.CreateFacility(ctx, store.Facility{ID: " ktx-a ", Name: "  Ký túc xá A "})
	if err != nil || f.ID != "ktx-a" || f.Name != "Ký túc xá A" || f.Status != "active" || f.Edited == 0 || f.Origin != store.FromAPI {
		t.Fatalf("created %+v, %v", f, err)
	}
	_, err = r.AddContact(ctx, store.Contact{FacilityID: "ktx-a", Name: "", Phone: "123", Email: "x@y"})
	if !errors.As(err, &invalid) || invalid.Error() != `name: required; phone: "123" is not a Vietnamese phone number: 4 digits with the leading 0; want a mobile number of 10 digits (03x, 05x, 07x, 08x or 09x) or a landline of 11 (02x); email: "x@y" is not an e-mail address: the domain "y" needs a dot, as in ten@domain.vn` {
		t.Errorf("bad contact: %v", err)
	}
	c, err := r.AddContact(ctx, store.Contact{FacilityID: "ktx-a", Name: "Nguyễn Văn A", Phone: "0912.345.678"})
	if err != nil || c.Phone != "+84912345678" || !c.Primary {
		t.Errorf("added %+v, %v; want a normalised phone and the sole contact primary", c, err)
	}
	if _, err := r.AddContact(ctx, store.Contact{FacilityID: "nope", Name: "A", Phone: "0912345678"}); !IsNotFound(err) {
		t.Errorf("contact of a missing facility: %v", err)
	}
}

func TestSearchIgnoresAccents(t *testing.T) {
	cfg := demoConfig()
	r := newRegistry(t, cfg)
	ctx := context.Background()
	if _, err := Seed(ctx, r.Store, cfg); err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string]string{
		"dong nai":            "ktx-a/Nguyễn Văn An ktx-a/Lê Thị Hoa",
		"nguyen van a":        "ktx-a/Nguyễn Văn An",
		"NGUYỄN VĂN AN":       "ktx-a/Nguyễn Văn An",
		"bich ngoc":           "bv-1/Trần Thị Bích Ngọc",
		"0251 3822":           "bv-1/Trần Thị Bích Ngọc",
		"0912345678":          "ktx-a/Nguyễn Văn An",
		"truong thpt":         "truong-c/-",
		"bien hoa y te":       "ktx-a/Lê Thị Hoa",
		"khong co ai ca":      "",
		"an@example":          "ktx-a/Nguyễn Văn An",
		"trang bom":           "bv-1/Trần Thị Bích Ngọc",
		"ky tuc xa   le thi ": "ktx-a/Lê Thị Hoa",
	} {
		entries, err := r.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range entries {
			name := "-"
			if e.Contact != nil {
				name = e.Contact.Name
			}
			got = append(got, e.Facility.ID+"/"+name)
		}
		if strings.Join(got, " ") != want {
			t.Errorf("Search(%q) = %v, want %s", q, got, want)
		}
	}
	all, _ := r.Search(ctx, "")
	if len(all) != 4 {
		t.Errorf("empty query: %d entries, want every contact and the facility without one", len(all))
	}
}

// seededRegistry is a registry holding the demo config plus text that tests the file formats: a quote, a
// comma, a line break, and a name that a spreadsheet would take for a formula.
func seededRegistry(t *testing.T) *Registry {
	t.Helper()
	cfg := demoConfig()
	cfg.Facilities[1].Address = `Ấp "Bàu Cá", xã Trung Hòa`
	cfg.Facilities[2].Contacts = []config.Contact{{Name: "=Ông Phạm, \"Tư\"", Title: "-Hiệu trưởng", Phone: "024 3825 1234"}}
	r := newRegistry(t, cfg)
	if _, err := Seed(context.Background(), r.Store, cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := r.CreateFacility(context.Background(), store.Facility{ID: "zz-no-contact", Name: "Cơ sở chưa có đầu mối"}); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestExportCSV(t *testing.T) {
	r := seededRegistry(t)
	data, err := r.ExportCSV(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := "\uFEFF" + `STT,Mã cơ sở,Tên cơ sở cách ly,Địa chỉ,Quận/Huyện,Họ và tên,Chức danh,Số điện thoại,E-mail,Xác nhận lần cuối (dd/mm/yyyy)` + "\r\n" +
		`1,bv-1,Bệnh viện dã chiến số 1,"Ấp ""Bàu Cá"", xã Trung Hòa",Huyện Trảng Bom,Trần Thị Bích Ngọc,Phó giám đốc,0251 3822 123,,` + "\r\n" +
		`2,ktx-a,Khu cách ly Ký túc xá A,"Số 1, phường Tân Hiệp, Đồng Nai",Thành phố Biên Hòa,Nguyễn Văn An,Trưởng ban,0912 345 678,an@example.vn,07/05/2021` + "\r\n" +
		`3,truong-c,Trường THPT C,,,"'=Ông Phạm, ""Tư""",'-Hiệu trưởng,024 3825 1234,,` + "\r\n" +
		`4,zz-no-contact,Cơ sở chưa có đầu mối,,,,,,,` + "\r\n"
	if string(data) != want {
		t.Errorf("got:\n%s\nwant:\n%s", data, want)
	}
}

func TestCSVRoundTrip(t *testing.T) {
	ctx := context.Background()
	exported, err := seededRegistry(t).ExportCSV(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Into an empty registry: everything is created, and exported again byte for byte.
	fresh := newRegistry(t, nil)
	res, err := fresh.Import(ctx, "list.csv", exported)
	if err != nil {
		t.Fatal(err)
	}
	if want := (ImportResult{Rows: 4, FacilitiesCreated: 4, ContactsCreated: 3}); res != want {
		t.Errorf("import = %+v, want %+v", res, want)
	}
	again, err := fresh.ExportCSV(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, exported) {
		t.Errorf("round trip changed the file:\n%s\nwant:\n%s", again, exported)
	}
	// Vietnamese text and the escaped formula come back as they were typed.
	cs, _ := fresh.Store.Contacts(ctx, "truong-c")
	if len(cs) != 1 || cs[0].Name != "=Ông Phạm, \"Tư\"" || cs[0].Title != "-Hiệu trưởng" || cs[0].Phone != "+842438251234" {
		t.Errorf("truong-c contacts = %+v", cs)
	}
	a, _ := fresh.Store.Contacts(ctx, "ktx-a")
	confirmed := time.Unix(0, a[0].Confirmed).In(fresh.Location())
	if a[0].Name != "Nguyễn Văn An" || confirmed.Format(time.RFC3339) != "2021-05-07T00:00:00+07:00" {
		t.Errorf("ktx-a contact = %+v (confirmed %v)", a[0], confirmed)
	}

	// Into the registry it came from: nothing to do.
	src := seededRegistry(t)
	res, err = src.Import(ctx, "list.csv", exported)
	if err != nil {
		t.Fatal(err)
	}
	if want := (ImportResult{Rows: 4, Unchanged: 4}); res != want {
		t.Errorf("re-import = %+v, want %+v", res, want)
	}
}

// xlsxCells reads every cell of the list's sheet as Excel shows it.
func xlsxCells(t *testing.T, data []byte) [][]string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); len(got) != 1 || got[0] != sheetName {
		t.Errorf("sheets = %v, want [%s]", got, sheetName)
	}
	rows, err := f.GetRows(sheetName)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestXLSXRoundTrip(t *testing.T) {
	ctx := context.Background()
	exported, err := seededRegistry(t).ExportXLSX(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cells := xlsxCells(t, exported)
	if len(cells) != 5 || strings.Join(cells[0], "|") != strings.Join(headerRow(), "|") {
		t.Fatalf("cells = %q", cells)
	}
	if got := strings.Join(cells[2], "|"); got != "2|ktx-a|Khu cách ly Ký túc xá A|Số 1, phường Tân Hiệp, Đồng Nai|Thành phố Biên Hòa|Nguyễn Văn An|Trưởng ban|0912 345 678|an@example.vn|07/05/2021" {
		t.Errorf("row 3 = %s", got)
	}
	// XLSX cells are typed, so the formula-like name needs no apostrophe.
	if cells[3][colName] != "=Ông Phạm, \"Tư\"" {
		t.Errorf("name cell = %q", cells[3][colName])
	}

	fresh := newRegistry(t, nil)
	if _, err := fresh.Import(ctx, "list.xlsx", exported); err != nil {
		t.Fatal(err)
	}
	again, err := fresh.ExportXLSX(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := xlsxCells(t, again); !reflect.DeepEqual(got, cells) {
		t.Errorf("round trip changed the cells:\n%q\nwant:\n%q", got, cells)
	}
	// The same list as CSV: the two formats carry the same data.
	fromXLSX, _ := fresh.ExportCSV(ctx)
	orig, _ := seededRegistry(t).ExportCSV(ctx)
	if !bytes.Equal(fromXLSX, orig) {
		t.Errorf("XLSX import differs from the source:\n%s\nwant:\n%s", fromXLSX, orig)
	}
}

// TestImportBadRowChangesNothing: one bad row refuses the file, names the row and the field, and leaves
// the registry as it was.
func TestImportBadRowChangesNothing(t *testing.T) {
	const header = "STT,Mã cơ sở,Tên cơ sở cách ly,Địa chỉ,Quận/Huyện,Họ và tên,Chức danh,Số điện thoại,E-mail,Xác nhận lần cuối (dd/mm/yyyy)\r\n"
	const good = "1,ktx-a,Khu A đổi tên,,,Nguyễn Văn An,Trưởng ban,0912 345 000,an@example.vn,08/05/2021\r\n" +
		"2,moi-1,Cơ sở mới,,,Phạm Văn Mới,Cán bộ,0977 000 111,moi@example.vn,\r\n"
	for _, tt := range []struct {
		name, row     string
		field, column string
		message       string
	}{
		{"bad phone", "3,bv-1,Bệnh viện dã chiến số 1,,,Trần Thị Bích Ngọc,Phó giám đốc,0251 382,ngoc@example.vn,\r\n",
			"phone", "Số điện thoại", `"0251 382" is not a Vietnamese phone number: 7 digits with the leading 0; want a mobile number of 10 digits (03x, 05x, 07x, 08x or 09x) or a landline of 11 (02x)`},
		{"bad e-mail", "3,bv-1,Bệnh viện dã chiến số 1,,,Trần Thị Bích Ngọc,Phó giám đốc,0251 3822 123,ngoc@example,\r\n",
			"email", "E-mail", `"ngoc@example" is not an e-mail address: the domain "example" needs a dot, as in ten@domain.vn`},
		{"missing name", "3,bv-1,Bệnh viện dã chiến số 1,,,,Phó giám đốc,0251 3822 123,ngoc@example.vn,\r\n",
			"name", "Họ và tên", "required"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := seededRegistry(t)
			ctx := context.Background()
			before, _ := r.ExportCSV(ctx)
			file := "\uFEFF" + header + good + tt.row
			_, err := r.Import(ctx, "list.csv", []byte(file))
			var ie *ImportError
			if !errors.As(err, &ie) {
				t.Fatalf("import: %v, want an ImportError", err)
			}
			want := []RowError{{Line: 4, Field: tt.field, Column: tt.column, Message: tt.message}}
			if !reflect.DeepEqual(ie.Rows, want) || ie.Message != "1 row with problems: nothing was imported" {
				t.Errorf("error = %q %+v\nwant rows %+v", ie.Message, ie.Rows, want)
			}
			after, _ := r.ExportCSV(ctx)
			if !bytes.Equal(before, after) {
				t.Errorf("a refused import changed the registry:\n%s", after)
			}
			if _, err := r.Store.Facility(ctx, "moi-1"); !IsNotFound(err) {
				t.Errorf("the good rows were applied: %v", err)
			}
		})
	}
}

func TestImportReportsEveryBadRow(t *testing.T) {
	r := newRegistry(t, nil)
	file := "Danh sách đầu mối cơ sở cách ly\n\n" + // a title block above the header is skipped
		"STT;Ma co so;Ten co so cach ly;Dia chi;Quan/Huyen;Ho va ten;Chuc danh;So dien thoai;Email;Xac nhan lan cuoi\n" +
		"1;Bad Id;;;;A;;0912345678;;\n" +
		"2;ok-1;OK;\"Số 1\nđường số 5\";;B;;;b@example.vn;32/01/2021\n" + // a line break inside a cell
		";;;;;;;;;\n" +
		"3;ok-1;Again;;;;;;;\n"
	_, err := r.Import(context.Background(), "list.csv", []byte(file))
	var ie *ImportError
	if !errors.As(err, &ie) {
		t.Fatalf("import: %v", err)
	}
	var got []string
	for _, e := range ie.Rows {
		got = append(got, fmt.Sprintf("%d %s", e.Line, e.Field))
	}
	if want := "4 facility_id|4 facility_name|5 address|5 phone|5 confirmed|8 facility_id"; strings.Join(got, "|") != want {
		t.Errorf("rows = %s, want %s\n%v", strings.Join(got, "|"), want, ie)
	}
	if ie.Message != "3 rows with problems: nothing was imported" {
		t.Errorf("message = %q", ie.Message)
	}
}

// TestImportWhatSpreadsheetsDo: a list typed by hand and saved by Excel in Vietnamese settings (semicolons,
// no byte-order mark in the CSV, phone numbers that lost their leading zero, dates without leading zeros,
// real date cells in XLSX) is read as meant.
func TestImportWhatSpreadsheetsDo(t *testing.T) {
	ctx := context.Background()
	csvFile := strings.Join(headerRow(), ";") + "\r\n" +
		"1;ktx-a;Ký túc xá A;;;Nguyễn Văn An;Trưởng ban;912345678;an@example.vn;7/5/2021\r\n"
	r := newRegistry(t, nil)
	if _, err := r.Import(ctx, "danh sach.csv", []byte(csvFile)); err != nil {
		t.Fatal(err)
	}
	out, _ := r.ExportCSV(ctx)
	if !strings.Contains(string(out), "Nguyễn Văn An,Trưởng ban,0912 345 678,an@example.vn,07/05/2021") {
		t.Errorf("export after a hand-made CSV:\n%s", out)
	}

	f := excelize.NewFile()
	defer f.Close()
	sheet := f.GetSheetName(0)
	for i, v := range headerRow() {
		cell, _ := excelize.CoordinatesToCellName(i+1, 1)
		f.SetCellStr(sheet, cell, v)
	}
	f.SetSheetRow(sheet, "A2", &[]any{1, "bv-1", "Bệnh viện dã chiến", "", "", "Trần Thị Bích Ngọc", "Phó giám đốc", 2513822123, "ngoc@example.vn"})
	f.SetCellValue(sheet, "J2", time.Date(2021, 5, 8, 0, 0, 0, 0, time.UTC))
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	r = newRegistry(t, nil)
	if _, err := r.Import(ctx, "upload", buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	out, _ = r.ExportCSV(ctx)
	if !strings.Contains(string(out), "Trần Thị Bích Ngọc,Phó giám đốc,0251 3822 123,ngoc@example.vn,08/05/2021") {
		t.Errorf("export after a hand-made XLSX:\n%s", out)
	}
}

func TestImportUnreadableFiles(t *testing.T) {
	r := newRegistry(t, nil)
	for name, tt := range map[string]struct {
		file, data, want string
	}{
		"latin-1":    {"list.csv", "STT,M\xe3 c\xf4 s\xf4\n", `the file is not UTF-8 text: in Excel, save it as "CSV UTF-8" (or as .xlsx)`},
		"old excel":  {"list.xls", "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", "this is an old Excel 97-2003 (.xls) file: save it as Excel Workbook (.xlsx) or as CSV UTF-8"},
		"fake xlsx":  {"list.xlsx", "hello", "the file is named .xlsx but is not an Excel workbook"},
		"no header":  {"list.csv", "a,b,c\n1,2,3\n", headerHint()},
		"broken csv": {"list.csv", strings.Join(headerRow(), ",") + "\n1,\"ktx-a,\n", "the CSV cannot be read\nline 2: file: extraneous or missing \" in quoted-field"},
	} {
		_, err := r.Import(context.Background(), tt.file, []byte(tt.data))
		var ie *ImportError
		if !errors.As(err, &ie) || err.Error() != tt.want {
			t.Errorf("%s: %v, want %q", name, err, tt.want)
		}
	}
}

func TestImportKeepsOtherContacts(t *testing.T) {
	cfg := demoConfig()
	r := newRegistry(t, cfg)
	ctx := context.Background()
	if _, err := Seed(ctx, r.Store, cfg); err != nil {
		t.Fatal(err)
	}
	file := strings.Join(headerRow(), ",") + "\r\n" +
		// the existing primary, spelt without accents: updated in place
		"1,ktx-a,Khu cách ly Ký túc xá A,\"Số 1, phường Tân Hiệp, Đồng Nai\",Thành phố Biên Hòa,nguyen van an,Trưởng ban quản lý,0912 345 678,an@example.vn,07/05/2021\r\n" +
		// someone new for bv-1: becomes primary, the old primary stays
		"2,bv-1,Bệnh viện dã chiến số 1,,Huyện Trảng Bom,Hồ Văn Mới,Giám đốc,0977 000 111,moi@example.vn,\r\n"
	res, err := r.Import(ctx, "list.csv", []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	if want := (ImportResult{Rows: 2, ContactsCreated: 1, ContactsUpdated: 1}); res != want {
		t.Errorf("import = %+v, want %+v", res, want)
	}
	a, _ := r.Store.Contacts(ctx, "ktx-a")
	if len(a) != 2 || a[0].Name != "nguyen van an" || a[0].Title != "Trưởng ban quản lý" || !a[0].Primary || a[1].Name != "Lê Thị Hoa" {
		t.Errorf("ktx-a contacts = %+v", a)
	}
	b, _ := r.Store.Contacts(ctx, "bv-1")
	if len(b) != 2 || b[0].Name != "Hồ Văn Mới" || !b[0].Primary || b[1].Name != "Trần Thị Bích Ngọc" || b[1].Primary {
		t.Errorf("bv-1 contacts = %+v", b)
	}
	if f, _ := r.Store.Facility(ctx, "bv-1"); f.Edited == 0 {
		t.Error("an import is an edit: the next seed must keep it")
	}
}

func TestExportFileName(t *testing.T) {
	r := newRegistry(t, nil)
	// 20:00 UTC is already the next day in Việt Nam.
	if got := r.ExportFileName("xlsx", time.Date(2021, 5, 6, 20, 0, 0, 0, time.UTC)); got != "danh-sach-dau-moi-2021-05-07.xlsx" {
		t.Errorf("name = %s", got)
	}
}

// TestImportXLSXBadRow: in a workbook the line is the spreadsheet's row number.
func TestImportXLSXBadRow(t *testing.T) {
	ctx := context.Background()
	r := seededRegistry(t)
	exported, err := r.ExportXLSX(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wb, err := excelize.OpenReader(bytes.NewReader(exported))
	if err != nil {
		t.Fatal(err)
	}
	wb.SetCellStr(sheetName, "I3", "an@@example.vn") // row 3: ktx-a
	var buf bytes.Buffer
	if _, err := wb.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	wb.Close()
	_, err = r.Import(ctx, "list.xlsx", buf.Bytes())
	var ie *ImportError
	if !errors.As(err, &ie) || len(ie.Rows) != 1 || ie.Rows[0].Line != 3 || ie.Rows[0].Field != "email" || ie.Rows[0].Column != "E-mail" {
		t.Errorf("import: %v", err)
	}
}
