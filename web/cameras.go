package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"vigil/auth"
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

// cameras lists the cameras the principal may watch or play back.
func (h *handlers) cameras(c echo.Context) error {
	p := principal(c)
	views := []cameraView{}
	for _, s := range h.Recorder.Cameras() {
		if seesCamera(p, s.Facility) {
			views = append(views, h.cameraViewFor(p, s))
		}
	}
	h.placeCameras(c.Request().Context(), views)
	return c.JSON(http.StatusOK, map[string]any{"cameras": views})
}

func (h *handlers) camera(c echo.Context) error {
	p := principal(c)
	s, err := h.lookupCamera(c.Param("id"))
	if err != nil {
		return err
	}
	if !seesCamera(p, s.Facility) {
		return apiError(http.StatusForbidden, "you have no access to camera %q (facility %s)", s.ID, s.Facility)
	}
	views := []cameraView{h.cameraViewFor(p, s)}
	h.placeCameras(c.Request().Context(), views)
	return c.JSON(http.StatusOK, views[0])
}

// seesCamera: a camera is listed to whoever may watch it live or play back its footage.
func seesCamera(p *auth.Principal, facility string) bool {
	return p.CanAt(auth.Live, facility) || p.CanAt(auth.Playback, facility)
}

// cameraViewFor leaves the camera's address (redacted, but naming a facility's network) to those who
// manage the registry.
func (h *handlers) cameraViewFor(p *auth.Principal, s recorder.CameraStatus) cameraView {
	if !p.Can(auth.RegistryWrite) {
		s.URL = ""
		if s.Substream != nil {
			sub := *s.Substream // a copy: the status is the recorder's
			sub.URL = ""
			s.Substream = &sub
		}
	}
	return h.cameraView(s)
}

// lookupCamera finds a configured camera or returns the 404 every camera route answers with.
func (h *handlers) lookupCamera(id string) (recorder.CameraStatus, error) {
	s, ok := h.Recorder.Camera(id)
	if !ok {
		return s, apiError(http.StatusNotFound, "camera %q not found", id)
	}
	return s, nil
}
