// Package config loads, defaults and validates vigil's YAML configuration; every error names file, line and field.
package config

import (
	"os"
	"path/filepath"
	"time"

	// Recorders run on stripped-down servers and containers that often
	// lack /usr/share/zoneinfo; without it the default time zone would not
	// load and recordings would be named in the wrong local time.
	_ "time/tzdata"
)

// DefaultTimeZone is the time zone of the facilities vigil was built for.
const DefaultTimeZone = "Asia/Ho_Chi_Minh"

// Defaults applied by ApplyDefaults.
const (
	defaultListen          = "127.0.0.1:8080"
	defaultDatabaseName    = "vigil.db"
	defaultSegmentDuration = 10 * time.Minute
	defaultFsync           = "fragment"
	defaultSchedule        = "@every 1m"
	defaultMaxAge          = 30 * day
	defaultQuotaPercent    = 90
	defaultTransport       = "tcp"
	defaultReadTimeout     = 10 * time.Second
)

// Config is the whole configuration of one vigil process.
type Config struct {
	File           string         // path it was loaded from (used in messages); "" for configs built in code
	Listen         string         // `listen`: HTTP address, default "127.0.0.1:8080"; must be host:port
	TimeZone       string         // `time_zone`: IANA name, default DefaultTimeZone
	Location       *time.Location // loaded from TimeZone by Load, Parse and ApplyDefaults; nil if TimeZone is unknown
	Storage        Storage        // `storage`
	Retention      Retention      // `retention`
	CameraDefaults CameraDefaults // `camera_defaults`
	Cameras        []Camera       // `cameras`
	Province       Province       // `province`: the province this vigil serves (province.go)
	Facilities     []Facility     // `facilities`: the quarantine facilities, seeded into the store (province.go)
	Survey         Survey         // `survey`: the camera survey's minimum (survey.go)
	Alerts         Alerts         // `alerts`: continuity alerts and where they go (alerts.go)
	Auth           Auth           // `auth`: sessions and login limits (security.go)
	Audit          Audit          // `audit`: how long the audit log is kept (security.go)
	Upstream       Upstream       // `upstream`: the RTSP re-stream and push targets for the central system (security.go)

	// lines maps field paths ("cameras[2].url") to the line of their key
	// in File, so Validate can place its errors; nil for configs built in code.
	lines map[string]int
}

// Storage says where and how segment files are written.
type Storage struct {
	Path            string        // `path`: required; root folder of segment files; relative to the config file's folder
	Database        string        // `database`: SQLite file; default <Path>/vigil.db; relative to the config file's folder
	SegmentDuration time.Duration // `segment_duration`: default 10m; between 10s and 1h
	Fsync           string        // `fsync`: "fragment" (default) | "segment" | "off"
}

// Retention says when recordings are deleted.
type Retention struct {
	Schedule string        // `schedule`: cron spec or descriptor such as "@every 1m" (default)
	MaxAge   time.Duration // `max_age`: 0 = keep until quota; default 30 days
	Quota    Quota         // `quota`: default 90%; zero Quota ("none") = no quota

	// A zero MaxAge or Quota is a valid choice, so ApplyDefaults needs to
	// know whether it was chosen or merely left out.
	maxAgeSet, quotaSet bool
}

// CameraDefaults holds settings that cameras inherit unless they set their own.
type CameraDefaults struct {
	Transport   string        // `transport`: "tcp" (default) | "udp" | "auto"
	ReadTimeout time.Duration // `read_timeout`: default 10s; must be > 0
}

// Camera is one RTSP source to record.
type Camera struct {
	ID           string        // `id`: required, unique, ^[a-z0-9][a-z0-9_-]{0,63}$ (it becomes a folder name)
	Name         string        // `name`: default = ID
	Facility     string        // `facility`: required, facility id, same pattern as ID
	URL          string        // `url`: required, rtsp or rtsps with a host; may contain user:password@
	SubstreamURL string        // `substream_url`: optional, same rules as URL
	Location     string        // `location`: where it looks (entrance, corridor, room block…)
	Enabled      bool          // `enabled`: default true
	Transport    string        // `transport`: default from camera_defaults
	ReadTimeout  time.Duration // `read_timeout`: default from camera_defaults
	MaxAge       time.Duration // `retention: {max_age: ...}`: per-camera override; 0 = use the global max_age

	// enabledSet tells an explicit "enabled: false" apart from a camera
	// that does not mention it.
	enabledSet bool
}

// Load reads and parses the file at path, applies defaults and validates it.
// Read failures are returned as the os error; problems in the file as Errors.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Parse is Load on bytes already read; name is used in messages and its
// folder is the base of relative paths. Problems are returned as Errors.
func Parse(name string, data []byte) (*Config, error) {
	c := &Config{File: name}
	d := newDecoder(name)
	if !d.decode(c, data) {
		return nil, d.errs
	}
	c.ApplyDefaults()
	errs := d.errs
	for _, e := range c.validate() {
		if !d.reported(e.Field) {
			errs = append(errs, e)
		}
	}
	errs.sortByLine()
	if len(errs) > 0 {
		return nil, errs
	}
	return c, nil
}

// ApplyDefaults fills every unset field of a Config built in code, resolves
// relative paths against the config file's folder and loads Location. It is
// safe to call more than once.
//
// In code a zero value means "unset", so a Camera gets Enabled = true and
// Retention gets the default MaxAge and Quota; to disable a camera or
// switch off max_age or the quota, set the zero value after ApplyDefaults.
func (c *Config) ApplyDefaults() {
	if c.Listen == "" {
		c.Listen = defaultListen
	}
	if c.TimeZone == "" {
		c.TimeZone = DefaultTimeZone
	}
	c.Location, _ = time.LoadLocation(c.TimeZone)

	s := &c.Storage
	if s.Path != "" {
		s.Path = c.resolve(s.Path)
		if s.Database == "" {
			s.Database = filepath.Join(s.Path, defaultDatabaseName)
		}
	}
	if s.Database != "" {
		s.Database = c.resolve(s.Database)
	}
	if s.SegmentDuration == 0 {
		s.SegmentDuration = defaultSegmentDuration
	}
	if s.Fsync == "" {
		s.Fsync = defaultFsync
	}

	r := &c.Retention
	if r.Schedule == "" {
		r.Schedule = defaultSchedule
	}
	if !r.maxAgeSet {
		if r.MaxAge == 0 {
			r.MaxAge = defaultMaxAge
		}
		r.maxAgeSet = true
	}
	if !r.quotaSet {
		if r.Quota.IsZero() {
			r.Quota = Quota{Percent: defaultQuotaPercent}
		}
		r.quotaSet = true
	}

	cd := &c.CameraDefaults
	if cd.Transport == "" {
		cd.Transport = defaultTransport
	}
	if cd.ReadTimeout == 0 {
		cd.ReadTimeout = defaultReadTimeout
	}
	c.applyProvinceDefaults()
	c.Survey.applyDefaults()
	c.Alerts.applyDefaults()
	c.applySecurityDefaults()
	for i := range c.Cameras {
		cam := &c.Cameras[i]
		if cam.Name == "" {
			cam.Name = cam.ID
		}
		if !cam.enabledSet {
			cam.Enabled = true
			cam.enabledSet = true
		}
		if cam.Transport == "" {
			cam.Transport = cd.Transport
		}
		if cam.ReadTimeout == 0 {
			cam.ReadTimeout = cd.ReadTimeout
		}
	}
}

// resolve makes p absolute, taking relative paths from the config file's
// folder so that the service works whatever its working directory is.
func (c *Config) resolve(p string) string {
	if !filepath.IsAbs(p) && c.File != "" {
		p = filepath.Join(filepath.Dir(c.File), p)
	}
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}
