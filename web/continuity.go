package web

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"vigil/continuity"
	"vigil/store"
)

// maxUptimeRange bounds a custom uptime period: every camera's recordings of the period are read, and a
// month is what the 30-day period needs.
var maxUptimeRange = rangeLimit{31 * 24 * time.Hour, "31 days"}

// Alert list limits: the newest first, a default page that any screen can show, and a ceiling.
const (
	defaultAlertLimit = 500
	maxAlertLimit     = 5000
)

type uptimeAnswer struct {
	Period     periodAnswer     `json:"period"`
	Province   *provinceUptime  `json:"province,omitempty"` // left out when the answer is for one facility
	Facilities []facilityUptime `json:"facilities"`
	Cameras    []cameraUptime   `json:"cameras"`
}

type periodAnswer struct {
	Name  string  `json:"name"` // today | 7d | 30d | custom
	Start apiTime `json:"start"`
	End   apiTime `json:"end"`
	Now   apiTime `json:"now"` // the part of the period after now is counted as unknown
}

// summaryAnswer is the uptime of several cameras. uptime is online ÷ observed (0 to 1), null when vigil
// observed none of the period; observed = online + outage; unknown is the rest of the period (before
// vigil knew a camera, after now). Durations are seconds, footage missing is minutes.
type summaryAnswer struct {
	Cameras               int      `json:"cameras"`
	NeverConnected        int      `json:"never_connected"`
	Uptime                *float64 `json:"uptime"`
	ObservedSeconds       float64  `json:"observed_seconds"`
	OnlineSeconds         float64  `json:"online_seconds"`
	OutageSeconds         float64  `json:"outage_seconds"`
	UnknownSeconds        float64  `json:"unknown_seconds"`
	Outages               int      `json:"outages"`
	LongestOutageSeconds  float64  `json:"longest_outage_seconds"`
	FootageMissingMinutes float64  `json:"footage_missing_minutes"`
}

type provinceUptime struct {
	Name string `json:"name"`
	Code string `json:"code"`
	summaryAnswer
}

type facilityUptime struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	summaryAnswer
}

type cameraUptime struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Facility string `json:"facility"`
	// Enabled: disabled cameras are listed but left out of the facility and province figures.
	Enabled               bool          `json:"enabled"`
	NeverConnected        bool          `json:"never_connected"`
	Uptime                *float64      `json:"uptime"`
	ObservedSeconds       float64       `json:"observed_seconds"`
	OnlineSeconds         float64       `json:"online_seconds"`
	OutageSeconds         float64       `json:"outage_seconds"`
	UnknownSeconds        float64       `json:"unknown_seconds"`
	Outages               int           `json:"outages"`
	LongestOutage         *outageAnswer `json:"longest_outage"`
	FootageMissingMinutes float64       `json:"footage_missing_minutes"`
}

type outageAnswer struct {
	Start         apiTime `json:"start"`
	End           apiTime `json:"end"`
	Seconds       float64 `json:"seconds"`
	Reason        string  `json:"reason"`
	StartedBefore bool    `json:"started_before"` // it began before the period
	Open          bool    `json:"open"`           // it had not ended at the end of the measured part
}

// uptime answers GET /api/v1/uptime?period=today|7d|30d|custom[&start&end][&facility=ID].
func (h *handlers) uptime(c echo.Context) error {
	p, err := h.uptimePeriod(c)
	if err != nil {
		return err
	}
	facility := c.QueryParam("facility")
	r, err := continuity.BuildReport(c.Request().Context(), h.Store, h.Config, p, time.Now(), facility)
	if errors.Is(err, continuity.ErrUnknownFacility) {
		return apiError(http.StatusNotFound, "facility %q not found", truncate(facility, 64))
	}
	if err != nil {
		return err
	}
	a := uptimeAnswer{
		Period:     periodAnswer{Name: p.Name, Start: h.apiTime(p.From), End: h.apiTime(p.To), Now: h.apiTime(r.Now)},
		Facilities: make([]facilityUptime, 0, len(r.Facilities)),
		Cameras:    make([]cameraUptime, 0, len(r.Cameras)),
	}
	if facility == "" {
		a.Province = &provinceUptime{Name: h.Config.Province.Name, Code: h.Config.Province.Code,
			summaryAnswer: summaryOf(r.Province)}
	}
	for _, f := range r.Facilities {
		a.Facilities = append(a.Facilities, facilityUptime{ID: f.ID, Name: f.Name, summaryAnswer: summaryOf(f.Summary)})
	}
	for _, cr := range r.Cameras {
		a.Cameras = append(a.Cameras, h.cameraUptime(cr))
	}
	return c.JSON(http.StatusOK, a)
}

// uptimePeriod reads period (default today) and, for a custom one, start and end.
func (h *handlers) uptimePeriod(c echo.Context) (continuity.Period, error) {
	name := c.QueryParam("period")
	if name == "" {
		name = "today"
	}
	hasRange := c.QueryParam("start") != "" || c.QueryParam("end") != ""
	if name == "custom" {
		t0, t1, err := h.parseRange(c, maxUptimeRange)
		return continuity.Period{Name: name, From: t0, To: t1}, err
	}
	p, ok := continuity.NamedPeriod(name, time.Now(), h.loc)
	switch {
	case !ok:
		return p, apiError(http.StatusBadRequest, "period must be one of today, 7d, 30d, custom; got %q", truncate(name, 64))
	case hasRange:
		return p, apiError(http.StatusBadRequest, "start and end go with period=custom")
	}
	return p, nil
}

func summaryOf(s continuity.Summary) summaryAnswer {
	return summaryAnswer{
		Cameras:               s.Cameras,
		NeverConnected:        s.NeverConnected,
		Uptime:                fraction(s.Fraction()),
		ObservedSeconds:       seconds(s.Observed()),
		OnlineSeconds:         seconds(s.Online),
		OutageSeconds:         seconds(s.Down),
		UnknownSeconds:        seconds(s.Unknown),
		Outages:               s.Outages,
		LongestOutageSeconds:  seconds(s.Longest),
		FootageMissingMinutes: minutes(s.FootageMissing),
	}
}

func (h *handlers) cameraUptime(cr continuity.CameraReport) cameraUptime {
	u := cr.Uptime
	a := cameraUptime{
		ID: cr.Camera.ID, Name: cr.Camera.Name, Facility: cr.Camera.Facility, Enabled: cr.Camera.Enabled,
		NeverConnected:        u.NeverConnected,
		Uptime:                fraction(u.Fraction()),
		ObservedSeconds:       seconds(u.Observed()),
		OnlineSeconds:         seconds(u.Online),
		OutageSeconds:         seconds(u.Down),
		UnknownSeconds:        seconds(u.Unknown),
		Outages:               len(u.Outages),
		FootageMissingMinutes: minutes(u.FootageMissing),
	}
	for _, o := range u.Outages {
		if o.Duration() == u.Longest {
			a.LongestOutage = &outageAnswer{Start: h.apiTime(o.Start), End: h.apiTime(o.End),
				Seconds: seconds(o.Duration()), Reason: o.Reason, StartedBefore: o.StartedBefore, Open: o.Open}
			break
		}
	}
	return a
}

// fraction is nil when there is none, so the JSON says null rather than a misleading 0 or 1. It is not
// rounded: a one-second outage in a month must not read as 100%.
func fraction(f float64, ok bool) *float64 {
	if !ok {
		return nil
	}
	return &f
}

func seconds(d time.Duration) float64 { return math.Round(d.Seconds()*1000) / 1000 }
func minutes(d time.Duration) float64 { return math.Round(d.Minutes()*100) / 100 }

type alertsAnswer struct {
	Alerts []alertAnswer `json:"alerts"`
	// Truncated: there are more alerts than limit; ask for a shorter range or a higher limit.
	Truncated bool `json:"truncated"`
}

type alertAnswer struct {
	ID           int64    `json:"id"`
	State        string   `json:"state"` // open | closed
	CameraID     string   `json:"camera_id"`
	CameraName   string   `json:"camera_name"`
	FacilityID   string   `json:"facility_id"`
	FacilityName string   `json:"facility_name"`
	DownSince    apiTime  `json:"down_since"`
	OpenedAt     apiTime  `json:"opened_at"`
	ClosedAt     *apiTime `json:"closed_at"` // null while open
	// DurationSeconds is the outage so far (open) or in all (closed).
	DurationSeconds float64          `json:"duration_seconds"`
	Reason          string           `json:"reason"`
	CloseReason     string           `json:"close_reason,omitempty"`
	Deliveries      []deliveryAnswer `json:"deliveries"`
}

type deliveryAnswer struct {
	Event   string  `json:"event"`
	Channel string  `json:"channel"`
	Target  string  `json:"target"`
	Attempt int     `json:"attempt"`
	Status  string  `json:"status"` // sent | retry | failed
	Error   string  `json:"error,omitempty"`
	At      apiTime `json:"at"`
}

// alerts answers GET /api/v1/alerts?state=open|closed|all[&start][&end][&camera][&facility][&limit]: the
// alerts whose outage overlaps [start, end), newest first, with every delivery attempt.
func (h *handlers) alerts(c echo.Context) error {
	q, err := h.alertQuery(c)
	if err != nil {
		return err
	}
	limit := q.Limit
	q.Limit++ // one more tells whether the list was cut
	list, err := h.Store.Alerts(c.Request().Context(), q)
	if err != nil {
		return err
	}
	a := alertsAnswer{Alerts: make([]alertAnswer, 0, min(len(list), limit))}
	if len(list) > limit {
		list, a.Truncated = list[:limit], true
	}
	facilities, err := continuity.FacilityNames(c.Request().Context(), h.Store, h.Config)
	if err != nil {
		return err
	}
	now := time.Now()
	for _, al := range list {
		a.Alerts = append(a.Alerts, h.alertAnswer(al, facilities, now))
	}
	return c.JSON(http.StatusOK, a)
}

func (h *handlers) alertQuery(c echo.Context) (store.AlertQuery, error) {
	q := store.AlertQuery{Camera: c.QueryParam("camera"), Facility: c.QueryParam("facility"), Limit: defaultAlertLimit}
	switch s := c.QueryParam("state"); s {
	case "", "all":
	case "open", "closed":
		q.State = s
	default:
		return q, apiError(http.StatusBadRequest, "state must be one of open, closed, all; got %q", truncate(s, 64))
	}
	for _, b := range []struct {
		name string
		dst  *int64
	}{{"start", &q.From}, {"end", &q.To}} {
		if c.QueryParam(b.name) == "" {
			continue
		}
		t, err := h.parseTimeParam(c, b.name)
		if err != nil {
			return q, err
		}
		*b.dst = t.UnixNano()
	}
	if q.From != 0 && q.To != 0 && q.To <= q.From {
		return q, apiError(http.StatusBadRequest, "end must be after start")
	}
	if s := c.QueryParam("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxAlertLimit {
			return q, apiError(http.StatusBadRequest, "limit must be a number from 1 to %d; got %q", maxAlertLimit, truncate(s, 64))
		}
		q.Limit = n
	}
	return q, nil
}

func (h *handlers) alertAnswer(al store.Alert, facilities map[string]string, now time.Time) alertAnswer {
	a := alertAnswer{
		ID: al.ID, State: "open", CameraID: al.CameraID, CameraName: al.CameraID,
		FacilityID: al.FacilityID, FacilityName: al.FacilityID,
		DownSince: h.apiTime(time.Unix(0, al.DownSince)), OpenedAt: h.apiTime(time.Unix(0, al.OpenedAt)),
		Reason: al.Reason, CloseReason: al.CloseReason,
		Deliveries: make([]deliveryAnswer, 0, len(al.Deliveries)),
	}
	for _, cam := range h.Config.Cameras {
		if cam.ID == al.CameraID {
			a.CameraName = cam.Name
		}
	}
	if name := facilities[al.FacilityID]; name != "" {
		a.FacilityName = name
	}
	end := now
	if !al.Open() {
		closed := h.apiTime(time.Unix(0, al.ClosedAt))
		a.State, a.ClosedAt, end = "closed", &closed, time.Unix(0, al.ClosedAt)
	}
	a.DurationSeconds = seconds(max(end.Sub(time.Unix(0, al.DownSince)), 0))
	for _, d := range al.Deliveries {
		a.Deliveries = append(a.Deliveries, deliveryAnswer{Event: d.Event, Channel: d.Channel, Target: d.Target,
			Attempt: d.Attempt, Status: d.Status, Error: d.Error, At: h.apiTime(time.Unix(0, d.At))})
	}
	return a
}
