// Package store holds vigil's SQLite index: the schema and its migrations, and every query on segments and
// their fragment maps, camera events and (later) facilities, contacts, users and audit.
//
// Time is one unit everywhere: integer nanoseconds since the Unix epoch, wall clock (vigil's own clock).
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"sync/atomic"

	_ "modernc.org/sqlite" // registers the "sqlite" driver (pure Go, no cgo)
)

// Store is the index. Writes go through one connection (SQLite has one writer anyway, and a single
// connection turns contention into queueing instead of SQLITE_BUSY); reads use a pool.
type Store struct {
	write *sql.DB
	read  *sql.DB

	// maxSegmentDuration bounds how long before t0 an overlapping segment can start, so that
	// "segments overlapping [t0, t1]" stays one range scan on (camera_id, start_ns).
	maxSegmentDuration atomic.Int64
}

// Open opens (creating if needed) the database at path and brings its schema up to date.
func Open(path string) (*Store, error) {
	w, err := openDB(path, 1)
	if err != nil {
		return nil, err
	}
	if err := migrate(context.Background(), w); err != nil {
		w.Close()
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	r, err := openDB(path, 4)
	if err != nil {
		w.Close()
		return nil, err
	}
	s := &Store{write: w, read: r}
	var maxDur sql.NullInt64
	if err := r.QueryRow(`SELECT max(end_ns - start_ns) FROM segment`).Scan(&maxDur); err != nil {
		s.Close()
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	s.maxSegmentDuration.Store(maxDur.Int64)
	return s, nil
}

func openDB(path string, conns int) (*sql.DB, error) {
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	// NORMAL in WAL mode keeps the database consistent through a crash; a power cut may lose the last
	// second of index writes, which startup recovery rebuilds from the files.
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

// Close closes the database.
func (s *Store) Close() error {
	return errors.Join(s.read.Close(), s.write.Close())
}

func (s *Store) noteSegmentDuration(d int64) {
	for {
		cur := s.maxSegmentDuration.Load()
		if d <= cur || s.maxSegmentDuration.CompareAndSwap(cur, d) {
			return
		}
	}
}
