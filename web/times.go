package web

import (
	"time"

	"vigil/playback"
)

// apiTime is a time.Time written the way the whole API writes times (playback.TimeFormat), in whatever
// location it carries; handlers convert to the configured zone so users read their local time.
type apiTime time.Time

func (t apiTime) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, len(playback.TimeFormat)+2)
	b = append(b, '"')
	b = time.Time(t).AppendFormat(b, playback.TimeFormat)
	return append(b, '"'), nil
}

func (h *handlers) apiTime(t time.Time) apiTime { return apiTime(t.In(h.loc)) }
