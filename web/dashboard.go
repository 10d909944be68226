package web

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"vigil/continuity"
	"vigil/recorder"
	"vigil/store"
)

// dashboardAnswer is the province at a glance: what the Department of Information and Communications
// reports upward, and what needs someone's attention now.
type dashboardAnswer struct {
	Province   provinceAnswer      `json:"province"`
	Now        apiTime             `json:"now"`
	Cameras    dashboardCameras    `json:"cameras"`
	Uptime     *float64            `json:"uptime_today"` // online ÷ observed since local midnight; null if nothing observed
	OpenAlerts []dashboardAlert    `json:"open_alerts"`
	Facilities []dashboardFacility `json:"facilities"`
	// Attention lists the facilities the province must chase: no primary contact to call, or no camera
	// online at all.
	Attention dashboardAttention `json:"attention"`
}

type dashboardCameras struct {
	cameraCounts
	// NeverConnected: enabled cameras vigil has never seen online.
	NeverConnected int `json:"never_connected"`
}

type dashboardAlert struct {
	ID        int64   `json:"id"`
	Camera    string  `json:"camera"`
	Facility  string  `json:"facility"`
	DownSince apiTime `json:"down_since"`
	Reason    string  `json:"reason"`
}

type dashboardFacility struct {
	ID             string          `json:"id"`
	Name           string          `json:"name"`
	Status         string          `json:"status"`
	Cameras        int             `json:"cameras"` // enabled ones
	Online         int             `json:"online"`
	NeverConnected int             `json:"never_connected"`
	Uptime         *float64        `json:"uptime_today"`
	OpenAlerts     int             `json:"open_alerts"`
	Primary        *contactSummary `json:"primary_contact"`
	AllOffline     bool            `json:"all_offline"` // it has enabled cameras and none is online
}

type contactSummary struct {
	Name  string `json:"name"`
	Title string `json:"title"`
	Phone string `json:"phone"`
	Email string `json:"email"`
}

type dashboardAttention struct {
	NoPrimaryContact  []string `json:"no_primary_contact"`
	AllCamerasOffline []string `json:"all_cameras_offline"`
}

func (h *handlers) dashboard(c echo.Context) error {
	ctx := c.Request().Context()
	now := time.Now()
	today, _ := continuity.NamedPeriod("today", now, h.loc)
	report, err := continuity.BuildReport(ctx, h.Store, h.Config, today, now, "")
	if err != nil {
		return err
	}
	alerts, err := h.Store.OpenAlerts(ctx)
	if err != nil {
		return err
	}
	primaries, err := h.primaryContacts(ctx)
	if err != nil {
		return err
	}
	statuses := h.Recorder.Cameras()
	never, err := h.neverConnected(ctx, statuses)
	if err != nil {
		return err
	}
	counts, _ := countCameras(statuses)
	a := dashboardAnswer{
		Province:   h.provinceAnswer(),
		Now:        h.apiTime(now),
		Cameras:    dashboardCameras{cameraCounts: counts, NeverConnected: len(never)},
		Uptime:     fraction(report.Province.Fraction()),
		OpenAlerts: make([]dashboardAlert, 0, len(alerts)),
		Facilities: make([]dashboardFacility, 0, len(report.Facilities)),
		Attention:  dashboardAttention{NoPrimaryContact: []string{}, AllCamerasOffline: []string{}},
	}
	alertsByFacility := map[string]int{}
	for _, al := range alerts {
		alertsByFacility[al.FacilityID]++
		a.OpenAlerts = append(a.OpenAlerts, dashboardAlert{ID: al.ID, Camera: al.CameraID, Facility: al.FacilityID,
			DownSince: h.apiTime(time.Unix(0, al.DownSince)), Reason: al.Reason})
	}
	status, err := h.facilityStatuses(ctx)
	if err != nil {
		return err
	}
	for _, fr := range report.Facilities {
		f := dashboardFacility{ID: fr.ID, Name: fr.Name, Status: status[fr.ID], Uptime: fraction(fr.Fraction()),
			OpenAlerts: alertsByFacility[fr.ID], Primary: primaries[fr.ID]}
		for _, s := range statuses {
			if s.Facility != fr.ID || !s.Enabled {
				continue
			}
			f.Cameras++
			if s.State == store.StateOnline {
				f.Online++
			}
			if never[s.ID] {
				f.NeverConnected++
			}
		}
		f.AllOffline = f.Cameras > 0 && f.Online == 0
		if f.Primary == nil && f.Status != "closed" {
			a.Attention.NoPrimaryContact = append(a.Attention.NoPrimaryContact, f.ID)
		}
		if f.AllOffline {
			a.Attention.AllCamerasOffline = append(a.Attention.AllCamerasOffline, f.ID)
		}
		a.Facilities = append(a.Facilities, f)
	}
	return c.JSON(http.StatusOK, a)
}

// primaryContacts maps each facility to its primary contact, if it has one.
func (h *handlers) primaryContacts(ctx context.Context) (map[string]*contactSummary, error) {
	contacts, err := h.Store.AllContacts(ctx)
	if err != nil {
		return nil, err
	}
	m := map[string]*contactSummary{}
	for _, ct := range contacts {
		if ct.Primary {
			m[ct.FacilityID] = &contactSummary{Name: ct.Name, Title: ct.Title, Phone: ct.Phone, Email: ct.Email}
		}
	}
	return m, nil
}

// facilityStatuses maps each registered facility to its status (active, suspended, closed).
func (h *handlers) facilityStatuses(ctx context.Context) (map[string]string, error) {
	fs, err := h.Store.Facilities(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(fs))
	for _, f := range fs {
		m[f.ID] = f.Status
	}
	return m, nil
}

// neverConnected is the set of enabled cameras that are not online now and have no online event ever.
func (h *handlers) neverConnected(ctx context.Context, statuses []recorder.CameraStatus) (map[string]bool, error) {
	never := map[string]bool{}
	for _, s := range statuses {
		if !s.Enabled || s.State == store.StateOnline {
			continue
		}
		first, err := h.Store.FirstOnline(ctx, s.ID)
		if err != nil {
			return nil, err
		}
		if first == 0 {
			never[s.ID] = true
		}
	}
	return never, nil
}
