package web

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"vigil/auth"
	"vigil/media"
	"vigil/playback"
	"vigil/recorder"
)

// liveSubDir is the folder of a camera's live HLS that serves its substream. gohlslib's file names
// (index.m3u8, <stream>_stream.m3u8, <prefix>_<stream>_init.mp4, …_seg<n>.mp4, …_part<n>.mp4) never
// hold a slash, so no file of the main stream's can be taken for it.
const liveSubDir = "sub/"

// liveViewGap is how long a principal can stop fetching a camera's live playlists and still be in the
// same view: a player reloads them every second or faster while it plays.
const liveViewGap = time.Minute

// liveViews remembers when each principal last fetched each camera's live playlists, so a view is audited
// once, when it starts, whichever playlist the player asks for first.
type liveViews struct {
	mu   sync.Mutex
	last map[string]time.Time
}

// starts records a playlist fetch and tells whether it begins a view.
func (v *liveViews) starts(p *auth.Principal, camera string, q media.Quality, now time.Time) bool {
	key := string(p.Kind) + "\x00" + p.Name + "\x00" + camera + "\x00" + string(q)
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.last == nil {
		v.last = map[string]time.Time{}
	}
	prev, seen := v.last[key]
	v.last[key] = now
	if len(v.last) > 10000 {
		for k, t := range v.last {
			if now.Sub(t) > liveViewGap {
				delete(v.last, k)
			}
		}
	}
	return !seen || now.Sub(prev) > liveViewGap
}

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
	hasSub := cam.Substream != nil
	if media.Quality(asked) == media.Substream && quality == media.MainStream && hasSub {
		q := c.Request().URL.Query()
		q.Del("quality")
		return c.Redirect(http.StatusFound, liveSubDir+(&url.URL{Path: file, RawQuery: q.Encode()}).String())
	}
	if !hasSub {
		quality = media.MainStream // one muxer for both places
	}
	err = h.serveLive(c, id, quality, file)
	served := err == nil && c.Response().Status < http.StatusBadRequest
	if served && strings.HasSuffix(file, ".m3u8") && h.views.starts(principal(c), id, quality, time.Now()) {
		h.audit(c, auditEvent{action: "live", camera: id, detail: "quality " + string(quality)})
	}
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

// serveLive hands the request to the camera's muxer. A playlist fetched with a signed link is rewritten so
// every URI in it carries the link: a player without a cookie could not fetch the next file otherwise.
func (h *handlers) serveLive(c echo.Context, id string, quality media.Quality, file string) error {
	suffix := h.passLink(c)
	if suffix == "" || !strings.HasSuffix(file, ".m3u8") {
		return h.live.Handle(id, quality, c.Response(), c.Request())
	}
	rec := &bufferedResponse{header: http.Header{}, code: http.StatusOK}
	if err := h.live.Handle(id, quality, rec, c.Request()); err != nil {
		return err
	}
	body := setOnURIs(rec.body.String(), linkParam, c.QueryParam(linkParam))
	hdr := c.Response().Header()
	for k, v := range rec.header {
		hdr[k] = v
	}
	hdr.Set(echo.HeaderContentLength, strconv.Itoa(len(body)))
	c.Response().WriteHeader(rec.code)
	_, err := io.WriteString(c.Response(), body)
	return err
}

var uriAttribute = regexp.MustCompile(`URI="([^"]*)"`)

// setOnURIs sets the query parameter name=value on every URI of an HLS playlist: the lines that name
// a file, and the URI="…" attributes of tags (EXT-X-MAP, EXT-X-PART, EXT-X-PRELOAD-HINT, EXT-X-MEDIA,
// EXT-X-RENDITION-REPORT). A URI that carries the parameter already (the muxer copies the request's query
// into some) gets it replaced, not repeated.
func setOnURIs(playlist, name, value string) string {
	with := func(uri string) string {
		u, err := url.Parse(uri)
		if err != nil {
			return uri
		}
		q := u.Query()
		q.Set(name, value)
		u.RawQuery = q.Encode()
		return u.String()
	}
	lines := strings.Split(playlist, "\n")
	for i, line := range lines {
		switch {
		case strings.HasPrefix(line, "#"):
			lines[i] = uriAttribute.ReplaceAllStringFunc(line, func(m string) string {
				return `URI="` + with(m[len(`URI="`):len(m)-1]) + `"`
			})
		case strings.TrimSpace(line) != "":
			lines[i] = with(strings.TrimRight(line, "\r"))
		}
	}
	return strings.Join(lines, "\n")
}

// bufferedResponse holds a muxer's answer so it can be rewritten before it is sent.
type bufferedResponse struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header         { return b.header }
func (b *bufferedResponse) Write(p []byte) (int, error) { return b.body.Write(p) }
func (b *bufferedResponse) WriteHeader(code int)        { b.code = code }
