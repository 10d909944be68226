package store

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations are applied in order; PRAGMA user_version records how many have run. Never edit one that has
// shipped: add the next.
var migrations = []string{
	schemaRecordings,
	schemaStartupIndexes,
	schemaRegistry,
	schemaAlerts,
	schemaSurvey,
	schemaAuth,
}

// 1: segments, their fragment maps, camera events, and the deletion intent log.
const schemaRecordings = `
CREATE TABLE segment (
  id          INTEGER PRIMARY KEY,
  camera_id   TEXT    NOT NULL,
  run_id      TEXT    NOT NULL,            -- one RTSP session; a reconnect starts a new run
  start_ns    INTEGER NOT NULL,            -- wall clock of the first sample (decode time), ns since epoch
  end_ns      INTEGER NOT NULL,            -- wall clock at the end of the last complete fragment
  path        TEXT    NOT NULL UNIQUE,     -- relative to the storage root
  bytes       INTEGER NOT NULL,            -- valid bytes: init plus complete fragments
  init_size   INTEGER NOT NULL,            -- bytes of ftyp+moov at the start of the file
  video_codec TEXT    NOT NULL,            -- H264 | H265
  audio_codec TEXT    NOT NULL DEFAULT '', -- MPEG4Audio | Opus | LPCM | ''
  width       INTEGER NOT NULL,
  height      INTEGER NOT NULL,
  fragments   BLOB    NOT NULL,            -- fragment map, see fragmap.go
  writing     INTEGER NOT NULL DEFAULT 0,  -- 1 while the recorder still appends to the file
  CHECK (end_ns >= start_ns),
  CHECK (bytes >= init_size)
);
-- the hot query: segments of one camera overlapping [t0, t1], as one range scan on start_ns
CREATE INDEX segment_camera_start ON segment (camera_id, start_ns);
-- retention: oldest first across cameras
CREATE INDEX segment_end ON segment (end_ns);

CREATE TABLE camera_event (
  id        INTEGER PRIMARY KEY,
  camera_id TEXT    NOT NULL,
  at_ns     INTEGER NOT NULL,
  state     TEXT    NOT NULL CHECK (state IN ('connecting', 'online', 'offline')),
  reason    TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX camera_event_camera_at ON camera_event (camera_id, at_ns);

-- A file whose row is gone but which may still be on disk: retention writes the intent in the same
-- transaction that deletes the rows, unlinks, then forgets the intent. Startup finishes what a crash left.
CREATE TABLE doomed_file (
  path TEXT PRIMARY KEY
);
`

func migrate(ctx context.Context, db *sql.DB) error {
	var version int
	if err := db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil {
		return err
	}
	if version > len(migrations) {
		return fmt.Errorf("database schema version %d is newer than this vigil (%d): refusing to touch it", version, len(migrations))
	}
	for i := version; i < len(migrations); i++ {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %d: %w", i+1, err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, i+1)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %d: %w", i+1, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %d: %w", i+1, err)
		}
	}
	return nil
}

// 2: what startup asks of a month of rows, answered from indexes instead of a scan of the whole table
// (20 s on a cold 30-day, 200-camera archive): the longest segment, which bounds the overlap query, and the
// segments still being written, which recovery repairs.
const schemaStartupIndexes = `
CREATE INDEX segment_duration ON segment (end_ns - start_ns);
CREATE INDEX segment_writing ON segment (camera_id) WHERE writing = 1;
`
