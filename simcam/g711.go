package simcam

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/g711"
)

// G711Law is the companding of Clip.WithG711's audio.
type G711Law int

const (
	MuLaw G711Law = iota // PCMU, static payload type 0
	ALaw                 // PCMA, static payload type 8
)

const (
	g711Rate      = 8000
	g711Packet    = g711Rate / 50 // 20 ms, the RTP/AVP default packetization
	toneHz        = 1000
	toneAmplitude = math.MaxInt16 / 2
)

// WithG711 returns a copy of the clip that carries, instead of its own
// audio, a 1 kHz tone in G.711 at 8 kHz mono in 20 ms packets, as many IP
// cameras send. It is synthesized rather than read from a clip because
// MPEG-TS has no stream type for G.711. The copy shares the video with c.
func (c *Clip) WithG711(law G711Law) (*Clip, error) {
	g := *c
	switch law {
	case MuLaw:
		g.audioFormat = &format.G711{PayloadTyp: 0, MULaw: true, SampleRate: g711Rate, ChannelCount: 1}
	case ALaw:
		g.audioFormat = &format.G711{PayloadTyp: 8, MULaw: false, SampleRate: g711Rate, ChannelCount: 1}
	default:
		return nil, fmt.Errorf("simcam: unknown G.711 law %d", law)
	}
	g.audioRate = g711Rate

	loop := g.audioLoopOffset(1)
	aus := make([][]byte, 0, loop/g711Packet)
	lpcm := make([]byte, 2*g711Packet)
	for start := int64(0); start+g711Packet <= loop; start += g711Packet {
		for i := range g711Packet {
			// Phase from the sample's place in the loop, so the tone runs
			// on unbroken from one packet to the next.
			v := toneAmplitude * math.Sin(2*math.Pi*toneHz*float64(start+int64(i))/g711Rate)
			binary.BigEndian.PutUint16(lpcm[2*i:], uint16(int16(math.Round(v))))
		}
		var enc []byte
		var err error
		if law == ALaw {
			enc, err = g711.Alaw(lpcm).Marshal()
		} else {
			enc, err = g711.Mulaw(lpcm).Marshal()
		}
		if err != nil {
			return nil, err
		}
		aus = append(aus, enc)
	}

	// The tone starts with the first frame shown, which is frames[0] (a
	// keyframe opening a closed GOP) but at its PTS, not its DTS.
	first := g.frames[0].pts * g711Rate / videoClockRate
	if err := g.loadAudio(first, aus, func(au []byte) int64 { return int64(len(au)) }); err != nil {
		return nil, err
	}
	g.buildSchedule()
	return &g, nil
}
