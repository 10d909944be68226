package store

import (
	"context"
	"database/sql"
	"fmt"
)

// Segment is one recorded file and its index row.
type Segment struct {
	ID         int64
	CameraID   string
	RunID      string
	Start, End int64 // ns since epoch
	Path       string
	Bytes      int64
	InitSize   int64
	VideoCodec string
	AudioCodec string
	Width      int
	Height     int
	Writing    bool
	Fragments  []Fragment
}

// Duration is End - Start in ns.
func (s *Segment) Duration() int64 { return s.End - s.Start }

// Event is one camera state transition.
type Event struct {
	CameraID string
	At       int64 // ns since epoch
	State    string
	Reason   string
}

// Camera states.
const (
	StateConnecting = "connecting"
	StateOnline     = "online"
	StateOffline    = "offline"
)

// Batch is what the recorder learned in about one second, for all cameras: written in one transaction.
type Batch struct {
	Segments []*Segment // inserted or, by path, updated
	Events   []Event
	Dropped  []string // paths of segments that ended without a fragment: rows to remove
}

// Empty reports whether the batch has nothing to write.
func (b *Batch) Empty() bool {
	return len(b.Segments) == 0 && len(b.Events) == 0 && len(b.Dropped) == 0
}

// Apply writes a batch in one transaction.
func (s *Store) Apply(ctx context.Context, b *Batch) error {
	if b.Empty() {
		return nil
	}
	if err := s.inTx(ctx, func(tx *sql.Tx) error { return applyBatch(ctx, tx, b) }); err != nil {
		return err
	}
	s.noteSegmentDurations(b.Segments)
	return nil
}

// inTx runs fn in a write transaction, committed if fn returns nil.
func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// execEach runs query once per argument, in tx.
func execEach(ctx context.Context, tx *sql.Tx, query string, args []string) error {
	for _, a := range args {
		if _, err := tx.ExecContext(ctx, query, a); err != nil {
			return fmt.Errorf("%s (%s): %w", query, a, err)
		}
	}
	return nil
}

func applyBatch(ctx context.Context, tx *sql.Tx, b *Batch) error {
	if len(b.Segments) > 0 {
		stmt, err := tx.PrepareContext(ctx, `
INSERT INTO segment (camera_id, run_id, start_ns, end_ns, path, bytes, init_size, video_codec, audio_codec,
                     width, height, fragments, writing)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (path) DO UPDATE SET end_ns = excluded.end_ns, bytes = excluded.bytes,
  fragments = excluded.fragments, writing = excluded.writing`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		var blob []byte
		for _, seg := range b.Segments {
			blob = EncodeFragments(blob[:0], seg.InitSize, seg.Start, seg.Fragments)
			if _, err := stmt.ExecContext(ctx, seg.CameraID, seg.RunID, seg.Start, seg.End, seg.Path, seg.Bytes,
				seg.InitSize, seg.VideoCodec, seg.AudioCodec, seg.Width, seg.Height, blob, seg.Writing); err != nil {
				return fmt.Errorf("index segment %s: %w", seg.Path, err)
			}
		}
	}
	if err := execEach(ctx, tx, `DELETE FROM segment WHERE path = ?`, b.Dropped); err != nil {
		return err
	}
	for _, e := range b.Events {
		if _, err := tx.ExecContext(ctx, `INSERT INTO camera_event (camera_id, at_ns, state, reason) VALUES (?, ?, ?, ?)`,
			e.CameraID, e.At, e.State, e.Reason); err != nil {
			return fmt.Errorf("index event: %w", err)
		}
	}
	return nil
}

func (s *Store) noteSegmentDurations(segs []*Segment) {
	for _, seg := range segs {
		s.noteSegmentDuration(seg.Duration())
	}
}

// segmentColumns come without the fragment map, which is most of a row's bytes: it is read only when asked
// for, so listing spans never touches the blob's overflow pages.
const segmentColumns = `id, camera_id, run_id, start_ns, end_ns, path, bytes, init_size, video_codec, audio_codec,
  width, height, writing`

func columns(withFragments bool) string {
	if withFragments {
		return segmentColumns + ", fragments"
	}
	return segmentColumns
}

func scanSegment(rows interface{ Scan(...any) error }, withFragments bool) (*Segment, error) {
	var seg Segment
	var blob []byte
	dst := []any{&seg.ID, &seg.CameraID, &seg.RunID, &seg.Start, &seg.End, &seg.Path, &seg.Bytes, &seg.InitSize,
		&seg.VideoCodec, &seg.AudioCodec, &seg.Width, &seg.Height, &seg.Writing}
	if withFragments {
		dst = append(dst, &blob)
	}
	if err := rows.Scan(dst...); err != nil {
		return nil, err
	}
	if withFragments {
		var err error
		if seg.Fragments, err = DecodeFragments(nil, blob, seg.Start); err != nil {
			return nil, fmt.Errorf("segment %s: %w", seg.Path, err)
		}
	}
	return &seg, nil
}

func (s *Store) querySegments(ctx context.Context, withFragments bool, query string, args ...any) ([]*Segment, error) {
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Segment
	for rows.Next() {
		seg, err := scanSegment(rows, withFragments)
		if err != nil {
			return nil, err
		}
		out = append(out, seg)
	}
	return out, rows.Err()
}

// SegmentsOverlapping returns the segments of camera that overlap [t0, t1), oldest first. With
// withFragments their fragment maps are decoded too.
func (s *Store) SegmentsOverlapping(ctx context.Context, camera string, t0, t1 int64, withFragments bool) ([]*Segment, error) {
	// A segment that overlaps t0 started at most maxSegmentDuration before it: bound the scan there.
	lower := t0 - s.maxSegmentDuration.Load() - 1
	return s.querySegments(ctx, withFragments, `SELECT `+columns(withFragments)+` FROM segment
WHERE camera_id = ? AND start_ns >= ? AND start_ns < ? AND end_ns > ? ORDER BY start_ns`, camera, lower, t1, t0)
}

// LatestSegments returns the newest segment of every camera (crash recovery scans these).
func (s *Store) LatestSegments(ctx context.Context) ([]*Segment, error) {
	return s.querySegments(ctx, false, `SELECT `+segmentColumns+` FROM segment
WHERE id IN (SELECT (SELECT id FROM segment s2 WHERE s2.camera_id = c.camera_id ORDER BY start_ns DESC LIMIT 1)
             FROM (SELECT DISTINCT camera_id FROM segment) c)`)
}

// WritingSegments returns the segments marked as still being written: after a crash, the ones to repair.
func (s *Store) WritingSegments(ctx context.Context) ([]*Segment, error) {
	return s.querySegments(ctx, false, `SELECT `+segmentColumns+` FROM segment WHERE writing = 1`)
}

// AllPaths returns the path of every indexed segment.
func (s *Store) AllPaths(ctx context.Context) (map[string]bool, error) {
	return s.paths(ctx, `SELECT path FROM segment`)
}

// PathsUnder returns the indexed paths that start with prefix (a folder ending in "/"), by a range scan
// of the path index.
func (s *Store) PathsUnder(ctx context.Context, prefix string) (map[string]bool, error) {
	return s.paths(ctx, `SELECT path FROM segment WHERE path >= ? AND path < ?`, prefix, prefix+"\xff")
}

func (s *Store) paths(ctx context.Context, query string, args ...any) (map[string]bool, error) {
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	paths := map[string]bool{}
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, err
		}
		paths[p] = true
	}
	return paths, rows.Err()
}

// DeleteSegmentRows removes rows by path without touching files (a row whose file is gone).
func (s *Store) DeleteSegmentRows(ctx context.Context, paths []string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		return execEach(ctx, tx, `DELETE FROM segment WHERE path = ?`, paths)
	})
}

// ReplaceAllSegments drops every segment row and inserts segs, in one transaction (reindex): a crash
// half-way leaves the old index.
func (s *Store) ReplaceAllSegments(ctx context.Context, segs []*Segment) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM segment`); err != nil {
			return err
		}
		return applyBatch(ctx, tx, &Batch{Segments: segs})
	})
	if err == nil {
		s.noteSegmentDurations(segs)
	}
	return err
}

// Events returns the events of camera in [t0, t1), plus the last one before t0 (the state in force at t0).
func (s *Store) Events(ctx context.Context, camera string, t0, t1 int64) ([]Event, error) {
	rows, err := s.read.QueryContext(ctx, `
SELECT camera_id, at_ns, state, reason FROM (
  SELECT * FROM (SELECT * FROM camera_event WHERE camera_id = ? AND at_ns < ? ORDER BY at_ns DESC LIMIT 1)
  UNION ALL
  SELECT * FROM camera_event WHERE camera_id = ? AND at_ns >= ? AND at_ns < ?
) ORDER BY at_ns, id`, camera, t0, camera, t0, t1)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		if err := rows.Scan(&e.CameraID, &e.At, &e.State, &e.Reason); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// SegmentByPath returns the segment whose file is path, without its fragment map; sql.ErrNoRows if none.
func (s *Store) SegmentByPath(ctx context.Context, path string, withFragments bool) (*Segment, error) {
	return scanSegment(s.read.QueryRowContext(ctx, `SELECT `+columns(withFragments)+` FROM segment WHERE path = ?`, path), withFragments)
}
