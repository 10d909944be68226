package web

import (
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"vigil/playback"
	"vigil/recorder"
)

// liveHLS serves a camera's low-latency HLS: /live/{id}/index.m3u8 and the files it names.
func (h *handlers) liveHLS(c echo.Context) error {
	id := c.Param("id")
	if _, err := h.lookupCamera(id); err != nil {
		return err
	}
	h.audit(c, "live", id, time.Time{}, time.Time{})
	err := h.live.Handle(id, c.Response(), c.Request())
	switch {
	case errors.Is(err, recorder.ErrNotLive):
		return apiError(http.StatusServiceUnavailable, "camera %q is not online", id)
	case errors.Is(err, playback.ErrLiveNotReady):
		return apiError(http.StatusServiceUnavailable, "camera %q: %v", id, err)
	}
	return err
}
