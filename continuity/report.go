package continuity

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"vigil/config"
	"vigil/store"
)

// ErrUnknownFacility is returned by BuildReport for a facility id that neither the config's facilities
// nor any camera names.
var ErrUnknownFacility = errors.New("unknown facility")

// Summary adds up the uptime of several cameras. Its fraction is time-weighted: Σ online ÷ Σ observed,
// so a camera vigil watched for an hour weighs less than one it watched all day.
type Summary struct {
	Cameras        int
	NeverConnected int
	Online         time.Duration
	Down           time.Duration
	Unknown        time.Duration
	Outages        int
	Longest        time.Duration
	FootageMissing time.Duration
}

// Observed is Online + Down.
func (s Summary) Observed() time.Duration { return s.Online + s.Down }

// Fraction is Σ online ÷ Σ observed; ok is false when nothing was observed.
func (s Summary) Fraction() (float64, bool) {
	return Uptime{Online: s.Online, Down: s.Down}.Fraction()
}

func (s *Summary) add(u Uptime) {
	s.Cameras++
	if u.NeverConnected {
		s.NeverConnected++
	}
	s.Online += u.Online
	s.Down += u.Down
	s.Unknown += u.Unknown
	s.Outages += len(u.Outages)
	s.Longest = max(s.Longest, u.Longest)
	s.FootageMissing += u.FootageMissing
}

// CameraReport is one camera's uptime with what identifies it.
type CameraReport struct {
	Camera config.Camera
	Uptime
}

// FacilityReport sums the enabled cameras of one facility.
type FacilityReport struct {
	ID, Name string
	Summary
}

// Report is the continuity of the province's cameras over one period.
type Report struct {
	Period     Period
	Now        time.Time
	Cameras    []CameraReport   // in config order; disabled cameras are listed but not summed
	Facilities []FacilityReport // the registry's facilities, then any other the config or a camera names
	Province   Summary          // every enabled camera; not computed when the report is for one facility
}

// reportWorkers is how many cameras are read from the store at once: the store's read pool has four
// connections, and the web server and the recorder's recovery use them too.
const reportWorkers = 4

// BuildReport measures every camera of cfg (or of one facility) over p as of now, reading events and
// recordings from st.
func BuildReport(ctx context.Context, st *store.Store, cfg *config.Config, p Period, now time.Time, facility string) (*Report, error) {
	facilities, err := facilityList(ctx, st, cfg)
	if err != nil {
		return nil, err
	}
	if facility != "" && !hasFacility(facilities, facility) {
		return nil, fmt.Errorf("%w %q", ErrUnknownFacility, facility)
	}
	var cams []config.Camera
	for _, c := range cfg.Cameras {
		if facility == "" || c.Facility == facility {
			cams = append(cams, c)
		}
	}
	uptimes, err := measureAll(ctx, st, cams, p, now)
	if err != nil {
		return nil, err
	}
	r := &Report{Period: p, Now: now}
	sums := map[string]*Summary{}
	for i, c := range cams {
		r.Cameras = append(r.Cameras, CameraReport{Camera: c, Uptime: uptimes[i]})
		if !c.Enabled {
			continue
		}
		if sums[c.Facility] == nil {
			sums[c.Facility] = &Summary{}
		}
		sums[c.Facility].add(uptimes[i])
		r.Province.add(uptimes[i])
	}
	for _, f := range facilities {
		if facility != "" && f.ID != facility {
			continue
		}
		fr := FacilityReport{ID: f.ID, Name: f.Name}
		if s := sums[f.ID]; s != nil {
			fr.Summary = *s
		}
		r.Facilities = append(r.Facilities, fr)
	}
	return r, nil
}

// facilityRef names a facility.
type facilityRef struct{ ID, Name string }

// facilityList is the registry's facilities (the store: names edited in the UI live there), then any the
// config or a camera names that the registry does not have yet.
func facilityList(ctx context.Context, st *store.Store, cfg *config.Config) ([]facilityRef, error) {
	reg, err := st.Facilities(ctx)
	if err != nil {
		return nil, err
	}
	var out []facilityRef
	seen := map[string]bool{}
	add := func(id, name string) {
		if !seen[id] {
			seen[id] = true
			out = append(out, facilityRef{ID: id, Name: cmp.Or(name, id)})
		}
	}
	for _, f := range reg {
		add(f.ID, f.Name)
	}
	for _, f := range cfg.Facilities {
		add(f.ID, f.Name)
	}
	for _, c := range cfg.Cameras {
		add(c.Facility, "")
	}
	return out, nil
}

// FacilityNames maps every facility id the registry, the config or a camera knows to its display name.
func FacilityNames(ctx context.Context, st *store.Store, cfg *config.Config) (map[string]string, error) {
	fs, err := facilityList(ctx, st, cfg)
	if err != nil {
		return nil, err
	}
	names := make(map[string]string, len(fs))
	for _, f := range fs {
		names[f.ID] = f.Name
	}
	return names, nil
}

func hasFacility(fs []facilityRef, id string) bool {
	for _, f := range fs {
		if f.ID == id {
			return true
		}
	}
	return false
}

// facilityName is the display name of a facility id: the registry's, else the config's, else the id.
func facilityName(ctx context.Context, st *store.Store, cfg *config.Config, id string) string {
	if f, err := st.Facility(ctx, id); err == nil && f.Name != "" {
		return f.Name
	}
	for _, f := range cfg.Facilities {
		if f.ID == id && f.Name != "" {
			return f.Name
		}
	}
	return id
}

// measureAll reads and measures the cameras, a few at a time.
func measureAll(ctx context.Context, st *store.Store, cams []config.Camera, p Period, now time.Time) ([]Uptime, error) {
	out := make([]Uptime, len(cams))
	errs := make([]error, len(cams))
	sem := make(chan struct{}, reportWorkers)
	var wg sync.WaitGroup
	for i, c := range cams {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			h, err := readHistory(ctx, st, c.ID, p, now)
			if err != nil {
				errs[i] = fmt.Errorf("camera %s: %w", c.ID, err)
				return
			}
			out[i] = Measure(p, now, h)
		}()
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// readHistory reads what Measure needs of one camera: the events of the period with the state in force at
// its start, the recordings of its measured part, and when the camera was first online.
func readHistory(ctx context.Context, st *store.Store, camera string, p Period, now time.Time) (History, error) {
	var h History
	var err error
	lo, hi := p.From.UnixNano(), p.To.UnixNano()
	if hi > lo {
		if h.Events, err = st.Events(ctx, camera, lo, hi); err != nil {
			return h, err
		}
	}
	if end := min(hi, now.UnixNano()); end > lo {
		bounds, err := st.SegmentBounds(ctx, camera, lo, end)
		if err != nil {
			return h, err
		}
		h.Segments = make([]*store.Segment, len(bounds))
		for i, b := range bounds {
			h.Segments[i] = &store.Segment{CameraID: camera, Start: b[0], End: b[1]}
		}
	}
	if h.FootageBefore, err = st.FootageEndBefore(ctx, camera, lo); err != nil {
		return h, err
	}
	first, err := st.FirstOnline(ctx, camera)
	if err != nil {
		return h, err
	}
	if first != 0 {
		h.FirstOnline = time.Unix(0, first)
	}
	return h, nil
}
