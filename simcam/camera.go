package simcam

import (
	"errors"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/gortsplib/v5/pkg/liberrors"
	"github.com/pion/rtp"
)

// camera is a configured path; cur is its live stream, nil while stopped.
// Guarded by Server.mu.
type camera struct {
	clip        *Clip
	wantRunning bool
	cur         *stream
}

func (c *camera) start(rs *gortsplib.Server, opts streamOptions) error {
	st, err := newStream(rs, c.clip, opts)
	if err != nil {
		return err
	}
	c.cur = st
	return nil
}

func (c *camera) detach() *stream {
	st := c.cur
	c.cur = nil
	return st
}

// stream is one life of a camera: an RTSP stream plus the goroutine that
// feeds it. A restarted camera gets a new one, hence fresh SSRCs and
// timestamps, as a rebooted camera would.
type stream struct {
	rtsp       *gortsplib.ServerStream
	opts       streamOptions
	clip       *Clip
	next       atomic.Pointer[Clip] // SwitchClip's clip, taken at the next loop
	video      *description.Media
	audio      *description.Media
	stop, done chan struct{}
}

// streamOptions are the Server settings a stream needs.
type streamOptions struct {
	omitParams bool
	videoTS    uint32 // first video RTP timestamp; 0 = random
}

func newStream(rs *gortsplib.Server, clip *Clip, opts streamOptions) (*stream, error) {
	st := &stream{
		opts:  opts,
		clip:  clip,
		video: &description.Media{Type: description.MediaTypeVideo, Formats: []format.Format{clip.newVideoFormat(opts.omitParams)}},
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	desc := &description.Session{Medias: []*description.Media{st.video}}
	if clip.HasAudio() {
		st.audio = &description.Media{Type: description.MediaTypeAudio, Formats: []format.Format{clip.newAudioFormat()}}
		desc.Medias = append(desc.Medias, st.audio)
	}
	st.rtsp = &gortsplib.ServerStream{Server: rs, Desc: desc}
	if err := st.rtsp.Initialize(); err != nil {
		return nil, err
	}
	go st.run()
	return st, nil
}

func (st *stream) close() {
	if st == nil {
		return
	}
	close(st.stop)
	<-st.done
	st.rtsp.Close()
}

// run sends the clip forever, one loop after another, each event at its
// wall-clock time.
func (st *stream) run() {
	defer close(st.done)

	timer := time.NewTimer(time.Hour)
	defer timer.Stop()

	sn := newSender(st)
	for loop := int64(0); ; loop++ {
		if next := st.next.Swap(nil); next != nil {
			st.clip = next
		}
		sn.setLoop(loop)
		for _, ev := range st.clip.sched {
			if wait := time.Until(alignUp(sn.due(ev))); wait > 0 {
				timer.Reset(wait)
				select {
				case <-timer.C:
				case <-st.stop:
					return
				}
			}
			if errors.As(sn.send(ev), &liberrors.ErrServerStreamClosed{}) {
				return
			}
		}
	}
}

// sender stamps the clip's pre-built payloads for one stream. Timestamps of
// loop k are the clip's shifted by k loop lengths, so receivers see one
// unbroken stream; sequence numbers simply keep counting.
type sender struct {
	st       *stream
	start    time.Time
	videoTS  uint32
	audioTS  uint32
	videoSeq uint16
	audioSeq uint16

	loopTicks int64     // 90 kHz offset of the current loop
	nextTicks int64     // 90 kHz offset of the next loop: loops may differ in length after SwitchClip
	loopStart time.Time // wall time of the current loop's first DTS
	audioLoop int64     // sample offset of the current loop

	// Reused for every packet: gortsplib serializes it before
	// WritePacketRTPWithNTP returns.
	pkt rtp.Packet
}

func newSender(st *stream) *sender {
	sn := &sender{
		st:       st,
		start:    time.Now(),
		videoTS:  rand.Uint32(),
		audioTS:  rand.Uint32(),
		videoSeq: uint16(rand.Uint32()),
		audioSeq: uint16(rand.Uint32()),
	}
	if st.opts.videoTS != 0 {
		sn.videoTS = st.opts.videoTS
	}
	sn.pkt.Version = 2
	return sn
}

func (sn *sender) setLoop(loop int64) {
	c := sn.st.clip
	sn.loopTicks = sn.nextTicks
	sn.nextTicks += c.dur
	sn.loopStart = sn.start.Add(ticksToDuration(sn.loopTicks))
	if c.HasAudio() {
		sn.audioLoop = c.audioLoopOffset(loop)
	}
}

func (sn *sender) due(ev event) time.Time {
	return sn.loopStart.Add(ticksToDuration(ev.at))
}

func (sn *sender) send(ev event) error {
	c := sn.st.clip
	pkt := &sn.pkt
	if ev.video {
		f := &c.frames[ev.idx]
		pkt.PayloadType = videoPT
		pkt.Timestamp = sn.videoTS + uint32(sn.loopTicks+f.pts)
		// The NTP time is the presentation time, so RTCP sender reports map
		// RTP time to wall time consistently.
		ntp := sn.loopStart.Add(ticksToDuration(f.pts))
		return sn.write(sn.st.video, f.pkts, &sn.videoSeq, ntp)
	}
	a := &c.audio[ev.idx]
	pkt.PayloadType = c.audioFormat.PayloadType()
	pkt.Timestamp = sn.audioTS + uint32(sn.audioLoop+a.pts)
	ntp := sn.start.Add(samplesToDuration(sn.audioLoop+a.pts, c.audioRate))
	return sn.write(sn.st.audio, a.pkts, &sn.audioSeq, ntp)
}

// write sends one access unit's packets, numbering them from *seq; the header fields set by the
// caller (payload type, timestamp) are the same for all of them.
func (sn *sender) write(medi *description.Media, pkts []payload, seq *uint16, ntp time.Time) error {
	pkt := &sn.pkt
	for _, p := range pkts {
		pkt.SequenceNumber = *seq
		*seq++
		pkt.Marker = p.marker
		pkt.Payload = p.data
		if err := sn.st.rtsp.WritePacketRTPWithNTP(medi, pkt, ntp); err != nil {
			return err
		}
	}
	return nil
}

// pacingGrain is the grid that send times are rounded up to. Cameras whose
// frames fall due within the same few milliseconds then wake together, which
// with hundreds of cameras turns thousands of separate thread wake-ups per
// second into a couple of hundred; the jitter it adds is smaller than a real
// camera's.
const pacingGrain = 5 * time.Millisecond

var pacingEpoch = time.Now()

func alignUp(t time.Time) time.Time {
	d := t.Sub(pacingEpoch)
	return pacingEpoch.Add((d + pacingGrain - 1) / pacingGrain * pacingGrain)
}

func samplesToDuration(n int64, rate int) time.Duration {
	r := int64(rate)
	return time.Duration(n/r)*time.Second + time.Duration(n%r)*time.Second/time.Duration(r)
}
