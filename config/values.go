package config

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
)

const day = 24 * time.Hour

// parseDuration accepts Go durations plus a leading day count ("30d",
// "1d12h"), because retention periods are thought of in days and "720h" is
// easy to get wrong.
func parseDuration(s string) (time.Duration, bool) {
	s = strings.TrimSpace(s)
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	// A second sign ("--1h") would otherwise be accepted by time.ParseDuration.
	if s == "" || !(s[0] >= '0' && s[0] <= '9' || s[0] == '.') {
		return 0, false
	}
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	var d time.Duration
	if i > 0 && i < len(s) && s[i] == 'd' {
		days, err := strconv.ParseInt(s[:i], 10, 64)
		if err != nil || days > int64(math.MaxInt64/day) {
			return 0, false
		}
		d = time.Duration(days) * day
		s = s[i+1:]
		if s == "" {
			return signed(d, neg), true
		}
		if !(s[0] >= '0' && s[0] <= '9' || s[0] == '.') {
			return 0, false
		}
	}
	rest, err := time.ParseDuration(s)
	if err != nil || rest > math.MaxInt64-d {
		return 0, false
	}
	return signed(d+rest, neg), true
}

func signed(d time.Duration, neg bool) time.Duration {
	if neg {
		return -d
	}
	return d
}

// formatDuration writes durations the way a person would type them in the
// file ("2h", "30d"), not as time.Duration.String does ("2h0m0s").
func formatDuration(d time.Duration) string {
	if d != 0 && d%day == 0 {
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// Quota is the disk space recordings may use before the oldest are deleted.
// At most one of Bytes and Percent is set; neither means no quota.
type Quota struct {
	Bytes   int64   // absolute quota, 0 if percentage
	Percent float64 // percentage of the storage filesystem's total size, 0 if absolute; must be in (0, 100)
}

// IsZero reports whether there is no quota (written "none" in the file).
func (q Quota) IsZero() bool { return q.Bytes == 0 && q.Percent == 0 }

// String gives the quota in the syntax the configuration file accepts.
func (q Quota) String() string {
	switch {
	case q.IsZero():
		return "none"
	case q.Percent != 0:
		return strconv.FormatFloat(q.Percent, 'f', -1, 64) + "%"
	}
	for _, u := range quotaUnits {
		if q.Bytes%u.size == 0 && q.Bytes/u.size != 0 {
			return strconv.FormatInt(q.Bytes/u.size, 10) + u.name
		}
	}
	return strconv.FormatInt(q.Bytes, 10) + "B"
}

// quotaUnits is ordered from largest to smallest so String picks the
// shortest exact spelling.
var quotaUnits = []struct {
	name string
	size int64
}{
	{"PiB", 1 << 50}, {"PB", 1e15},
	{"TiB", 1 << 40}, {"TB", 1e12},
	{"GiB", 1 << 30}, {"GB", 1e9},
	{"MiB", 1 << 20}, {"MB", 1e6},
	{"KiB", 1 << 10}, {"KB", 1e3},
}

var (
	errQuotaSyntax = errors.New("invalid quota")
	errQuotaZero   = errors.New("zero quota")
	errQuotaLarge  = errors.New("quota too large")
)

// parseQuota reads "none", "90%", "500GB", "1.5TiB" or a plain byte count.
// A zero quota is an error rather than "no quota" so that a typo such as
// "0GB" cannot silently switch off the disk space limit.
func parseQuota(s string) (Quota, error) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "none") {
		return Quota{}, nil
	}
	if num, ok := strings.CutSuffix(s, "%"); ok {
		p, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
		if err != nil || math.IsNaN(p) || math.IsInf(p, 0) {
			return Quota{}, errQuotaSyntax
		}
		if p == 0 {
			return Quota{}, errQuotaZero
		}
		return Quota{Percent: p}, nil
	}
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	num, unit := s[:i], strings.TrimSpace(s[i:])
	size := int64(-1)
	if unit == "" || strings.EqualFold(unit, "B") {
		size = 1
	}
	for _, u := range quotaUnits {
		if strings.EqualFold(unit, u.name) {
			size = u.size
		}
	}
	if num == "" || size < 0 {
		return Quota{}, errQuotaSyntax
	}
	var bytes int64
	if strings.Contains(num, ".") {
		f, err := strconv.ParseFloat(num, 64)
		if err != nil || size == 1 {
			// Fractions of a byte make no sense.
			return Quota{}, errQuotaSyntax
		}
		f = math.Round(f * float64(size))
		if f >= math.MaxInt64 {
			return Quota{}, errQuotaLarge
		}
		bytes = int64(f)
	} else {
		n, err := strconv.ParseInt(num, 10, 64)
		if err != nil {
			if errors.Is(err, strconv.ErrRange) {
				return Quota{}, errQuotaLarge
			}
			return Quota{}, errQuotaSyntax
		}
		if n > math.MaxInt64/size {
			return Quota{}, errQuotaLarge
		}
		bytes = n * size
	}
	if bytes == 0 {
		return Quota{}, errQuotaZero
	}
	return Quota{Bytes: bytes}, nil
}
