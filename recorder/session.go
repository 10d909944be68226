package recorder

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtph264"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtph265"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtpmpeg4audio"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/g711"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/opus"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"
	"github.com/pion/rtp"

	"vigil/media"
)

// errorReportInterval spaces out the logging of per-packet trouble (loss, decode errors, queue drops):
// one line per interval with the counts, never one per packet.
const errorReportInterval = 10 * time.Second

// session is one RTSP session with one of a camera's streams: it decodes access units on gortsplib's read
// goroutine, fans them out to live viewers and, for the main stream, hands them to the segment writer
// through a bounded queue, so a slow disk never stalls the read loop.
type session struct {
	src    *source
	client *gortsplib.Client
	queue  chan unit // to the segment writer; nil when the session only feeds live viewers
	resync atomic.Bool
	live   fanOut
}

// source is one of a camera's streams as its sessions see it: where to connect, whether to record, where
// to count and report. The main stream's counters and warnings are the camera's status; a substream keeps
// its own, so that its trouble never shows as the recording's.
type source struct {
	url    string
	record bool
	stats  *streamStats
	log    *slog.Logger
	warn   func(string)
	// onPlay is called once the session plays, with the fan-out viewers may now subscribe to; onEnd when
	// it ends, just before that fan-out closes.
	onPlay, onEnd func(*fanOut)
}

// streamStats counts one stream's traffic and trouble.
type streamStats struct {
	received, drops, lost, decodeErrors, liveDrops atomic.Uint64
}

func (c *camera) runSession(ctx context.Context, src *source) error {
	u, err := base.ParseURL(src.url)
	if err != nil {
		return fmt.Errorf("invalid URL: %w", err)
	}
	s := &session{src: src}
	if src.record {
		s.queue = make(chan unit, c.queueSize)
	}
	s.client = &gortsplib.Client{
		Scheme:        u.Scheme,
		Host:          u.Host,
		Protocol:      transport(c.cfg.Transport),
		ReadTimeout:   c.cfg.ReadTimeout,
		OnPacketsLost: func(n uint64) { src.stats.lost.Add(n) },
		OnDecodeError: func(err error) { src.stats.decodeErrors.Add(1) },
	}
	if err := s.client.Start(); err != nil {
		return err
	}
	defer s.client.Close()

	desc, _, err := s.client.Describe(u)
	if err != nil {
		return fmt.Errorf("describe: %w", err)
	}
	params, audio, err := s.setup(desc)
	if err != nil {
		return err
	}
	if _, err := s.client.Play(nil); err != nil {
		return fmt.Errorf("play: %w", err)
	}
	src.log.Info("playing", "codec", params.Codec, "audio", audioName(audio))
	s.live.tracks, s.live.drops = liveTracks(params, audio), &src.stats.liveDrops
	src.onPlay(&s.live)
	defer s.endLive()

	var writerDone chan error // stays nil, never ready, without a writer
	if s.queue != nil {
		w := newSegmentWriter(c, newRunID(), params, audio)
		writerDone = make(chan error, 1)
		go func() { writerDone <- s.drain(w) }()
	}
	clientDone := make(chan error, 1)
	go func() { clientDone <- s.client.Wait() }()

	report := time.NewTicker(errorReportInterval)
	defer report.Stop()
	reported := s.troubleCounts()
	for {
		select {
		case <-ctx.Done():
			s.stop(writerDone)
			return ctx.Err()
		case err := <-clientDone:
			return errors.Join(err, s.stop(writerDone))
		case err := <-writerDone:
			s.client.Close()
			s.endLive()
			close(s.queue)
			return err
		case <-report.C:
			s.reportTrouble(&reported)
		}
	}
}

// stop closes the client (its callbacks have returned when Close does), then lets the writer drain the
// queue and close the segment, so what was received is recorded.
func (s *session) stop(writerDone chan error) error {
	s.client.Close()
	s.endLive()
	if s.queue == nil {
		return nil
	}
	close(s.queue)
	return <-writerDone
}

// endLive ends the live viewers' feeds, once the client's callbacks can no longer send to them.
func (s *session) endLive() {
	s.src.onEnd(&s.live)
	s.live.end()
}

// drain writes what the queue brings until it is closed, or until a write fails: then the session must
// end (and be retried) at once rather than go on receiving what it cannot record.
func (s *session) drain(w *segmentWriter) error {
	for u := range s.queue {
		if err := w.write(&u); err != nil {
			return errors.Join(err, w.close())
		}
	}
	return w.close()
}

func transport(t string) *gortsplib.Protocol {
	var p gortsplib.Protocol
	switch t {
	case "udp":
		p = gortsplib.ProtocolUDP
	case "auto":
		return nil
	default:
		p = gortsplib.ProtocolTCP
	}
	return &p
}

func (s *session) push(u unit) {
	if s.queue != nil {
		if s.resync.Swap(false) {
			u.resync = true
		}
		select {
		case s.queue <- u:
		default:
			s.src.stats.drops.Add(1)
			s.resync.Store(true)
		}
	}
	s.live.send(&u)
}

// troubleCounts are the stream's cumulative packets lost, decode errors and queue drops.
func (s *session) troubleCounts() [3]uint64 {
	st := s.src.stats
	return [3]uint64{st.lost.Load(), st.decodeErrors.Load(), st.drops.Load()}
}

func (s *session) reportTrouble(last *[3]uint64) {
	now := s.troubleCounts()
	if now != *last {
		s.src.log.Warn("stream trouble in the last interval",
			"packets_lost", now[0]-last[0], "decode_errors", now[1]-last[1], "queue_drops", now[2]-last[2],
			"interval", errorReportInterval)
		*last = now
	}
}

// setup picks the video track (H.264 or H.265, required) and at most one audio track, and wires their
// packets to the queue and the live viewers.
func (s *session) setup(desc *description.Session) (videoParams, *audioTrack, error) {
	var h264f *format.H264
	var h265f *format.H265
	var params videoParams
	videoMedia := desc.FindFormat(&h264f)
	if videoMedia != nil {
		params.ParamSets = media.ParamSets{Codec: "H264", SPS: h264f.SPS, PPS: h264f.PPS}
	} else if videoMedia = desc.FindFormat(&h265f); videoMedia != nil {
		params.ParamSets = media.ParamSets{Codec: "H265", VPS: h265f.VPS, SPS: h265f.SPS, PPS: h265f.PPS}
	} else {
		return params, nil, fmt.Errorf("no H.264 or H.265 video in the stream (it offers: %s)", describeFormats(desc))
	}
	if err := params.parseSPS(); err != nil {
		// A bad SPS in the SDP is replaced by the in-band one if the camera sends it.
		params.SPS, params.PPS, params.VPS = nil, nil, nil
		s.src.warn("ignoring the SDP's parameter sets: " + err.Error())
	}
	if _, err := s.client.Setup(desc.BaseURL, videoMedia, 0, 0); err != nil {
		return params, nil, fmt.Errorf("setup video: %w", err)
	}
	if err := s.wireVideo(videoMedia, h264f, h265f); err != nil {
		return params, nil, err
	}
	audio, err := s.setupAudio(desc)
	return params, audio, err
}

func (s *session) wireVideo(medi *description.Media, h264f *format.H264, h265f *format.H265) error {
	var forma format.Format
	var decode func(*rtp.Packet) ([][]byte, error)
	if h264f != nil {
		dec, err := h264f.CreateDecoder()
		if err != nil {
			return err
		}
		forma, decode = h264f, dec.Decode
	} else {
		dec, err := h265f.CreateDecoder()
		if err != nil {
			return err
		}
		forma, decode = h265f, dec.Decode
	}
	s.onAccessUnits(medi, forma, false, decode)
	return nil
}

// onAccessUnits wires a track's packets through its depacketizer to the queue, on gortsplib's read
// goroutine. "Needs more packets" is the normal state of a depacketizer; any other error is counted and,
// for video, where it leaves a hole in the picture, makes the writer restart at the next keyframe.
func (s *session) onAccessUnits(medi *description.Media, forma format.Format, audio bool,
	decode func(*rtp.Packet) ([][]byte, error)) {
	s.client.OnPacketRTP(medi, forma, func(pkt *rtp.Packet) {
		s.src.stats.received.Add(uint64(len(pkt.Payload)))
		pts, ok := s.client.PacketPTS(medi, pkt)
		if !ok {
			return
		}
		aus, err := decode(pkt)
		if err != nil {
			if !needsMorePackets(err) {
				s.src.stats.decodeErrors.Add(1)
				if !audio {
					s.resync.Store(true)
				}
			}
			return
		}
		if len(aus) > 0 {
			s.push(unit{audio: audio, pts: pts, nalus: aus, recv: time.Now().UnixNano()})
		}
	})
}

func needsMorePackets(err error) bool {
	for _, benign := range []error{rtph264.ErrMorePacketsNeeded, rtph264.ErrNonStartingPacketAndNoPrevious,
		rtph265.ErrMorePacketsNeeded, rtph265.ErrNonStartingPacketAndNoPrevious, rtpmpeg4audio.ErrMorePacketsNeeded} {
		if errors.Is(err, benign) {
			return true
		}
	}
	return false
}

func (s *session) setupAudio(desc *description.Session) (*audioTrack, error) {
	var aac *format.MPEG4Audio
	var op *format.Opus
	var g *format.G711
	var medi *description.Media
	var track *audioTrack
	var forma format.Format
	var decode func(*rtp.Packet) ([][]byte, error)

	switch {
	case desc.FindFormat(&aac) != nil && aac.Config != nil:
		medi = desc.FindFormat(&aac)
		dec, err := aac.CreateDecoder()
		if err != nil {
			return nil, err
		}
		forma, decode = aac, dec.Decode
		track = &audioTrack{name: "MPEG4Audio", clockRate: int64(aac.ClockRate()),
			codec:    &codecs.MPEG4Audio{Config: *aac.Config},
			duration: func([]byte) int64 { return mpeg4audio.SamplesPerAccessUnit }}
	case desc.FindFormat(&op) != nil:
		medi = desc.FindFormat(&op)
		dec, err := op.CreateDecoder()
		if err != nil {
			return nil, err
		}
		forma, decode = op, oneAU(dec.Decode)
		track = &audioTrack{name: "Opus", clockRate: 48000, codec: &codecs.Opus{ChannelCount: op.ChannelCount},
			duration: func(au []byte) int64 { return opus.PacketDuration2(au) }}
	case desc.FindFormat(&g) != nil:
		medi = desc.FindFormat(&g)
		dec, err := g.CreateDecoder()
		if err != nil {
			return nil, err
		}
		forma, decode = g, oneAU(dec.Decode)
		// fMP4 has no G.711 sample entry that players agree on: store it as 16-bit big-endian LPCM.
		mulaw, ch := g.MULaw, max(g.ChannelCount, 1)
		track = &audioTrack{name: "LPCM", clockRate: int64(g.SampleRate),
			codec:    &codecs.LPCM{BitDepth: 16, SampleRate: g.SampleRate, ChannelCount: ch},
			duration: func(au []byte) int64 { return int64(len(au) / 2 / ch) },
			transform: func(au []byte) []byte {
				if mulaw {
					var m g711.Mulaw
					m.Unmarshal(au)
					return m
				}
				var a g711.Alaw
				a.Unmarshal(au)
				return a
			}}
	default:
		if hasAudio(desc) {
			s.src.warn("audio not recorded: codec not supported (" + describeFormats(desc) + ")")
		}
		return nil, nil
	}
	if _, err := s.client.Setup(desc.BaseURL, medi, 0, 0); err != nil {
		return nil, fmt.Errorf("setup audio: %w", err)
	}
	s.onAccessUnits(medi, forma, true, decode)
	return track, nil
}

// oneAU adapts a decoder that yields one access unit per packet to the many-units shape AAC needs.
func oneAU(decode func(*rtp.Packet) ([]byte, error)) func(*rtp.Packet) ([][]byte, error) {
	return func(p *rtp.Packet) ([][]byte, error) {
		b, err := decode(p)
		return [][]byte{b}, err
	}
}

func hasAudio(desc *description.Session) bool {
	for _, m := range desc.Medias {
		if m.Type == description.MediaTypeAudio {
			return true
		}
	}
	return false
}

func describeFormats(desc *description.Session) string {
	var names []string
	for _, m := range desc.Medias {
		for _, f := range m.Formats {
			name := f.RTPMap()
			if name == "" {
				name = fmt.Sprintf("payload type %d", f.PayloadType())
			}
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return "nothing"
	}
	return strings.Join(names, ", ")
}

func audioName(a *audioTrack) string {
	if a == nil {
		return "none"
	}
	return a.name
}
