// Package survey is the camera survey (khảo sát, đánh giá hiện trạng): it reads each camera's stream for a
// short window, reports what it measured, assesses it against the province's minimum and builds the
// per-facility and province report with its CSV and XLSX exports.
package survey

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/pion/rtp"

	"vigil/config"
)

// DefaultWindow is how long a camera is read when nothing else is said.
const DefaultWindow = 10 * time.Second

// videoClockRate is the RTP clock of H.264 and H.265 (RFC 6184, RFC 7798).
const videoClockRate = 90000

// maxFrameTimes bounds the timestamps kept for the frame-rate measurement: five minutes at 60 fps.
const maxFrameTimes = 5 * 60 * 60

// Stream is what one RTSP stream delivered during the survey's window. Everything is measured from what
// arrived, not taken from what the camera claims, except FPSDeclared.
type Stream struct {
	URL       string `json:"url"`       // password redacted
	Reachable bool   `json:"reachable"` // the camera answered DESCRIBE with a session description
	// Reason is why the stream could not be measured (one of the Reason codes), "" when it was.
	Reason string `json:"reason,omitempty"`
	// Message says Reason, or a note about a measured stream (it ended early, no keyframe came), to
	// people, in English; MessageVI in Vietnamese. Neither ever holds a password.
	Message   string `json:"message,omitempty"`
	MessageVI string `json:"message_vi,omitempty"`

	Codec       string  `json:"codec,omitempty"`   // H264 | H265, or the name of an unsupported codec
	Profile     string  `json:"profile,omitempty"` // from the SPS: Main, High…
	Level       string  `json:"level,omitempty"`   // from the SPS: 3.0, 4.1…
	Width       int     `json:"width,omitempty"`   // from the SPS (cropped)
	Height      int     `json:"height,omitempty"`
	FPS         float64 `json:"fps"`                    // measured from the frames' timestamps
	FPSDeclared float64 `json:"fps_declared,omitempty"` // from the SPS's VUI timing, when present
	Frames      int     `json:"frames"`                 // video access units decoded in the window
	Keyframes   int     `json:"keyframes"`              // IDR (H.264) or IRAP (H.265) access units among them
	// GOPFrames and GOPSeconds are the longest interval between two keyframes. With fewer than two
	// keyframes in the window GOPOpen is true, GOPFrames 0 and GOPSeconds only a lower bound.
	GOPFrames  int     `json:"gop_frames"`
	GOPSeconds float64 `json:"gop_seconds"`
	GOPOpen    bool    `json:"gop_open,omitempty"`

	Bytes       int64  `json:"bytes"`       // RTP payload received, video and audio
	Bitrate     int64  `json:"bitrate_bps"` // Bytes over the window, in bits per second
	PacketsLost uint64 `json:"packets_lost"`

	Audio         string `json:"audio"` // AAC | Opus | G711 | LPCM | another codec's name | "" for none
	AudioRate     int    `json:"audio_rate,omitempty"`
	AudioChannels int    `json:"audio_channels,omitempty"`
	Transport     string `json:"transport,omitempty"` // TCP | UDP | UDP-multicast, as set up

	Window   float64 `json:"window_seconds"`    // from PLAY to the window's end, planned end if the camera quit early
	MaxStall float64 `json:"max_stall_seconds"` // the longest time without video data, edges of the window included
	At       Time    `json:"at"`                // when the reading ended
}

// Probe reads the camera's main stream for window (DefaultWindow if 0) and reports what it measured. It
// never fails: a camera that cannot be read is a finding, reported in the Stream's Reason. The camera's
// transport and read timeout apply as they do to the recorder; disabled cameras are read all the same.
func Probe(ctx context.Context, cam config.Camera, window time.Duration) Stream {
	return probeURL(ctx, cam, cam.URL, window)
}

// probeURL reads one of cam's streams.
func probeURL(ctx context.Context, cam config.Camera, rawURL string, window time.Duration) Stream {
	if window <= 0 {
		window = DefaultWindow
	}
	p := &prober{cam: cam, rawURL: rawURL, window: window}
	p.st.URL = config.Redact(rawURL)
	p.run(ctx)
	p.st.At = Time(time.Now())
	// The messages quote errors from below only through p.redact; this catches a URL quoted whole.
	p.st.Message, p.st.MessageVI = config.Redact(p.st.Message), config.Redact(p.st.MessageVI)
	return p.st
}

// prober is one reading of one stream.
type prober struct {
	cam    config.Camera
	rawURL string
	window time.Duration
	client *gortsplib.Client
	vt     *videoTrack
	st     Stream

	mu sync.Mutex // guards m: UDP delivers each track on its own goroutine
	m  measurement
}

func (p *prober) run(ctx context.Context) {
	u, err := base.ParseURL(p.rawURL)
	if err != nil {
		p.fail(ReasonOther, "invalid URL: "+p.redact(err.Error()), "Địa chỉ RTSP không hợp lệ")
		return
	}
	p.client = &gortsplib.Client{
		Scheme:      u.Scheme,
		Host:        u.Host,
		Protocol:    transport(p.cam.Transport),
		ReadTimeout: p.cam.ReadTimeout,
		// gortsplib logs these to the standard logger by default; the survey counts them instead.
		OnPacketsLost:     func(n uint64) { p.lock(func(m *measurement) { m.lost += n }) },
		OnDecodeError:     func(error) {},
		OnTransportSwitch: func(error) {},
	}
	if err := p.client.Start(); err != nil {
		p.failErr(ctx, err)
		return
	}
	defer p.client.Close()
	// Describe and Setup block for up to the read timeout; closing the client is what cuts them short.
	stop := context.AfterFunc(ctx, p.client.Close)
	defer stop()

	desc, _, err := p.client.Describe(u)
	if err != nil {
		p.failErr(ctx, err)
		return
	}
	p.st.Reachable = true
	if !p.setup(ctx, desc) {
		return
	}
	// The window starts before PLAY so that the first packet, which may come before Play returns,
	// finds it set.
	start := time.Now()
	p.lock(func(m *measurement) { m.start = start })
	if _, err := p.client.Play(nil); err != nil {
		p.failErr(ctx, err)
		return
	}
	p.read(ctx, start)
}

// read lets the packets flow for the window, or until the camera ends the session or ctx is done.
func (p *prober) read(ctx context.Context, start time.Time) {
	planned := start.Add(p.window)
	clientDone := make(chan error, 1)
	go func() { clientDone <- p.client.Wait() }()
	timer := time.NewTimer(p.window)
	defer timer.Stop()

	var ended error
	select {
	case <-timer.C:
	case <-ctx.Done():
		ended = ctx.Err()
	case ended = <-clientDone:
	}
	if ctx.Err() != nil {
		// Cancelling closes the client, so its end may win the select: the survey stopped, not the camera.
		ended = ctx.Err()
	}
	end := time.Now()
	if ended != nil && ctx.Err() == nil {
		// The camera ended the session: the rest of the window had no video, which counts as a stall
		// (so an early end cannot pass for continuity) and in the bitrate's denominator.
		end = planned
	}
	// With transport "auto" the client may have switched from UDP to TCP while reading.
	if t := transportName(p.client); t != "" {
		p.st.Transport = t
	}
	// Once Close returns, the packet callbacks have returned: m is ours alone.
	p.client.Close()
	p.m.finish(&p.st, end, p.vt)
	p.noteEnd(ended, time.Since(start))
}

// noteEnd explains a window that did not run its course, or a stream that sent no video at all.
func (p *prober) noteEnd(ended error, after time.Duration) {
	stopped := errors.Is(ended, context.Canceled) || errors.Is(ended, context.DeadlineExceeded)
	switch {
	case stopped && p.m.videoPackets == 0:
		p.fail(ReasonOther, "the survey was stopped before any video came", "Khảo sát bị dừng trước khi nhận được hình ảnh")
	case p.m.videoPackets == 0:
		p.fail(ReasonTimeout, fmt.Sprintf("no video data in %.1f s", p.st.Window), "Camera không gửi dữ liệu hình ảnh")
	case stopped:
		p.st.Message = fmt.Sprintf("the survey was stopped after %.1f s", after.Seconds())
		p.st.MessageVI = fmt.Sprintf("Khảo sát bị dừng sau %.1f giây", after.Seconds())
	case ended != nil:
		p.st.Message = fmt.Sprintf("the camera ended the session after %.1f s: %s", after.Seconds(), p.redact(ended.Error()))
		p.st.MessageVI = fmt.Sprintf("Camera ngắt kết nối sau %.1f giây", after.Seconds())
	case p.st.Keyframes == 0:
		p.st.Message = "no keyframe arrived in the window: frame rate and GOP could not be measured"
		p.st.MessageVI = "Không nhận được khung hình khóa (keyframe) trong thời gian khảo sát"
	}
}

// setup picks the video track (H.264 or H.265) and at most one audio track and wires their packets to
// the measurement. It reports false, with the reason set, when the stream cannot be measured.
func (p *prober) setup(ctx context.Context, desc *description.Session) bool {
	var h264f *format.H264
	var h265f *format.H265
	var vt *videoTrack
	if medi := desc.FindFormat(&h264f); medi != nil {
		vt = newH264Track(medi, h264f)
	} else if medi := desc.FindFormat(&h265f); medi != nil {
		vt = newH265Track(medi, h265f)
	} else {
		p.noVideo(desc)
		return false
	}
	p.vt, p.st.Codec = vt, vt.codec
	if err := vt.init(); err != nil {
		p.fail(ReasonOther, "video track: "+p.redact(err.Error()), "Không đọc được luồng video")
		return false
	}
	if _, err := p.client.Setup(desc.BaseURL, vt.media, 0, 0); err != nil {
		p.failErr(ctx, err)
		return false
	}
	p.client.OnPacketRTP(vt.media, vt.format, func(pkt *rtp.Packet) { p.onVideo(vt, pkt) })
	p.st.Transport = transportName(p.client)

	medi, forma := audioTrack(desc)
	if medi == nil {
		return true
	}
	p.st.Audio, p.st.AudioRate, p.st.AudioChannels = describeAudio(forma)
	if _, err := p.client.Setup(desc.BaseURL, medi, 0, 0); err != nil {
		p.failErr(ctx, err)
		return false
	}
	p.client.OnPacketRTP(medi, forma, func(pkt *rtp.Packet) {
		p.lock(func(m *measurement) { m.bytes += int64(len(pkt.Payload)) })
	})
	return true
}

// noVideo tells a stream without video from one whose video vigil cannot record.
func (p *prober) noVideo(desc *description.Session) {
	for _, m := range desc.Medias {
		if m.Type == description.MediaTypeVideo && len(m.Formats) > 0 {
			codec := codecName(m.Formats[0])
			p.st.Codec = codec
			p.fail(ReasonUnsupportedCodec,
				fmt.Sprintf("the video is %s; vigil records H.264 and H.265", codec),
				fmt.Sprintf("Chuẩn nén hình ảnh %s không được hỗ trợ (cần H.264 hoặc H.265)", codec))
			return
		}
	}
	p.fail(ReasonNoVideoTrack, "the stream has no video track (it offers: "+describeFormats(desc)+")",
		"Luồng không có hình ảnh (video)")
}

func (p *prober) onVideo(vt *videoTrack, pkt *rtp.Packet) {
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.m.videoArrived(now, len(pkt.Payload))
	pts, ok := p.client.PacketPTS(vt.media, pkt)
	if !ok {
		return // nothing decodes before the first keyframe or parameter set
	}
	au, err := vt.decode(pkt)
	if err != nil || len(au) == 0 {
		return // "more packets needed" is the normal state of a depacketizer
	}
	p.m.frame(now, pts, vt.isKey(au))
	if sps := vt.findSPS(au); sps != nil && !slices.Equal(sps, p.m.bandSPS) {
		p.m.bandSPS = slices.Clone(sps)
	}
}

func (p *prober) lock(fn func(*measurement)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fn(&p.m)
}

// fail sets the reason the stream could not be measured.
func (p *prober) fail(reason, message, messageVI string) {
	p.st.Reason, p.st.Message, p.st.MessageVI = reason, message, messageVI
}

// failErr classifies a connection or protocol error; a cancelled survey is said as such rather than
// blamed on the camera.
func (p *prober) failErr(ctx context.Context, err error) {
	if ctx.Err() != nil {
		p.fail(ReasonOther, "the survey was stopped before the camera answered", "Khảo sát bị dừng trước khi camera trả lời")
		return
	}
	host := ""
	if u, perr := url.Parse(p.rawURL); perr == nil {
		host = u.Host
	}
	p.fail(classify(err, host, p.redact))
}

// redact removes the camera's password from text that came from below (an error, a status line the
// camera wrote), in case it quoted it, whether as written or percent-encoded. Only such text goes
// through it: the survey's own wording could contain a short password by chance and be mangled.
func (p *prober) redact(text string) string { return config.HidePasswords(text, p.rawURL) }

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

func transportName(c *gortsplib.Client) string {
	t := c.Transport()
	if t == nil || t.Session == nil {
		return ""
	}
	return t.Session.Protocol.String()
}

// audioTrack is the first audio track that is not a back channel (a camera's loudspeaker), if any.
func audioTrack(desc *description.Session) (*description.Media, format.Format) {
	for _, m := range desc.Medias {
		if m.Type == description.MediaTypeAudio && !m.IsBackChannel && len(m.Formats) > 0 {
			return m, m.Formats[0]
		}
	}
	return nil, nil
}

// describeAudio names an audio format the way people know it, with its rate and channels when the
// SDP says them.
func describeAudio(f format.Format) (name string, rate, channels int) {
	switch f := f.(type) {
	case *format.MPEG4Audio:
		if f.Config != nil {
			return "AAC", f.Config.SampleRate, aacChannels(f.Config.ChannelConfig)
		}
		return "AAC", f.ClockRate(), 0
	case *format.Opus:
		return "Opus", 48000, f.ChannelCount
	case *format.G711:
		return "G711", f.SampleRate, f.ChannelCount
	case *format.LPCM:
		return "LPCM", f.SampleRate, f.ChannelCount
	}
	return codecName(f), f.ClockRate(), 0
}

// aacChannels is the channel count of an AAC channel configuration (ISO 14496-3 1.6.3.5); 0, "said in
// the stream", stays unknown.
func aacChannels(conf uint8) int {
	switch {
	case conf >= 1 && conf <= 6:
		return int(conf)
	case conf == 7:
		return 8
	}
	return 0
}

// codecName names a format for people: the codecs cameras send by their usual names, anything else by
// its RTP encoding name or, failing that, its payload type.
func codecName(f format.Format) string {
	switch f.(type) {
	case *format.H264:
		return "H264"
	case *format.H265:
		return "H265"
	case *format.MJPEG:
		return "M-JPEG"
	case *format.MPEG4Video:
		return "MPEG-4 Video"
	case *format.MPEG1Video:
		return "MPEG-1/2 Video"
	case *format.VP8:
		return "VP8"
	case *format.VP9:
		return "VP9"
	case *format.AV1:
		return "AV1"
	case *format.MPEG4Audio, *format.MPEG4AudioLATM:
		return "AAC"
	case *format.G711:
		return "G711"
	case *format.G722:
		return "G722"
	case *format.G726:
		return "G726"
	case *format.Opus:
		return "Opus"
	case *format.MPEG1Audio:
		return "MPEG-1 Audio"
	}
	if name, _, _ := strings.Cut(f.RTPMap(), "/"); name != "" {
		return name
	}
	return fmt.Sprintf("payload type %d", f.PayloadType())
}

func describeFormats(desc *description.Session) string {
	var names []string
	for _, m := range desc.Medias {
		for _, f := range m.Formats {
			names = append(names, codecName(f))
		}
	}
	if len(names) == 0 {
		return "nothing"
	}
	return strings.Join(names, ", ")
}
