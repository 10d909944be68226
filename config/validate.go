package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/robfig/cron/v3"
)

const (
	minSegmentDuration = 10 * time.Second
	maxSegmentDuration = time.Hour
)

var (
	fsyncModes = []string{"fragment", "segment", "off"}
	transports = []string{"tcp", "udp", "auto"}

	// IDs become folder names and URL path parts, hence the narrow alphabet.
	idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
)

// Validate checks a config whose defaults have been applied and returns
// Errors, sorted by line, or nil. It reads the file system to check that
// the storage folder is writable but never creates anything.
func (c *Config) Validate() error {
	errs := c.validate()
	errs.sortByLine()
	return errs.orNil()
}

type validator struct {
	c    *Config
	errs Errors
}

func (v *validator) errorf(field, format string, args ...any) {
	v.errs = append(v.errs, FieldError{
		File:    v.c.File,
		Line:    v.c.lineOf(field),
		Field:   field,
		Message: oneLine(fmt.Sprintf(format, args...)),
	})
}

// lineOf finds the line of field or, for a missing field, of the nearest
// mapping that should have contained it.
func (c *Config) lineOf(field string) int {
	if c.lines == nil {
		return 0
	}
	for p := field; ; p = parentPath(p) {
		if line, ok := c.lines[p]; ok {
			return line
		}
		if p == "" {
			return 0
		}
	}
}

func (c *Config) validate() Errors {
	v := &validator{c: c}

	if _, port, err := net.SplitHostPort(c.Listen); err != nil {
		v.errorf("listen", "must be host:port (e.g. 127.0.0.1:8080 or :8080), got %q", c.Listen)
	} else if !validPort(port) && port != "0" { // port 0: any free port, which vigil prints at start
		v.errorf("listen", "invalid port %q", port)
	}

	if c.TimeZone == "" {
		v.errorf("time_zone", "required")
	} else if _, err := time.LoadLocation(c.TimeZone); err != nil {
		v.errorf("time_zone", "unknown time zone %q", c.TimeZone)
	}

	v.storage(&c.Storage)
	v.retention(&c.Retention)

	cd := c.CameraDefaults
	v.oneOf("camera_defaults.transport", cd.Transport, transports)
	if p := positiveProblem(cd.ReadTimeout); p != "" {
		v.errorf("camera_defaults.read_timeout", "%s", p)
	}

	firstByID := map[string]int{}
	for i, cam := range c.Cameras {
		v.camera(i, cam, firstByID)
	}
	v.province(&c.Province)
	v.facilities(c.Facilities)
	v.survey(&c.Survey)
	v.alerts(&c.Alerts)
	v.security()
	return v.errs
}

func (v *validator) storage(s *Storage) {
	if s.Path == "" {
		v.errorf("storage.path", "required")
	} else if err := writableCheck(s.Path); err != nil {
		v.errorf("storage.path", "not writable: %v", err)
	}
	if s.Database != "" {
		if fi, err := os.Stat(s.Database); err == nil && fi.IsDir() {
			v.errorf("storage.database", "%s is a folder, expected a file", s.Database)
		} else if !inside(s.Path, s.Database) {
			// A database inside the storage folder is covered by the check above.
			if err := writableCheck(filepath.Dir(s.Database)); err != nil {
				v.errorf("storage.database", "not writable: %v", err)
			}
		}
	}
	if p := segmentDurationProblem(s.SegmentDuration); p != "" {
		v.errorf("storage.segment_duration", "%s", p)
	}
	v.oneOf("storage.fsync", s.Fsync, fsyncModes)
}

func (v *validator) retention(r *Retention) {
	if _, err := cron.ParseStandard(r.Schedule); err != nil {
		v.errorf("retention.schedule", "invalid schedule %q: %v", r.Schedule, err)
	}
	if r.MaxAge < 0 {
		v.errorf("retention.max_age", "must be >= 0, got %s", formatDuration(r.MaxAge))
	}
	q := r.Quota
	switch {
	case q.Bytes != 0 && q.Percent != 0:
		v.errorf("retention.quota", "set either a byte count or a percentage, not both")
	case q.Bytes < 0:
		v.errorf("retention.quota", "must be positive, got %d bytes", q.Bytes)
	case q.Percent != 0 && !(q.Percent > 0 && q.Percent < 100):
		v.errorf("retention.quota", "percentage must be above 0%% and below 100%%, got %s", q)
	}
}

func (v *validator) camera(i int, cam Camera, firstByID map[string]int) {
	path := fmt.Sprintf("cameras[%d]", i)
	id := path + ".id"
	switch {
	case cam.ID == "":
		v.errorf(id, "required")
	case !idPattern.MatchString(cam.ID):
		v.errorf(id, "invalid id %q: %s", cam.ID, idRule)
	default:
		if j, dup := firstByID[cam.ID]; dup {
			first := fmt.Sprintf("cameras[%d]", j)
			if line := v.c.lineOf(first + ".id"); line > 0 {
				first = "line " + strconv.Itoa(line)
			}
			v.errorf(id, "duplicate camera id %q (first at %s)", cam.ID, first)
		} else {
			firstByID[cam.ID] = i
		}
	}

	switch {
	case cam.Facility == "":
		v.errorf(path+".facility", "required")
	case !idPattern.MatchString(cam.Facility):
		v.errorf(path+".facility", "invalid facility id %q: %s", cam.Facility, idRule)
	}

	if cam.URL == "" {
		v.errorf(path+".url", "required")
	} else if p := urlProblem(cam.URL); p != "" {
		v.errorf(path+".url", "%s", p)
	}
	if cam.SubstreamURL != "" {
		if p := urlProblem(cam.SubstreamURL); p != "" {
			v.errorf(path+".substream_url", "%s", p)
		}
	}

	v.oneOf(path+".transport", cam.Transport, transports)
	if p := positiveProblem(cam.ReadTimeout); p != "" {
		v.errorf(path+".read_timeout", "%s", p)
	}
	if cam.MaxAge < 0 {
		v.errorf(path+".retention.max_age", "%s", cameraMaxAgeProblem(cam.MaxAge))
	}
}

const idRule = `use 1 to 64 lowercase letters, digits, "-" or "_", starting with a letter or digit`

func (v *validator) oneOf(field, value string, allowed []string) {
	for _, a := range allowed {
		if value == a {
			return
		}
	}
	v.errorf(field, "must be one of %s; got %q", strings.Join(allowed, ", "), value)
}

// The problem functions are shared with the decoder, which uses them to
// reject an explicit zero before ApplyDefaults would replace it.

func segmentDurationProblem(d time.Duration) string {
	if d < minSegmentDuration || d > maxSegmentDuration {
		return fmt.Sprintf("must be between %s and %s, got %s",
			formatDuration(minSegmentDuration), formatDuration(maxSegmentDuration), formatDuration(d))
	}
	return ""
}

func positiveProblem(d time.Duration) string {
	if d <= 0 {
		return "must be > 0, got " + formatDuration(d)
	}
	return ""
}

func cameraMaxAgeProblem(d time.Duration) string {
	return "must be > 0 (leave it out to use retention.max_age), got " + formatDuration(d)
}

func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535
}

// inside reports whether file lies in folder dir.
func inside(dir, file string) bool {
	if dir == "" {
		return false
	}
	rel, err := filepath.Rel(dir, file)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// writableCheck is a variable so the fuzz test can keep arbitrary input
// from making it probe arbitrary folders.
var writableCheck = checkWritable

// checkWritable tells whether vigil could write into dir, creating it if
// needed, without creating it: for a missing folder the nearest existing
// parent is tested instead. Writing a file is the only test that takes
// ACLs, read-only mounts and full disks into account.
func checkWritable(dir string) error {
	p := filepath.Clean(dir)
	for {
		fi, err := os.Stat(p)
		if err == nil {
			if !fi.IsDir() {
				return fmt.Errorf("%s is not a folder", p)
			}
			break
		}
		if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
			return err
		}
		parent := filepath.Dir(p)
		if parent == p {
			return err
		}
		p = parent
	}
	f, err := os.CreateTemp(p, ".vigil-write-check-*")
	if err != nil {
		// The temporary name is random; leave it out so the message is stable.
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("cannot create a file in %s: %w", p, err)
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}
