package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"vigil/recorder"
)

// cameraView is a CameraStatus with its times in the API's format and zone. The recorder's status
// already carries a redacted URL and redacted errors, so nothing else needs hiding here.
type cameraView struct {
	recorder.CameraStatus
	// These shadow the embedded fields of the same JSON name.
	Since       apiTime  `json:"since"`
	NextAttempt *apiTime `json:"next_attempt,omitempty"`
	// From the config and the facility registry (registry.go).
	Location     string `json:"location,omitempty"`
	FacilityName string `json:"facility_name,omitempty"`
}

func (h *handlers) cameraView(s recorder.CameraStatus) cameraView {
	v := cameraView{CameraStatus: s, Since: h.apiTime(s.Since)}
	if s.NextAttempt != nil {
		next := h.apiTime(*s.NextAttempt)
		v.NextAttempt = &next
	}
	return v
}

func (h *handlers) cameras(c echo.Context) error {
	statuses := h.Recorder.Cameras()
	views := make([]cameraView, len(statuses))
	for i, s := range statuses {
		views[i] = h.cameraView(s)
	}
	h.placeCameras(c.Request().Context(), views)
	return c.JSON(http.StatusOK, map[string]any{"cameras": views})
}

func (h *handlers) camera(c echo.Context) error {
	s, err := h.lookupCamera(c.Param("id"))
	if err != nil {
		return err
	}
	views := []cameraView{h.cameraView(s)}
	h.placeCameras(c.Request().Context(), views)
	return c.JSON(http.StatusOK, views[0])
}

// lookupCamera finds a configured camera or returns the 404 every camera route answers with.
func (h *handlers) lookupCamera(id string) (recorder.CameraStatus, error) {
	s, ok := h.Recorder.Camera(id)
	if !ok {
		return s, apiError(http.StatusNotFound, "camera %q not found", id)
	}
	return s, nil
}
