package web

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"vigil/recorder"
	"vigil/store"
)

// healthAnswer is what monitoring polls. It is 200 whenever vigil can record, "degraded" meaning some
// camera is down: that is the cameras' problem, not a reason for a supervisor to restart vigil.
type healthAnswer struct {
	Status        string       `json:"status"` // ok | degraded | down
	Version       string       `json:"version"`
	UptimeSeconds int64        `json:"uptime_seconds"`
	Cameras       cameraCounts `json:"cameras"`
	Database      string       `json:"database"` // ok | error
}

type cameraCounts struct {
	Total      int `json:"total"`
	Online     int `json:"online"`
	Offline    int `json:"offline"`
	Connecting int `json:"connecting"`
	Disabled   int `json:"disabled"`
}

// databaseCheckTimeout bounds the health query: a database that takes longer is as good as broken for a
// recorder that flushes its index every second.
const databaseCheckTimeout = 2 * time.Second

func (h *handlers) health(c echo.Context) error {
	counts, degraded := countCameras(h.Recorder.Cameras())
	a := healthAnswer{
		Status:        "ok",
		Version:       h.Version,
		UptimeSeconds: int64(time.Since(h.Recorder.Started()).Seconds()),
		Cameras:       counts,
		Database:      "ok",
	}
	if degraded {
		a.Status = "degraded"
	}
	code := http.StatusOK
	if err := h.checkDatabase(c.Request().Context()); err != nil {
		h.log.Error("health: database check failed", "err", err)
		// Without its index vigil records nothing retrievable: that is down, and a 503 tells a load
		// balancer or supervisor so.
		a.Status, a.Database, code = "down", "error", http.StatusServiceUnavailable
	}
	return c.JSON(code, a)
}

// countCameras tallies the cameras by state; degraded is true when an enabled camera is offline.
func countCameras(cams []recorder.CameraStatus) (counts cameraCounts, degraded bool) {
	counts.Total = len(cams)
	for _, cam := range cams {
		switch cam.State {
		case store.StateOnline:
			counts.Online++
		case store.StateOffline:
			counts.Offline++
			degraded = degraded || cam.Enabled
		case store.StateConnecting:
			counts.Connecting++
		case recorder.StateDisabled:
			counts.Disabled++
		}
	}
	return counts, degraded
}

// checkDatabase runs one cheap read so the answer says whether the index can be queried at all.
func (h *handlers) checkDatabase(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, databaseCheckTimeout)
	defer cancel()
	_, err := h.Store.TotalBytes(ctx)
	return err
}

// settingsAnswer is what the UI needs to know of the server before it draws anything.
type settingsAnswer struct {
	Version string `json:"version"`
	// TimeZone is the IANA name every time on screen is shown in (config `time_zone`).
	TimeZone string `json:"time_zone"`
	// SegmentSeconds is how long a recorded file is; the UI uses it to size its playback windows.
	SegmentSeconds int64 `json:"segment_seconds"`
}

func (h *handlers) settings(c echo.Context) error {
	a := settingsAnswer{Version: h.Version, TimeZone: h.loc.String()}
	if h.Config != nil {
		a.SegmentSeconds = int64(h.Config.Storage.SegmentDuration.Seconds())
	}
	return c.JSON(http.StatusOK, a)
}
