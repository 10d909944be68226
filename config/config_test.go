package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// loadIn writes text as vigil.yaml in a fresh folder, makes that folder the
// working directory (so messages name "vigil.yaml") and loads it. The
// folder also holds a plain file, not-a-folder, for the writability cases.
func loadIn(t *testing.T, text string) (string, *Config, error) {
	t.Helper()
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile("vigil.yaml", []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("not-a-folder", nil, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load("vigil.yaml")
	return dir, c, err
}

func TestConfigErrors(t *testing.T) {
	// Every URL below uses the password "secret", which must never be printed.
	tests := []struct {
		name, yaml, want string
	}{
		{"yaml syntax", `
storage:
  path: ./data
 fsync: off
`, `vigil.yaml:4: yaml: did not find expected key`},
		{"tab indentation", "storage:\n\tpath: ./data\n",
			`vigil.yaml:2: yaml: found character that cannot start any token`},
		{"second document", `
storage: {path: ./data}
---
cameras: []
`, `vigil.yaml:3: yaml: only one YAML document is allowed, found another one here`},
		{"unknown key with suggestion", `
storage: {path: ./data}
cameras:
  - id: cam-1
    facility: f1
    url: rtsp://10.0.0.1/a
  - id: cam-2
    facility: f1
    urll: rtsp://10.0.0.2/a
`, `vigil.yaml:7: cameras[1].url: required
vigil.yaml:9: cameras[1].urll: unknown key (did you mean url?)`},
		{"unknown key", `
storage: {path: ./data}
recorder: {threads: 4}
`, `vigil.yaml:3: recorder: unknown key`},
		{"unknown key needing quotes", `
storage: {path: ./data}
"my key": 1
`, `vigil.yaml:3: "my key": unknown key`},
		{"merge key", `
storage:
  <<: {path: ./data}
`, `vigil.yaml:2: storage.path: required
vigil.yaml:3: storage.<<: unknown key (YAML merge keys are not supported)`},
		{"duplicate key", `
storage:
  path: ./data
  fsync: off
  path: ./other
`, `vigil.yaml:5: storage.path: duplicate key (first at line 3)`},
		{"top level not a mapping", `
- storage
`, `vigil.yaml:2: top level: expected a mapping, got a list`},
		{"list instead of mapping", `
storage:
  - path: ./data
`, `vigil.yaml:3: storage: expected a mapping, got a list`},
		{"mapping instead of list", `
storage: {path: ./data}
cameras:
  id: cam-1
`, `vigil.yaml:4: cameras: expected a list, got a mapping`},
		{"empty camera", `
storage: {path: ./data}
cameras:
  -
`, `vigil.yaml:4: cameras[0]: expected a mapping, got nothing`},
		{"text for bool", `
storage: {path: ./data}
cameras:
  - id: cam-1
    facility: f1
    url: rtsp://10.0.0.1/a
    enabled: yes
`, `vigil.yaml:7: cameras[0].enabled: expected a boolean (true or false), got "yes"`},
		{"list for string", `
storage: {path: ./data}
cameras:
  - id: cam-1
    facility: f1
    url: [rtsp://viewer:secret@10.0.0.1/a]
`, `vigil.yaml:6: cameras[0].url: expected a string, got a list`},
		{"bad duration", `
storage:
  path: ./data
  segment_duration: 10x
`, `vigil.yaml:4: storage.segment_duration: invalid duration "10x" (use e.g. 10s, 5m, 1h, 30d)`},
		{"duration out of range", `
storage:
  path: ./data
  segment_duration: 2h
`, `vigil.yaml:4: storage.segment_duration: must be between 10s and 1h, got 2h`},
		{"explicit zero duration", `
storage:
  path: ./data
  segment_duration: 0s
`, `vigil.yaml:4: storage.segment_duration: must be between 10s and 1h, got 0s`},
		{"negative max_age", `
storage: {path: ./data}
retention:
  max_age: -1d
`, `vigil.yaml:4: retention.max_age: must be >= 0, got -1d`},
		{"zero read_timeout", `
storage: {path: ./data}
camera_defaults:
  read_timeout: 0
`, `vigil.yaml:4: camera_defaults.read_timeout: must be > 0, got 0s`},
		{"zero camera max_age", `
storage: {path: ./data}
cameras:
  - id: cam-1
    facility: f1
    url: rtsp://10.0.0.1/a
    retention:
      max_age: 0
`, `vigil.yaml:8: cameras[0].retention.max_age: must be > 0 (leave it out to use retention.max_age), got 0s`},
		{"unparsable URL", `
storage: {path: ./data}
cameras:
  - id: cam-1
    facility: f1
    url: "rtsp://viewer:secret@cam 1.local/a"
`, `vigil.yaml:6: cameras[0].url: invalid URL: invalid character " " in host name`},
		{"unencoded character in password", `
storage: {path: ./data}
cameras:
  - id: cam-1
    facility: f1
    url: "rtsp://viewer:sec#ret@10.0.0.1/a"
`, `vigil.yaml:6: cameras[0].url: invalid URL: characters such as # ? / @ in the user name or password must be percent-encoded (e.g. # as %23)`},
		{"password taken for a port", `
storage: {path: ./data}
cameras:
  - id: cam-1
    facility: f1
    url: "rtsp://viewer:1234?secret@10.0.0.1/a"
`, `vigil.yaml:6: cameras[0].url: invalid URL: characters such as # ? / @ in the user name or password must be percent-encoded (e.g. # as %23)`},
		{"no scheme", `
storage: {path: ./data}
cameras:
  - id: cam-1
    facility: f1
    url: viewer:secret@10.0.0.1/a
`, `vigil.yaml:6: cameras[0].url: invalid URL: must start with rtsp:// or rtsps://`},
		{"wrong scheme", `
storage: {path: ./data}
cameras:
  - id: cam-1
    facility: f1
    url: http://viewer:secret@10.0.0.1/a
`, `vigil.yaml:6: cameras[0].url: scheme must be rtsp or rtsps, got "http"`},
		{"missing host", `
storage: {path: ./data}
cameras:
  - id: cam-1
    facility: f1
    url: rtsp://viewer:secret@:554/a
    substream_url: rtsps:///b
`, `vigil.yaml:6: cameras[0].url: missing host
vigil.yaml:7: cameras[0].substream_url: missing host`},
		{"bad port", `
storage: {path: ./data}
cameras:
  - id: cam-1
    facility: f1
    url: rtsp://viewer:secret@10.0.0.1:99999/a
`, `vigil.yaml:6: cameras[0].url: invalid port "99999"`},
		{"duplicate camera id", `
storage: {path: ./data}
cameras:
  - id: cam-1
    facility: f1
    url: rtsp://10.0.0.1/a
  - id: cam-2
    facility: f1
    url: rtsp://10.0.0.2/a
  - id: cam-1
    facility: f2
    url: rtsp://10.0.0.3/a
`, `vigil.yaml:10: cameras[2].id: duplicate camera id "cam-1" (first at line 4)`},
		{"invalid ids", `
storage: {path: ./data}
cameras:
  - id: Cam 1
    facility: ../f1
    url: rtsp://10.0.0.1/a
`, `vigil.yaml:4: cameras[0].id: invalid id "Cam 1": use 1 to 64 lowercase letters, digits, "-" or "_", starting with a letter or digit
vigil.yaml:5: cameras[0].facility: invalid facility id "../f1": use 1 to 64 lowercase letters, digits, "-" or "_", starting with a letter or digit`},
		{"missing camera fields", `
storage: {path: ./data}
cameras:
  - name: Gate
    url:
`, `vigil.yaml:4: cameras[0].id: required
vigil.yaml:4: cameras[0].facility: required
vigil.yaml:5: cameras[0].url: required`},
		{"missing storage", `
listen: :8080
`, `vigil.yaml:2: storage.path: required`},
		{"empty file", ``, `vigil.yaml: storage.path: required`},
		{"bad enums", `
storage:
  path: ./data
  fsync: always
camera_defaults:
  transport: quic
`, `vigil.yaml:4: storage.fsync: must be one of fragment, segment, off; got "always"
vigil.yaml:6: camera_defaults.transport: must be one of tcp, udp, auto; got "quic"`},
		{"bad quota", `
storage: {path: ./data}
retention:
  quota: 12QB
`, `vigil.yaml:4: retention.quota: invalid quota "12QB" (use e.g. 90%, 500GB, 2TiB or none)`},
		{"zero quota", `
storage: {path: ./data}
retention:
  quota: 0GB
`, `vigil.yaml:4: retention.quota: a zero quota is not allowed; write "none" for no quota`},
		{"huge quota", `
storage: {path: ./data}
retention:
  quota: 99999PB
`, `vigil.yaml:4: retention.quota: quota "99999PB" is too large`},
		{"quota percent out of range", `
storage: {path: ./data}
retention:
  quota: 100%
`, `vigil.yaml:4: retention.quota: percentage must be above 0% and below 100%, got 100%`},
		{"bad schedule", `
storage: {path: ./data}
retention:
  schedule: every minute
`, `vigil.yaml:4: retention.schedule: invalid schedule "every minute": expected exactly 5 fields, found 2: [every minute]`},
		{"storage path not writable", `
storage:
  path: ./not-a-folder/recordings
`, `vigil.yaml:3: storage.path: not writable: $DIR/not-a-folder is not a folder`},
		{"database folder not writable", `
storage:
  path: ./data
  database: not-a-folder/vigil.db
`, `vigil.yaml:4: storage.database: not writable: $DIR/not-a-folder is not a folder`},
		{"unknown time zone", `
time_zone: Asia/Hanoi
storage: {path: ./data}
`, `vigil.yaml:2: time_zone: unknown time zone "Asia/Hanoi"`},
		{"bad listen", `
listen: localhost
storage: {path: ./data}
`, `vigil.yaml:2: listen: must be host:port (e.g. 127.0.0.1:8080 or :8080), got "localhost"`},
		{"many errors, sorted by line", `
time_zone: Asia/Hanoi
cameras:
  - id: cam-1
    facility: f1
    url: http://viewer:secret@10.0.0.1/a
    enabled: 1
  - id: cam-1
    facility: f1
    url: rtsp://viewer:secret@10.0.0.2/a
    read_timout: 5s
storage:
  segment_duration: 1h30m
  fsync: always
`, `vigil.yaml:2: time_zone: unknown time zone "Asia/Hanoi"
vigil.yaml:6: cameras[0].url: scheme must be rtsp or rtsps, got "http"
vigil.yaml:7: cameras[0].enabled: expected a boolean (true or false), got "1"
vigil.yaml:8: cameras[1].id: duplicate camera id "cam-1" (first at line 4)
vigil.yaml:11: cameras[1].read_timout: unknown key (did you mean read_timeout?)
vigil.yaml:12: storage.path: required
vigil.yaml:13: storage.segment_duration: must be between 10s and 1h, got 1h30m
vigil.yaml:14: storage.fsync: must be one of fragment, segment, off; got "always"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, c, err := loadIn(t, tt.yaml)
			if err == nil {
				t.Fatalf("no error; config %+v", c)
			}
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error is %T, want Errors: %v", err, err)
			}
			want := strings.ReplaceAll(tt.want, "$DIR", dir)
			if got := err.Error(); got != want {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("password in error: %s", err)
			}
		})
	}
}

func TestLoadValid(t *testing.T) {
	dir, c, err := loadIn(t, `
listen: ":9000"
time_zone: UTC
storage:
  path: recordings
  database: db/index.db
  segment_duration: 1m
  fsync: segment
retention:
  schedule: "30 2 * * *"
  max_age: 7d12h
  quota: 1.5TiB
camera_defaults:
  transport: udp
  read_timeout: 20s
cameras:
  - id: gate
    facility: site-1
    url: &gate rtsp://viewer:secret@10.1.2.3:554/Streaming/Channels/101
    substream_url: rtsp://10.1.2.3:554/Streaming/Channels/102
  - id: ward_2
    name: Ward 2
    facility: site-2
    url: rtsps://10.1.2.4/live
    enabled: false
    transport: auto
    read_timeout: 5s
    retention:
      max_age: 3d
`)
	if err != nil {
		t.Fatal(err)
	}
	utc, _ := time.LoadLocation("UTC")
	want := &Config{
		File:     "vigil.yaml",
		Listen:   ":9000",
		TimeZone: "UTC",
		Location: utc,
		Storage: Storage{
			Path:            filepath.Join(dir, "recordings"),
			Database:        filepath.Join(dir, "db", "index.db"),
			SegmentDuration: time.Minute,
			Fsync:           "segment",
		},
		Retention: Retention{
			Schedule: "30 2 * * *",
			MaxAge:   7*24*time.Hour + 12*time.Hour,
			Quota:    Quota{Bytes: 3 << 39},
		},
		CameraDefaults: CameraDefaults{Transport: "udp", ReadTimeout: 20 * time.Second},
		Cameras: []Camera{{
			ID:           "gate",
			Name:         "gate",
			Facility:     "site-1",
			URL:          "rtsp://viewer:secret@10.1.2.3:554/Streaming/Channels/101",
			SubstreamURL: "rtsp://10.1.2.3:554/Streaming/Channels/102",
			Enabled:      true,
			Transport:    "udp",
			ReadTimeout:  20 * time.Second,
		}, {
			ID:          "ward_2",
			Name:        "Ward 2",
			Facility:    "site-2",
			URL:         "rtsps://10.1.2.4/live",
			Enabled:     false,
			Transport:   "auto",
			ReadTimeout: 5 * time.Second,
			MaxAge:      3 * 24 * time.Hour,
		}},
	}
	compareConfig(t, c, want)
}

func TestDefaults(t *testing.T) {
	dir, c, err := loadIn(t, `
storage:
  path: ./data
cameras:
  - id: cam-1
    facility: f1
    url: rtsp://10.0.0.1/a
`)
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		File:     "vigil.yaml",
		Listen:   "127.0.0.1:8080",
		TimeZone: DefaultTimeZone,
		Storage: Storage{
			Path:            filepath.Join(dir, "data"),
			Database:        filepath.Join(dir, "data", "vigil.db"),
			SegmentDuration: 10 * time.Minute,
			Fsync:           "fragment",
		},
		Retention: Retention{Schedule: "@every 1m", MaxAge: 30 * 24 * time.Hour, Quota: Quota{Percent: 90}},
		CameraDefaults: CameraDefaults{
			Transport:   "tcp",
			ReadTimeout: 10 * time.Second,
		},
		Cameras: []Camera{{
			ID: "cam-1", Name: "cam-1", Facility: "f1", URL: "rtsp://10.0.0.1/a",
			Enabled: true, Transport: "tcp", ReadTimeout: 10 * time.Second,
		}},
	}
	if c.Location == nil || c.Location.String() != DefaultTimeZone {
		t.Errorf("Location = %v, want %s", c.Location, DefaultTimeZone)
	}
	c.Location = nil
	compareConfig(t, c, want)
}

// compareConfig compares the exported fields only; the unexported ones are
// bookkeeping.
func compareConfig(t *testing.T, got, want *Config) {
	t.Helper()
	g, w := *got, *want
	g.lines, w.lines = nil, nil
	g.Retention.maxAgeSet, g.Retention.quotaSet = false, false
	w.Retention.maxAgeSet, w.Retention.quotaSet = false, false
	for _, cams := range [][]Camera{g.Cameras, w.Cameras} {
		for i := range cams {
			cams[i].enabledSet = false
		}
	}
	if g.Location.String() != w.Location.String() {
		t.Errorf("Location = %v, want %v", g.Location, w.Location)
	}
	g.Location, w.Location = nil, nil
	// The survey section has defaults of its own and its own tests (survey_test.go).
	g.Survey, w.Survey = Survey{}, Survey{}
	// So has the alerts section (alerts_test.go).
	g.Alerts, w.Alerts = Alerts{}, Alerts{}
	// And auth, audit and upstream (security_test.go).
	g.Auth, w.Auth, g.Audit, w.Audit, g.Upstream, w.Upstream = Auth{}, Auth{}, Audit{}, Audit{}, Upstream{}, Upstream{}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("got  %+v\nwant %+v", g, w)
	}
}

func TestExplicitZeroValues(t *testing.T) {
	_, c, err := loadIn(t, `
storage: {path: ./data}
retention:
  max_age: 0
  quota: none
`)
	if err != nil {
		t.Fatal(err)
	}
	if c.Retention.MaxAge != 0 || !c.Retention.Quota.IsZero() {
		t.Errorf("retention = %+v, want max_age 0 and no quota", c.Retention)
	}
	// ApplyDefaults again must not bring the defaults back.
	c.ApplyDefaults()
	if c.Retention.MaxAge != 0 || !c.Retention.Quota.IsZero() {
		t.Errorf("after ApplyDefaults: retention = %+v", c.Retention)
	}
}

func TestRelativePaths(t *testing.T) {
	root := t.TempDir()
	confDir := filepath.Join(root, "etc")
	if err := os.Mkdir(confDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ path, database, wantPath, wantDB string }{
		{"./data", "", filepath.Join(confDir, "data"), filepath.Join(confDir, "data", "vigil.db")},
		{"../video", "index.db", filepath.Join(root, "video"), filepath.Join(confDir, "index.db")},
		{filepath.Join(root, "abs"), "", filepath.Join(root, "abs"), filepath.Join(root, "abs", "vigil.db")},
	} {
		file := filepath.Join(confDir, "vigil.yaml")
		text := "storage:\n  path: " + tt.path + "\n"
		if tt.database != "" {
			text += "  database: " + tt.database + "\n"
		}
		if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		// Loading from another working directory must not change the result.
		t.Chdir(root)
		c, err := Load(file)
		if err != nil {
			t.Fatal(err)
		}
		if c.Storage.Path != tt.wantPath || c.Storage.Database != tt.wantDB {
			t.Errorf("path %q: got %q, %q; want %q, %q", tt.path, c.Storage.Path, c.Storage.Database, tt.wantPath, tt.wantDB)
		}
	}
}

func TestBuiltInCode(t *testing.T) {
	c := &Config{
		Storage: Storage{Path: t.TempDir()},
		Cameras: []Camera{{ID: "demo", Facility: "lab", URL: "rtsp://u:p@127.0.0.1:8554/demo"}},
	}
	c.ApplyDefaults()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if cam := c.Cameras[0]; !cam.Enabled || cam.Transport != "tcp" || cam.Name != "demo" {
		t.Errorf("camera defaults not applied: %+v", cam)
	}
	if c.Retention.MaxAge != 30*24*time.Hour || c.Retention.Quota != (Quota{Percent: 90}) || c.Location == nil {
		t.Errorf("defaults not applied: %+v", c)
	}

	// A zero set after ApplyDefaults stays.
	c.Cameras[0].Enabled = false
	c.ApplyDefaults()
	if c.Cameras[0].Enabled {
		t.Error("second ApplyDefaults re-enabled the camera")
	}

	c.Cameras = append(c.Cameras, Camera{ID: "demo", Facility: "lab", URL: "rtsp://u:p@127.0.0.1:8554/demo", ReadTimeout: -time.Second})
	c.Storage.SegmentDuration = time.Second
	c.ApplyDefaults()
	want := `storage.segment_duration: must be between 10s and 1h, got 1s
cameras[1].id: duplicate camera id "demo" (first at cameras[0])
cameras[1].read_timeout: must be > 0, got -1s`
	if err := c.Validate(); err == nil || err.Error() != want {
		t.Errorf("got:\n%v\nwant:\n%s", err, want)
	}
}

func TestRedact(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"rtsp://viewer:secret@10.1.2.3:554/Streaming/Channels/101", "rtsp://viewer:***@10.1.2.3:554/Streaming/Channels/101"},
		{"rtsps://admin:s%40cret@cam.local/live?ch=1", "rtsps://admin:***@cam.local/live?ch=1"},
		{"rtsp://viewer:@10.1.2.3/a", "rtsp://viewer:***@10.1.2.3/a"},
		{"rtsp://viewer@10.1.2.3/a", "rtsp://viewer@10.1.2.3/a"},
		{"rtsp://10.1.2.3:554/a", "rtsp://10.1.2.3:554/a"},
		{"not a url", "not a url"},
		{"", ""},
		// Unparsable, or parsed with the password taken for something else.
		{"rtsp://admin:sec#ret@10.1.2.3/a", "rtsp://admin:***@10.1.2.3/a"},
		{"rtsp://admin:1234?secret@10.1.2.3/a", "rtsp://admin:***@10.1.2.3/a"},
		{"rtsp://admin:se cret@10.1.2.3/a", "rtsp://admin:***@10.1.2.3/a"},
	} {
		got := Redact(tt.in)
		if got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if strings.Contains(got, "secret") || strings.Contains(got, "sec#ret") {
			t.Errorf("Redact(%q) leaks the password: %q", tt.in, got)
		}
	}
	cam := Camera{URL: "rtsp://viewer:secret@10.1.2.3:554/a"}
	if got, want := cam.RedactedURL(), "rtsp://viewer:***@10.1.2.3:554/a"; got != want {
		t.Errorf("RedactedURL() = %q, want %q", got, want)
	}
}

func TestHidePasswords(t *testing.T) {
	urls := []string{"rtsp://admin:p%40ss+w%2Frd@10.1.2.3/a", "rtsp://10.1.2.4/no-password", "::bad"}
	for _, text := range []string{
		`dial: auth "p@ss+w/rd" refused`,        // as sent
		`GET /a?pw=p%40ss%2Bw%2Frd: 401`,        // as a query carries it
		`parse "rtsp://admin:p%40ss+w%2Frd@10"`, // as typed in the config
	} {
		got := HidePasswords(text, urls...)
		if strings.Contains(got, "ss+w") || strings.Contains(got, "ss%2Bw") || !strings.Contains(got, "***") {
			t.Errorf("HidePasswords(%q) = %q", text, got)
		}
	}
	if got := HidePasswords("nothing to hide", urls...); got != "nothing to hide" {
		t.Errorf("changed text without a password: %q", got)
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"10s": 10 * time.Second, "1h30m": 90 * time.Minute, "30d": 720 * time.Hour,
		"1d12h": 36 * time.Hour, "0": 0, "-1d": -24 * time.Hour, "0d": 0,
	} {
		if got, ok := parseDuration(in); !ok || got != want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "10", "10x", "1.5d", "d", "1d-2h", "--1h", "1h2d", "106752d", "106751d24h"} {
		if got, ok := parseDuration(in); ok {
			t.Errorf("parseDuration(%q) = %v, want an error", in, got)
		}
	}
}

func TestQuota(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Quota
		str  string
	}{
		{"90%", Quota{Percent: 90}, "90%"},
		{"12.5 %", Quota{Percent: 12.5}, "12.5%"},
		{"500GB", Quota{Bytes: 500e9}, "500GB"},
		{"1.5TiB", Quota{Bytes: 3 << 39}, "1536GiB"},
		{"800mb", Quota{Bytes: 800e6}, "800MB"},
		{"123456", Quota{Bytes: 123456}, "123456B"},
		{"2048 KiB", Quota{Bytes: 2 << 20}, "2MiB"},
		{"none", Quota{}, "none"},
	} {
		got, err := parseQuota(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("parseQuota(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
		if s := got.String(); s != tt.str {
			t.Errorf("%+v.String() = %q, want %q", got, s, tt.str)
		}
		if back, err := parseQuota(got.String()); err != nil || back != got {
			t.Errorf("String() of %+v does not parse back: %+v, %v", got, back, err)
		}
	}
	for _, in := range []string{"", "0", "0%", "0.0GB", "12QB", "1.5", "-5GB", "GB", "1e3GB", "90%%"} {
		if got, err := parseQuota(in); err == nil {
			t.Errorf("parseQuota(%q) = %+v, want an error", in, got)
		}
	}
}

// TestExampleConfig keeps config.example.yaml loadable and complete.
func TestExampleConfig(t *testing.T) {
	data, err := os.ReadFile("../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "vigil.yaml")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Cameras) < 3 {
		t.Errorf("example has %d cameras, want at least 3", len(c.Cameras))
	}
	var substream, credentials, disabled, ownRetention bool
	facilities := map[string]bool{}
	for _, cam := range c.Cameras {
		substream = substream || cam.SubstreamURL != ""
		credentials = credentials || cam.RedactedURL() != cam.URL
		disabled = disabled || !cam.Enabled
		ownRetention = ownRetention || cam.MaxAge != 0
		facilities[cam.Facility] = true
	}
	if !substream || !credentials || !disabled || !ownRetention || len(facilities) < 2 {
		t.Error("example cameras should show a substream, credentials, a disabled camera, own retention and two facilities")
	}
	for _, key := range []string{
		"listen", "time_zone", "storage", "path", "database", "segment_duration", "fsync",
		"retention", "schedule", "max_age", "quota", "camera_defaults", "transport", "read_timeout",
		"cameras", "id", "name", "facility", "url", "substream_url", "enabled",
	} {
		if !strings.Contains(string(data), key+":") && !strings.Contains(string(data), "#   "+key+" ") {
			t.Errorf("example does not document %s", key)
		}
	}
}
