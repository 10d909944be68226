package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"vigil/playback"
)

type timelineAnswer struct {
	recordingsAnswer
	Outages []playback.Outage `json:"outages"`
}

// timeline answers what the timeline under the player draws for [start, end): recorded spans, gaps, and
// the periods the camera was not online with their reasons. It is answered from the store alone.
func (h *handlers) timeline(c echo.Context) error {
	q, err := h.queryRange(c, maxRecordingsRange, false)
	if err != nil {
		return err
	}
	events, err := h.Store.Events(c.Request().Context(), q.camera, q.t0.UnixNano(), q.t1.UnixNano())
	if err != nil {
		return err
	}
	spans, gaps := playback.Spans(q.segs, q.t0, q.t1, playback.MergeTolerance)
	outages := playback.Outages(events, q.t0, q.t1)
	if outages == nil {
		outages = []playback.Outage{}
	}
	return c.JSON(http.StatusOK, timelineAnswer{
		recordingsAnswer: recordingsAnswer{Camera: q.camera, Start: apiTime(q.t0), End: apiTime(q.t1),
			Spans: nonNil(spans), Gaps: nonNil(gaps)},
		Outages: outages,
	})
}
