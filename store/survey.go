package store

import (
	"context"
	"database/sql"
	"errors"
)

// SurveyRun is one camera survey.
type SurveyRun struct {
	ID       int64
	Started  int64 // ns since epoch
	Finished int64 // ns since epoch; 0 while running, or if vigil stopped during the run
	Scope    string
	Source   string // cli | api
	Window   int64  // ns each main stream was to be read
	Minimum  string // JSON of the minimum in force
}

// SurveyStream is one stream's reading in a survey: a row of survey_result. Times and durations are ns.
type SurveyStream struct {
	RunID         int64
	CameraID      string
	Stream        string // main | sub
	FacilityID    string
	CameraName    string
	Location      string
	Enabled       bool
	URL           string // password redacted
	At            int64
	Window        int64
	Reachable     bool
	Reason        string
	Message       string
	MessageVI     string
	Codec         string
	Profile       string
	Level         string
	Width         int
	Height        int
	FPS           float64
	FPSDeclared   float64
	Frames        int
	Keyframes     int
	GOPFrames     int
	GOP           int64
	GOPOpen       bool
	Bytes         int64
	Bitrate       int64
	PacketsLost   int64
	MaxStall      int64
	Audio         string
	AudioRate     int
	AudioChannels int
	Transport     string
}

// StartSurveyRun records the start of a survey and returns its id.
func (s *Store) StartSurveyRun(ctx context.Context, r SurveyRun) (int64, error) {
	res, err := s.write.ExecContext(ctx, `INSERT INTO survey_run (started_ns, scope, source, window_ns, minimum)
VALUES (?, ?, ?, ?, ?)`, r.Started, r.Scope, r.Source, r.Window, r.Minimum)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// FinishSurveyRun records the end of a survey.
func (s *Store) FinishSurveyRun(ctx context.Context, id, finished int64) error {
	_, err := s.write.ExecContext(ctx, `UPDATE survey_run SET finished_ns = ? WHERE id = ?`, finished, id)
	return err
}

// SurveyRunByID returns a survey run; ok is false if there is none with that id.
func (s *Store) SurveyRunByID(ctx context.Context, id int64) (r SurveyRun, ok bool, err error) {
	var finished sql.NullInt64
	err = s.read.QueryRowContext(ctx, `SELECT id, started_ns, finished_ns, scope, source, window_ns, minimum
FROM survey_run WHERE id = ?`, id).Scan(&r.ID, &r.Started, &finished, &r.Scope, &r.Source, &r.Window, &r.Minimum)
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	}
	r.Finished = finished.Int64
	return r, err == nil, err
}

// AddSurveyStreams writes one camera's readings (its main stream and substream) in one transaction, so
// a camera is never half in a run.
func (s *Store) AddSurveyStreams(ctx context.Context, rows []SurveyStream) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for i := range rows {
			if _, err := tx.ExecContext(ctx, insertSurveyStream, surveyStreamArgs(&rows[i])...); err != nil {
				return err
			}
		}
		return nil
	})
}

const surveyStreamColumns = `run_id, camera_id, stream, facility_id, camera_name, location, enabled, url, at_ns,
window_ns, reachable, reason, message, message_vi, codec, profile, level, width, height, fps, fps_declared,
frames, keyframes, gop_frames, gop_ns, gop_open, bytes, bitrate_bps, packets_lost, max_stall_ns, audio,
audio_rate, audio_channels, transport`

const insertSurveyStream = `INSERT OR REPLACE INTO survey_result (` + surveyStreamColumns + `)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

func surveyStreamArgs(r *SurveyStream) []any {
	return []any{r.RunID, r.CameraID, r.Stream, r.FacilityID, r.CameraName, r.Location, r.Enabled, r.URL, r.At,
		r.Window, r.Reachable, r.Reason, r.Message, r.MessageVI, r.Codec, r.Profile, r.Level, r.Width, r.Height,
		r.FPS, r.FPSDeclared, r.Frames, r.Keyframes, r.GOPFrames, r.GOP, r.GOPOpen, r.Bytes, r.Bitrate,
		r.PacketsLost, r.MaxStall, r.Audio, r.AudioRate, r.AudioChannels, r.Transport}
}

func scanSurveyStream(rows *sql.Rows) (SurveyStream, error) {
	var r SurveyStream
	err := rows.Scan(&r.RunID, &r.CameraID, &r.Stream, &r.FacilityID, &r.CameraName, &r.Location, &r.Enabled,
		&r.URL, &r.At, &r.Window, &r.Reachable, &r.Reason, &r.Message, &r.MessageVI, &r.Codec, &r.Profile,
		&r.Level, &r.Width, &r.Height, &r.FPS, &r.FPSDeclared, &r.Frames, &r.Keyframes, &r.GOPFrames, &r.GOP,
		&r.GOPOpen, &r.Bytes, &r.Bitrate, &r.PacketsLost, &r.MaxStall, &r.Audio, &r.AudioRate,
		&r.AudioChannels, &r.Transport)
	return r, err
}

// LatestSurveyStreams returns, for every camera ever surveyed, the rows of its latest survey (its main
// stream, and its substream if that survey read one), by camera id. A later survey of one facility or
// camera thus updates those cameras and leaves the others as they were last read.
func (s *Store) LatestSurveyStreams(ctx context.Context) ([]SurveyStream, error) {
	return s.querySurveyStreams(ctx, `SELECT `+surveyStreamColumns+` FROM survey_result r
WHERE run_id = (SELECT max(run_id) FROM survey_result WHERE camera_id = r.camera_id)
ORDER BY camera_id, stream`)
}

// SurveyStreamsOfRun returns the rows of one survey run, by camera id.
func (s *Store) SurveyStreamsOfRun(ctx context.Context, runID int64) ([]SurveyStream, error) {
	return s.querySurveyStreams(ctx, `SELECT `+surveyStreamColumns+` FROM survey_result
WHERE run_id = ? ORDER BY camera_id, stream`, runID)
}

func (s *Store) querySurveyStreams(ctx context.Context, query string, args ...any) ([]SurveyStream, error) {
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SurveyStream
	for rows.Next() {
		r, err := scanSurveyStream(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
