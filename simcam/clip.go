// Package simcam plays real H.264/H.265 clips in a loop over RTSP with continuous timestamps: the demo's and the tests' cameras.
// Audio is AAC or Opus from the clip, or a G.711 tone (Clip.WithG711).
package simcam

import (
	"bytes"
	"cmp"
	"embed"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/opus"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts"
	tscodecs "github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts/codecs"
	"github.com/pion/rtp"
)

//go:embed testdata/*.ts
var clipFS embed.FS

// The embedded clips (see testdata/make-clips.sh): 640x360, 25 fps, 4 s,
// 1 s closed GOPs with B-frames, parameter sets repeated before every IDR.
var (
	ClipH264AAC = mustReadClip("h264_aac.ts") // H.264 High + AAC-LC mono 48 kHz
	ClipH264    = mustReadClip("h264.ts")     // H.264 High, no audio
	ClipH265    = mustReadClip("h265.ts")     // H.265 Main, no audio
	// ClipH264Opus is the H.264 clip with Opus mono 48 kHz in 20 ms packets.
	ClipH264Opus = mustReadClip("h264_opus.ts")
	// ClipH264Small is 320x180, 2 s: switched to mid-stream it is a resolution change.
	ClipH264Small = mustReadClip("h264_320x180.ts")
)

func mustReadClip(name string) []byte {
	b, err := clipFS.ReadFile("testdata/" + name)
	if err != nil {
		panic(err)
	}
	return b
}

const (
	videoClockRate = 90000
	videoPT        = 96
	audioPT        = 97 // dynamic, for AAC and Opus; G.711 has static ones
)

// payload is one RTP packet's payload, produced once per clip so that a
// camera only stamps headers when it sends.
type payload struct {
	data   []byte
	marker bool
}

// frame is one video access unit. Times are 90 kHz ticks relative to the
// clip's first DTS, so loop k is simply shifted by k*dur.
type frame struct {
	pts, dts int64
	key      bool
	pkts     []payload
}

// audioAU is one audio access unit (an AAC AU, an Opus packet, 20 ms of
// G.711); pts is in samples relative to the clip's first video DTS, which
// keeps A/V sync exact across loops.
type audioAU struct {
	pts  int64
	pkts []payload
}

// event is one entry of the per-loop send schedule: video in decode order at
// its DTS, audio at its PTS, merged so one goroutine can pace both.
type event struct {
	at    int64 // 90 kHz ticks from the loop start
	video bool
	idx   int
}

// Clip is a clip decoded into access units once, ready to loop. It is
// immutable after LoadClip, so any number of cameras can share one.
type Clip struct {
	codec         string // "H264" or "H265"
	vps, sps, pps []byte
	frames        []frame       // decode order
	frameDur      int64         // 90 kHz
	dur           int64         // 90 kHz, one loop
	audioFormat   format.Format // nil without audio; streams get copies (newAudioFormat)
	audioRate     int           // the RTP clock of audioFormat, samples per second
	audio         []audioAU
	sched         []event
}

// LoadClip parses an MPEG-TS clip holding one H.264 or H.265 track and
// optionally one AAC or Opus track. Leading frames before the first keyframe
// are dropped so every loop starts on a keyframe; the clip should have closed
// GOPs, otherwise the first frames after each seam reference pictures the
// decoder never saw.
func LoadClip(ts []byte) (*Clip, error) {
	r := &mpegts.Reader{R: bytes.NewReader(ts)}
	if err := r.Initialize(); err != nil {
		return nil, fmt.Errorf("simcam: reading MPEG-TS: %w", err)
	}

	c := &Clip{}

	// One decoder for every track: each TimeDecoder is relative to the first
	// value it sees, so separate ones would lose the A/V offset.
	var td mpegts.TimeDecoder
	td.Initialize()

	type rawFrame struct {
		pts, dts int64
		au       [][]byte
	}
	var raws []rawFrame
	var audioAUs [][]byte
	var audioFirstPTS int64
	var audioDuration func([]byte) int64 // samples in one unit
	onAudio := func(pts int64, aus [][]byte) error {
		pts = td.Decode(pts)
		if audioAUs == nil {
			audioFirstPTS = pts
		}
		audioAUs = append(audioAUs, cloneAU(aus)...)
		return nil
	}

	onVideo := func(pts, dts int64, au [][]byte) error {
		dts = td.Decode(dts)
		pts = td.Decode(pts)
		raws = append(raws, rawFrame{pts: pts, dts: dts, au: cloneAU(au)})
		return nil
	}

	for _, t := range r.Tracks() {
		switch codec := t.Codec.(type) {
		case *tscodecs.H264:
			if c.codec == "" {
				c.codec = "H264"
				r.OnDataH264(t, onVideo)
			}
		case *tscodecs.H265:
			if c.codec == "" {
				c.codec = "H265"
				r.OnDataH265(t, onVideo)
			}
		case *tscodecs.MPEG4Audio:
			if c.audioFormat == nil && codec.Config.SampleRate > 0 {
				c.audioFormat, c.audioRate = newAACFormat(codec.Config), codec.Config.SampleRate
				audioDuration = func([]byte) int64 { return mpeg4audio.SamplesPerAccessUnit }
				r.OnDataMPEG4Audio(t, onAudio)
			}
		case *tscodecs.Opus:
			if c.audioFormat == nil && codec.Desc != nil {
				c.audioFormat = &format.Opus{PayloadTyp: audioPT, ChannelCount: codec.Desc.ChannelCount()}
				// Opus is always 48 kHz on the wire, whatever rate it was made from.
				c.audioRate = 48000
				audioDuration = opus.PacketDuration2
				r.OnDataOpus(t, onAudio)
			}
		}
	}
	if c.codec == "" {
		return nil, errors.New("simcam: clip has no H.264 or H.265 track")
	}

	for {
		err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("simcam: reading MPEG-TS: %w", err)
		}
	}

	for len(raws) > 0 && !isKey(c.codec, raws[0].au) {
		raws = raws[1:]
	}
	if len(raws) < 2 {
		return nil, errors.New("simcam: clip needs at least two video frames after its first keyframe")
	}
	for i := 1; i < len(raws); i++ {
		if raws[i].dts <= raws[i-1].dts {
			return nil, fmt.Errorf("simcam: video DTS not increasing at frame %d", i)
		}
	}

	t0 := raws[0].dts
	last := raws[len(raws)-1].dts
	// The mean interval, rounded: exact for constant frame rate clips, and
	// the seam is the only place where it matters.
	c.frameDur = ((last-t0)*2/int64(len(raws)-1) + 1) / 2
	c.dur = last - t0 + c.frameDur

	enc, err := newVideoPacketizer(c.newVideoFormat(false))
	if err != nil {
		return nil, err
	}
	c.frames = make([]frame, len(raws))
	for i, rf := range raws {
		f := frame{pts: rf.pts - t0, dts: rf.dts - t0, key: isKey(c.codec, rf.au)}
		pkts, err := enc(rf.au)
		if err != nil {
			return nil, fmt.Errorf("simcam: packetizing frame %d: %w", i, err)
		}
		f.pkts = toPayloads(pkts)
		c.frames[i] = f
		c.findParams(rf.au)
	}
	if c.sps == nil || c.pps == nil || (c.codec == "H265" && c.vps == nil) {
		return nil, errors.New("simcam: clip carries no parameter sets in-band")
	}

	if c.audioFormat != nil {
		first := (audioFirstPTS - t0) * int64(c.audioRate) / videoClockRate
		if err := c.loadAudio(first, audioAUs, audioDuration); err != nil {
			return nil, err
		}
	}

	c.buildSchedule()
	return c, nil
}

// loadAudio lays the units out back to back from where the first one sits
// relative to video, wrapping the ones past the loop end around to its
// start. Audio then stays in sync with video and is continuous across the
// seam except for one gap shorter than a unit per loop (a loop is rarely a
// whole number of AAC frames). Dropping the units past the end instead
// would leave a gap as long as the A/V offset of the file. The units are
// laid out by their own durations, not by their PTS: encoder priming and
// muxer rounding would otherwise show up as gaps and overlaps.
func (c *Clip) loadAudio(firstPTS int64, aus [][]byte, duration func([]byte) int64) error {
	enc, err := newAudioPacketizer(c.audioFormat)
	if err != nil {
		return err
	}
	loop := c.audioLoopOffset(1)
	start := (firstPTS%loop + loop) % loop
	c.audio = nil
	var at int64
	for _, au := range aus {
		d := duration(au)
		if d <= 0 {
			return fmt.Errorf("simcam: audio unit %d has no duration", len(c.audio))
		}
		if at+d > loop {
			break
		}
		pkts, err := enc(au)
		if err != nil {
			return fmt.Errorf("simcam: packetizing audio: %w", err)
		}
		pts := start + at
		if pts >= loop {
			pts -= loop
		}
		c.audio = append(c.audio, audioAU{pts: pts, pkts: toPayloads(pkts)})
		at += d
	}
	if len(c.audio) == 0 {
		c.audioFormat, c.audioRate = nil, 0
		return nil
	}
	slices.SortFunc(c.audio, func(a, b audioAU) int { return cmp.Compare(a.pts, b.pts) })
	return nil
}

func (c *Clip) buildSchedule() {
	sched := make([]event, 0, len(c.frames)+len(c.audio))
	ai := 0
	for vi, f := range c.frames {
		for ai < len(c.audio) && c.audioTicks(c.audio[ai].pts) < f.dts {
			sched = append(sched, event{at: c.audioTicks(c.audio[ai].pts), idx: ai})
			ai++
		}
		sched = append(sched, event{at: f.dts, video: true, idx: vi})
	}
	for ; ai < len(c.audio); ai++ {
		sched = append(sched, event{at: c.audioTicks(c.audio[ai].pts), idx: ai})
	}
	c.sched = sched
}

func (c *Clip) audioTicks(samples int64) int64 {
	return samples * videoClockRate / int64(c.audioRate)
}

// audioLoopOffset is computed from the loop number each time rather than
// accumulated, so a loop length that is not a whole number of samples never
// lets audio drift away from video.
func (c *Clip) audioLoopOffset(loop int64) int64 {
	return loop * c.dur * int64(c.audioRate) / videoClockRate
}

func (c *Clip) findParams(au [][]byte) {
	for _, nalu := range au {
		if len(nalu) == 0 {
			continue
		}
		if c.codec == "H264" {
			switch h264.NALUType(nalu[0] & 0x1f) {
			case h264.NALUTypeSPS:
				if c.sps == nil {
					c.sps = nalu
				}
			case h264.NALUTypePPS:
				if c.pps == nil {
					c.pps = nalu
				}
			}
			continue
		}
		switch h265.NALUType((nalu[0] >> 1) & 0x3f) {
		case h265.NALUType_VPS_NUT:
			if c.vps == nil {
				c.vps = nalu
			}
		case h265.NALUType_SPS_NUT:
			if c.sps == nil {
				c.sps = nalu
			}
		case h265.NALUType_PPS_NUT:
			if c.pps == nil {
				c.pps = nalu
			}
		}
	}
}

// newVideoFormat returns a fresh format each time because a ServerStream
// owns the formats of its description.
func (c *Clip) newVideoFormat(omitParams bool) format.Format {
	if c.codec == "H264" {
		f := &format.H264{PayloadTyp: videoPT, PacketizationMode: 1}
		if !omitParams {
			f.SPS, f.PPS = c.sps, c.pps
		}
		return f
	}
	f := &format.H265{PayloadTyp: videoPT}
	if !omitParams {
		f.VPS, f.SPS, f.PPS = c.vps, c.sps, c.pps
	}
	return f
}

func newVideoPacketizer(f format.Format) (func([][]byte) ([]*rtp.Packet, error), error) {
	switch f := f.(type) {
	case *format.H264:
		enc, err := f.CreateEncoder()
		if err != nil {
			return nil, err
		}
		return enc.Encode, nil
	case *format.H265:
		enc, err := f.CreateEncoder()
		if err != nil {
			return nil, err
		}
		return enc.Encode, nil
	}
	return nil, fmt.Errorf("simcam: unsupported format %T", f)
}

func newAACFormat(conf mpeg4audio.AudioSpecificConfig) *format.MPEG4Audio {
	return &format.MPEG4Audio{
		PayloadTyp:       audioPT,
		ProfileLevelID:   1,
		Config:           &conf,
		SizeLength:       13,
		IndexLength:      3,
		IndexDeltaLength: 3,
	}
}

// newAudioFormat returns a fresh copy of the clip's audio format, for the
// same reason as newVideoFormat.
func (c *Clip) newAudioFormat() format.Format {
	switch f := c.audioFormat.(type) {
	case *format.MPEG4Audio:
		return newAACFormat(*f.Config)
	case *format.Opus:
		g := *f
		return &g
	case *format.G711:
		g := *f
		return &g
	}
	return nil
}

// newAudioPacketizer turns one access unit into RTP packets.
func newAudioPacketizer(f format.Format) (func([]byte) ([]*rtp.Packet, error), error) {
	switch f := f.(type) {
	case *format.MPEG4Audio:
		enc, err := f.CreateEncoder()
		if err != nil {
			return nil, err
		}
		return func(au []byte) ([]*rtp.Packet, error) { return enc.Encode([][]byte{au}) }, nil
	case *format.Opus:
		enc, err := f.CreateEncoder()
		if err != nil {
			return nil, err
		}
		return func(au []byte) ([]*rtp.Packet, error) {
			pkt, err := enc.Encode(au)
			return []*rtp.Packet{pkt}, err
		}, nil
	case *format.G711:
		enc, err := f.CreateEncoder()
		if err != nil {
			return nil, err
		}
		return enc.Encode, nil
	}
	return nil, fmt.Errorf("simcam: unsupported audio format %T", f)
}

// Duration is the length of one loop: last DTS - first DTS + one frame.
func (c *Clip) Duration() time.Duration { return ticksToDuration(c.dur) }

// FrameCount is the number of video frames per loop.
func (c *Clip) FrameCount() int { return len(c.frames) }

// FrameDuration is the nominal interval between video frames.
func (c *Clip) FrameDuration() time.Duration { return ticksToDuration(c.frameDur) }

// Codec is "H264" or "H265".
func (c *Clip) Codec() string { return c.codec }

// HasAudio reports whether the clip carries audio.
func (c *Clip) HasAudio() bool { return c.audioFormat != nil }

// AudioCodec is "AAC", "Opus", "G711" or "" without audio.
func (c *Clip) AudioCodec() string {
	switch c.audioFormat.(type) {
	case *format.MPEG4Audio:
		return "AAC"
	case *format.Opus:
		return "Opus"
	case *format.G711:
		return "G711"
	}
	return ""
}

// AudioSampleRate is the audio's RTP clock rate, 0 without audio.
func (c *Clip) AudioSampleRate() int { return c.audioRate }

// KeyframeCount is the number of random access frames per loop.
func (c *Clip) KeyframeCount() int {
	n := 0
	for _, f := range c.frames {
		if f.key {
			n++
		}
	}
	return n
}

// Params returns copies of the clip's parameter sets as found in-band; vps
// is nil for H.264.
func (c *Clip) Params() (vps, sps, pps []byte) {
	return bytes.Clone(c.vps), bytes.Clone(c.sps), bytes.Clone(c.pps)
}

// AudioConfig returns the AAC configuration, or nil without AAC.
func (c *Clip) AudioConfig() *mpeg4audio.AudioSpecificConfig {
	f, ok := c.audioFormat.(*format.MPEG4Audio)
	if !ok {
		return nil
	}
	conf := *f.Config
	return &conf
}

func toPayloads(pkts []*rtp.Packet) []payload {
	out := make([]payload, len(pkts))
	for i, p := range pkts {
		out[i] = payload{data: p.Payload, marker: p.Marker}
	}
	return out
}

func isKey(codec string, au [][]byte) bool {
	if codec == "H264" {
		return h264.IsRandomAccess(au)
	}
	return h265.IsRandomAccess(au)
}

func cloneAU(au [][]byte) [][]byte {
	n := 0
	for _, nalu := range au {
		n += len(nalu)
	}
	// One backing array per AU keeps a 1080p clip's NALUs from becoming
	// thousands of small allocations.
	buf := make([]byte, 0, n)
	out := make([][]byte, len(au))
	for i, nalu := range au {
		start := len(buf)
		buf = append(buf, nalu...)
		out[i] = buf[start:len(buf):len(buf)]
	}
	return out
}

func ticksToDuration(t int64) time.Duration {
	// Split to avoid overflowing int64 nanoseconds after ~28 hours of ticks.
	return time.Duration(t/videoClockRate)*time.Second +
		time.Duration(t%videoClockRate)*time.Second/videoClockRate
}
