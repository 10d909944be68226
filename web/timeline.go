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
	id := c.Param("id")
	if _, err := h.lookupCamera(id); err != nil {
		return err
	}
	t0, t1, err := h.parseRange(c, maxRecordingsRange)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	segs, err := h.Store.SegmentsOverlapping(ctx, id, t0.UnixNano(), t1.UnixNano(), false)
	if err != nil {
		return err
	}
	events, err := h.Store.Events(ctx, id, t0.UnixNano(), t1.UnixNano())
	if err != nil {
		return err
	}
	spans, gaps := playback.Spans(segs, t0, t1, playback.MergeTolerance)
	outages := playback.Outages(events, t0, t1)
	if outages == nil {
		outages = []playback.Outage{}
	}
	return c.JSON(http.StatusOK, timelineAnswer{
		recordingsAnswer: recordingsAnswer{Camera: id, Start: apiTime(t0), End: apiTime(t1),
			Spans: nonNil(spans), Gaps: nonNil(gaps)},
		Outages: outages,
	})
}
