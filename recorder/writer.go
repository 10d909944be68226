package recorder

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"
	"golang.org/x/sys/unix"

	"vigil/media"
	"vigil/segfile"
	"vigil/store"
)

const videoClockRate = 90000

// Fragment and wall-clock tuning. Fragments close at a keyframe once half a second long, or anywhere once
// a second long, so a long GOP still reaches the disk and the index about every second.
const (
	fragmentMinAtKey = videoClockRate / 2
	fragmentMax      = videoClockRate
	// A new segment keeps the run's media clock unless it has drifted this far from vigil's clock.
	softDriftNs = int64(250 * time.Millisecond)
	// Past this, the segment is cut at the next keyframe and the next one re-anchored on vigil's clock
	// (a camera clock that jumps, or a stream that stalled while its timestamps did not).
	hardDriftNs = int64(2 * time.Second)
	// A decode time that goes backwards, or jumps forward by more than this, is a discontinuity (an
	// encoder restart behind an RTSP session that stayed up): the segment ends there and the next one is
	// anchored afresh, so the timeline shows the hole instead of one frame stretched across it.
	maxFrameGap = 5 * videoClockRate
)

// unit is one access unit (video) or a group of them (audio) as it left the RTSP read loop.
type unit struct {
	audio  bool
	pts    int64    // in the track's clock, session-relative, unwrapped by gortsplib
	nalus  [][]byte // video NALUs, or audio access units
	recv   int64    // vigil's wall clock at arrival, ns
	resync bool     // units were dropped before this one: restart at the next keyframe
}

// audioTrack describes the audio recorded beside the video.
type audioTrack struct {
	name      string // MPEG4Audio | Opus | LPCM
	clockRate int64
	codec     codecs.Codec
	duration  func(au []byte) int64 // samples in one access unit
	transform func(au []byte) []byte
}

// segmentWriter turns the access units of one run (one RTSP session) into segment files.
type segmentWriter struct {
	cam    *camera
	runID  string
	params videoParams
	audio  *audioTrack

	dts     *dtsExtractor // nil while waiting for a keyframe
	fw      *segfile.FragmentWriter
	seg     *openSegment
	prevDTS int64
	prevDur int64

	// the last segment of this run, to keep its wall clock continuous into the next
	last struct {
		ok       bool
		wall     int64
		startDTS int64
	}
}

type openSegment struct {
	file         *os.File
	row          store.Segment
	startDTS     int64
	seq          uint32
	fragStartDTS int64
	fragKey      bool
	drifted      bool
}

func newSegmentWriter(cam *camera, runID string, params videoParams, audio *audioTrack) *segmentWriter {
	ids := []uint32{segfile.VideoTrackID}
	if audio != nil {
		ids = append(ids, segfile.VideoTrackID+1)
	}
	return &segmentWriter{cam: cam, runID: runID, params: params, audio: audio, fw: segfile.NewFragmentWriter(ids...)}
}

func (w *segmentWriter) write(u *unit) error {
	if u.resync {
		w.dts = nil
	}
	if u.audio {
		w.writeAudio(u)
		return nil
	}
	return w.writeVideo(u)
}

func (w *segmentWriter) writeVideo(u *unit) error {
	changed, err := w.params.update(u.nalus)
	if err != nil {
		return err
	}
	if changed {
		// New parameters: the extractor and the init must start over; the run goes on in a new segment.
		w.dts = nil
		if w.seg != nil {
			w.fw.SetLastDuration(0, uint32(w.prevDur))
			if err := w.closeSegment(); err != nil {
				return err
			}
		}
	}
	if !w.params.Complete() {
		return nil
	}
	key := media.IsRandomAccess(w.params.Codec, u.nalus)
	if w.dts == nil {
		if !key {
			return nil
		}
		w.dts = newDTSExtractor(w.params.Codec)
	}
	dts, err := w.dts.extract(u.nalus, u.pts)
	if err != nil {
		// A broken GOP (lost packets, a camera quirk): drop until the next keyframe rather than end the run.
		w.dts = nil
		w.cam.noteDecodeError(fmt.Errorf("timestamps: %w", err))
		return nil
	}
	if w.seg != nil && (dts <= w.prevDTS || dts-w.prevDTS > maxFrameGap) {
		w.fw.SetLastDuration(0, uint32(max(w.prevDur, 1)))
		if err := w.closeSegment(); err != nil {
			return err
		}
		w.last.ok = false
		if !key {
			w.dts = nil
			return nil
		}
	}
	if w.seg != nil {
		w.prevDur = dts - w.prevDTS
		w.fw.SetLastDuration(0, uint32(w.prevDur))
		// Within a frame of the segment length counts as reaching it, so that a keyframe landing a few
		// milliseconds early does not stretch the segment by a whole GOP.
		rotate := key && (dts-w.seg.startDTS+w.prevDur >= w.cam.segmentTicks || w.seg.drifted)
		fragDur := dts - w.seg.fragStartDTS
		if rotate || (key && fragDur >= fragmentMinAtKey) || fragDur >= fragmentMax {
			if err := w.flushFragment(dts, u.recv); err != nil {
				return err
			}
		}
		if rotate {
			if err := w.closeSegment(); err != nil {
				return err
			}
		}
	}
	if w.seg == nil {
		if err := w.openSegment(dts, u.recv); err != nil {
			return err
		}
	}
	if w.fw.Samples(0) == 0 {
		w.seg.fragStartDTS = dts
		w.seg.fragKey = key
		w.fw.SetBaseTime(0, uint64(dts-w.seg.startDTS))
	}
	w.fw.AppendNALUs(0, u.nalus, key, int32(u.pts-dts))
	w.prevDTS = dts
	return nil
}

func (w *segmentWriter) writeAudio(u *unit) {
	// Audio goes into the fragment being built; its first sample sets the track's base time, the
	// rest follow back to back. Audio before the first video of a segment has nowhere to go.
	if w.seg == nil || w.fw.Samples(0) == 0 {
		return
	}
	a := w.audio
	offNs := segfile.TicksToNs(u.pts, a.clockRate) - segfile.TicksToNs(w.seg.startDTS, videoClockRate)
	if offNs < 0 {
		return
	}
	if w.fw.Samples(1) == 0 {
		w.fw.SetBaseTime(1, uint64(segfile.NsToTicks(offNs, a.clockRate)))
	}
	for _, au := range u.nalus {
		if len(au) == 0 {
			continue
		}
		if a.transform != nil {
			au = a.transform(au)
		}
		w.fw.AppendSample(1, au, true)
		w.fw.SetLastDuration(1, uint32(a.duration(au)))
	}
}

// flushFragment writes the fragment built so far. nextDTS and recv are those of the sample that closes
// it: they tell how far the media clock has drifted from vigil's.
func (w *segmentWriter) flushFragment(nextDTS, recv int64) error {
	seg := w.seg
	if w.fw.Samples(0) == 0 {
		return nil
	}
	frames := w.fw.Samples(0)
	dur := int64(w.fw.Duration(0))
	seg.seq++
	var out segfile.VectorWriter = segfile.WritevFile{File: seg.file}
	if wrap := w.cam.rec.wrapFile; wrap != nil {
		out = wrap(w.cam.cfg.ID, out)
	}
	n, err := w.fw.WriteTo(out, seg.seq)
	if err != nil {
		// Cut what part of the fragment got written, so the file ends where its index row says.
		seg.file.Truncate(seg.row.Bytes)
		seg.file.Seek(seg.row.Bytes, io.SeekStart)
		return fmt.Errorf("write %s: %w", seg.row.Path, err)
	}
	frag := store.Fragment{
		Offset:   seg.row.Bytes,
		Size:     n,
		Start:    seg.row.Start + segfile.TicksToNs(seg.fragStartDTS-seg.startDTS, videoClockRate),
		Duration: segfile.TicksToNs(dur, videoClockRate),
		Key:      seg.fragKey,
	}
	seg.row.Fragments = append(seg.row.Fragments, frag)
	seg.row.Bytes += n
	seg.row.End = frag.End()
	if recv != 0 {
		mediaWall := seg.row.Start + segfile.TicksToNs(nextDTS-seg.startDTS, videoClockRate)
		if abs(mediaWall-recv) > hardDriftNs {
			seg.drifted = true
		}
	}
	w.cam.noteFragment(n, frames, frag.Duration)
	w.cam.rec.index.putSegment(seg.row)
	return nil
}

func (w *segmentWriter) openSegment(dts, recv int64) error {
	wall := recv
	if w.last.ok {
		cont := w.last.wall + segfile.TicksToNs(dts-w.last.startDTS, videoClockRate)
		if abs(cont-recv) <= softDriftNs {
			wall = cont
		}
	}
	rel, f, err := w.cam.createSegmentFile(wall)
	if err != nil {
		return err
	}
	tracks := []*fmp4.InitTrack{{ID: segfile.VideoTrackID, TimeScale: videoClockRate, Codec: w.params.mp4Codec()}}
	if w.audio != nil {
		tracks = append(tracks, &fmp4.InitTrack{ID: segfile.VideoTrackID + 1, TimeScale: uint32(w.audio.clockRate), Codec: w.audio.codec})
	}
	init, err := segfile.MarshalInit(segfile.Info{CameraID: w.cam.cfg.ID, RunID: w.runID, Start: wall}, tracks)
	if err == nil {
		_, err = f.Write(init)
	}
	if err != nil {
		f.Close()
		os.Remove(filepath.Join(w.cam.root, rel))
		return fmt.Errorf("write %s: %w", rel, err)
	}
	w.seg = &openSegment{
		file:     f,
		startDTS: dts,
		row: store.Segment{
			CameraID: w.cam.cfg.ID, RunID: w.runID, Start: wall, End: wall, Path: rel,
			Bytes: int64(len(init)), InitSize: int64(len(init)), VideoCodec: w.params.Codec,
			Width: w.params.width, Height: w.params.height, Writing: true,
		},
	}
	if w.audio != nil {
		w.seg.row.AudioCodec = w.audio.name
	}
	w.last.ok, w.last.wall, w.last.startDTS = true, wall, dts
	w.cam.noteSegmentOpen(&w.params, w.audio)
	w.cam.rec.index.putSegment(w.seg.row)
	return nil
}

// closeSegment writes what is left and marks the segment finished. The caller has set the duration of the
// last sample.
func (w *segmentWriter) closeSegment() error {
	seg := w.seg
	err := w.flushFragment(0, 0)
	w.seg = nil
	// Every mode but off syncs a file as it closes: that is what "segment" promises, and with "fragment"
	// the indexer's syncfs has already written nearly all of it, so it costs next to nothing.
	if err == nil && w.cam.fsync != "off" {
		err = syncData(seg.file)
	}
	err = errors.Join(err, seg.file.Close())
	seg.row.Writing = false
	if len(seg.row.Fragments) == 0 {
		os.Remove(filepath.Join(w.cam.root, seg.row.Path))
		w.cam.rec.index.dropSegment(seg.row.Path)
		return err
	}
	w.cam.rec.index.putSegment(seg.row)
	return err
}

// close ends the run: the last sample's duration is unknown, so it gets its predecessor's.
func (w *segmentWriter) close() error {
	if w.seg == nil {
		return nil
	}
	w.fw.SetLastDuration(0, uint32(max(w.prevDur, 1)))
	return w.closeSegment()
}

// syncData makes the file's data and size durable: fdatasync, which skips the timestamps fsync would also
// write, since nothing reads them.
func syncData(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = unix.Fdatasync(int(fd)) }); err != nil {
		return err
	}
	return serr
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}
