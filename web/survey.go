package web

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"vigil/config"
	"vigil/survey"
)

// surveyAPI serves the camera survey. A survey of a province takes minutes (a window per camera, a few
// cameras at a time), longer than a request should be held open, so POST starts one in the background
// and answers 202; its results reach the store camera by camera, and GET .../latest shows them. One runs
// at a time: two would read the same cameras twice at once and skew each other's bitrates.
type surveyAPI struct {
	h *handlers

	mu      sync.Mutex
	running *surveyProgress // nil when no survey runs
}

// surveyProgress is the survey running now, as GET .../latest shows it.
type surveyProgress struct {
	RunID   int64   `json:"run_id"`
	Scope   string  `json:"scope"` // "" every camera | facility:ID | camera:ID
	Started apiTime `json:"started"`
	Cameras int     `json:"cameras"`
	Done    int     `json:"done"`
}

func (h *handlers) newSurveyAPI() *surveyAPI { return &surveyAPI{h: h} }

// start runs a survey of every camera, or of ?facility=ID or ?camera=ID, disabled cameras included.
func (sv *surveyAPI) start(c echo.Context) error {
	h := sv.h
	if h.Store == nil {
		return apiError(http.StatusServiceUnavailable, "the survey needs the index, which this server has not opened")
	}
	facility, camera := c.QueryParam("facility"), c.QueryParam("camera")
	cams, err := survey.Select(h.Config, facility, camera)
	if err != nil {
		return apiError(http.StatusNotFound, "%v", err)
	}
	sv.mu.Lock()
	defer sv.mu.Unlock()
	if p := sv.running; p != nil {
		return apiError(http.StatusConflict, "a survey is already running (run %d, %d of %d cameras done); try again when it ends",
			p.RunID, p.Done, p.Cameras)
	}
	scope := survey.Scope(facility, camera)
	run, err := survey.StartRun(c.Request().Context(), h.Store, scope, principal(c).Actor(), h.Config.Survey.Duration, h.Config.Survey.Minimum)
	if err != nil {
		return err
	}
	started := time.Now()
	sv.running = &surveyProgress{RunID: run.ID, Scope: scope, Started: h.apiTime(started), Cameras: len(cams)}
	go sv.run(cams, run)
	// A survey reads every camera's picture, though it shows none: who asked for it belongs in the audit log.
	h.audit(c, auditEvent{action: "survey", camera: camera, detail: fmt.Sprintf("scope %s, %d cameras", scope, len(cams))})
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/survey/latest")
	return c.JSON(http.StatusAccepted, map[string]any{
		"run_id": run.ID, "scope": scope, "cameras": len(cams), "status": "running",
	})
}

// run surveys cams and records each result as it comes. It is not tied to the request, which has been
// answered, and needs no cancelling: every reading ends within its window and the cameras' read timeouts.
func (sv *surveyAPI) run(cams []config.Camera, run *survey.StoredRun) {
	ctx := context.Background()
	log := sv.h.log.With("component", "survey", "run", run.ID)
	opt := survey.OptionsFrom(sv.h.Config.Survey)
	opt.Log = log
	opt.OnResult = func(r survey.Result) {
		if err := run.Add(ctx, r); err != nil {
			log.Error("survey result not recorded", "camera", r.CameraID, "err", err)
		}
		sv.mu.Lock()
		sv.running.Done++
		sv.mu.Unlock()
	}
	survey.Run(ctx, cams, opt)
	if err := run.Finish(ctx); err != nil {
		log.Error("survey end not recorded", "err", err)
	}
	sv.mu.Lock()
	sv.running = nil
	sv.mu.Unlock()
	log.Info("survey done", "cameras", len(cams))
}

// latestAnswer is what GET /api/v1/survey/latest answers: the survey running now, if any, and the report
// of every configured camera's latest result, if any camera has been surveyed.
type latestAnswer struct {
	Running *surveyProgress `json:"running"`
	Report  *survey.Report  `json:"report"`
}

func (sv *surveyAPI) latest(c echo.Context) error {
	// Progress first, then the report: an answer that says nothing runs must hold every result of the
	// survey that just ended (read the other way round, a survey ending in between looked finished with
	// its old results).
	sv.mu.Lock()
	var running *surveyProgress
	if sv.running != nil {
		p := *sv.running
		running = &p
	}
	sv.mu.Unlock()
	rep, err := sv.report(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, latestAnswer{Running: running, Report: rep})
}

func (sv *surveyAPI) reportCSV(c echo.Context) error {
	return sv.download(c, ".csv", "text/csv; charset=utf-8", (*survey.Report).WriteCSV)
}

func (sv *surveyAPI) reportXLSX(c echo.Context) error {
	return sv.download(c, ".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (*survey.Report).WriteXLSX)
}

// download sends the latest report as a file. It is built in memory first, so a failure is still an
// error answer rather than a truncated file.
func (sv *surveyAPI) download(c echo.Context, ext, contentType string, write func(*survey.Report, io.Writer) error) error {
	rep, err := sv.report(c.Request().Context())
	if err != nil {
		return err
	}
	if rep == nil {
		return apiError(http.StatusNotFound, "no camera has been surveyed yet: POST /api/v1/survey first")
	}
	var buf bytes.Buffer
	if err := write(rep, &buf); err != nil {
		return err
	}
	name := fmt.Sprintf("khao-sat-camera_%s%s", time.Time(rep.To).Format("2006-01-02"), ext)
	c.Response().Header().Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s"`, name))
	return c.Blob(http.StatusOK, contentType, buf.Bytes())
}

// report builds the report of the configured cameras' latest results, assessed against the minimum in
// force now; nil when none of them has been surveyed. Results of cameras no longer configured are left
// out.
func (sv *surveyAPI) report(ctx context.Context) (*survey.Report, error) {
	h := sv.h
	if h.Store == nil {
		return nil, nil
	}
	all, err := survey.Latest(ctx, h.Store)
	if err != nil {
		return nil, err
	}
	configured := map[string]bool{}
	for _, cam := range h.Config.Cameras {
		configured[cam.ID] = true
	}
	var results []survey.Result
	for _, r := range all {
		if configured[r.CameraID] {
			results = append(results, r)
		}
	}
	if len(results) == 0 {
		return nil, nil
	}
	return survey.BuildReport(results, sv.withRegistryNames(ctx), time.Now(), h.loc), nil
}

// withRegistryNames is the configuration with the facilities' names as the registry has them now: the
// config only seeds the registry, and names edited in the UI live in the store. The config's order is
// kept, facilities only the store knows come after it.
func (sv *surveyAPI) withRegistryNames(ctx context.Context) *config.Config {
	h := sv.h
	stored, err := h.Store.Facilities(ctx)
	if err != nil {
		h.log.Warn("survey report: facility names from the configuration only", "err", err)
		return h.Config
	}
	names := map[string]string{}
	for _, f := range stored {
		names[f.ID] = f.Name
	}
	cfg := *h.Config
	cfg.Facilities = nil
	for _, f := range h.Config.Facilities {
		if n := names[f.ID]; n != "" {
			f.Name = n
		}
		delete(names, f.ID)
		cfg.Facilities = append(cfg.Facilities, f)
	}
	for _, f := range stored {
		if _, left := names[f.ID]; left {
			cfg.Facilities = append(cfg.Facilities, config.Facility{ID: f.ID, Name: f.Name})
		}
	}
	return &cfg
}
