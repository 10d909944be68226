package upstream

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/opus"
	"github.com/pion/rtp"

	"vigil/media"
)

const (
	videoPayloadType = 96
	audioPayloadType = 97
	// paramsWait bounds how long a new stream waits for the parameter sets of a camera that sends them
	// only in-band (a keyframe comes every few seconds). Without them the SDP simply lacks them: the
	// stream carries them before every keyframe anyway.
	paramsWait = 5 * time.Second
	// maxClockSkew is how far the wall clock derived from PTS may drift from vigil's clock before it is
	// anchored again (a camera clock that runs fast, or a jump).
	maxClockSkew = time.Second
)

// errFeedEnded is what a re-stream or a push sees when the camera's session ends under it.
var errFeedEnded = errors.New("the camera's live session ended")

// packetizer turns a feed's units into the RTP packets of one RTSP session description, the SDP both of
// the re-stream and of a push. One goroutine uses it.
type packetizer struct {
	desc   *description.Session
	video  *description.Media
	audio  *description.Media // nil when the feed has no audio a reader can play
	params media.ParamSets

	h264        *format.H264 // one of the two is set
	h265        *format.H265
	encodeVideo func([][]byte) ([]*rtp.Packet, error)
	encodeAudio func([][]byte) ([]*rtp.Packet, error)
	audioClock  int

	// Random first RTP timestamps, as RFC 3550 asks: PTS starts near 0 for every camera session.
	videoBase, audioBase uint32
	// epoch is the wall-clock time of PTS 0: RTCP sender reports then map every track's RTP time to one
	// consistent clock, which readers use to keep audio and video in sync.
	epoch time.Time

	// onNewParams, if set, is called after the video format took new parameter sets.
	onNewParams func()
}

// newPacketizer describes a feed's tracks in SDP terms. p are the parameter sets known so far; they go
// into the SDP only when complete.
func newPacketizer(t media.Tracks, p media.ParamSets) (*packetizer, error) {
	pz := &packetizer{params: p, videoBase: rand.Uint32(), audioBase: rand.Uint32()}
	if err := pz.setupVideo(t.VideoCodec); err != nil {
		return nil, err
	}
	pz.desc = &description.Session{Medias: []*description.Media{pz.video}}
	if err := pz.setupAudio(t); err != nil {
		return nil, err
	}
	if pz.audio != nil {
		pz.desc.Medias = append(pz.desc.Medias, pz.audio)
	}
	return pz, nil
}

func (pz *packetizer) setupVideo(codec string) error {
	var f format.Format
	switch codec {
	case "H264":
		pz.h264 = &format.H264{PayloadTyp: videoPayloadType, PacketizationMode: 1}
		enc, err := pz.h264.CreateEncoder()
		if err != nil {
			return err
		}
		f, pz.encodeVideo = pz.h264, enc.Encode
	case "H265":
		pz.h265 = &format.H265{PayloadTyp: videoPayloadType}
		enc, err := pz.h265.CreateEncoder()
		if err != nil {
			return err
		}
		f, pz.encodeVideo = pz.h265, enc.Encode
	default:
		return fmt.Errorf("video codec %q cannot be re-streamed", codec)
	}
	pz.setFormatParams()
	pz.video = &description.Media{Type: description.MediaTypeVideo, Formats: []format.Format{f}}
	return nil
}

func (pz *packetizer) setupAudio(t media.Tracks) error {
	var f format.Format
	switch {
	case t.AudioCodec == "MPEG4Audio" && t.AAC != nil:
		cfg := *t.AAC
		aac := &format.MPEG4Audio{PayloadTyp: audioPayloadType, ProfileLevelID: 1, Config: &cfg,
			SizeLength: 13, IndexLength: 3, IndexDeltaLength: 3}
		enc, err := aac.CreateEncoder()
		if err != nil {
			return err
		}
		f, pz.encodeAudio = aac, enc.Encode
	case t.AudioCodec == "Opus":
		op := &format.Opus{PayloadTyp: audioPayloadType, ChannelCount: max(t.AudioChannels, 1)}
		enc, err := op.CreateEncoder()
		if err != nil {
			return err
		}
		f, pz.encodeAudio = op, opusPackets(enc.Encode)
	default:
		return nil
	}
	pz.audioClock = t.AudioClockRate
	if pz.audioClock <= 0 {
		pz.audioClock = f.ClockRate()
	}
	pz.audio = &description.Media{Type: description.MediaTypeAudio, Formats: []format.Format{f}}
	return nil
}

// opusPackets sends each Opus packet of a unit in an RTP packet of its own, stamped with its offset in the
// unit: Opus has no aggregation in RTP (RFC 7587).
func opusPackets(encode func([]byte) (*rtp.Packet, error)) func([][]byte) ([]*rtp.Packet, error) {
	return func(aus [][]byte) ([]*rtp.Packet, error) {
		pkts := make([]*rtp.Packet, 0, len(aus))
		var offset int64
		for _, au := range aus {
			pkt, err := encode(au)
			if err != nil {
				return nil, err
			}
			pkt.Timestamp += uint32(offset)
			offset += opus.PacketDuration2(au)
			pkts = append(pkts, pkt)
		}
		return pkts, nil
	}
}

// setFormatParams puts complete parameter sets into the video format, hence the SDP.
func (pz *packetizer) setFormatParams() {
	if !pz.params.Complete() {
		return
	}
	p := pz.params
	if pz.h264 != nil {
		pz.h264.SPS, pz.h264.PPS = p.SPS, p.PPS
	} else {
		pz.h265.VPS, pz.h265.SPS, pz.h265.PPS = p.VPS, p.SPS, p.PPS
	}
}

// packetize returns a unit's RTP packets, the media they belong to and the wall-clock time of their
// timestamp; no packets for audio the description has no track for.
func (pz *packetizer) packetize(u media.Unit) (*description.Media, []*rtp.Packet, time.Time, error) {
	var medi *description.Media
	var pkts []*rtp.Packet
	var err error
	var base uint32
	clock := 90000
	if u.Audio {
		if pz.audio == nil || len(u.AU) == 0 {
			return nil, nil, time.Time{}, nil
		}
		medi, base, clock = pz.audio, pz.audioBase, pz.audioClock
		pkts, err = pz.encodeAudio(u.AU)
	} else {
		if len(u.AU) == 0 {
			return nil, nil, time.Time{}, nil
		}
		pz.updateParams(u.AU)
		medi, base = pz.video, pz.videoBase
		pkts, err = pz.encodeVideo(pz.withParams(u.AU))
	}
	if err != nil {
		return nil, nil, time.Time{}, err
	}
	for _, pkt := range pkts {
		pkt.Timestamp += base + uint32(u.PTS)
	}
	return medi, pkts, pz.wallClock(u.PTS, clock, u.NTP), nil
}

// updateParams keeps the latest in-band parameter sets, and puts them into the SDP when they change (a
// camera whose resolution was changed) so readers that connect later get the right ones.
func (pz *packetizer) updateParams(au [][]byte) {
	if !pz.params.Update(au) || !pz.params.Complete() {
		return
	}
	pz.setFormatParams()
	if pz.onNewParams != nil {
		pz.onNewParams()
	}
}

// withParams prepends the parameter sets to a keyframe that lacks them: a reader that starts there (every
// reader starts somewhere in the middle) can decode it even if the camera sent them only once, at the
// start of its session, or only in the SDP.
func (pz *packetizer) withParams(au [][]byte) [][]byte {
	p := pz.params
	if !p.Complete() || !media.IsRandomAccess(p.Codec, au) || hasParams(p.Codec, au) {
		return au
	}
	out := make([][]byte, 0, len(au)+3)
	// An access unit delimiter must stay first (H.264 7.4.1.2.3, H.265 7.4.2.4.4): the sets go after it.
	lead := 0
	if len(au) > 0 && isAUD(p.Codec, au[0]) {
		lead = 1
	}
	out = append(out, au[:lead]...)
	if p.Codec == "H265" {
		out = append(out, p.VPS)
	}
	out = append(out, p.SPS, p.PPS)
	return append(out, au[lead:]...)
}

func isAUD(codec string, nalu []byte) bool {
	if len(nalu) == 0 {
		return false
	}
	if codec == "H265" {
		return h265.NALUType((nalu[0]>>1)&0x3f) == h265.NALUType_AUD_NUT
	}
	return h264.NALUType(nalu[0]&0x1f) == h264.NALUTypeAccessUnitDelimiter
}

// hasParams reports whether an access unit carries every parameter set its codec needs.
func hasParams(codec string, au [][]byte) bool {
	var vps, sps, pps bool
	for _, nalu := range au {
		if len(nalu) == 0 {
			continue
		}
		if codec == "H264" {
			switch h264.NALUType(nalu[0] & 0x1f) {
			case h264.NALUTypeSPS:
				sps = true
			case h264.NALUTypePPS:
				pps = true
			}
			continue
		}
		switch h265.NALUType((nalu[0] >> 1) & 0x3f) {
		case h265.NALUType_VPS_NUT:
			vps = true
		case h265.NALUType_SPS_NUT:
			sps = true
		case h265.NALUType_PPS_NUT:
			pps = true
		}
	}
	return sps && pps && (codec == "H264" || vps)
}

// wallClock maps a PTS to vigil's clock through one anchor for all tracks (PTS of a session's tracks are
// already aligned), anchored on the first unit and again when it drifts too far from arrival times.
func (pz *packetizer) wallClock(pts int64, clock int, arrived time.Time) time.Time {
	offset := ticksToDuration(pts, clock)
	if pz.epoch.IsZero() || absDuration(pz.epoch.Add(offset).Sub(arrived)) > maxClockSkew {
		pz.epoch = arrived.Add(-offset)
	}
	return pz.epoch.Add(offset)
}

// ticksToDuration splits seconds from the remainder: pts*time.Second overflows after a day at 90 kHz.
func ticksToDuration(pts int64, clock int) time.Duration {
	c := int64(clock)
	return time.Duration(pts/c)*time.Second + time.Duration(pts%c)*time.Second/time.Duration(c)
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// waitParams completes the parameter sets of a feed whose tracks lack them, from the in-band ones of a
// keyframe, which it returns so that it is sent first. It gives up (keeping what it has) after timeout,
// and fails when the feed ends or stop is closed. Units before the keyframe are of no use to a reader
// that starts now, so they are dropped.
func waitParams(feed *media.Feed, stop <-chan struct{}, timeout time.Duration) (media.ParamSets, *media.Unit, error) {
	t := feed.Tracks
	p := media.ParamSets{Codec: t.VideoCodec, VPS: t.VPS, SPS: t.SPS, PPS: t.PPS}
	if p.Complete() {
		return p, nil, nil
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		select {
		case u, ok := <-feed.Units:
			if !ok {
				return p, nil, errFeedEnded
			}
			if u.Audio {
				continue
			}
			p.Update(u.AU)
			if p.Complete() && media.IsRandomAccess(p.Codec, u.AU) {
				return p, &u, nil
			}
		case <-timer.C:
			return p, nil, nil
		case <-stop:
			return p, nil, errStopped
		}
	}
}

var errStopped = errors.New("stopped")
