package store

import (
	"context"
	"database/sql"
)

// SegmentRef names a finished segment for retention.
type SegmentRef struct {
	CameraID string
	Path     string
	End      int64
	Bytes    int64
}

func (s *Store) queryRefs(ctx context.Context, query string, args ...any) ([]SegmentRef, error) {
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SegmentRef
	for rows.Next() {
		var r SegmentRef
		if err := rows.Scan(&r.CameraID, &r.Path, &r.End, &r.Bytes); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// FinishedBefore returns the finished segments of camera that ended before cutoff, oldest first.
func (s *Store) FinishedBefore(ctx context.Context, camera string, cutoff int64) ([]SegmentRef, error) {
	return s.queryRefs(ctx, `SELECT camera_id, path, end_ns, bytes FROM segment
WHERE camera_id = ? AND end_ns < ? AND writing = 0 ORDER BY end_ns`, camera, cutoff)
}

// Oldest returns up to limit finished segments of all cameras, oldest end first.
func (s *Store) Oldest(ctx context.Context, limit int) ([]SegmentRef, error) {
	return s.queryRefs(ctx, `SELECT camera_id, path, end_ns, bytes FROM segment
WHERE writing = 0 ORDER BY end_ns LIMIT ?`, limit)
}

// CameraIDs returns every camera that has segments.
func (s *Store) CameraIDs(ctx context.Context) ([]string, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT DISTINCT camera_id FROM segment`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// TotalBytes is the sum of the indexed segments' sizes.
func (s *Store) TotalBytes(ctx context.Context) (int64, error) {
	var n sql.NullInt64
	err := s.read.QueryRowContext(ctx, `SELECT sum(bytes) FROM segment`).Scan(&n)
	return n.Int64, err
}

// Doom removes the rows of paths and records them as files to delete, in one transaction: after it, a
// crash can leave a file on disk but never a row without its file. Only finished segments are doomed: it
// returns the paths it doomed, the only files the caller may unlink.
func (s *Store) Doom(ctx context.Context, paths []string) ([]string, error) {
	var doomed []string
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		doomed = doomed[:0]
		for _, p := range paths {
			res, err := tx.ExecContext(ctx, `DELETE FROM segment WHERE path = ? AND writing = 0`, p)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 1 {
				doomed = append(doomed, p)
			}
		}
		return execEach(ctx, tx, `INSERT OR IGNORE INTO doomed_file (path) VALUES (?)`, doomed)
	})
	if err != nil {
		return nil, err
	}
	return doomed, nil
}

// DoomedFiles lists files whose rows are gone and which are to be unlinked.
func (s *Store) DoomedFiles(ctx context.Context) ([]string, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT path FROM doomed_file`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// ForgetDoomed drops the intents of files that are now unlinked.
func (s *Store) ForgetDoomed(ctx context.Context, paths []string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		return execEach(ctx, tx, `DELETE FROM doomed_file WHERE path = ?`, paths)
	})
}
