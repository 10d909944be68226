package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"vigil/media"
	"vigil/playback"
	"vigil/recorder"
)

// liveSubDir is the folder of a camera's live HLS that serves its substream. gohlslib's file names
// (index.m3u8, <stream>_stream.m3u8, <prefix>_<stream>_init.mp4, …_seg<n>.mp4, …_part<n>.mp4) never
// hold a slash, so no file of the main stream's can be taken for it.
const liveSubDir = "sub/"

// liveHLS serves a camera's low-latency HLS: /live/{id}/index.m3u8 and the files it names from its main
// stream, /live/{id}/sub/index.m3u8 and the files it names from its substream. A player asks for the grid's
// quality with index.m3u8?quality=sub, which redirects to sub/index.m3u8: players resolve a playlist's
// URIs against the playlist's own URL without its query, so the quality must be in the path. A camera
// without a substream serves its main stream at both places (and does not redirect).
func (h *handlers) liveHLS(c echo.Context) error {
	id := c.Param("id")
	cam, err := h.lookupCamera(id)
	if err != nil {
		return err
	}
	file := c.Param("*")
	quality := media.MainStream
	if rest, ok := strings.CutPrefix(file, liveSubDir); ok {
		file, quality = rest, media.Substream
	}
	if file == "" || strings.Contains(file, "/") {
		return apiError(http.StatusNotFound, "no such live file: %s", c.Param("*"))
	}
	asked := c.QueryParam("quality")
	switch media.Quality(asked) {
	case "", media.MainStream, media.Substream:
	default:
		return apiError(http.StatusBadRequest, `quality must be "main" or "sub", not %q`, asked)
	}
	h.audit(c, "live", id, time.Time{}, time.Time{})
	hasSub := cam.Substream != nil
	if media.Quality(asked) == media.Substream && quality == media.MainStream && hasSub {
		q := c.Request().URL.Query()
		q.Del("quality")
		return c.Redirect(http.StatusFound, liveSubDir+(&url.URL{Path: file, RawQuery: q.Encode()}).String())
	}
	if !hasSub {
		quality = media.MainStream // one muxer for both places
	}
	err = h.live.Handle(id, quality, c.Response(), c.Request())
	switch {
	case errors.Is(err, recorder.ErrNotLive):
		return apiError(http.StatusServiceUnavailable, "camera %q is not online", id)
	case errors.Is(err, recorder.ErrSubstreamDown):
		return apiError(http.StatusServiceUnavailable, "camera %q: %v", id, err)
	case errors.Is(err, playback.ErrLiveNotReady):
		return apiError(http.StatusServiceUnavailable, "camera %q: %v", id, err)
	}
	return err
}
