package web

import (
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"vigil/auth"
	"vigil/playback"
	"vigil/store"
)

// maxRecordingsRange bounds one recordings query: a month of timeline is more than any view shows, and
// a bound keeps one request from scanning years of rows.
var maxRecordingsRange = rangeLimit{31 * 24 * time.Hour, "31 days"}

// rangeLimit is the longest range a route accepts, with the words its error message uses.
type rangeLimit struct {
	max  time.Duration
	text string
}

type recordingsAnswer struct {
	Camera string          `json:"camera"`
	Start  apiTime         `json:"start"`
	End    apiTime         `json:"end"`
	Spans  []playback.Span `json:"spans"`
	Gaps   []playback.Span `json:"gaps"`
}

// recordings answers which parts of [start, end) of a camera were recorded, for the timeline.
func (h *handlers) recordings(c echo.Context) error {
	q, err := h.queryRange(c, maxRecordingsRange, false)
	if err != nil {
		return err
	}
	spans, gaps := playback.Spans(q.segs, q.t0, q.t1, playback.MergeTolerance)
	return c.JSON(http.StatusOK, recordingsAnswer{
		Camera: q.camera,
		Start:  apiTime(q.t0),
		End:    apiTime(q.t1),
		// Empty lists, not null, so a client can iterate without a check.
		Spans: nonNil(spans),
		Gaps:  nonNil(gaps),
	})
}

// rangeQuery is what the range routes share: a known camera, a valid range and the segments that overlap it.
type rangeQuery struct {
	camera string
	t0, t1 time.Time
	segs   []*store.Segment
}

// queryRange checks the camera (404) and then the range (400), narrows it to the footage the principal may
// see (403 when none), and reads the overlapping segments, with
// their fragment maps if asked.
func (h *handlers) queryRange(c echo.Context, limit rangeLimit, withFragments bool) (*rangeQuery, error) {
	q := &rangeQuery{camera: c.Param("id")}
	if _, err := h.lookupCamera(q.camera); err != nil {
		return nil, err
	}
	var err error
	if q.t0, q.t1, err = h.parseRange(c, limit); err != nil {
		return nil, err
	}
	if q.t0, q.t1, err = h.footageWindow(c, q.camera, q.t0, q.t1); err != nil {
		return nil, err
	}
	q.segs, err = h.Store.SegmentsOverlapping(c.Request().Context(), q.camera, q.t0.UnixNano(), q.t1.UnixNano(), withFragments)
	if err != nil || !withFragments {
		return q, err
	}
	if w := principal(c).FootageWindow(h.cameraFacility(q.camera)); !w.Open() {
		q.t0, q.t1 = fragmentsInside(q.segs, q.t0, q.t1, w)
	}
	return q, nil
}

// fragmentsInside narrows [t0, t1) so that the fragments a playlist or an export takes from it all lie in
// the window: both start at the keyframe at or before t0, which may be before the window opens, and take
// the fragment holding t1 whole, which may end after it closes. An empty result (t0 == t1) finds no
// footage.
func fragmentsInside(segs []*store.Segment, t0, t1 time.Time, w auth.Window) (time.Time, time.Time) {
	lo, hi := t0.UnixNano(), t1.UnixNano()
	startKey, firstInside := int64(math.MinInt64), int64(math.MaxInt64)
	for _, s := range segs {
		for _, f := range s.Fragments {
			if f.Key && f.Start <= lo && f.Start > startKey {
				startKey = f.Start
			}
			if f.Key && !w.From.IsZero() && f.Start >= w.From.UnixNano() && f.Start < firstInside {
				firstInside = f.Start
			}
			if !w.Until.IsZero() && f.Start < hi && f.End() > w.Until.UnixNano() {
				hi = min(hi, f.Start)
			}
		}
	}
	if !w.From.IsZero() && startKey < w.From.UnixNano() {
		lo = max(lo, firstInside)
	}
	lo = min(lo, hi)
	return time.Unix(0, lo).In(t0.Location()), time.Unix(0, hi).In(t1.Location())
}

// noFootage is the 404 of a range in which the camera recorded nothing.
func noFootage(q *rangeQuery) error {
	return apiError(http.StatusNotFound, "camera %q recorded nothing between %s and %s", q.camera,
		q.t0.Format(playback.TimeFormat), q.t1.Format(playback.TimeFormat))
}

// parseRange reads the start and end query parameters and returns them in the configured zone.
func (h *handlers) parseRange(c echo.Context, limit rangeLimit) (t0, t1 time.Time, err error) {
	if t0, err = h.parseTimeParam(c, "start"); err != nil {
		return
	}
	if t1, err = h.parseTimeParam(c, "end"); err != nil {
		return
	}
	switch d := t1.Sub(t0); {
	case d <= 0:
		err = apiError(http.StatusBadRequest, "end must be after start")
	case d > limit.max:
		err = apiError(http.StatusBadRequest, "end is more than %s after start; ask for a shorter range", limit.text)
	}
	return
}

// parseTimeParam reads one RFC 3339 query parameter; any offset is accepted.
func (h *handlers) parseTimeParam(c echo.Context, name string) (time.Time, error) {
	raw := c.QueryParam(name)
	if raw == "" {
		return time.Time{}, apiError(http.StatusBadRequest, "%s is required (RFC 3339, e.g. %s)", name, h.exampleTime())
	}
	// An unencoded "+07:00" in a URL arrives as " 07:00", because "+" means space in a query string.
	// Nothing else in an RFC 3339 time is a space, so restoring the plus is safe and spares users a
	// confusing error.
	t, err := time.Parse(time.RFC3339, strings.ReplaceAll(raw, " ", "+"))
	if err != nil {
		return time.Time{}, apiError(http.StatusBadRequest, "%s is not an RFC 3339 time: %q (e.g. %s)",
			name, truncate(raw, 64), h.exampleTime())
	}
	return t.In(h.loc), nil
}

// exampleTime shows a valid value in the configured zone, so the offset in the hint is the user's own.
func (h *handlers) exampleTime() string {
	return time.Date(2026, 11, 27, 8, 0, 0, 0, h.loc).Format(time.RFC3339)
}

// truncate keeps error messages short when a client sends something huge.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func nonNil(s []playback.Span) []playback.Span {
	if s == nil {
		return []playback.Span{}
	}
	return s
}
