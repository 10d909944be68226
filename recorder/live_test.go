package recorder

import (
	"errors"
	"testing"
	"time"

	"vigil/media"
	"vigil/simcam"
	"vigil/store"
)

// TestLiveFanOut: live viewers get the session's units without a second connection; a viewer that never
// reads loses units without disturbing the recording; the feed ends with the session.
func TestLiveFanOut(t *testing.T) {
	rig := newRig(t, time.Minute, rigCamera{"cam", simcam.ClipH264AAC})
	rig.start()
	defer rig.stop()
	if _, err := rig.rec.Subscribe("nope", media.MainStream); err == nil {
		t.Fatal("subscribed to an unknown camera")
	}
	rig.waitFor("online", 20*time.Second, func() bool {
		s, _ := rig.rec.Camera("cam")
		return s.State == store.StateOnline
	})
	feed, err := rig.rec.Subscribe("cam", media.MainStream)
	if err != nil {
		t.Fatal(err)
	}
	stalled, err := rig.rec.Subscribe("cam", media.MainStream) // never read
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()
	if feed.Tracks.VideoCodec != "H264" || feed.Tracks.AudioCodec != "MPEG4Audio" || feed.Tracks.AAC == nil {
		t.Fatalf("tracks %+v", feed.Tracks)
	}
	var video, audio int
	var lastPTS int64 = -1 << 62
	deadline := time.After(20 * time.Second)
	for video < 250 { // 10 s at 25 fps: the stalled viewer's buffer overflows meanwhile
		select {
		case u := <-feed.Units:
			if u.Audio {
				audio++
				continue
			}
			video++
			if u.PTS < lastPTS-90000 {
				t.Fatalf("PTS went back from %d to %d", lastPTS, u.PTS)
			}
			lastPTS = u.PTS
		case <-deadline:
			t.Fatalf("only %d video units in 20 s", video)
		}
	}
	s, _ := rig.rec.Camera("cam")
	if audio == 0 || s.QueueDrops != 0 || rig.rec.byID["cam"].liveDrops.Load() == 0 {
		t.Fatalf("audio units %d, recorder queue drops %d, live drops %d (want the stalled viewer's)",
			audio, s.QueueDrops, rig.rec.byID["cam"].liveDrops.Load())
	}
	rig.cams.StopCamera("cam")
	for range feed.Units { // drains, then ends with the session
	}
	rig.waitFor("offline", 20*time.Second, func() bool {
		s, _ := rig.rec.Camera("cam")
		return s.State == store.StateOffline
	})
	if _, err := rig.rec.Subscribe("cam", media.MainStream); !errors.Is(err, ErrNotLive) {
		t.Fatalf("subscribe to an offline camera: %v", err)
	}
}
