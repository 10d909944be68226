package simcam

import (
	"encoding/binary"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/g711"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/opus"
	"github.com/pion/rtp"
)

// unitSamples is the duration of one audio unit as a receiver works it out
// from the RTP payload alone.
func unitSamples(f format.Format, payload []byte) int64 {
	if _, ok := f.(*format.Opus); ok {
		return opus.PacketDuration2(payload)
	}
	return int64(len(payload)) // G.711: a byte per sample
}

// checkGaplessLoop requires n units of unit samples each that tile the loop
// exactly, seam included: 4 s holds a whole number of 20 ms packets.
func checkGaplessLoop(t *testing.T, c *Clip, unit int64, n int) {
	t.Helper()
	if len(c.audio) != n {
		t.Fatalf("%d audio units, want %d", len(c.audio), n)
	}
	loop := c.audioLoopOffset(1)
	for i, a := range c.audio {
		if len(a.pkts) != 1 {
			t.Fatalf("unit %d is %d RTP packets, want 1", i, len(a.pkts))
		}
		if d := unitSamples(c.audioFormat, a.pkts[0].data); d != unit {
			t.Fatalf("unit %d lasts %d samples, want %d", i, d, unit)
		}
		next := loop + c.audio[0].pts
		if i+1 < len(c.audio) {
			next = c.audio[i+1].pts
		}
		if next-a.pts != unit {
			t.Fatalf("unit %d at %d is followed by one at %d", i, a.pts, next)
		}
	}
	if len(c.sched) != len(c.frames)+len(c.audio) ||
		!slices.IsSortedFunc(c.sched, func(a, b event) int { return int(a.at - b.at) }) {
		t.Fatal("schedule does not hold every unit in time order")
	}
}

func TestLoadClipOpus(t *testing.T) {
	if n := len(ClipH264Opus); n == 0 || n > 400<<10 {
		t.Fatalf("embedded clip is %d bytes", n)
	}
	c := mustLoad(t, ClipH264Opus)
	if c.Codec() != "H264" || c.FrameCount() != 100 || c.Duration() != 4*time.Second || c.KeyframeCount() != 4 {
		t.Errorf("video %s, %d frames, %d keyframes, %v", c.Codec(), c.FrameCount(), c.KeyframeCount(), c.Duration())
	}
	if c.AudioCodec() != "Opus" || c.AudioSampleRate() != 48000 || c.AudioConfig() != nil {
		t.Fatalf("audio %q at %d Hz", c.AudioCodec(), c.AudioSampleRate())
	}
	if f := c.newAudioFormat().(*format.Opus); f.ChannelCount != 1 || f.PayloadTyp != audioPT {
		t.Errorf("format %+v", f)
	}
	checkGaplessLoop(t, c, 960, 200)
}

func TestWithG711(t *testing.T) {
	base := mustLoad(t, ClipH264AAC)
	for _, tc := range []struct {
		law    G711Law
		mulaw  bool
		pt     uint8
		decode func([]byte) []byte
	}{
		{MuLaw, true, 0, func(b []byte) []byte { var d g711.Mulaw; d.Unmarshal(b); return d }},
		{ALaw, false, 8, func(b []byte) []byte { var d g711.Alaw; d.Unmarshal(b); return d }},
	} {
		c, err := base.WithG711(tc.law)
		if err != nil {
			t.Fatal(err)
		}
		if base.AudioCodec() != "AAC" || len(base.audio) != 187 {
			t.Fatal("WithG711 changed the clip it was called on")
		}
		if c.AudioCodec() != "G711" || c.AudioSampleRate() != 8000 || c.FrameCount() != base.FrameCount() {
			t.Fatalf("audio %q at %d Hz, %d frames", c.AudioCodec(), c.AudioSampleRate(), c.FrameCount())
		}
		f := c.newAudioFormat().(*format.G711)
		if f.MULaw != tc.mulaw || f.PayloadTyp != tc.pt || f.SampleRate != 8000 || f.ChannelCount != 1 {
			t.Errorf("format %+v", f)
		}
		checkGaplessLoop(t, c, 160, 200)

		// Every packet starts a whole number of periods into the tone.
		lpcm := tc.decode(c.audio[len(c.audio)/2].pkts[0].data)
		for i := range len(lpcm) / 2 {
			got := float64(int16(binary.BigEndian.Uint16(lpcm[2*i:])))
			want := toneAmplitude * math.Sin(2*math.Pi*toneHz*float64(i)/g711Rate)
			if math.Abs(got-want) > 0.03*math.MaxInt16 {
				t.Fatalf("law %d: sample %d is %v, want %.0f", tc.law, i, got, want)
			}
		}
	}
}

// TestAudioAcrossLoopSeam plays Opus and G.711 cameras to real clients for
// over a loop: each must find its format in the SDP and receive audio whose
// timestamps run on without a gap or a step back, across the seam too.
func TestAudioAcrossLoopSeam(t *testing.T) {
	t.Parallel()
	pcmu, err := mustLoad(t, ClipH264).WithG711(MuLaw)
	if err != nil {
		t.Fatal(err)
	}
	pcma, err := mustLoad(t, ClipH264).WithG711(ALaw)
	if err != nil {
		t.Fatal(err)
	}
	cams := []struct {
		name string
		clip *Clip
		// check vets the SDP's audio format.
		check func(format.Format) bool
	}{
		{"opus", mustLoad(t, ClipH264Opus), func(f format.Format) bool {
			o, ok := f.(*format.Opus)
			return ok && o.ChannelCount == 1 && o.ClockRate() == 48000 && o.PayloadTyp == audioPT
		}},
		{"pcmu", pcmu, func(f format.Format) bool {
			g, ok := f.(*format.G711)
			return ok && g.MULaw && g.PayloadTyp == 0 && g.SampleRate == 8000 && g.ChannelCount == 1
		}},
		{"pcma", pcma, func(f format.Format) bool {
			g, ok := f.(*format.G711)
			return ok && !g.MULaw && g.PayloadTyp == 8 && g.SampleRate == 8000 && g.ChannelCount == 1
		}},
	}

	s := startServer(t, &Server{})
	for _, c := range cams {
		if err := s.AddCamera(c.name, c.clip); err != nil {
			t.Fatal(err)
		}
	}

	type unit struct{ pts, dur int64 }
	type reception struct {
		mu    sync.Mutex
		units []unit
		done  chan struct{}
	}
	recs := make([]*reception, len(cams))
	for i, c := range cams {
		r, err := dial(t, s.URL(c.name))
		if err != nil {
			t.Fatal(err)
		}
		var medi *description.Media
		var forma format.Format
		for _, m := range r.desc.Medias {
			if m.Type == description.MediaTypeAudio {
				if medi != nil || len(m.Formats) != 1 {
					t.Fatalf("%s: more than one audio format in the SDP", c.name)
				}
				medi, forma = m, m.Formats[0]
			}
		}
		if medi == nil || !c.check(forma) {
			t.Fatalf("%s: SDP audio is %#v", c.name, forma)
		}

		rec := &reception{done: make(chan struct{})}
		recs[i] = rec
		// Any span longer than a loop holds a seam.
		want := c.clip.audioLoopOffset(1) * 9 / 8
		r.c.OnPacketRTP(medi, forma, func(pkt *rtp.Packet) {
			pts, ok := r.c.PacketPTS(medi, pkt)
			if !ok {
				return
			}
			rec.mu.Lock()
			defer rec.mu.Unlock()
			rec.units = append(rec.units, unit{pts, unitSamples(forma, pkt.Payload)})
			if pts-rec.units[0].pts >= want {
				select {
				case <-rec.done:
				default:
					close(rec.done)
				}
			}
		})
		r.play(t)
	}

	for i, c := range cams {
		t.Run(c.name, func(t *testing.T) {
			rec := recs[i]
			recvUntil(t, rec.done, 10*time.Second, "over a loop of audio")
			rec.mu.Lock()
			defer rec.mu.Unlock()
			for j := 1; j < len(rec.units); j++ {
				prev, u := rec.units[j-1], rec.units[j]
				if prev.dur <= 0 || u.pts != prev.pts+prev.dur {
					t.Fatalf("unit %d of %d at %d follows one at %d lasting %d", j, len(rec.units), u.pts, prev.pts, prev.dur)
				}
			}
		})
	}
}
