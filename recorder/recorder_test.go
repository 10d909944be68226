package recorder

import (
	"path/filepath"
	"testing"
	"time"

	"vigil/simcam"
)

// TestRecordsEveryCodec records H.264 with AAC, plain H.264 and H.265 cameras and checks every segment
// with ffprobe: codec, resolution, a whole number of frames, and a duration that matches the index.
func TestRecordsEveryCodec(t *testing.T) {
	requireFFprobe(t)
	rig := newRig(t, 3*time.Second,
		rigCamera{"h264-aac", simcam.ClipH264AAC},
		rigCamera{"h264", simcam.ClipH264},
		rigCamera{"h265", simcam.ClipH265})
	rig.start()
	rig.waitFor("7 s recorded per camera", 30*time.Second, func() bool {
		for _, c := range rig.cfg.Cameras {
			if rig.recordedDuration(c.ID) < 7*time.Second {
				return false
			}
		}
		return true
	})
	rig.stop()

	want := map[string]struct{ video, audio string }{
		"h264-aac": {"h264", "aac"}, "h264": {"h264", ""}, "h265": {"hevc", ""},
	}
	for cam, w := range want {
		segs := rig.segments(cam)
		if len(segs) < 2 {
			t.Fatalf("%s: %d segments, want at least 2 (3 s segments over 7 s)", cam, len(segs))
		}
		for i, seg := range segs {
			if seg.Writing {
				t.Errorf("%s: segment %s still marked as being written after Close", cam, seg.Path)
			}
			if i > 0 && seg.RunID != segs[0].RunID {
				t.Errorf("%s: one session produced two runs", cam)
			}
			if i > 0 {
				if gap := time.Duration(seg.Start - segs[i-1].End); gap < -time.Millisecond || gap > 50*time.Millisecond {
					t.Errorf("%s: %v between consecutive segments of one run", cam, gap)
				}
			}
			p := ffprobe(t, filepath.Join(rig.cfg.Storage.Path, seg.Path))
			var gotVideo, gotAudio string
			for _, s := range p.Streams {
				switch s.CodecType {
				case "video":
					gotVideo = s.CodecName
					if s.Width != 640 || s.Height != 360 {
						t.Errorf("%s: %dx%d", seg.Path, s.Width, s.Height)
					}
					frames := atof(t, s.NbReadFrames)
					fileDur := atof(t, p.Format.Duration)
					// 25 fps: the frames ffmpeg decodes must fill the indexed span.
					if idx := time.Duration(seg.Duration()).Seconds(); abs(int64((frames/25-idx)*1000)) > 80 {
						t.Errorf("%s: %v frames (%.2f s) but the index says %.2f s", seg.Path, frames, frames/25, idx)
					}
					if idx := time.Duration(seg.Duration()).Seconds(); fileDur < idx-0.1 || fileDur > idx+1 {
						t.Errorf("%s: ffprobe duration %.2f s, index %.2f s", seg.Path, fileDur, idx)
					}
				case "audio":
					gotAudio = s.CodecName
				}
			}
			if gotVideo != w.video || gotAudio != w.audio {
				t.Errorf("%s: streams %q/%q, want %q/%q", seg.Path, gotVideo, gotAudio, w.video, w.audio)
			}
		}
	}
}
