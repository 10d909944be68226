package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"vigil/playback"
)

// maxExportRange bounds one export; a longer clip is several files.
var maxExportRange = rangeLimit{24 * time.Hour, "24 hours"}

// exportFileTime names the file after the camera and the local time it starts.
const exportFileTime = "2006-01-02_15-04-05"

// export streams one MP4 of [start, end) as it is built from the recorded bytes: the download starts at
// once and memory stays flat however long the clip. What the file holds is stated in headers:
// X-Vigil-Start/End (it starts at the keyframe at or before start), X-Vigil-Gaps (holes the file's
// timeline skips) and X-Vigil-Truncated-At (where the stream's parameters changed, if they did).
func (h *handlers) export(c echo.Context) error {
	q, err := h.queryRange(c, maxExportRange, true)
	if err != nil {
		return err
	}
	id := q.camera
	plan, err := playback.PlanExport(q.segs, q.t0, q.t1, h.loc)
	if errors.Is(err, playback.ErrNoFootage) {
		return noFootage(q)
	}
	if err != nil {
		return err
	}
	if err := plan.LoadInit(h.Config.Storage.Path, id); err != nil {
		return err
	}

	hdr := c.Response().Header()
	hdr.Set(echo.HeaderContentType, "video/mp4")
	hdr.Set(echo.HeaderContentLength, strconv.FormatInt(plan.Size, 10))
	hdr.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s_%s.mp4"`, id, plan.Start.Format(exportFileTime)))
	hdr.Set("X-Vigil-Start", plan.Start.Format(playback.TimeFormat))
	hdr.Set("X-Vigil-End", plan.End.Format(playback.TimeFormat))
	hdr.Set("X-Vigil-Duration", strconv.FormatFloat(plan.Duration().Seconds(), 'f', 3, 64))
	if len(plan.Gaps) > 0 {
		var gaps []string
		for _, g := range plan.Gaps {
			gaps = append(gaps, g.Start.Format(playback.TimeFormat)+"/"+g.End.Format(playback.TimeFormat))
		}
		hdr.Set("X-Vigil-Gaps", strings.Join(gaps, ", "))
	}
	if !plan.TruncatedAt.IsZero() {
		hdr.Set("X-Vigil-Truncated-At", plan.TruncatedAt.Format(playback.TimeFormat))
	}
	c.Response().WriteHeader(http.StatusOK)
	sent, err := plan.WriteTo(sendfileWriter{c.Response()}, h.Config.Storage.Path)
	ev := auditEvent{action: "export", camera: id, start: plan.Start, end: plan.End, bytes: sent}
	if err != nil {
		// The status is sent: all that is left is to cut the download short, which the client sees as a
		// truncated body against Content-Length, and to say why in the log.
		h.log.Error("export cut short", "camera", id, "err", err)
		ev.outcome, ev.detail = "partial", fmt.Sprintf("%d of %d bytes", sent, plan.Size)
	}
	h.audit(c, ev)
	return nil
}
