package recorder

import (
	"cmp"
	"encoding/json"
	"math"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"vigil/config"
	"vigil/simcam"
)

// addCamera adds a camera playing clip, for clips a rigCamera cannot describe (a synthesized G.711
// track); call it before start.
func (r *testRig) addCamera(id string, clip *simcam.Clip) {
	r.t.Helper()
	if err := r.cams.AddCamera(id, clip); err != nil {
		r.t.Fatal(err)
	}
	r.cfg.Cameras = append(r.cfg.Cameras, config.Camera{ID: id, Facility: "f1", URL: r.cams.URL(id),
		ReadTimeout: 2 * time.Second})
	r.cfg.ApplyDefaults()
}

// streamProbe is one stream of a file as ffprobe reads it, with the span its packets cover: the
// container's duration fields are not what a player goes by, the packets are.
type streamProbe struct {
	codecType, codecName string
	sampleRate, channels int
	packets              []probePacket
	start, end           float64 // seconds
}

type probePacket struct{ pts, dur float64 } // dur is NaN where ffprobe gives none

func probeStreams(t *testing.T, path string) []*streamProbe {
	t.Helper()
	out := runFFprobe(t, path,
		"-show_entries", "stream=index,codec_type,codec_name,sample_rate,channels:packet=stream_index,pts_time,duration_time")
	var p struct {
		Streams []struct {
			Index      int    `json:"index"`
			CodecType  string `json:"codec_type"`
			CodecName  string `json:"codec_name"`
			SampleRate string `json:"sample_rate"`
			Channels   int    `json:"channels"`
		} `json:"streams"`
		Packets []struct {
			StreamIndex  int    `json:"stream_index"`
			PTSTime      string `json:"pts_time"`
			DurationTime string `json:"duration_time"`
		} `json:"packets"`
	}
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatal(err)
	}
	streams := make([]*streamProbe, len(p.Streams))
	for i, s := range p.Streams {
		if s.Index != i {
			t.Fatalf("%s: ffprobe lists stream %d as number %d", path, s.Index, i)
		}
		streams[i] = &streamProbe{codecType: s.CodecType, codecName: s.CodecName, channels: s.Channels}
		if s.SampleRate != "" {
			streams[i].sampleRate = int(atof(t, s.SampleRate))
		}
	}
	for _, pkt := range p.Packets {
		if pkt.StreamIndex < 0 || pkt.StreamIndex >= len(streams) {
			t.Fatalf("%s: packet of unknown stream %d", path, pkt.StreamIndex)
		}
		dur := math.NaN()
		if pkt.DurationTime != "" {
			dur = atof(t, pkt.DurationTime)
		}
		s := streams[pkt.StreamIndex]
		s.packets = append(s.packets, probePacket{atof(t, pkt.PTSTime), dur})
	}
	for _, s := range streams {
		// ffprobe 5.1 gives no duration to the Opus packets of a fragmented MP4, even one ffmpeg wrote:
		// such a packet lasts until the next one, the last one as long as its predecessor.
		slices.SortFunc(s.packets, func(a, b probePacket) int { return cmp.Compare(a.pts, b.pts) })
		s.start, s.end = math.Inf(1), math.Inf(-1)
		for i, p := range s.packets {
			if math.IsNaN(p.dur) {
				switch {
				case i+1 < len(s.packets):
					p.dur = s.packets[i+1].pts - p.pts
				case i > 0:
					p.dur = p.pts - s.packets[i-1].pts
				default:
					p.dur = 0
				}
			}
			s.start = min(s.start, p.pts)
			s.end = max(s.end, p.pts+p.dur)
		}
	}
	return streams
}

// TestRecordsOpusAndG711Audio records an Opus camera and G.711 cameras (µ-law and A-law, which the
// recorder stores as 16-bit big-endian LPCM) and checks every segment with ffprobe and ffmpeg: the audio
// codec and rate, an audio track as long as the video, and audio that decodes without a complaint.
func TestRecordsOpusAndG711Audio(t *testing.T) {
	requireFFprobe(t)
	video, err := simcam.LoadClip(simcam.ClipH264)
	if err != nil {
		t.Fatal(err)
	}
	opusClip, err := simcam.LoadClip(simcam.ClipH264Opus)
	if err != nil {
		t.Fatal(err)
	}
	pcmu, err := video.WithG711(simcam.MuLaw)
	if err != nil {
		t.Fatal(err)
	}
	pcma, err := video.WithG711(simcam.ALaw)
	if err != nil {
		t.Fatal(err)
	}

	rig := newRig(t, 3*time.Second)
	rig.addCamera("opus", opusClip)
	rig.addCamera("pcmu", pcmu)
	rig.addCamera("pcma", pcma)
	rig.start()
	// Past the 3 s segment length, so every camera rotates once and the check covers a segment that
	// started on a rotation as well as one that started with the session.
	rig.waitFor("4 s recorded per camera", 30*time.Second, func() bool {
		for _, c := range rig.cfg.Cameras {
			if rig.recordedDuration(c.ID) < 4*time.Second {
				return false
			}
		}
		return true
	})
	rig.stop()

	want := map[string]struct {
		index, codec string // the index's audio codec, ffprobe's
		rate         int
	}{
		"opus": {"Opus", "opus", 48000},
		"pcmu": {"LPCM", "pcm_s16be", 8000},
		"pcma": {"LPCM", "pcm_s16be", 8000},
	}
	for cam, w := range want {
		segs := rig.segments(cam)
		if len(segs) < 2 {
			t.Fatalf("%s: %d segments, want at least 2 (3 s segments over 4 s)", cam, len(segs))
		}
		for i, seg := range segs {
			path := filepath.Join(rig.cfg.Storage.Path, seg.Path)
			// The recorder can stop a frame or two after a rotation: that last sliver of a segment
			// may end before the audio of its few milliseconds arrives.
			tail := i == len(segs)-1 && seg.Duration() < int64(500*time.Millisecond)
			if seg.AudioCodec != w.index {
				t.Errorf("%s: index says audio %q, want %q", seg.Path, seg.AudioCodec, w.index)
			}
			var v, a *streamProbe
			for _, s := range probeStreams(t, path) {
				switch s.codecType {
				case "video":
					v = s
				case "audio":
					a = s
				}
			}
			if v == nil || (a == nil && !tail) {
				t.Errorf("%s: video %v, audio %v", seg.Path, v != nil, a != nil)
				continue
			}
			if tail {
				continue
			}
			if a.codecName != w.codec || a.sampleRate != w.rate || a.channels != 1 {
				t.Errorf("%s: audio %s %d Hz %d channels, want %s %d Hz mono",
					seg.Path, a.codecName, a.sampleRate, a.channels, w.codec, w.rate)
			}
			vDur, aDur := v.end-v.start, a.end-a.start
			t.Logf("%s: %.3f s of video, %.3f s of %s at %d Hz in %d packets",
				seg.Path, vDur, aDur, a.codecName, a.sampleRate, len(a.packets))
			if len(a.packets) == 0 || math.Abs(aDur-vDur) > 0.2 {
				t.Errorf("%s: %d audio packets over %.3f s (%.3f-%.3f) beside %.3f s of video (%.3f-%.3f)",
					seg.Path, len(a.packets), aDur, a.start, a.end, vDur, v.start, v.end)
			}

			out, err := exec.Command("ffmpeg", "-v", "error", "-i", path, "-map", "0:a", "-f", "null", "-").CombinedOutput()
			if err != nil || strings.TrimSpace(string(out)) != "" {
				t.Errorf("%s: decoding the audio: %v\n%s", seg.Path, err, out)
			}
		}
	}
}
