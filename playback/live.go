package playback

import (
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bluenviron/gohlslib/v2"
	"github.com/bluenviron/gohlslib/v2/pkg/codecs"

	"vigil/media"
)

// ErrLiveNotReady is returned when a camera's live stream has not produced a playable start in time.
var ErrLiveNotReady = errors.New("the live stream is not ready: no keyframe from the camera yet")

// Live runs one low-latency HLS muxer per camera and quality (main stream, substream), fed from the
// recorder's fan-out (the main stream is not dialled a second time). A muxer starts on the first request
// for its camera and quality and stops after IdleTimeout without one, or when the stream's session ends;
// the next request starts a new one.
type Live struct {
	// Subscribe opens a feed of one of a camera's streams (the recorder's Subscribe). It may take a while
	// (a substream connects on its first viewer): no other camera's requests wait for it.
	Subscribe func(camera string, q media.Quality) (*media.Feed, error)
	// IdleTimeout defaults to one minute.
	IdleTimeout time.Duration
	// ReadyTimeout bounds how long a first request waits for the muxer's first segment. It defaults to
	// 10 seconds (a camera sends a keyframe at least every few seconds).
	ReadyTimeout time.Duration
	Log          *slog.Logger

	mu     sync.Mutex
	muxers map[liveKey]*liveMuxer
}

type liveKey struct {
	camera  string
	quality media.Quality
}

type liveMuxer struct {
	// ready is closed once muxer is set, or when the muxer gives up without one: err is then the
	// subscription's error, if that is what failed.
	ready   chan struct{}
	err     error
	muxer   *gohlslib.Muxer
	lastUse atomic.Int64
	done    chan struct{}
}

// Handle serves one request of the live HLS of a camera's stream (index.m3u8 and the files it names;
// gohlslib's muxer picks the file by the last element of the request's path).
func (l *Live) Handle(camera string, q media.Quality, w http.ResponseWriter, r *http.Request) error {
	m := l.muxerFor(liveKey{camera, q})
	m.lastUse.Store(time.Now().UnixNano())
	timeout := l.ReadyTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	select {
	case <-m.ready:
	case <-time.After(timeout):
		return ErrLiveNotReady
	case <-r.Context().Done():
		return r.Context().Err()
	}
	if m.err != nil {
		return m.err
	}
	select {
	case <-m.done:
		// It stopped (the session ended, the parameters changed) between lookup and now: the player's
		// next request starts a new one.
		return ErrLiveNotReady
	default:
	}
	if m.muxer == nil {
		return ErrLiveNotReady
	}
	m.muxer.Handle(w, r)
	m.lastUse.Store(time.Now().UnixNano())
	return nil
}

// muxerFor finds the muxer of a camera's stream or starts one, which subscribes on its own goroutine:
// requests for the same stream wait for it on ready, others do not wait at all. One that fails to
// subscribe is forgotten at once, so the next request tries again.
func (l *Live) muxerFor(key liveKey) *liveMuxer {
	l.mu.Lock()
	defer l.mu.Unlock()
	if m := l.muxers[key]; m != nil {
		return m
	}
	m := &liveMuxer{ready: make(chan struct{}), done: make(chan struct{})}
	m.lastUse.Store(time.Now().UnixNano())
	if l.muxers == nil {
		l.muxers = map[liveKey]*liveMuxer{}
	}
	l.muxers[key] = m
	go func() {
		m.run(func() (*media.Feed, error) { return l.Subscribe(key.camera, key.quality) }, l.idleTimeout(),
			l.logger().With("component", "live", "camera", key.camera, "quality", string(key.quality)))
		l.mu.Lock()
		if l.muxers[key] == m {
			delete(l.muxers, key)
		}
		l.mu.Unlock()
	}()
	return m
}

func (l *Live) idleTimeout() time.Duration {
	if l.IdleTimeout > 0 {
		return l.IdleTimeout
	}
	return time.Minute
}

func (l *Live) logger() *slog.Logger {
	if l.Log != nil {
		return l.Log
	}
	return slog.Default()
}

// run subscribes, then feeds the muxer until the feed ends, the parameters change (gohlslib cannot
// change them in a running muxer, so the next request starts a new one), or the muxer idles.
func (m *liveMuxer) run(subscribe func() (*media.Feed, error), idle time.Duration, log *slog.Logger) {
	defer close(m.done)
	readyOnce := sync.OnceFunc(func() { close(m.ready) })
	defer readyOnce()
	feed, err := subscribe()
	if err != nil {
		m.err = err
		return
	}
	defer feed.Close()
	t := feed.Tracks
	params := media.ParamSets{Codec: t.VideoCodec, VPS: t.VPS, SPS: t.SPS, PPS: t.PPS}
	var video, audio *gohlslib.Track
	check := time.NewTicker(idle / 4)
	defer check.Stop()
	for {
		var u media.Unit
		var ok bool
		select {
		case u, ok = <-feed.Units:
			if !ok {
				m.closeMuxer()
				return
			}
		case <-check.C:
			if time.Since(time.Unix(0, m.lastUse.Load())) > idle {
				m.closeMuxer()
				return
			}
			continue
		}
		if !u.Audio {
			// A running muxer has complete parameters, so any change is a real one.
			if params.Update(u.AU) && m.muxer != nil {
				log.Info("parameters changed: the live muxer restarts")
				m.closeMuxer()
				return
			}
			if m.muxer == nil {
				if !params.Complete() || !media.IsRandomAccess(t.VideoCodec, u.AU) {
					continue
				}
				var err error
				if video, audio, err = m.start(t, params, log); err != nil {
					log.Error("live muxer", "err", err)
					return
				}
				readyOnce()
			}
		}
		if m.muxer != nil {
			m.write(t, video, audio, u)
		}
	}
}

func (m *liveMuxer) start(t media.Tracks, p media.ParamSets, log *slog.Logger) (*gohlslib.Track, *gohlslib.Track, error) {
	video := &gohlslib.Track{ClockRate: 90000}
	if t.VideoCodec == "H264" {
		video.Codec = &codecs.H264{SPS: p.SPS, PPS: p.PPS}
	} else {
		video.Codec = &codecs.H265{VPS: p.VPS, SPS: p.SPS, PPS: p.PPS}
	}
	tracks := []*gohlslib.Track{video}
	var audio *gohlslib.Track
	switch t.AudioCodec {
	case "MPEG4Audio":
		audio = &gohlslib.Track{Codec: &codecs.MPEG4Audio{Config: *t.AAC}, ClockRate: t.AudioClockRate}
	case "Opus":
		audio = &gohlslib.Track{Codec: &codecs.Opus{ChannelCount: t.AudioChannels}, ClockRate: t.AudioClockRate}
	}
	if audio != nil {
		tracks = append(tracks, audio)
	}
	mux := &gohlslib.Muxer{
		Tracks:             tracks,
		Variant:            gohlslib.MuxerVariantLowLatency,
		SegmentMinDuration: time.Second,
		PartMinDuration:    200 * time.Millisecond,
		OnEncodeError:      func(err error) { log.Warn("live encode", "err", err) },
	}
	if err := mux.Start(); err != nil {
		return nil, nil, err
	}
	m.muxer = mux
	return video, audio, nil
}

func (m *liveMuxer) write(t media.Tracks, video, audio *gohlslib.Track, u media.Unit) {
	switch {
	case !u.Audio && t.VideoCodec == "H264":
		m.muxer.WriteH264(video, u.NTP, u.PTS, u.AU)
	case !u.Audio:
		m.muxer.WriteH265(video, u.NTP, u.PTS, u.AU)
	case audio != nil && t.AudioCodec == "MPEG4Audio":
		m.muxer.WriteMPEG4Audio(audio, u.NTP, u.PTS, u.AU)
	case audio != nil:
		m.muxer.WriteOpus(audio, u.NTP, u.PTS, u.AU)
	}
}

func (m *liveMuxer) closeMuxer() {
	if m.muxer != nil {
		m.muxer.Close()
	}
}
