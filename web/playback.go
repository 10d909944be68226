package web

import (
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"vigil/auth"
	"vigil/playback"
	"vigil/store"
)

// maxPlaylistRange bounds one playlist: a day is about 86,400 fragments, a 10 MB playlist; a player
// that wants more asks for the next day.
var maxPlaylistRange = rangeLimit{24 * time.Hour, "24 hours"}

// recordingsPrefix is where the segment files are served from; playlists point into it.
const recordingsPrefix = "/recordings/"

// playlist answers an HLS VOD playlist over what camera recorded in [start, end).
func (h *handlers) playlist(c echo.Context) error {
	q, err := h.queryRange(c, maxPlaylistRange, true)
	if err != nil {
		return err
	}
	suffix := h.passLink(c)
	uri := func(s *store.Segment) string { return recordingsPrefix + filepath.ToSlash(s.Path) + suffix }
	body, err := playback.Playlist(q.segs, q.t0, q.t1, uri, h.loc)
	if errors.Is(err, playback.ErrNoFootage) {
		return noFootage(q)
	}
	if err != nil {
		return err
	}
	h.audit(c, auditEvent{action: "playback", camera: q.camera, start: q.t0, end: q.t1})
	// A range that reaches the segment being written grows; never let a cache keep an old one.
	c.Response().Header().Set("Cache-Control", "no-cache")
	return c.Blob(http.StatusOK, "application/vnd.apple.mpegurl", body)
}

// recordingFile serves a segment file, with Range, ETag and Last-Modified, straight from the disk: the
// bytes the playlist's ranges point at. Only files the index knows are served, so no path outside the
// recordings can be named.
func (h *handlers) recordingFile(c echo.Context) error {
	rel := c.Param("*")
	if rel == "" || path.Clean(rel) != rel || strings.HasPrefix(rel, "/") || strings.Contains(rel, "..") {
		return apiError(http.StatusBadRequest, "invalid recording path")
	}
	// The fragment map is read only for a principal whose footage window must be checked byte by byte.
	windowed := !principal(c).FootageWindow(h.cameraFacility(cameraOfPath(rel))).Open()
	seg, err := h.Store.SegmentByPath(c.Request().Context(), filepath.FromSlash(rel), windowed)
	if errors.Is(err, sql.ErrNoRows) {
		return apiError(http.StatusNotFound, "no recording %q", rel)
	}
	if err != nil {
		return err
	}
	if err := h.mayRecording(c, seg); err != nil {
		return err
	}
	f, err := os.Open(filepath.Join(h.Config.Storage.Path, seg.Path))
	if errors.Is(err, os.ErrNotExist) {
		return apiError(http.StatusNotFound, "recording %q is gone (deleted by retention)", rel)
	}
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	hdr := c.Response().Header()
	hdr.Set(echo.HeaderContentType, "video/mp4")
	// Size and modification time together change whenever the file does, even while it is being written.
	hdr.Set("ETag", fmt.Sprintf(`"%x-%x"`, st.Size(), st.ModTime().UnixNano()))
	if seg.Writing {
		hdr.Set("Cache-Control", "no-cache")
	} else {
		hdr.Set("Cache-Control", "private, max-age=86400")
	}
	http.ServeContent(sendfileWriter{c.Response()}, c.Request(), path.Base(rel), st.ModTime(), f)
	return nil
}

// mayRecording checks a segment file against the principal: its camera's facility, and the footage window.
// A signed link names one camera: it opens that camera's files only.
func (h *handlers) mayRecording(c echo.Context, seg *store.Segment) error {
	if err := h.mayCamera(c, principal(c), auth.Playback, seg.CameraID); err != nil {
		return err
	}
	if linked, _ := c.Get(linkKey).(string); linked != "" && linked != seg.CameraID {
		return apiError(http.StatusForbidden, "this link is for camera %q", linked)
	}
	w := principal(c).FootageWindow(h.cameraFacility(seg.CameraID))
	if w.Open() || rangeInside(c.Request().Header.Get("Range"), seg, w) {
		return nil
	}
	return apiError(http.StatusForbidden, "this part of the recording lies outside the footage you may see")
}

// rangeInside tells whether a byte range of a segment file holds only footage of the window: the init, or
// fragments wholly inside it (what the playlists of a windowed principal list). No Range header asks for
// the whole file, which must then lie inside.
func rangeInside(header string, seg *store.Segment, w auth.Window) bool {
	inside := func(start, end int64) bool {
		return (w.From.IsZero() || start >= w.From.UnixNano()) && (w.Until.IsZero() || end <= w.Until.UnixNano())
	}
	if header == "" {
		return inside(seg.Start, seg.End)
	}
	first, last, ok := singleByteRange(header)
	if !ok {
		return false
	}
	if last < seg.InitSize {
		return true
	}
	for _, f := range seg.Fragments {
		if first >= f.Offset && last < f.Offset+f.Size {
			return inside(f.Start, f.End())
		}
	}
	return false
}

// singleByteRange reads "bytes=first-last" (one range, both ends given), as HLS players send.
func singleByteRange(header string) (first, last int64, ok bool) {
	spec, found := strings.CutPrefix(header, "bytes=")
	a, b, dash := strings.Cut(spec, "-")
	if !found || !dash || strings.Contains(spec, ",") {
		return 0, 0, false
	}
	first, err1 := strconv.ParseInt(strings.TrimSpace(a), 10, 64)
	last, err2 := strconv.ParseInt(strings.TrimSpace(b), 10, 64)
	return first, last, err1 == nil && err2 == nil && first >= 0 && last >= first
}

// cameraOfPath is the camera a recording's path belongs to: its first folder.
func cameraOfPath(rel string) string {
	first, _, _ := strings.Cut(rel, "/")
	return first
}

// passLink is what a playlist served to a signed link appends to the URIs it lists, so the player's next
// requests carry the same link (never a renewed one: a link ends at its expiry however much it is used);
// "" for a request with a session or token, which the player sends again by itself.
func (h *handlers) passLink(c echo.Context) string {
	if linked, _ := c.Get(linkKey).(string); linked == "" {
		return ""
	}
	return "?" + url.Values{linkParam: {c.QueryParam(linkParam)}}.Encode()
}

func (h *handlers) cameraFacility(camera string) string {
	s, _ := h.Recorder.Camera(camera)
	return s.Facility
}

// sendfileWriter lets http.ServeContent reach net/http's sendfile path (the file's bytes go from the page
// cache to the socket without passing through vigil) through Echo's response, which has no ReadFrom.
type sendfileWriter struct{ *echo.Response }

func (w sendfileWriter) ReadFrom(r io.Reader) (int64, error) {
	if !w.Committed {
		w.WriteHeader(http.StatusOK)
	}
	rf, ok := w.Writer.(io.ReaderFrom)
	if !ok {
		return io.Copy(w.Response, r)
	}
	n, err := rf.ReadFrom(r)
	w.Size += n
	return n, err
}
