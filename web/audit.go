package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"vigil/config"
	"vigil/registry"
	"vigil/store"
)

// auditEvent is what a handler says about one audited action; audit adds who, from where and when.
type auditEvent struct {
	action     string
	actor      string // only for sign-ins refused before anyone is known: the name tried
	camera     string
	start, end time.Time
	bytes      int64
	detail     string
	outcome    string // ok (default) | refused | locked | partial
}

// audit writes one event to the audit log. A failure to write is logged as an error but does not fail the
// request: the footage was already sent, and an audit log that could block every view would be a way to
// take monitoring down.
func (h *handlers) audit(c echo.Context, ev auditEvent) {
	e := &store.AuditEvent{Address: c.RealIP(), Action: ev.action, Camera: ev.camera,
		Bytes: ev.bytes, Detail: truncate(ev.detail, 500), Outcome: ev.outcome, ActorKind: "anonymous", Actor: ev.actor}
	if p := principal(c); p != nil {
		e.Actor, e.ActorKind, e.Role = p.Name, string(p.Kind), string(p.Role)
	}
	if !ev.start.IsZero() {
		e.Start, e.End = ev.start.UnixNano(), ev.end.UnixNano()
	}
	if ev.camera != "" {
		if s, ok := h.Recorder.Camera(ev.camera); ok {
			e.Facility = s.Facility
		}
	}
	h.appendAudit(c.Request().Context(), e)
}

func (h *handlers) appendAudit(ctx context.Context, e *store.AuditEvent) {
	// The request may be gone (a viewer closing the tab mid-export); the event must still be written.
	if err := h.Store.AppendAudit(context.WithoutCancel(ctx), e); err != nil {
		h.log.Error("audit event not written", "action", e.Action, "actor", e.Actor, "camera", e.Camera, "err", err)
	}
}

// auditView is one event as the API writes it.
type auditView struct {
	ID        int64    `json:"id"`
	At        apiTime  `json:"at"`
	Actor     string   `json:"actor"`
	ActorKind string   `json:"actor_kind"`
	Role      string   `json:"role"`
	Address   string   `json:"address"`
	Action    string   `json:"action"`
	Camera    string   `json:"camera"`
	Facility  string   `json:"facility"`
	Start     *apiTime `json:"start,omitempty"`
	End       *apiTime `json:"end,omitempty"`
	Bytes     int64    `json:"bytes"`
	Detail    string   `json:"detail"`
	Outcome   string   `json:"outcome"`
}

func (h *handlers) auditView(e store.AuditEvent) auditView {
	return auditView{ID: e.ID, At: h.apiTime(time.Unix(0, e.At)), Actor: e.Actor, ActorKind: e.ActorKind, Role: e.Role,
		Address: e.Address, Action: e.Action, Camera: e.Camera, Facility: e.Facility, Start: h.optionalTime(e.Start),
		End: h.optionalTime(e.End), Bytes: e.Bytes, Detail: e.Detail, Outcome: e.Outcome}
}

const (
	defaultAuditPage = 100
	maxAuditPage     = 1000
)

// auditFilter reads the list's filters: from, to (RFC 3339), actor, camera, action, before (an id), limit.
func (h *handlers) auditFilter(c echo.Context, limit int) (store.AuditFilter, error) {
	f := store.AuditFilter{Actor: c.QueryParam("actor"), Camera: c.QueryParam("camera"), Action: c.QueryParam("action"), Limit: limit}
	for _, p := range []struct {
		name string
		dst  *int64
	}{{"from", &f.From}, {"to", &f.To}} {
		if c.QueryParam(p.name) == "" {
			continue
		}
		t, err := h.parseTimeParam(c, p.name)
		if err != nil {
			return f, err
		}
		*p.dst = t.UnixNano()
	}
	for _, p := range []struct {
		name string
		dst  *int
		max  int
	}{{"limit", &f.Limit, maxAuditPage}} {
		if v := c.QueryParam(p.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > p.max {
				return f, apiError(http.StatusBadRequest, "%s must be a whole number from 1 to %d, got %q", p.name, p.max, v)
			}
			*p.dst = n
		}
	}
	if v := c.QueryParam("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return f, apiError(http.StatusBadRequest, "before must be an event id, got %q", v)
		}
		f.Before = n
	}
	return f, nil
}

func (h *handlers) auditList(c echo.Context) error {
	f, err := h.auditFilter(c, defaultAuditPage)
	if err != nil {
		return err
	}
	events, err := h.Store.AuditEvents(c.Request().Context(), f)
	if err != nil {
		return err
	}
	out := make([]auditView, len(events))
	for i, e := range events {
		out[i] = h.auditView(e)
	}
	var next *int64
	if len(events) == f.Limit {
		id := events[len(events)-1].ID
		next = &id
	}
	return c.JSON(http.StatusOK, map[string]any{"events": out, "next_before": next})
}

// auditExportCSV writes every event the filters select (no paging), UTF-8 with a BOM for Excel.
func (h *handlers) auditExportCSV(c echo.Context) error {
	f, err := h.auditFilter(c, 0)
	if err != nil {
		return err
	}
	events, err := h.Store.AuditEvents(c.Request().Context(), f)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	buf.WriteString("\uFEFF")
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	w.Write([]string{"id", "at", "actor", "actor_kind", "role", "address", "action", "camera", "facility", "start", "end", "bytes", "detail", "outcome"})
	for _, e := range events {
		v := h.auditView(e)
		row := []string{strconv.FormatInt(e.ID, 10), timeCell(&v.At), v.Actor, v.ActorKind, v.Role, v.Address, v.Action, v.Camera,
			v.Facility, timeCell(v.Start), timeCell(v.End), strconv.FormatInt(v.Bytes, 10), v.Detail, v.Outcome}
		for i := range row {
			// Names typed at the login form end up here: keep them from running as spreadsheet formulas.
			row[i] = registry.EscapeCSVCell(row[i])
		}
		w.Write(row)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	h.audit(c, auditEvent{action: "audit.export", detail: fmt.Sprintf("%d events", len(events))})
	name := "audit_" + time.Now().In(h.loc).Format("2006-01-02_15-04") + ".csv"
	c.Response().Header().Set(echo.HeaderContentDisposition, fmt.Sprintf("attachment; filename=%q", name))
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, csvType, buf.Bytes())
}

func timeCell(t *apiTime) string {
	if t == nil {
		return ""
	}
	return time.Time(*t).Format(time.RFC3339)
}

// systemActor is the actor of the events vigil writes by itself.
const systemActor = "vigil"

// housekeepEvery is how often ended sessions and audit events past audit.retention are deleted.
const housekeepEvery = time.Hour

// housekeep deletes what has expired, now and every housekeepEvery until ctx is done.
func (s *Server) housekeep(ctx context.Context) {
	t := time.NewTicker(housekeepEvery)
	defer t.Stop()
	for {
		if _, err := s.Auth.PruneSessions(ctx); err != nil && ctx.Err() == nil {
			s.logger().Warn("ended sessions not pruned", "err", err)
		}
		before := time.Now().Add(-s.Config.Audit.Retention).UnixNano()
		if n, err := s.Store.PruneAudit(ctx, before); err != nil && ctx.Err() == nil {
			s.logger().Warn("old audit events not pruned", "err", err)
		} else if n > 0 {
			s.logger().Info("audit events past retention deleted", "events", n, "retention", s.Config.Audit.Retention)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// AuditConfig writes a config.change event when the configuration differs from the one the last start
// recorded (its SHA-256): the config file is edited outside vigil, so a start is where a change shows.
func AuditConfig(ctx context.Context, st *store.Store, cfg *config.Config, data []byte) error {
	sum := sha256.Sum256(data)
	digest := hex.EncodeToString(sum[:8])
	last, err := st.AuditEvents(ctx, store.AuditFilter{Action: "config.change", Limit: 1})
	if err != nil {
		return err
	}
	if len(last) == 1 && strings.HasPrefix(last[0].Detail, "sha256:"+digest) {
		return nil
	}
	detail := fmt.Sprintf("sha256:%s %s: %d cameras, %d facilities", digest, cfg.File, len(cfg.Cameras), len(cfg.Facilities))
	return st.AppendAudit(ctx, &store.AuditEvent{Actor: systemActor, ActorKind: "system", Action: "config.change", Detail: detail})
}
