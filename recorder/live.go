package recorder

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"

	"vigil/media"
)

// ErrNotLive is returned by Subscribe for a camera that has no session now.
var ErrNotLive = errors.New("camera is not online")

// liveBuffer is each live viewer's queue of units: a few seconds of video with its audio. A viewer that
// falls further behind loses units, never the camera's read loop.
const liveBuffer = 256

// fanOut is a session's live viewers. The per-packet path reads the list with one atomic load and sends
// without blocking; subscribing and unsubscribing copy the list.
type fanOut struct {
	mu     sync.Mutex
	subs   atomic.Pointer[[]chan media.Unit]
	ended  bool
	tracks media.Tracks
	drops  *atomic.Uint64
}

// Subscribe gives a live viewer one of a camera's streams. The main stream is the recording session's own
// (no second connection to the camera); it returns ErrNotLive while the camera is offline. The substream
// is connected on the first subscription, which waits for it to play, and shared by later ones; when it
// cannot be played the error wraps ErrSubstreamDown and says why. A camera without a substream_url
// serves its main stream for both qualities, so a grid shows every camera. Close the feed when done:
// that is how the substream knows it is no longer watched.
func (r *Recorder) Subscribe(camera string, q media.Quality) (*media.Feed, error) {
	c, ok := r.byID[camera]
	if !ok {
		return nil, fmt.Errorf("camera %q not found", camera)
	}
	switch q {
	case media.MainStream:
	case media.Substream:
		if c.sub != nil {
			return c.sub.subscribe()
		}
	default:
		return nil, fmt.Errorf("unknown stream quality %q", q)
	}
	c.mu.Lock()
	f := c.live
	c.mu.Unlock()
	if f == nil {
		return nil, ErrNotLive
	}
	return f.subscribe(nil)
}

// subscribe adds a viewer; onClose, if not nil, is called when its feed is closed.
func (f *fanOut) subscribe(onClose func()) (*media.Feed, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ended {
		return nil, ErrNotLive
	}
	ch := make(chan media.Unit, liveBuffer)
	f.store(append(f.list(), ch))
	return media.NewFeed(f.tracks, ch, func() {
		f.unsubscribe(ch)
		if onClose != nil {
			onClose()
		}
	}), nil
}

// unsubscribe forgets a viewer. Its channel is left open: a send may be in flight from a list read
// before; the garbage collector takes the channel once both sides let go.
func (f *fanOut) unsubscribe(ch chan media.Unit) {
	f.mu.Lock()
	defer f.mu.Unlock()
	list := f.list()
	if i := slices.Index(list, ch); i >= 0 {
		f.store(slices.Delete(slices.Clone(list), i, i+1))
	}
}

// end closes every viewer's channel, once. The caller guarantees no send is in flight: the RTSP client is
// closed, so its callbacks have returned.
func (f *fanOut) end() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ended {
		return
	}
	f.ended = true
	for _, ch := range f.list() {
		close(ch)
	}
	f.subs.Store(nil)
}

func (f *fanOut) list() []chan media.Unit {
	if p := f.subs.Load(); p != nil {
		return *p
	}
	return nil
}

func (f *fanOut) store(list []chan media.Unit) {
	if len(list) == 0 {
		f.subs.Store(nil)
		return
	}
	f.subs.Store(&list)
}

// send hands a unit to every viewer that has room for it.
func (f *fanOut) send(u *unit) {
	p := f.subs.Load()
	if p == nil {
		return
	}
	mu := media.Unit{Audio: u.audio, PTS: u.pts, AU: u.nalus, NTP: time.Unix(0, u.recv)}
	for _, ch := range *p {
		select {
		case ch <- mu:
		default:
			f.drops.Add(1)
		}
	}
}

// liveTracks describes a session to live viewers. G.711 (stored as LPCM) has no HLS form, so a live
// viewer gets the video alone.
func liveTracks(p videoParams, a *audioTrack) media.Tracks {
	t := media.Tracks{VideoCodec: p.Codec, VPS: p.VPS, SPS: p.SPS, PPS: p.PPS}
	if a == nil {
		return t
	}
	switch c := a.codec.(type) {
	case *codecs.MPEG4Audio:
		cfg := c.Config
		t.AudioCodec, t.AAC, t.AudioClockRate = a.name, &cfg, int(a.clockRate)
	case *codecs.Opus:
		t.AudioCodec, t.AudioChannels, t.AudioClockRate = a.name, c.ChannelCount, int(a.clockRate)
	}
	return t
}
