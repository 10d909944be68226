package web

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"vigil/config"
	"vigil/recorder"
	"vigil/registry"
	"vigil/store"
)

// newRegistryFixture is a server whose config names a province, two facilities with contacts and two
// cameras (one at each, one with a location), with the registry seeded as `vigil serve` does.
func newRegistryFixture(t *testing.T) *fixture {
	t.Helper()
	cfg := &config.Config{
		Storage:  config.Storage{Path: t.TempDir()},
		Province: config.Province{Name: "dong nai"},
		Cameras: []config.Camera{
			{ID: "cam-1", Facility: "ktx-a", Location: "Cổng chính", URL: "rtsp://user:" + password + "@127.0.0.1:1/x"},
			{ID: "cam-2", Facility: "bv-1", URL: "rtsp://user:" + password + "@127.0.0.1:1/y"},
		},
		Facilities: []config.Facility{{
			ID: "ktx-a", Name: "Khu cách ly Ký túc xá A", Address: "Số 1, phường Tân Hiệp, Đồng Nai", District: "Thành phố Biên Hòa",
			Contacts: []config.Contact{{Name: "Nguyễn Văn An", Title: "Trưởng ban", Phone: "0912 345 678", Email: "an@example.vn"}},
		}, {
			ID: "bv-1", Name: "Bệnh viện dã chiến số 1", District: "Huyện Trảng Bom",
		}},
	}
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	cfg.Retention.MaxAge, cfg.Retention.Quota = 0, config.Quota{}
	st, err := store.Open(cfg.Storage.Database)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := registry.Seed(context.Background(), st, cfg); err != nil {
		t.Fatal(err)
	}
	rec := &recorder.Recorder{Config: cfg, Store: st, Log: slog.New(slog.DiscardHandler)}
	if err := rec.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rec.Close() })
	f := &fixture{cfg: cfg, st: st, rec: rec, logs: &syncBuffer{}}
	f.srv = &Server{Config: cfg, Store: st, Recorder: rec, Version: "test",
		Log: slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	f.http = serveSignedIn(t, f.srv)
	return f
}

// regSend sends a request with a body and returns the status, headers and body of the answer.
func (f *fixture) regSend(t *testing.T, method, path, contentType string, body []byte) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, f.http.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := clientFor(req.URL).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, data
}

func (f *fixture) regJSON(t *testing.T, method, path, body string) (int, string) {
	t.Helper()
	code, _, data := f.regSend(t, method, path, "application/json", []byte(body))
	return code, string(data)
}

// regUpload posts a file as the multipart field "file", as a browser form does.
func (f *fixture) regUpload(t *testing.T, name string, data []byte) (int, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	part, err := w.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	part.Write(data)
	w.Close()
	code, _, body := f.regSend(t, http.MethodPost, "/api/v1/contacts/import", w.FormDataContentType(), buf.Bytes())
	return code, string(body)
}

func TestProvinceAPI(t *testing.T) {
	f := newRegistryFixture(t)
	code, body := f.get(t, "/api/v1/province")
	want := `{"name":"Tỉnh Đồng Nai","code":"75","operator":"VNPT","in_reference_list":true,"time_zone":"Asia/Ho_Chi_Minh"}` + "\n"
	if code != http.StatusOK || body != want {
		t.Errorf("province: %d %s", code, body)
	}
	code, body = f.get(t, "/api/v1/provinces")
	var list struct {
		Provinces []config.ProvinceRef `json:"provinces"`
	}
	decode(t, body, &list)
	if code != http.StatusOK || len(list.Provinces) != 63 || list.Provinces[47].Name != "Tỉnh Đồng Nai" || list.Provinces[0].Operator != "Viettel" {
		t.Errorf("provinces: %d, %d entries", code, len(list.Provinces))
	}
}

func TestFacilitiesAPI(t *testing.T) {
	f := newRegistryFixture(t)

	code, body := f.get(t, "/api/v1/facilities")
	var list struct {
		Facilities []map[string]any `json:"facilities"`
	}
	decode(t, body, &list)
	if code != http.StatusOK || len(list.Facilities) != 2 {
		t.Fatalf("list: %d %s", code, body)
	}
	a := list.Facilities[1]
	primary, _ := a["primary_contact"].(map[string]any)
	if a["id"] != "ktx-a" || a["origin"] != "config" || a["edited"] != nil || a["contact_count"] != 1.0 ||
		primary["phone"] != "+84912345678" || primary["phone_local"] != "0912 345 678" || primary["primary"] != true {
		t.Errorf("ktx-a in the list = %v", a)
	}
	if cams, _ := a["cameras"].([]any); len(cams) != 1 || cams[0] != "cam-1" {
		t.Errorf("ktx-a cameras = %v", a["cameras"])
	}

	// Create, with a date in the Vietnamese order.
	code, body = f.regJSON(t, "POST", "/api/v1/facilities",
		`{"id":"ks-hoa-binh","name":"Khách sạn Hòa Bình","kind":"hotel","capacity":80,"status":"active","status_since":"05/05/2021"}`)
	if code != http.StatusCreated || !strings.Contains(body, `"status_since":"2021-05-05T00:00:00.000+07:00"`) ||
		!strings.Contains(body, `"origin":"api"`) || !strings.Contains(body, `"cameras":[]`) {
		t.Fatalf("create: %d %s", code, body)
	}
	code, body = f.regJSON(t, "POST", "/api/v1/facilities", `{"id":"ks-hoa-binh"}`)
	if code != http.StatusConflict || body != `{"error":"facility \"ks-hoa-binh\" already exists"}`+"\n" {
		t.Errorf("create twice: %d %s", code, body)
	}

	// Update only what is sent.
	code, body = f.regJSON(t, "PUT", "/api/v1/facilities/ks-hoa-binh", `{"capacity":120,"status":"suspended","status_since":"2021-09-30"}`)
	if code != http.StatusOK || !strings.Contains(body, `"name":"Khách sạn Hòa Bình"`) || !strings.Contains(body, `"capacity":120`) ||
		!strings.Contains(body, `"status":"suspended"`) || !strings.Contains(body, `"edited":"`) {
		t.Errorf("update: %d %s", code, body)
	}
	code, body = f.get(t, "/api/v1/facilities/ks-hoa-binh")
	if code != http.StatusOK || !strings.Contains(body, `"capacity":120`) {
		t.Errorf("get: %d %s", code, body)
	}

	// Delete: refused while a camera names the facility, or the config declares it.
	code, body = f.do(t, "DELETE", "/api/v1/facilities/ktx-a")
	if code != http.StatusConflict || !strings.Contains(body, "cam-1") {
		t.Errorf("delete ktx-a: %d %s", code, body)
	}
	code, _ = f.do(t, "DELETE", "/api/v1/facilities/ks-hoa-binh")
	if code != http.StatusNoContent {
		t.Errorf("delete: %d", code)
	}
	code, body = f.get(t, "/api/v1/facilities/ks-hoa-binh")
	if code != http.StatusNotFound || body != `{"error":"facility \"ks-hoa-binh\" not found"}`+"\n" {
		t.Errorf("get deleted: %d %s", code, body)
	}
}

func TestRegistryBadRequests(t *testing.T) {
	f := newRegistryFixture(t)
	for _, tt := range []struct {
		method, path, body string
		code               int
		want               string
	}{
		{"POST", "/api/v1/facilities", `{"id":"Bad Id","status":"open","capacity":-1}`, 400,
			`{"error":"id: invalid id \"Bad Id\": use 1 to 64 lowercase letters, digits, \"-\" or \"_\", starting with a letter or digit; status: must be one of active, suspended, closed; got \"open\"; capacity: must be \u003e= 0, got -1",` +
				`"fields":[{"field":"id","message":"invalid id \"Bad Id\": use 1 to 64 lowercase letters, digits, \"-\" or \"_\", starting with a letter or digit"},` +
				`{"field":"status","message":"must be one of active, suspended, closed; got \"open\""},{"field":"capacity","message":"must be \u003e= 0, got -1"}]}`},
		{"POST", "/api/v1/facilities", `{"id":"x","adress":"1 Đồng Khởi"}`, 400, `{"error":"invalid JSON body: unknown field \"adress\""}`},
		{"POST", "/api/v1/facilities", `{"id":`, 400, `{"error":"invalid JSON body: unexpected EOF"}`},
		{"POST", "/api/v1/facilities", `{"id":"x"}{}`, 400, `{"error":"invalid JSON body: one object expected"}`},
		{"POST", "/api/v1/facilities", `{"id":"x","capacity":"many"}`, 400,
			`{"error":"invalid JSON body: cannot unmarshal string into Go struct field facilityInput.capacity of type int"}`},
		{"POST", "/api/v1/facilities", `{"id":"x","status_since":"hôm qua"}`, 400,
			`{"error":"status_since: invalid date or time \"hôm qua\" (write dd/mm/yyyy, e.g. 07/05/2021, or yyyy-mm-dd)","fields":[{"field":"status_since","message":"invalid date or time \"hôm qua\" (write dd/mm/yyyy, e.g. 07/05/2021, or yyyy-mm-dd)"}]}`},
		{"PUT", "/api/v1/facilities/ktx-a", `{"id":"ktx-b"}`, 400,
			`{"error":"id: a facility's id cannot change (cameras name it); create a new facility instead"}`},
		{"PUT", "/api/v1/facilities/nope", `{}`, 404, `{"error":"facility \"nope\" not found"}`},
		{"POST", "/api/v1/facilities/ktx-a/contacts", `{"name":"","phone":"0912 345 67","email":"an@example"}`, 400,
			`{"error":"name: required; phone: \"0912 345 67\" is not a Vietnamese phone number: 9 digits with the leading 0; want a mobile number of 10 digits (03x, 05x, 07x, 08x or 09x) or a landline of 11 (02x); email: \"an@example\" is not an e-mail address: the domain \"example\" needs a dot, as in ten@domain.vn",` +
				`"fields":[{"field":"name","message":"required"},{"field":"phone","message":"\"0912 345 67\" is not a Vietnamese phone number: 9 digits with the leading 0; want a mobile number of 10 digits (03x, 05x, 07x, 08x or 09x) or a landline of 11 (02x)"},` +
				`{"field":"email","message":"\"an@example\" is not an e-mail address: the domain \"example\" needs a dot, as in ten@domain.vn"}]}`},
		{"POST", "/api/v1/facilities/nope/contacts", `{"name":"A","phone":"0912345678"}`, 404, `{"error":"facility \"nope\" not found"}`},
		{"PUT", "/api/v1/facilities/ktx-a/contacts/999", `{}`, 404, `{"error":"contact \"999\" of facility \"ktx-a\" not found"}`},
		{"DELETE", "/api/v1/facilities/ktx-a/contacts/abc", ``, 404, `{"error":"contact \"abc\" not found"}`},
		{"POST", "/api/v1/contacts/import", `not multipart`, 400, `{"error":"send the list as the multipart form field \"file\" (CSV or XLSX)"}`},
	} {
		code, body := f.regJSON(t, tt.method, tt.path, tt.body)
		if code != tt.code || body != tt.want+"\n" {
			t.Errorf("%s %s %s:\n got %d %s\nwant %d %s", tt.method, tt.path, tt.body, code, body, tt.code, tt.want)
		}
	}
}

// contactJSON and facilityJSON read answers back; the API's own types only marshal.
type contactJSON struct {
	ID        int64    `json:"id"`
	Name      string   `json:"name"`
	Phone     string   `json:"phone"`
	Primary   bool     `json:"primary"`
	Confirmed *string  `json:"confirmed"`
	Missing   []string `json:"missing"`
}

type facilityJSON struct {
	ID string `json:"id"`
}

func TestContactsAPI(t *testing.T) {
	f := newRegistryFixture(t)
	code, body := f.get(t, "/api/v1/facilities/ktx-a/contacts")
	var list struct {
		Contacts []contactJSON `json:"contacts"`
	}
	decode(t, body, &list)
	if code != http.StatusOK || len(list.Contacts) != 1 || !list.Contacts[0].Primary {
		t.Fatalf("contacts: %d %s", code, body)
	}
	an := list.Contacts[0]
	if len(an.Missing) != 0 || an.Confirmed != nil {
		t.Errorf("seeded contact = %+v", an)
	}

	// A second contact marked primary takes over; the first stays.
	code, body = f.regJSON(t, "POST", "/api/v1/facilities/ktx-a/contacts",
		`{"name":"Lê Thị Hoa","phone":"+84 388 123 456","primary":true,"confirmed":"2021-05-07T09:30:00+07:00"}`)
	var hoa contactJSON
	decode(t, body, &hoa)
	if code != http.StatusCreated || !hoa.Primary || hoa.Phone != "+84388123456" || strings.Join(hoa.Missing, ",") != "title,email" {
		t.Fatalf("add: %d %s", code, body)
	}
	if c, _ := f.st.Contact(context.Background(), "ktx-a", an.ID); c.Primary {
		t.Error("the previous primary contact is still primary")
	}

	// Edit: only the fields sent change.
	code, body = f.regJSON(t, "PUT", "/api/v1/facilities/ktx-a/contacts/"+strconv.FormatInt(hoa.ID, 10), `{"title":"Cán bộ y tế","email":"hoa@example.vn"}`)
	if code != http.StatusOK || !strings.Contains(body, `"title":"Cán bộ y tế"`) || !strings.Contains(body, `"confirmed":"2021-05-07T09:30:00.000+07:00"`) ||
		strings.Contains(body, `"missing"`) {
		t.Errorf("update: %d %s", code, body)
	}
	code, _ = f.do(t, "DELETE", "/api/v1/facilities/ktx-a/contacts/"+strconv.FormatInt(hoa.ID, 10))
	if code != http.StatusNoContent {
		t.Errorf("delete: %d", code)
	}
	// The one left is primary again.
	if c, _ := f.st.Contact(context.Background(), "ktx-a", an.ID); !c.Primary {
		t.Error("a facility's only contact must be its primary")
	}
	if fa, _ := f.st.Facility(context.Background(), "ktx-a"); fa.Edited == 0 {
		t.Error("contact edits must mark the facility edited, so the config no longer overwrites it")
	}
}

func TestContactSearchIgnoresAccents(t *testing.T) {
	f := newRegistryFixture(t)
	for q, want := range map[string][]string{
		"dong nai":     {"ktx-a/Nguyễn Văn An"},
		"nguyen van a": {"ktx-a/Nguyễn Văn An"},
		"TRANG BOM":    {"bv-1/"},
		"0912 345":     {"ktx-a/Nguyễn Văn An"},
		"":             {"bv-1/", "ktx-a/Nguyễn Văn An"},
		"không có":     nil,
	} {
		code, body := f.get(t, "/api/v1/contacts?q="+url.QueryEscape(q))
		var res struct {
			Results []struct {
				Facility facilityJSON `json:"facility"`
				Contact  *contactJSON `json:"contact"`
			} `json:"results"`
		}
		decode(t, body, &res)
		var got []string
		for _, r := range res.Results {
			name := ""
			if r.Contact != nil {
				name = r.Contact.Name
			}
			got = append(got, r.Facility.ID+"/"+name)
		}
		if code != http.StatusOK || strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("q=%q: %d %v, want %v", q, code, got, want)
		}
	}
}

var exportName = regexp.MustCompile(`^attachment; filename="danh-sach-dau-moi-\d{4}-\d\d-\d\d\.(csv|xlsx)"$`)

func TestContactListExportImport(t *testing.T) {
	f := newRegistryFixture(t)
	code, hdr, csvData := f.regSend(t, "GET", "/api/v1/contacts/export.csv", "", nil)
	if code != http.StatusOK || hdr.Get("Content-Type") != "text/csv; charset=utf-8" || !exportName.MatchString(hdr.Get("Content-Disposition")) {
		t.Fatalf("export.csv: %d %v", code, hdr)
	}
	want := "\uFEFFSTT,Mã cơ sở,Tên cơ sở cách ly,Địa chỉ,Quận/Huyện,Họ và tên,Chức danh,Số điện thoại,E-mail,Xác nhận lần cuối (dd/mm/yyyy)\r\n" +
		"1,bv-1,Bệnh viện dã chiến số 1,,Huyện Trảng Bom,,,,,\r\n" +
		"2,ktx-a,Khu cách ly Ký túc xá A,\"Số 1, phường Tân Hiệp, Đồng Nai\",Thành phố Biên Hòa,Nguyễn Văn An,Trưởng ban,0912 345 678,an@example.vn,\r\n"
	if string(csvData) != want {
		t.Errorf("export.csv:\n%s\nwant:\n%s", csvData, want)
	}
	code, hdr, xlsxData := f.regSend(t, "GET", "/api/v1/contacts/export.xlsx", "", nil)
	if code != http.StatusOK || !strings.HasPrefix(hdr.Get("Content-Type"), "application/vnd.openxmlformats") || !exportName.MatchString(hdr.Get("Content-Disposition")) {
		t.Fatalf("export.xlsx: %d %v", code, hdr)
	}
	wb, err := excelize.OpenReader(bytes.NewReader(xlsxData))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := wb.GetRows(wb.GetSheetName(0))
	wb.Close()
	if len(rows) != 3 || rows[2][5] != "Nguyễn Văn An" || rows[2][7] != "0912 345 678" {
		t.Errorf("export.xlsx rows = %q", rows)
	}

	// A valid list: a new contact for bv-1 and a changed title for ktx-a.
	edited := strings.Replace(want, "Huyện Trảng Bom,,,,,", "Huyện Trảng Bom,Trần Thị Bích Ngọc,Phó giám đốc,0251 3822 123,ngoc@example.vn,07/05/2021", 1)
	edited = strings.Replace(edited, "Trưởng ban,", "Trưởng ban quản lý,", 1)
	code, body := f.regUpload(t, "danh sách.csv", []byte(edited))
	if code != http.StatusOK || body != `{"rows":2,"facilities_created":0,"facilities_updated":0,"contacts_created":1,"contacts_updated":1,"unchanged":0}`+"\n" {
		t.Fatalf("import: %d %s", code, body)
	}
	_, _, again := f.regSend(t, "GET", "/api/v1/contacts/export.csv", "", nil)
	if string(again) != edited {
		t.Errorf("export after import:\n%s\nwant:\n%s", again, edited)
	}

	// The same as XLSX, re-imported: nothing to do.
	_, _, xlsxData = f.regSend(t, "GET", "/api/v1/contacts/export.xlsx", "", nil)
	code, body = f.regUpload(t, "danh-sach.xlsx", xlsxData)
	if code != http.StatusOK || !strings.Contains(body, `"unchanged":2`) {
		t.Errorf("re-import of the XLSX: %d %s", code, body)
	}

	// One bad row: 400 naming it, and nothing changes.
	bad := strings.Replace(edited, "0912 345 678", "0912 345", 1)
	bad = strings.Replace(bad, "Phó giám đốc", "Giám đốc", 1)
	code, body = f.regUpload(t, "danh sách.csv", []byte(bad))
	wantBad := `{"error":"1 row with problems: nothing was imported","rows":[{"line":3,"field":"phone","column":"Số điện thoại",` +
		`"message":"\"0912 345\" is not a Vietnamese phone number: 7 digits with the leading 0; want a mobile number of 10 digits (03x, 05x, 07x, 08x or 09x) or a landline of 11 (02x)"}]}` + "\n"
	if code != http.StatusBadRequest || body != wantBad {
		t.Errorf("bad import: %d %s\nwant %s", code, body, wantBad)
	}
	_, _, after := f.regSend(t, "GET", "/api/v1/contacts/export.csv", "", nil)
	if string(after) != edited {
		t.Errorf("a refused import changed the list:\n%s", after)
	}

	// A file that is no list at all.
	code, body = f.regUpload(t, "anh.xlsx", []byte("\x89PNG"))
	if code != http.StatusBadRequest || body != `{"error":"the file is named .xlsx but is not an Excel workbook","rows":[]}`+"\n" {
		t.Errorf("not a workbook: %d %s", code, body)
	}
}

// TestCamerasShowPlace: the camera list carries where each camera looks and its facility's name.
func TestCamerasShowPlace(t *testing.T) {
	f := newRegistryFixture(t)
	code, body := f.get(t, "/api/v1/cameras")
	var list struct {
		Cameras []map[string]any `json:"cameras"`
	}
	decode(t, body, &list)
	if code != http.StatusOK || len(list.Cameras) != 2 {
		t.Fatalf("cameras: %d %s", code, body)
	}
	if c := list.Cameras[0]; c["location"] != "Cổng chính" || c["facility_name"] != "Khu cách ly Ký túc xá A" {
		t.Errorf("cam-1 = %v", c)
	}
	if c := list.Cameras[1]; c["location"] != nil || c["facility_name"] != "Bệnh viện dã chiến số 1" {
		t.Errorf("cam-2 = %v", c)
	}
	code, body = f.get(t, "/api/v1/cameras/cam-1")
	if code != http.StatusOK || !strings.Contains(body, `"facility_name":"Khu cách ly Ký túc xá A"`) {
		t.Errorf("cam-1: %d %s", code, body)
	}
}
