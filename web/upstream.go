package web

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"vigil/auth"
	"vigil/continuity"
)

// UpstreamReporter tells the status feed about the connection to the central system.
type UpstreamReporter interface {
	UpstreamState() UpstreamState
}

// UpstreamState is the RTSP re-stream and the push publishers, now.
type UpstreamState struct {
	// RTSPPort is the re-stream's port; 0 when it is off.
	RTSPPort int
	// PublicURL is upstream.public_url ("" = build Scheme://<host the feed was asked on>:RTSPPort).
	PublicURL string
	Scheme    string         // rtsp, or rtsps when the re-stream has a certificate
	Readers   map[string]int // RTSP readers per camera
	Push      []PushState
}

// PushState is one push publisher (one camera to one target).
type PushState struct {
	Camera string    `json:"-"`
	Target string    `json:"target"` // scheme://host[:port] only
	State  string    `json:"state"`  // connecting | publishing | waiting (camera offline) | failed
	Since  time.Time `json:"-"`
	Error  string    `json:"error,omitempty"`
}

// UpstreamSchema names the status feed's format. Fields are only ever added under this name; a change that
// removes or redefines one gets a new name.
const UpstreamSchema = "vigil.upstream.status/v1"

type upstreamAnswer struct {
	Schema      string             `json:"schema"`
	GeneratedAt apiTime            `json:"generated_at"`
	Version     string             `json:"version"`
	Province    provinceAnswer     `json:"province"`
	Facilities  []upstreamFacility `json:"facilities"`
	Cameras     []upstreamCamera   `json:"cameras"`
}

type upstreamFacility struct {
	ID            string            `json:"id"`
	Name          string            `json:"name"`
	Address       string            `json:"address"`
	District      string            `json:"district"`
	Commune       string            `json:"commune"`
	Status        string            `json:"status"`
	CamerasTotal  int               `json:"cameras_total"`
	CamerasOnline int               `json:"cameras_online"`
	Contacts      []upstreamContact `json:"contacts"`
}

type upstreamContact struct {
	Name    string `json:"name"`
	Title   string `json:"title"`
	Phone   string `json:"phone"`
	Email   string `json:"email"`
	Primary bool   `json:"primary"`
}

type upstreamCamera struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Facility  string     `json:"facility"`
	Location  string     `json:"location"`
	Enabled   bool       `json:"enabled"`
	State     string     `json:"state"`
	Since     apiTime    `json:"since"`
	LastError string     `json:"last_error,omitempty"`
	Codec     string     `json:"codec,omitempty"`
	Width     int        `json:"width,omitempty"`
	Height    int        `json:"height,omitempty"`
	Uptime    uptimePair `json:"uptime"`
	RTSPURL   string     `json:"rtsp_url,omitempty"`
	Readers   int        `json:"rtsp_readers"`
	Push      []pushView `json:"push"`
}

// uptimePair: online ÷ observed, null when vigil observed none of the period.
type uptimePair struct {
	Today     *float64 `json:"today"`
	Last7Days *float64 `json:"last_7_days"`
}

type pushView struct {
	PushState
	Since apiTime `json:"since"`
}

// upstreamStatus answers the central system's status feed: the facilities, cameras, states, uptime and
// contacts the principal's grants reach (documented in docs/upstream-status.md).
func (h *handlers) upstreamStatus(c echo.Context) error {
	ctx := c.Request().Context()
	p := principal(c)
	now := time.Now()
	today, week, err := h.uptimes(ctx, now)
	if err != nil {
		return err
	}
	var state UpstreamState
	if h.Upstream != nil {
		state = h.Upstream.UpstreamState()
	}
	base := rtspBase(state, c.Request().Host)
	cams := h.Recorder.Cameras()
	a := upstreamAnswer{Schema: UpstreamSchema, GeneratedAt: h.apiTime(now), Version: h.Version, Province: h.provinceAnswer(),
		Facilities: []upstreamFacility{}, Cameras: []upstreamCamera{}}
	total, online := map[string]int{}, map[string]int{}
	locations := h.cameraLocations()
	for _, s := range cams {
		if !p.CanAt(auth.Live, s.Facility) {
			continue
		}
		total[s.Facility]++
		if s.State == "online" {
			online[s.Facility]++
		}
		uc := upstreamCamera{ID: s.ID, Name: s.Name, Facility: s.Facility, Location: locations[s.ID], Enabled: s.Enabled,
			State: s.State, Since: h.apiTime(s.Since), LastError: s.LastError, Codec: s.VideoCodec, Width: s.Width, Height: s.Height,
			Uptime: uptimePair{Today: today[s.ID], Last7Days: week[s.ID]}, Readers: state.Readers[s.ID], Push: []pushView{}}
		if base != "" {
			uc.RTSPURL = base + "/" + url.PathEscape(s.ID)
		}
		for _, ps := range state.Push {
			if ps.Camera == s.ID {
				uc.Push = append(uc.Push, pushView{PushState: ps, Since: h.apiTime(ps.Since)})
			}
		}
		a.Cameras = append(a.Cameras, uc)
	}
	facilities, err := h.upstreamFacilities(ctx, p, total, online)
	if err != nil {
		return err
	}
	a.Facilities = facilities
	return c.JSON(http.StatusOK, a)
}

func (h *handlers) upstreamFacilities(ctx context.Context, p *auth.Principal, total, online map[string]int) ([]upstreamFacility, error) {
	facilities, err := h.Store.Facilities(ctx)
	if err != nil {
		return nil, err
	}
	contacts, err := h.Store.AllContacts(ctx)
	if err != nil {
		return nil, err
	}
	byFacility := map[string][]upstreamContact{}
	for _, ct := range contacts {
		byFacility[ct.FacilityID] = append(byFacility[ct.FacilityID], upstreamContact{Name: ct.Name, Title: ct.Title, Phone: ct.Phone, Email: ct.Email, Primary: ct.Primary})
	}
	out := []upstreamFacility{}
	for _, f := range facilities {
		if !p.CanAt(auth.Live, f.ID) {
			continue
		}
		cs := byFacility[f.ID]
		if cs == nil {
			cs = []upstreamContact{}
		}
		out = append(out, upstreamFacility{ID: f.ID, Name: f.Name, Address: f.Address, District: f.District, Commune: f.Commune,
			Status: f.Status, CamerasTotal: total[f.ID], CamerasOnline: online[f.ID], Contacts: cs})
	}
	return out, nil
}

// uptimes is every camera's uptime today and over the last 7 days.
func (h *handlers) uptimes(ctx context.Context, now time.Time) (map[string]*float64, map[string]*float64, error) {
	var out [2]map[string]*float64
	for i, period := range []continuity.Period{continuity.Today(now, h.loc), continuity.LastDays(now, 7, h.loc)} {
		r, err := continuity.BuildReport(ctx, h.Store, h.Config, period, now, "")
		if err != nil {
			return nil, nil, err
		}
		out[i] = map[string]*float64{}
		for _, cr := range r.Cameras {
			out[i][cr.Camera.ID] = fraction(cr.Fraction())
		}
	}
	return out[0], out[1], nil
}

// rtspBase is rtsp://host:port of the re-stream as the asker should reach it.
func rtspBase(s UpstreamState, requestHost string) string {
	if s.PublicURL != "" {
		return s.PublicURL
	}
	if s.RTSPPort == 0 {
		return ""
	}
	host, _, err := net.SplitHostPort(requestHost)
	if err != nil {
		host = requestHost
	}
	scheme := s.Scheme
	if scheme == "" {
		scheme = "rtsp"
	}
	return scheme + "://" + net.JoinHostPort(host, strconv.Itoa(s.RTSPPort))
}

// linksAnswer gives a player without a cookie (VLC, the central system's viewer) URLs it can open as they
// are: HLS URLs carrying a signed link valid for auth.media_link_ttl, and the RTSP re-stream's URL. Each is
// there only if the principal may use it.
type linksAnswer struct {
	Camera   string  `json:"camera"`
	Live     string  `json:"live,omitempty"`
	Playback string  `json:"playback,omitempty"` // with start and end
	Expires  apiTime `json:"expires"`
	RTSP     string  `json:"rtsp,omitempty"`
}

// mediaLinks answers signed URLs for one camera: GET /api/v1/cameras/{id}/links[?start&end].
func (h *handlers) mediaLinks(c echo.Context) error {
	id := c.Param("id")
	p := principal(c)
	cam, err := h.lookupCamera(id)
	if err != nil {
		return err
	}
	live, playback := p.CanAt(auth.Live, cam.Facility), p.CanAt(auth.Playback, cam.Facility)
	if !live && !playback {
		return apiError(http.StatusForbidden, "you have no access to camera %q (facility %s)", id, cam.Facility)
	}
	link, err := h.Auth.SignLink(c.Request().Context(), p, id)
	if err != nil {
		return err
	}
	scheme := "http"
	if c.Request().TLS != nil {
		scheme = "https"
	}
	origin := scheme + "://" + c.Request().Host
	a := linksAnswer{Camera: id, Expires: h.apiTime(time.Now().Add(h.Config.Auth.MediaLinkTTL))}
	if live {
		a.Live = origin + "/live/" + url.PathEscape(id) + "/index.m3u8?" + linkParam + "=" + link
		if h.Upstream != nil {
			if base := rtspBase(h.Upstream.UpstreamState(), c.Request().Host); base != "" {
				a.RTSP = base + "/" + url.PathEscape(id)
			}
		}
	}
	if playback && c.QueryParam("start") != "" {
		t0, t1, err := h.parseRange(c, maxPlaylistRange)
		if err != nil {
			return err
		}
		if t0, t1, err = h.footageWindow(c, id, t0, t1); err != nil {
			return err
		}
		q := url.Values{"start": {t0.Format(time.RFC3339Nano)}, "end": {t1.Format(time.RFC3339Nano)}, linkParam: {link}}
		a.Playback = origin + "/playback/" + url.PathEscape(id) + "/index.m3u8?" + q.Encode()
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, a)
}
