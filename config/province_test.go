package config

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

func TestProvinceReferenceList(t *testing.T) {
	ps := Provinces()
	if len(ps) != 63 {
		t.Fatalf("%d provinces, want the 63 of the appendix", len(ps))
	}
	codes, names := map[string]bool{}, map[string]bool{}
	prev := ""
	for i, p := range ps {
		if p.No != i+1 {
			t.Errorf("%s: number %d, want %d", p.Name, p.No, i+1)
		}
		// The appendix lists the provinces in the order of their official codes.
		if len(p.Code) != 2 || p.Code <= prev {
			t.Errorf("%s: code %q after %q: want two digits, in increasing order", p.Name, p.Code, prev)
		}
		prev = p.Code
		if codes[p.Code] || names[provinceKey(p.Name)] {
			t.Errorf("%s (%s) is not unique", p.Name, p.Code)
		}
		codes[p.Code], names[provinceKey(p.Name)] = true, true
		want := OperatorVNPT
		if p.No <= 31 {
			want = OperatorViettel
		}
		if p.Operator != want {
			t.Errorf("%d. %s: operator %s, want %s", p.No, p.Name, p.Operator, want)
		}
		if !strings.HasPrefix(p.Name, "Tỉnh ") && !strings.HasPrefix(p.Name, "Thành phố ") {
			t.Errorf("%s: want the Tỉnh/Thành phố prefix of the appendix", p.Name)
		}
	}
	// The ends of the two operators' ranges, and codes people know by heart.
	for no, want := range map[int]string{
		1: "01 Thành phố Hà Nội", 2: "02 Tỉnh Hà Giang", 3: "04 Cao Bằng", 31: "46 Tỉnh Thừa Thiên Huế",
		32: "48 Thành phố Đà Nẵng", 48: "75 Tỉnh Đồng Nai", 49: "77 Tỉnh Bà Rịa - Vũng Tàu",
		50: "79 Thành phố Hồ Chí Minh", 59: "92 Thành phố Cần Thơ", 63: "96 Tỉnh Cà Mau",
	} {
		p := ps[no-1]
		code, name, _ := strings.Cut(want, " ")
		if p.Code != code || !strings.HasSuffix(p.Name, name) {
			t.Errorf("%d. = %s %s, want %s", no, p.Code, p.Name, want)
		}
	}
}

func TestLookupProvince(t *testing.T) {
	for in, want := range map[string]string{
		"Tỉnh Đồng Nai": "75", "dong nai": "75", "ĐỒNG NAI": "75", "tinh dong nai": "75",
		"Thành phố Hồ Chí Minh": "79", "TP. Hồ Chí Minh": "79", "ho chi minh": "79",
		"Hòa Bình": "17", "Hoà Bình": "17", "Bà Rịa-Vũng Tàu": "77", "ba ria vung tau": "77",
		"Thừa Thiên - Huế": "46", "75": "75", "075": "75", "1": "01", "01": "01",
		// decomposed Unicode, as some keyboards type it
		"\u0110o\u0302\u0300ng Nai": "75",
	} {
		p, ok := LookupProvince(in)
		if !ok || p.Code != want {
			t.Errorf("LookupProvince(%q) = %+v, %v; want code %s", in, p, ok, want)
		}
	}
	for _, in := range []string{"", "Đồng Nai mới", "03", "100", "Tỉnh", "Hà Tây"} {
		if p, ok := LookupProvince(in); ok {
			t.Errorf("LookupProvince(%q) = %+v, want not found", in, p)
		}
	}
}

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"Đồng Nai": "dong nai", "Nguyễn Văn A": "nguyen van a", "TRẦN THỊ BÍCH NGỌC": "tran thi bich ngoc",
		"Ưu Ơn Ấy Ẽ Ỵ": "uu on ay e y", "e\u0302\u0301": "e", "abc 123": "abc 123",
	} {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNormalizePhone(t *testing.T) {
	for in, want := range map[string]string{
		"0912345678": "+84912345678", "0912 345 678": "+84912345678", "0912.345.678": "+84912345678",
		"0912-345-678": "+84912345678", "+84912345678": "+84912345678", "+84 912 345 678": "+84912345678",
		"84912345678": "+84912345678", "(+84) 912 345 678": "+84912345678", "+84 (0) 912 345 678": "+84912345678",
		"0084 912 345 678": "+84912345678", "912345678": "+84912345678", "0388 123 456": "+84388123456",
		"0251 3822 123": "+842513822123", "(0251) 3822123": "+842513822123", "024 3825 1234": "+842438251234",
		"+84 28 3829 1234": "+842838291234", "842513822123": "+842513822123", "840912345678": "+84912345678",
		"8402513822123": "+842513822123", "\u00a00912\u00a0345\u00a0678 ": "+84912345678",
	} {
		got, err := NormalizePhone(in)
		if err != nil || got != want {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"":                "required",
		"0912 345 67":     `"0912 345 67" is not a Vietnamese phone number: 9 digits with the leading 0; want a mobile number of 10 digits (03x, 05x, 07x, 08x or 09x) or a landline of 11 (02x)`,
		"0612 345 678":    `"0612 345 678" is not a Vietnamese phone number: 10 digits with the leading 0; want a mobile number of 10 digits (03x, 05x, 07x, 08x or 09x) or a landline of 11 (02x)`,
		"01234 567 890":   `"01234 567 890" is not a Vietnamese phone number: 11-digit 01x mobile numbers were renumbered to 10 digits in 2018`,
		"+1 202 555 0100": `"+1 202 555 0100" is not a Vietnamese number (the country code must be +84)`,
		"0912 ABC 678":    `"0912 ABC 678": a phone number holds digits, a leading + and spaces, dots, dashes or brackets only`,
		"09123456789":     `"09123456789" is not a Vietnamese phone number: 11 digits with the leading 0; want a mobile number of 10 digits (03x, 05x, 07x, 08x or 09x) or a landline of 11 (02x)`,
	} {
		got, err := NormalizePhone(in)
		if err == nil || err.Error() != want {
			t.Errorf("NormalizePhone(%q) = %q, %v; want error %q", in, got, err, want)
		}
	}
}

func TestFormatPhoneLocal(t *testing.T) {
	for in, want := range map[string]string{
		"+84912345678": "0912 345 678", "+842513822123": "0251 3822 123", "+842438251234": "024 3825 1234",
		"+842838291234": "028 3829 1234", "": "", "+1202": "+1202",
	} {
		if got := FormatPhoneLocal(in); got != want {
			t.Errorf("FormatPhoneLocal(%q) = %q, want %q", in, got, want)
		}
		if want != "" && want[0] == '0' {
			if back, err := NormalizePhone(want); err != nil || back != in {
				t.Errorf("%q does not normalise back to %q: %q, %v", want, in, back, err)
			}
		}
	}
}

func TestCheckEmail(t *testing.T) {
	for in, want := range map[string]string{
		"vnduong@mic.gov.vn": "vnduong@mic.gov.vn", " A.Nguyen@So-YTe.DongNai.gov.vn ": "A.Nguyen@so-yte.dongnai.gov.vn",
	} {
		if got, err := CheckEmail(in); err != nil || got != want {
			t.Errorf("CheckEmail(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"vnduong", "vnduong@", "@mic.gov.vn", "a@localhost", "a@mic.", "a@.vn", "a b@mic.gov.vn",
		"Dương <vnduong@mic.gov.vn>", "a@@mic.gov.vn", "a@mic..vn"} {
		if got, err := CheckEmail(in); err == nil {
			t.Errorf("CheckEmail(%q) = %q, want an error", in, got)
		}
	}
}

func TestParseDate(t *testing.T) {
	loc, _ := time.LoadLocation(DefaultTimeZone)
	want := time.Date(2021, 5, 7, 0, 0, 0, 0, loc)
	for _, in := range []string{"07/05/2021", "7/5/2021", "2021-05-07", " 07/05/2021 "} {
		if got, err := ParseDate(in, loc); err != nil || !got.Equal(want) {
			t.Errorf("ParseDate(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "05/07", "2021/05/07", "31/02/2021", "07-05-2021", "hôm qua"} {
		if got, err := ParseDate(in, loc); err == nil {
			t.Errorf("ParseDate(%q) = %v, want an error", in, got)
		}
	}
}

// registryBase is a valid config the error cases below add to.
const registryBase = `
storage: {path: ./data}
cameras:
  - id: cam-1
    facility: ktx-a
    url: rtsp://10.0.0.1/a
`

func TestRegistryConfigErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"province without name or code", `
province: {operator: VNPT}
`, `vigil.yaml:2: province.name: required: a province of the reference list (e.g. Tỉnh Đồng Nai) or its code`},
		{"empty province", `
province: {}
`, `vigil.yaml:2: province.name: required: a province of the reference list (e.g. Tỉnh Đồng Nai) or its code`},
		{"unknown code", `
province:
  code: "03"
`, `vigil.yaml:3: province.code: no province of the reference list has code "03"; give province.name and province.operator instead`},
		{"bad code", `
province:
  name: Tỉnh Đồng Nai
  code: DN
`, `vigil.yaml:4: province.code: must be the province's number in the official list (e.g. 75), got "DN"`},
		{"name and code disagree", `
province:
  name: dong nai
  code: 79
`, `vigil.yaml:4: province.code: "79" is the code of Thành phố Hồ Chí Minh; Tỉnh Đồng Nai is "75"`},
		{"merged province without operator", `
province:
  name: Tỉnh Đồng Nai (sau sáp nhập)
`, `vigil.yaml:2: province.operator: required for a province outside the reference list of 63: "Tỉnh Đồng Nai (sau sáp nhập)" is not in it`},
		{"typo in province name", `
province:
  name: Dong Nia
`, `vigil.yaml:2: province.operator: required for a province outside the reference list of 63: "Dong Nia" is not in it (did you mean Tỉnh Đồng Nai?)`},
		{"facilities not a list", `
facilities: {id: ktx-a}
`, `vigil.yaml:2: facilities: expected a list, got a mapping`},
		{"bad facility fields", `
facilities:
  - id: KTX A
    capacity: many
    status: open
    status_since: 31/02/2021
    contacts: {name: A}
`, `vigil.yaml:3: facilities[0].id: invalid id "KTX A": use 1 to 64 lowercase letters, digits, "-" or "_", starting with a letter or digit
vigil.yaml:4: facilities[0].capacity: expected a whole number, got "many"
vigil.yaml:5: facilities[0].status: must be one of active, suspended, closed; got "open"
vigil.yaml:6: facilities[0].status_since: invalid date "31/02/2021" (write dd/mm/yyyy, e.g. 07/05/2021, or yyyy-mm-dd)
vigil.yaml:7: facilities[0].contacts: expected a list, got a mapping
vigil.yaml:11: cameras[0].facility: no facility "ktx-a" in the facilities section`},
		{"negative capacity", `
facilities:
  - id: ktx-a
    capacity: -5
`, `vigil.yaml:4: facilities[0].capacity: must be >= 0, got -5`},
		{"duplicate facility and unknown camera facility", `
facilities:
  - id: ktx-a
  - id: ktx-b
  - id: ktx-a
cameras:
  - id: cam-1
    facility: ktx-c
    url: rtsp://10.0.0.1/a
`, `vigil.yaml:5: facilities[2].id: duplicate facility id "ktx-a" (first at line 3)
vigil.yaml:8: cameras[0].facility: no facility "ktx-c" in the facilities section (did you mean ktx-a?)`},
		{"empty facilities section", `
facilities: []
`, `vigil.yaml:6: cameras[0].facility: no facility "ktx-a" in the facilities section`},
		{"bad contacts", `
facilities:
  - id: ktx-a
    contacts:
      - name: Nguyễn Văn A
        phone: 0912 345 67
        email: a@localhost
        primary: true
      - title: Cán bộ
        phone: "+1 202 555 0100"
        email: "Bình <b@example.vn>"
        primary: true
      - name: Lê Văn C
        phone: 0912 ABC 678
        confirmed: 2021-13-01
`, `vigil.yaml:6: facilities[0].contacts[0].phone: "0912 345 67" is not a Vietnamese phone number: 9 digits with the leading 0; want a mobile number of 10 digits (03x, 05x, 07x, 08x or 09x) or a landline of 11 (02x)
vigil.yaml:7: facilities[0].contacts[0].email: "a@localhost" is not an e-mail address: the domain "localhost" needs a dot, as in ten@domain.vn
vigil.yaml:9: facilities[0].contacts[1].name: required
vigil.yaml:10: facilities[0].contacts[1].phone: "+1 202 555 0100" is not a Vietnamese number (the country code must be +84)
vigil.yaml:11: facilities[0].contacts[1].email: "Bình <b@example.vn>" is not an e-mail address (want a bare address such as ten@domain.vn)
vigil.yaml:12: facilities[0].contacts[1].primary: only one contact of a facility can be primary (the one at line 5 already is)
vigil.yaml:14: facilities[0].contacts[2].phone: "0912 ABC 678": a phone number holds digits, a leading + and spaces, dots, dashes or brackets only
vigil.yaml:15: facilities[0].contacts[2].confirmed: invalid date "2021-13-01" (write dd/mm/yyyy, e.g. 07/05/2021, or yyyy-mm-dd)`},
		{"contact without phone", `
facilities:
  - id: ktx-a
    contacts:
      - name: Nguyễn Văn A
        phone:
`, `vigil.yaml:6: facilities[0].contacts[0].phone: required`},
		{"unknown facility key", `
facilities:
  - id: ktx-a
    adress: 1 Đồng Khởi
`, `vigil.yaml:4: facilities[0].adress: unknown key (did you mean address?)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The case's lines keep their numbers; what makes the config complete follows them.
			text := tt.yaml + strings.TrimPrefix(registryBase, "\n")
			if strings.Contains(tt.yaml, "cameras:") {
				text = tt.yaml + "storage: {path: ./data}\n"
			}
			_, c, err := loadIn(t, text)
			if err == nil {
				t.Fatalf("no error; config %+v", c)
			}
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error is %T, want Errors: %v", err, err)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s\nfile:\n%s", got, tt.want, numbered(text))
			}
		})
	}
}

// numbered prefixes lines with their numbers, to make a failing case readable.
func numbered(text string) string {
	lines := strings.Split(text, "\n")
	for i := range lines {
		lines[i] = fmt.Sprintf("%3d  %s", i+1, lines[i])
	}
	return strings.Join(lines, "\n")
}

func TestRegistryConfigValid(t *testing.T) {
	_, c, err := loadIn(t, `
time_zone: Asia/Ho_Chi_Minh
storage: {path: ./data}
province:
  name: dong nai
cameras:
  - id: cam-1
    facility: ktx-a
    location: Cổng chính
    url: rtsp://10.0.0.1/a
facilities:
  - id: ktx-a
    name: Khu cách ly Ký túc xá A
    capacity: 300
    status: suspended
    status_since: 2021-05-05
    contacts:
      - name: " Nguyễn Văn An "
        title: Trưởng ban
        phone: 0912.345.678
        email: An@Example.VN
        confirmed: 07/05/2021
  - id: ktx-b
    contacts:
      - name: Trần Thị B
        phone: "(0251) 3822 123"
      - name: Lê Văn C
        phone: 84 388 123 456
        primary: true
`)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Province{Name: "Tỉnh Đồng Nai", Code: "75", Operator: OperatorVNPT}); c.Province != want {
		t.Errorf("province = %+v, want %+v", c.Province, want)
	}
	if !c.Province.InReferenceList() {
		t.Error("Tỉnh Đồng Nai is in the reference list")
	}
	if c.Cameras[0].Location != "Cổng chính" {
		t.Errorf("location = %q", c.Cameras[0].Location)
	}
	a, b := c.Facilities[0], c.Facilities[1]
	if a.Name != "Khu cách ly Ký túc xá A" || a.Capacity != 300 || a.Status != StatusSuspended {
		t.Errorf("ktx-a = %+v", a)
	}
	day := time.Date(2021, 5, 5, 0, 0, 0, 0, c.Location)
	if !a.StatusSince.Equal(day) || a.StatusSince.Location().String() != DefaultTimeZone {
		t.Errorf("status_since = %v, want midnight of 5 May 2021 in %s", a.StatusSince, DefaultTimeZone)
	}
	want := Contact{Name: "Nguyễn Văn An", Title: "Trưởng ban", Phone: "+84912345678", Email: "An@example.vn",
		Primary: true, Confirmed: time.Date(2021, 5, 7, 0, 0, 0, 0, c.Location)}
	if got := a.Contacts[0]; got.Name != want.Name || got.Title != want.Title || got.Phone != want.Phone ||
		got.Email != want.Email || got.Primary != want.Primary || !got.Confirmed.Equal(want.Confirmed) {
		t.Errorf("ktx-a contact = %+v, want %+v (a sole contact is primary)", got, want)
	}
	if b.Name != "ktx-b" || b.Status != StatusActive || b.Contacts[0].Primary || !b.Contacts[1].Primary ||
		b.Contacts[0].Phone != "+842513822123" || b.Contacts[1].Phone != "+84388123456" {
		t.Errorf("ktx-b = %+v", b)
	}
	// ApplyDefaults is idempotent.
	before := *c
	c.ApplyDefaults()
	if c.Province != before.Province || !c.Facilities[0].Contacts[0].Confirmed.Equal(want.Confirmed) {
		t.Error("a second ApplyDefaults changed the registry sections")
	}
}

func TestRegistryConfigMergedProvince(t *testing.T) {
	_, c, err := loadIn(t, registryBase+`
province:
  name: Tỉnh Đồng Nai (sau sáp nhập)
  code: "75"
  operator: vnpt
`)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Province{Name: "Tỉnh Đồng Nai (sau sáp nhập)", Code: "75", Operator: OperatorVNPT}); c.Province != want {
		t.Errorf("province = %+v, want %+v", c.Province, want)
	}
	if c.Province.InReferenceList() {
		t.Error("a merged province is outside the reference list")
	}
	_, c, err = loadIn(t, registryBase+"province: {code: 1}\n")
	if err != nil {
		t.Fatal(err)
	}
	if want := (Province{Name: "Thành phố Hà Nội", Code: "01", Operator: OperatorViettel}); c.Province != want {
		t.Errorf("by code: province = %+v, want %+v", c.Province, want)
	}
}

func TestRegistryBuiltInCode(t *testing.T) {
	c := &Config{
		Storage:    Storage{Path: t.TempDir()},
		Province:   Province{Code: "48"},
		Cameras:    []Camera{{ID: "c1", Facility: "f1", URL: "rtsp://127.0.0.1/a"}, {ID: "c2", Facility: "f2", URL: "rtsp://127.0.0.1/b"}},
		Facilities: []Facility{{ID: "f1", Contacts: []Contact{{Name: "A", Phone: "0912345678"}, {Name: "B", Phone: "12"}}}},
	}
	c.ApplyDefaults()
	want := `facilities[0].contacts[1].phone: "12" is not a Vietnamese phone number: 3 digits with the leading 0; want a mobile number of 10 digits (03x, 05x, 07x, 08x or 09x) or a landline of 11 (02x)
cameras[1].facility: no facility "f2" in the facilities section (did you mean f1?)`
	if err := c.Validate(); err == nil || err.Error() != want {
		t.Errorf("got:\n%v\nwant:\n%s", err, want)
	}
	if c.Province.Name != "Thành phố Đà Nẵng" || c.Province.Operator != OperatorVNPT {
		t.Errorf("province = %+v", c.Province)
	}
}

// TestExampleConfigRegistry keeps the example's province and facilities sections loadable and documented.
func TestExampleConfigRegistry(t *testing.T) {
	data, err := os.ReadFile("../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, c, err := loadIn(t, string(data))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Province.InReferenceList() || len(c.Facilities) < 2 {
		t.Errorf("example should pick a province from the list and declare facilities: %+v", c.Province)
	}
	for _, key := range []string{
		"province", "code", "operator", "facilities", "address", "district", "commune", "kind", "capacity",
		"status", "status_since", "notes", "contacts", "title", "phone", "email", "primary", "confirmed", "location",
	} {
		used := strings.Contains(string(data), key+":")
		documented := strings.Contains(string(data), "#   "+key+" ") || key == "province" || key == "facilities"
		if !used || !documented {
			t.Errorf("example does not show and document %s", key)
		}
	}
}
