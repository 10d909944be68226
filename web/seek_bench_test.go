package web

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts"
	tscodecs "github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts/codecs"
	"golang.org/x/sys/unix"

	"vigil/auth"
	"vigil/config"
	"vigil/recorder"
	"vigil/segfile"
	"vigil/simcam"
	"vigil/store"
)

// The archive BenchmarkSeek plays back: 200 cameras × 30 days of contiguous segments in a real store, one
// run per camera, cameras staggered by 3 s. The sampled cameras have a real segment file behind every row:
// a segment written by segfile's fragment writer from simcam's H.264 clip (640x360, 25 fps, 1 s GOPs)
// looped to the segment length, hard-linked under each of the camera's paths (one template per camera,
// because ext4 allows 65,000 links to a file), so every byte range a playlist names is recorded media that
// starts with a moof, and the rows' fragment maps are the template's own, as segfile's scanner reads them,
// moved to the row's start. Only the init's vgil box, which no request reads, names the template rather
// than the row. The other cameras have rows only, except their newest segment (startup recovery drops a
// newest row without a file). The archive takes minutes to build and is kept in the temp folder, one
// folder per version and segment length; delete it to rebuild.
const (
	seekArchiveVersion = "v1"
	seekCameras        = 200
	seekDays           = 30
	seekStagger        = 3 * time.Second
	// seekWindow is the range each playlist asks for, from the random second on.
	seekWindow = time.Hour
	// seekWarmup requests are made, untimed, before each measurement: the first opens the connection.
	seekWarmup = 20
)

// seekSampled are the cameras with real files, the ones the benchmark plays back.
var seekSampled = []int{0, 66, 133, 199}

var seekEpoch = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC).UnixNano()

func seekCameraID(c int) string { return fmt.Sprintf("cam-%03d", c) }

// BenchmarkSeek measures what a seek costs a player, through the real HTTP stack: from the moment it asks
// for the playlist of a random second of a random camera's 30 days (one hour from that second) to the first
// byte of the first media fragment's body, having fetched the playlist, then the init (EXT-X-MAP) and then
// the fragment by their byte ranges, one request after the other on one keep-alive connection, as a
// player does. It reports the percentiles of that time, and the p50 and p99 of the time to the playlist's
// last byte (which a player needs whole before it can ask for anything else).
//
// cache=warm first reads the database and the segment files whole, so everything a seek touches is in the
// page cache; cache=cold evicts them from the page cache (posix_fadvise DONTNEED) before every seek, so
// each seek reads its index pages and media from the disk, as the first seek into a part of the archive
// nobody watched recently does. SQLite's own page cache (2 MB per connection) stays, as it would in a
// running server.
func BenchmarkSeek(b *testing.B) {
	for _, seg := range []struct {
		name string
		dur  time.Duration
	}{{"10m", 10 * time.Minute}, {"1m", time.Minute}} {
		b.Run("segment="+seg.name, func(b *testing.B) {
			a := openSeekArchive(b, seg.dur)
			srv := startSeekServer(b, a)
			for _, cold := range []bool{false, true} {
				name := "cache=warm"
				if cold {
					name = "cache=cold"
				}
				b.Run(name, func(b *testing.B) { benchSeek(b, a, srv, cold) })
			}
		})
	}
}

func benchSeek(b *testing.B, a *seekArchive, srv *seekServer, cold bool) {
	rng := rand.New(rand.NewPCG(1, 2))
	// Any second of the 30 days, keeping clear of the first camera start and of the last segment.
	first := seekEpoch + int64(10*time.Minute)
	span := (int64(seekDays*24*time.Hour) - int64(20*time.Minute)) / int64(time.Second)
	next := func() (string, time.Time) {
		cam := seekCameraID(seekSampled[rng.IntN(len(seekSampled))])
		return cam, time.Unix(0, first+rng.Int64N(span)*int64(time.Second)).UTC()
	}
	for range seekWarmup {
		if _, err := srv.seek(next()); err != nil {
			b.Fatal(err)
		}
	}
	if !cold {
		for _, p := range a.files() {
			if err := readWhole(p); err != nil {
				b.Fatal(err)
			}
		}
	}
	var total, playlist []time.Duration
	var playlistBytes int
	for b.Loop() {
		cam, t := next()
		if cold {
			b.StopTimer()
			for _, p := range a.files() {
				if err := evict(p); err != nil {
					b.Fatal(err)
				}
			}
			b.StartTimer()
		}
		s, err := srv.seek(cam, t)
		if err != nil {
			b.Fatalf("%s at %s: %v", cam, t.Format(time.RFC3339), err)
		}
		total = append(total, s.firstByte)
		playlist = append(playlist, s.playlist)
		playlistBytes = max(playlistBytes, s.playlistBytes)
	}
	slices.Sort(total)
	slices.Sort(playlist)
	ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
	pct := func(p int) time.Duration { return total[min(len(total)-1, len(total)*p/100)] }
	b.ReportMetric(ms(pct(50)), "p50-ms")
	b.ReportMetric(ms(pct(90)), "p90-ms")
	b.ReportMetric(ms(pct(99)), "p99-ms")
	b.ReportMetric(ms(total[len(total)-1]), "max-ms")
	b.ReportMetric(ms(playlist[len(playlist)/2]), "playlist-p50-ms")
	b.ReportMetric(ms(playlist[min(len(playlist)-1, len(playlist)*99/100)]), "playlist-p99-ms")
	b.ReportMetric(float64(playlistBytes)/1000, "playlist-max-KB")
}

// seekTimes are one seek's times, both counted from the start of the playlist request.
type seekTimes struct {
	playlist      time.Duration // to the playlist's last byte
	firstByte     time.Duration // to the first byte of the first fragment's body
	playlistBytes int
}

type seekServer struct {
	base   string
	client *http.Client
	buf    bytes.Buffer // the playlist, reused so that the client's allocations stay out of the figures
}

// startSeekServer serves the archive as vigil serve does: a recorder started on the archive's config (its
// cameras disabled, so it records nothing and only answers camera lookups), web.Server.ListenAndServe on a
// loopback port, and a real HTTP client.
func startSeekServer(b *testing.B, a *seekArchive) *seekServer {
	b.Helper()
	cfg := &config.Config{Storage: config.Storage{Path: a.storage, Database: a.db}}
	for c := range seekCameras {
		cfg.Cameras = append(cfg.Cameras, config.Camera{ID: seekCameraID(c), Facility: "f1", URL: "rtsp://127.0.0.1:1/x"})
	}
	cfg.ApplyDefaults()
	for i := range cfg.Cameras {
		cfg.Cameras[i].Enabled = false
	}
	// Nothing is recorded, and the archive is old: no retention (it would delete the month), no pass
	// during the measurement, no syncfs.
	cfg.Retention.MaxAge, cfg.Retention.Quota, cfg.Retention.Schedule = 0, config.Quota{}, "@every 1000h"
	cfg.Storage.Fsync = "off"
	st, err := store.Open(cfg.Storage.Database)
	if err != nil {
		b.Fatal(err)
	}
	discard := slog.New(slog.DiscardHandler)
	rec := &recorder.Recorder{Config: cfg, Store: st, Log: discard}
	if err := rec.Start(); err != nil {
		st.Close()
		b.Fatal(err)
	}
	srv := &Server{Config: cfg, Store: st, Recorder: rec, Log: discard, Version: "bench"}
	srv.Auth = &auth.Service{Store: st, Config: cfg.Auth}
	token := newToken(b, srv, auth.Admin) // a player signed in, as in the UI: the guard is part of a seek
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan net.Addr, 1)
	served := make(chan error, 1)
	go func() { served <- srv.ListenAndServe(ctx, "127.0.0.1:0", func(a net.Addr) { addr <- a }) }()
	b.Cleanup(func() {
		cancel()
		<-served
		rec.Close()
		st.Close()
	})
	select {
	case ad := <-addr:
		return &seekServer{base: "http://" + ad.String(), client: &http.Client{Transport: bearer{token, &http.Transport{}}}}
	case err := <-served:
		b.Fatal(err)
		return nil
	}
}

// seek plays the start of [t, t+seekWindow) of camera as a player does and checks what it got: a playlist
// that starts at the fragment holding t, an init that starts with ftyp, a fragment that starts with moof.
func (s *seekServer) seek(camera string, t time.Time) (seekTimes, error) {
	var st seekTimes
	q := url.Values{"start": {t.Format(time.RFC3339)}, "end": {t.Add(seekWindow).Format(time.RFC3339)}}
	start := time.Now()
	resp, err := s.get("/playback/"+camera+"/index.m3u8?"+q.Encode(), 0, 0)
	if err != nil {
		return st, err
	}
	s.buf.Reset()
	_, err = s.buf.ReadFrom(resp.Body)
	resp.Body.Close()
	st.playlist, st.playlistBytes = time.Since(start), s.buf.Len()
	if err != nil {
		return st, err
	}
	e, err := firstPlaylistEntry(s.buf.Bytes())
	if err != nil {
		return st, err
	}
	if e.pdt.After(t) || t.Sub(e.pdt) > 2*time.Second {
		return st, fmt.Errorf("playlist starts at %v, not at the fragment holding %v", e.pdt, t)
	}
	resp, err = s.get(e.mapURI, 0, e.mapSize)
	if err != nil {
		return st, err
	}
	init, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err == nil && (int64(len(init)) != e.mapSize || string(init[4:8]) != "ftyp") {
		err = fmt.Errorf("init %s: %d bytes, want %d starting with ftyp", e.mapURI, len(init), e.mapSize)
	}
	if err != nil {
		return st, err
	}
	resp, err = s.get(e.uri, e.offset, e.size)
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	frag := make([]byte, e.size)
	n, err := resp.Body.Read(frag)
	st.firstByte = time.Since(start)
	if n == 0 {
		return st, fmt.Errorf("fragment %s: no byte: %v", e.uri, err)
	}
	if m, err := io.ReadFull(resp.Body, frag[n:]); err != nil {
		return st, fmt.Errorf("fragment %s: %d of %d bytes: %v", e.uri, n+m, e.size, err)
	}
	if string(frag[4:8]) != "moof" {
		return st, fmt.Errorf("fragment %s %d@%d starts with %q", e.uri, e.size, e.offset, frag[4:8])
	}
	return st, nil
}

// get asks for path, for the byte range [off, off+size) if size > 0, and returns a 200 or 206 answer.
func (s *seekServer) get(path string, off, size int64) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodGet, s.base+path, nil)
	if err != nil {
		return nil, err
	}
	want := http.StatusOK
	if size > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", off, off+size-1))
		want = http.StatusPartialContent
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != want {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return nil, fmt.Errorf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	return resp, nil
}

// playlistEntry is the first media entry of a playlist and the init it follows.
type playlistEntry struct {
	mapURI       string
	mapSize      int64
	pdt          time.Time
	uri          string
	offset, size int64
}

// firstPlaylistEntry reads a playlist as far as its first media entry.
func firstPlaylistEntry(pl []byte) (playlistEntry, error) {
	var e playlistEntry
	sc := bufio.NewScanner(bytes.NewReader(pl))
	for sc.Scan() {
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, "#EXT-X-MAP:"):
			var err error
			uri, rng, _ := strings.Cut(strings.TrimPrefix(l, "#EXT-X-MAP:"), ",BYTERANGE=")
			if e.mapURI, err = strconv.Unquote(strings.TrimPrefix(uri, "URI=")); err != nil {
				return e, fmt.Errorf("%q: %w", l, err)
			}
			size, _, _ := strings.Cut(strings.Trim(rng, `"`), "@")
			if e.mapSize, err = strconv.ParseInt(size, 10, 64); err != nil {
				return e, fmt.Errorf("%q: %w", l, err)
			}
		case strings.HasPrefix(l, "#EXT-X-PROGRAM-DATE-TIME:"):
			var err error
			if e.pdt, err = time.Parse(time.RFC3339Nano, strings.TrimPrefix(l, "#EXT-X-PROGRAM-DATE-TIME:")); err != nil {
				return e, err
			}
		case strings.HasPrefix(l, "#EXT-X-BYTERANGE:"):
			if _, err := fmt.Sscanf(strings.TrimPrefix(l, "#EXT-X-BYTERANGE:"), "%d@%d", &e.size, &e.offset); err != nil {
				return e, fmt.Errorf("%q: %w", l, err)
			}
		case l != "" && !strings.HasPrefix(l, "#"):
			if e.mapURI == "" || e.size == 0 || e.pdt.IsZero() {
				return e, fmt.Errorf("first entry %q without its map, range or date-time", l)
			}
			e.uri = l
			return e, nil
		}
	}
	return e, errors.New("playlist without a media entry")
}

// seekArchive is a built archive: its storage folder, its database, and the template files (one per
// sampled camera, and one more for the other cameras' newest segments).
type seekArchive struct {
	storage, db string
	templates   []string
}

// files are what a seek reads: the database and the segment files' inodes.
func (a *seekArchive) files() []string { return append([]string{a.db}, a.templates...) }

// openSeekArchive returns the archive of segments of length seg, building it the first time.
func openSeekArchive(b *testing.B, seg time.Duration) *seekArchive {
	b.Helper()
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("vigil-bench-seek-%s-%s", seekArchiveVersion, seg))
	a := &seekArchive{storage: filepath.Join(dir, "storage")}
	a.db = filepath.Join(a.storage, "vigil.db")
	for k := 0; k <= len(seekSampled); k++ {
		a.templates = append(a.templates, filepath.Join(dir, fmt.Sprintf("template-%d.mp4", k)))
	}
	if _, err := os.Stat(filepath.Join(dir, "done")); err == nil {
		return a
	}
	os.RemoveAll(dir)
	b.Logf("building %s (once)", dir)
	t0 := time.Now()
	if err := a.build(seg); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "done"), nil, 0o644); err != nil {
		b.Fatal(err)
	}
	b.Logf("built %s in %v", dir, time.Since(t0).Round(time.Second))
	return a
}

func (a *seekArchive) build(seg time.Duration) error {
	if err := os.MkdirAll(a.storage, 0o755); err != nil {
		return err
	}
	clip, err := loadClipFrames(simcam.ClipH264)
	if err != nil {
		return err
	}
	info := segfile.Info{CameraID: "template", RunID: "template", Start: seekEpoch}
	if err := clip.writeSegment(a.templates[0], info, int64(seg/time.Second)*90000); err != nil {
		return err
	}
	tmpl, err := segfile.ScanFile(a.templates[0])
	if err != nil {
		return err
	}
	if tmpl.ValidSize != tmpl.Size || len(tmpl.Fragments) == 0 {
		return fmt.Errorf("template: %d of %d bytes valid, %d fragments", tmpl.ValidSize, tmpl.Size, len(tmpl.Fragments))
	}
	whole, err := os.ReadFile(a.templates[0])
	if err != nil {
		return err
	}
	for _, p := range a.templates[1:] {
		if err := os.WriteFile(p, whole, 0o644); err != nil {
			return err
		}
	}
	var sps h264.SPS
	if err := sps.Unmarshal(clip.sps); err != nil {
		return err
	}
	st, err := store.Open(a.db)
	if err != nil {
		return err
	}
	defer st.Close()
	loc, err := time.LoadLocation(config.DefaultTimeZone)
	if err != nil {
		return err
	}
	length := tmpl.End() - tmpl.Info.Start
	perCam := int(int64(seekDays*24*time.Hour) / length)
	dirs := map[string]bool{}
	link := func(template, rel string) error {
		p := filepath.Join(a.storage, rel)
		if d := filepath.Dir(p); !dirs[d] {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return err
			}
			dirs[d] = true
		}
		return os.Link(template, p)
	}
	ctx := context.Background()
	// One batch per time step across cameras, as the recorder writes them.
	for i := range perCam {
		var batch store.Batch
		for c := range seekCameras {
			cam := seekCameraID(c)
			start := seekEpoch + int64(i)*length + int64(c)*int64(seekStagger)
			t := time.Unix(0, start).In(loc)
			rel := filepath.Join(cam, t.Format("2006-01-02"), t.Format("15-04-05.000")+".mp4")
			frags := slices.Clone(tmpl.Fragments)
			for j := range frags {
				frags[j].Start += start - tmpl.Info.Start
			}
			batch.Segments = append(batch.Segments, &store.Segment{
				CameraID: cam, RunID: "run-" + cam, Start: start, End: start + length, Path: rel,
				Bytes: tmpl.ValidSize, InitSize: tmpl.InitSize, VideoCodec: "H264",
				Width: sps.Width(), Height: sps.Height(), Fragments: frags,
			})
			if k := slices.Index(seekSampled, c); k >= 0 {
				err = link(a.templates[k], rel)
			} else if i == perCam-1 {
				err = link(a.templates[len(seekSampled)], rel)
			}
			if err != nil {
				return err
			}
		}
		if err := st.Apply(ctx, &batch); err != nil {
			return err
		}
	}
	return nil
}

// clipFrames is a clip's video in decode order, ready to loop: times are 90 kHz ticks from the first
// keyframe's decode time, and one loop lasts loop ticks.
type clipFrames struct {
	frames   []clipFrame
	sps, pps []byte
	loop     int64
}

type clipFrame struct {
	pts, dts int64
	key      bool
	au       [][]byte
}

// loadClipFrames reads the H.264 track of an MPEG-TS clip.
func loadClipFrames(ts []byte) (*clipFrames, error) {
	r := &mpegts.Reader{R: bytes.NewReader(ts)}
	if err := r.Initialize(); err != nil {
		return nil, err
	}
	c := &clipFrames{}
	var td mpegts.TimeDecoder
	td.Initialize()
	for _, t := range r.Tracks() {
		if _, ok := t.Codec.(*tscodecs.H264); ok {
			r.OnDataH264(t, func(pts, dts int64, au [][]byte) error {
				dts, pts = td.Decode(dts), td.Decode(pts)
				key := h264.IsRandomAccess(au)
				if len(c.frames) == 0 && !key {
					return nil
				}
				au = slices.Clone(au) // the reader reuses its buffers
				for i, n := range au {
					au[i] = slices.Clone(n)
				}
				for _, n := range au {
					switch h264.NALUType(n[0] & 0x1f) {
					case h264.NALUTypeSPS:
						c.sps = n
					case h264.NALUTypePPS:
						c.pps = n
					}
				}
				c.frames = append(c.frames, clipFrame{pts: pts, dts: dts, key: key, au: au})
				return nil
			})
		}
	}
	for {
		err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if len(c.frames) < 2 || c.sps == nil || c.pps == nil {
		return nil, fmt.Errorf("clip: %d frames after the first keyframe, SPS %v, PPS %v", len(c.frames), c.sps != nil, c.pps != nil)
	}
	t0 := c.frames[0].dts
	for i := range c.frames {
		c.frames[i].pts -= t0
		c.frames[i].dts -= t0
	}
	last := c.frames[len(c.frames)-1].dts
	c.loop = last + last/int64(len(c.frames)-1)
	return c, nil
}

// at returns frame i of the clip looped forever.
func (c *clipFrames) at(i int) clipFrame {
	f := c.frames[i%len(c.frames)]
	shift := int64(i/len(c.frames)) * c.loop
	f.pts += shift
	f.dts += shift
	return f
}

// writeSegment writes a segment file of the clip looped for ticks (90 kHz), cut the way the recorder cuts
// one: fragments close at a keyframe once half a second long, or anywhere once a second long; the
// segment closes before the first keyframe at or past its length.
func (c *clipFrames) writeSegment(path string, info segfile.Info, ticks int64) error {
	init, err := segfile.MarshalInit(info, []*fmp4.InitTrack{{ID: segfile.VideoTrackID, TimeScale: 90000,
		Codec: &codecs.H264{SPS: c.sps, PPS: c.pps}}})
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Write(init); err != nil {
		return err
	}
	w := segfile.NewFragmentWriter(segfile.VideoTrackID)
	var seq uint32
	var fragStart int64
	flush := func() error {
		seq++
		_, err := w.WriteTo(segfile.WritevFile{File: f}, seq)
		return err
	}
	for i := 0; ; i++ {
		fr := c.at(i)
		if fr.key && fr.dts >= ticks {
			break
		}
		if d := fr.dts - fragStart; w.Samples(0) > 0 && ((fr.key && d >= 45000) || d >= 90000) {
			if err := flush(); err != nil {
				return err
			}
		}
		if w.Samples(0) == 0 {
			fragStart = fr.dts
			w.SetBaseTime(0, uint64(fr.dts))
		}
		w.AppendNALUs(0, fr.au, fr.key, int32(fr.pts-fr.dts))
		w.SetLastDuration(0, uint32(c.at(i+1).dts-fr.dts))
	}
	if err := flush(); err != nil {
		return err
	}
	return f.Close()
}

// readWhole reads a file to the end, which leaves it in the page cache.
func readWhole(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(io.Discard, f)
	return err
}

// evict drops a file's pages from the page cache. Dirty pages cannot be dropped, so it syncs first.
func evict(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return err
	}
	return unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
}

// BenchmarkOpenArchive measures what startup asks of the index before vigil listens, on the seek
// benchmark's 30-day, 200-camera archive of 10-minute segments with the database evicted from the page
// cache each time: store.Open (which asks for the longest segment) and the writing-segments query of
// recovery. The first run after a schema change includes the migration that builds the indexes.
func BenchmarkOpenArchive(b *testing.B) {
	a := openSeekArchive(b, 10*time.Minute)
	for b.Loop() {
		b.StopTimer()
		for _, p := range []string{a.db, a.db + "-wal", a.db + "-shm"} {
			if err := evict(p); err != nil && !os.IsNotExist(err) {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		st, err := store.Open(a.db)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := st.WritingSegments(context.Background()); err != nil {
			b.Fatal(err)
		}
		st.Close()
	}
}
