package survey

import (
	"cmp"
	"slices"
	"time"

	"vigil/config"
)

// timeFormat is the API's way of writing times (playback.TimeFormat): RFC 3339 with milliseconds.
const timeFormat = "2006-01-02T15:04:05.000Z07:00"

// Time is a time.Time written in the API's format.
type Time time.Time

// MarshalJSON writes the time in timeFormat, in the location it carries.
func (t Time) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, len(timeFormat)+2)
	b = append(b, '"')
	b = time.Time(t).AppendFormat(b, timeFormat)
	return append(b, '"'), nil
}

// UnmarshalJSON reads any RFC 3339 time.
func (t *Time) UnmarshalJSON(b []byte) error {
	var tt time.Time
	err := tt.UnmarshalJSON(b)
	*t = Time(tt)
	return err
}

// Report is the survey's assessment for the province: a summary for the province and for each
// facility, and every camera with what was measured and why it fails, if it does.
type Report struct {
	Province   string            `json:"province,omitempty"`
	Generated  Time              `json:"generated"`
	From       Time              `json:"surveyed_from"` // the earliest camera reading in the report
	To         Time              `json:"surveyed_to"`   // the latest
	Minimum    MinimumView       `json:"minimum"`
	Total      Summary           `json:"province_summary"`
	Facilities []FacilitySummary `json:"facilities"`
	Cameras    []CameraReport    `json:"cameras"`
	// NotSurveyed lists the configured cameras that have no survey result yet.
	NotSurveyed []string `json:"not_surveyed,omitempty"`
}

// Summary counts the cameras of a facility or of the province.
type Summary struct {
	Cameras   int `json:"cameras"`
	Reachable int `json:"reachable"`
	Meeting   int `json:"meeting_minimum"`
	Failing   int `json:"failing"` // Cameras - Meeting: an unreachable camera fails too
	// Bitrate sums the main streams' measured bitrates; StoragePerDay is what recording them all
	// would write in a day (bitrate × 86400 / 8). Disabled cameras count: the survey plans for
	// connecting every camera.
	Bitrate       int64 `json:"bitrate_bps"`
	StoragePerDay int64 `json:"storage_per_day_bytes"`
	// Reasons counts the failing cameras by reason code; a camera failing for two reasons counts under both.
	Reasons map[string]int `json:"failure_counts,omitempty"`
}

// FacilitySummary is one facility's summary.
type FacilitySummary struct {
	ID   string `json:"id"`
	Name string `json:"name"` // from the configuration's facilities; the id when it has none
	Summary
}

// CameraReport is a camera's result with the facility's name and its assessment.
type CameraReport struct {
	Result
	FacilityName  string    `json:"facility_name"`
	Meets         bool      `json:"meets_minimum"`
	Failures      []Failure `json:"failures,omitempty"`
	StoragePerDay int64     `json:"storage_per_day_bytes"`
}

// MinimumView is the minimum the report assessed against, as the API writes it.
type MinimumView struct {
	Resolution      string   `json:"resolution"` // 720p, 1280x720 or none
	FPS             float64  `json:"fps"`        // 0: not checked
	Codecs          []string `json:"codecs"`
	MaxGOPSeconds   float64  `json:"max_gop_seconds"` // 0: not checked
	Continuous      bool     `json:"continuous"`
	MaxStallSeconds float64  `json:"max_stall_seconds"`
}

// ViewMinimum turns the configuration's minimum into its API form.
func ViewMinimum(m config.SurveyMinimum) MinimumView {
	return MinimumView{
		Resolution:      m.Resolution.String(),
		FPS:             m.FPS,
		Codecs:          slices.Clone(m.Codecs),
		MaxGOPSeconds:   m.MaxGOP.Seconds(),
		Continuous:      m.Continuous,
		MaxStallSeconds: m.MaxStall.Seconds(),
	}
}

// BuildReport assesses results against cfg's survey minimum and sums them up per facility and for the
// province. Facilities come in the configuration's order (its facilities section, then as its cameras
// name them), then any others by id; cameras by facility, then in the order given. Times are written in loc (UTC if nil).
func BuildReport(results []Result, cfg *config.Config, now time.Time, loc *time.Location) *Report {
	if loc == nil {
		loc = time.UTC
	}
	rep := &Report{
		Province:  cfg.Province.Name,
		Generated: Time(now.In(loc)),
		Minimum:   ViewMinimum(cfg.Survey.Minimum),
	}
	names, order := facilityNames(cfg)
	byFacility := map[string]*FacilitySummary{}
	for _, r := range results {
		cr := assessCamera(r, cfg.Survey.Minimum, names)
		cr.Main.At = Time(time.Time(cr.Main.At).In(loc))
		if cr.Sub != nil {
			sub := *cr.Sub
			sub.At = Time(time.Time(sub.At).In(loc))
			cr.Sub = &sub
		}
		rep.noteTime(time.Time(cr.Main.At))
		fs := byFacility[r.Facility]
		if fs == nil {
			fs = &FacilitySummary{ID: r.Facility, Name: cr.FacilityName}
			byFacility[r.Facility] = fs
		}
		fs.add(&cr)
		rep.Total.add(&cr)
		rep.Cameras = append(rep.Cameras, cr)
	}
	rep.Facilities = sortFacilities(byFacility, order)
	rank := map[string]int{}
	for i, f := range rep.Facilities {
		rank[f.ID] = i
	}
	slices.SortStableFunc(rep.Cameras, func(a, b CameraReport) int {
		return cmp.Compare(rank[a.Facility], rank[b.Facility])
	})
	rep.NotSurveyed = notSurveyed(cfg, results)
	return rep
}

func assessCamera(r Result, m config.SurveyMinimum, names map[string]string) CameraReport {
	cr := CameraReport{Result: r, FacilityName: names[r.Facility]}
	if cr.FacilityName == "" {
		cr.FacilityName = r.Facility
	}
	cr.Failures = Assess(&r.Main, m)
	cr.Meets = len(cr.Failures) == 0
	if r.Main.Reason == "" {
		cr.StoragePerDay = storagePerDay(r.Main.Bitrate)
	}
	return cr
}

func (s *Summary) add(cr *CameraReport) {
	s.Cameras++
	if cr.Main.Reachable {
		s.Reachable++
	}
	if cr.Meets {
		s.Meeting++
	} else {
		s.Failing++
	}
	if cr.Main.Reason == "" {
		s.Bitrate += cr.Main.Bitrate
		s.StoragePerDay = storagePerDay(s.Bitrate)
	}
	for _, f := range cr.Failures {
		if s.Reasons == nil {
			s.Reasons = map[string]int{}
		}
		s.Reasons[f.Code]++
	}
}

// storagePerDay is what a stream of bitrate bits per second writes in a day, in bytes.
func storagePerDay(bitrate int64) int64 { return bitrate * 86400 / 8 }

func (rep *Report) noteTime(t time.Time) {
	if time.Time(rep.From).IsZero() || t.Before(time.Time(rep.From)) {
		rep.From = Time(t)
	}
	if t.After(time.Time(rep.To)) {
		rep.To = Time(t)
	}
}

// facilityNames maps the configured facilities' ids to their names, and gives their order: that of the
// facilities section, then that in which the cameras name the others.
func facilityNames(cfg *config.Config) (map[string]string, map[string]int) {
	names, order := map[string]string{}, map[string]int{}
	for _, f := range cfg.Facilities {
		if f.Name != "" {
			names[f.ID] = f.Name
		}
		if _, ok := order[f.ID]; !ok {
			order[f.ID] = len(order)
		}
	}
	for _, c := range cfg.Cameras {
		if _, ok := order[c.Facility]; !ok {
			order[c.Facility] = len(order)
		}
	}
	return names, order
}

func sortFacilities(by map[string]*FacilitySummary, order map[string]int) []FacilitySummary {
	out := make([]FacilitySummary, 0, len(by))
	for _, f := range by {
		out = append(out, *f)
	}
	slices.SortFunc(out, func(a, b FacilitySummary) int {
		ia, oka := order[a.ID]
		ib, okb := order[b.ID]
		switch {
		case oka && okb:
			return cmp.Compare(ia, ib)
		case oka:
			return -1
		case okb:
			return 1
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out
}

func notSurveyed(cfg *config.Config, results []Result) []string {
	seen := map[string]bool{}
	for _, r := range results {
		seen[r.CameraID] = true
	}
	var out []string
	for _, c := range cfg.Cameras {
		if !seen[c.ID] {
			out = append(out, c.ID)
		}
	}
	return out
}
