package recorder

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"

	"vigil/segfile"
	"vigil/store"
)

// recentDays is how many of each camera's newest date folders startup recovery lists for files the index
// does not know: a crash can only leave such files among the newest segments.
const recentDays = 2

// Recover makes the index and the files agree after a crash: it finishes interrupted deletions, repairs
// the segments that were being written (cutting a torn last fragment), drops rows whose file is gone and
// indexes recent files that have no row. A corrupt file is reported, renamed *.corrupt and skipped.
func (r *Recorder) Recover(ctx context.Context) error {
	root := r.Config.Storage.Path
	log := r.logger().With("component", "recovery")
	if err := finishDeletions(ctx, r.Store, root); err != nil {
		return err
	}
	writing, err := r.Store.WritingSegments(ctx)
	if err != nil {
		return err
	}
	latest, err := r.Store.LatestSegments(ctx)
	if err != nil {
		return err
	}
	var gone []string
	for _, seg := range append(writing, latest...) {
		if _, err := os.Stat(filepath.Join(root, seg.Path)); errors.Is(err, fs.ErrNotExist) {
			log.Warn("indexed segment has no file; dropping its row", "path", seg.Path)
			gone = append(gone, seg.Path)
		}
	}
	if err := r.Store.DeleteSegmentRows(ctx, gone); err != nil {
		return err
	}
	var todo []string
	for _, seg := range writing {
		if !slices.Contains(gone, seg.Path) {
			todo = append(todo, seg.Path)
		}
	}
	recent, err := recentFiles(root)
	if err != nil {
		return err
	}
	for dir, files := range recent {
		known, err := r.Store.PathsUnder(ctx, dir+"/")
		if err != nil {
			return err
		}
		for _, p := range files {
			if !known[p] {
				log.Info("file has no index row; indexing it", "path", p)
				todo = append(todo, p)
			}
		}
	}
	var b store.Batch
	for _, p := range todo {
		seg, err := repairSegment(root, p, log)
		if err != nil {
			return err
		}
		if seg == nil {
			b.Dropped = append(b.Dropped, p)
		} else {
			b.Segments = append(b.Segments, seg)
		}
	}
	return r.Store.Apply(ctx, &b)
}

func (r *Recorder) logger() *slog.Logger {
	if r.Log != nil {
		return r.Log
	}
	return slog.Default()
}

// finishDeletions unlinks the files retention had doomed when it was interrupted.
func finishDeletions(ctx context.Context, st *store.Store, root string) error {
	doomed, err := st.DoomedFiles(ctx)
	if err != nil || len(doomed) == 0 {
		return err
	}
	for _, p := range doomed {
		if err := os.Remove(filepath.Join(root, p)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return st.ForgetDoomed(ctx, doomed)
}

// repairSegment scans a segment file, cuts a torn tail, and returns its row; nil if the file held no
// complete fragment (it is removed) or was corrupt (it is renamed aside).
func repairSegment(root, rel string, log *slog.Logger) (*store.Segment, error) {
	abs := filepath.Join(root, rel)
	f, err := segfile.ScanFile(abs)
	if err != nil {
		log.Error("corrupt segment file; renaming it aside", "path", rel, "err", err)
		if err := os.Rename(abs, abs+".corrupt"); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, nil
	}
	if len(f.Fragments) == 0 {
		log.Info("segment has no complete fragment; removing it", "path", rel)
		return nil, os.Remove(abs)
	}
	if f.ValidSize < f.Size {
		log.Info("cutting a torn fragment", "path", rel, "bytes", f.Size-f.ValidSize, "why", f.TailError)
		if err := os.Truncate(abs, f.ValidSize); err != nil {
			return nil, err
		}
	}
	return rowFromFile(rel, f), nil
}

// rowFromFile makes the index row of a scanned segment file.
func rowFromFile(rel string, f *segfile.File) *store.Segment {
	seg := &store.Segment{
		CameraID: f.Info.CameraID, RunID: f.Info.RunID, Start: f.Info.Start, End: f.End(), Path: rel,
		Bytes: f.ValidSize, InitSize: f.InitSize, Fragments: f.Fragments,
	}
	for _, t := range f.Init.Tracks {
		switch c := t.Codec.(type) {
		case *codecs.H264:
			seg.VideoCodec = "H264"
			var s h264.SPS
			if s.Unmarshal(c.SPS) == nil {
				seg.Width, seg.Height = s.Width(), s.Height()
			}
		case *codecs.H265:
			seg.VideoCodec = "H265"
			var s h265.SPS
			if s.Unmarshal(c.SPS) == nil {
				seg.Width, seg.Height = s.Width(), s.Height()
			}
		case *codecs.MPEG4Audio:
			seg.AudioCodec = "MPEG4Audio"
		case *codecs.Opus:
			seg.AudioCodec = "Opus"
		case *codecs.LPCM:
			seg.AudioCodec = "LPCM"
		}
	}
	return seg
}

// recentFiles lists the segment files in the newest date folders of every camera folder, by folder
// (relative to root, with "/" separators as the index stores them).
func recentFiles(root string) (map[string][]string, error) {
	cams, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, cam := range cams {
		if !cam.IsDir() {
			continue
		}
		days, err := os.ReadDir(filepath.Join(root, cam.Name()))
		if err != nil {
			return nil, err
		}
		var dayNames []string
		for _, d := range days {
			if d.IsDir() {
				dayNames = append(dayNames, d.Name())
			}
		}
		sort.Strings(dayNames)
		for _, day := range dayNames[max(0, len(dayNames)-recentDays):] {
			dir := filepath.Join(cam.Name(), day)
			files, err := os.ReadDir(filepath.Join(root, dir))
			if err != nil {
				return nil, err
			}
			for _, f := range files {
				if !f.IsDir() && strings.HasSuffix(f.Name(), ".mp4") {
					out[dir] = append(out[dir], filepath.Join(dir, f.Name()))
				}
			}
		}
	}
	return out, nil
}

// ReindexReport says what Reindex did.
type ReindexReport struct {
	Segments  int
	Fragments int
	Bytes     int64
	Skipped   []string // corrupt files, with the reason
}

// Reindex rebuilds every segment row from the files under root alone, replacing the store's segment rows.
// Files are only read: a torn tail is left on disk and indexed up to its last complete fragment.
func Reindex(ctx context.Context, st *store.Store, root string) (*ReindexReport, error) {
	if err := finishDeletions(ctx, st, root); err != nil {
		return nil, err
	}
	rep := &ReindexReport{}
	var segs []*store.Segment
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(p, ".mp4") {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		f, err := segfile.ScanFile(p)
		if err == nil && len(f.Fragments) == 0 {
			err = errors.New("no complete fragment")
		}
		if err != nil {
			rep.Skipped = append(rep.Skipped, fmt.Sprintf("%s: %v", rel, err))
			return nil
		}
		seg := rowFromFile(rel, f)
		segs = append(segs, seg)
		rep.Segments++
		rep.Fragments += len(seg.Fragments)
		rep.Bytes += seg.Bytes
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rep, st.ReplaceAllSegments(ctx, segs)
}
