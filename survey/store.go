package survey

import (
	"context"
	"encoding/json"
	"time"

	"vigil/config"
	"vigil/store"
)

// StoredRun writes a survey's results into the store as each camera is measured, so the latest survey
// can be shown without re-running it, and a run cut short keeps what it measured.
type StoredRun struct {
	ID    int64
	store *store.Store
}

// StartRun records the start of a run over scope (see Scope); source says who asked (cli | api).
func StartRun(ctx context.Context, st *store.Store, scope, source string, window time.Duration, m config.SurveyMinimum) (*StoredRun, error) {
	minimum, err := json.Marshal(ViewMinimum(m))
	if err != nil {
		return nil, err
	}
	id, err := st.StartSurveyRun(ctx, store.SurveyRun{
		Started: time.Now().UnixNano(), Scope: scope, Source: source, Window: int64(window), Minimum: string(minimum),
	})
	if err != nil {
		return nil, err
	}
	return &StoredRun{ID: id, store: st}, nil
}

// Add writes one camera's result.
func (r *StoredRun) Add(ctx context.Context, res Result) error {
	rows := []store.SurveyStream{toRow(r.ID, &res, "main", &res.Main)}
	if res.Sub != nil {
		rows = append(rows, toRow(r.ID, &res, "sub", res.Sub))
	}
	return r.store.AddSurveyStreams(ctx, rows)
}

// Finish records the end of the run.
func (r *StoredRun) Finish(ctx context.Context) error {
	return r.store.FinishSurveyRun(ctx, r.ID, time.Now().UnixNano())
}

// Latest returns every camera's latest stored result, by camera id.
func Latest(ctx context.Context, st *store.Store) ([]Result, error) {
	rows, err := st.LatestSurveyStreams(ctx)
	if err != nil {
		return nil, err
	}
	return fromRows(rows), nil
}

func toRow(runID int64, res *Result, stream string, s *Stream) store.SurveyStream {
	return store.SurveyStream{
		RunID: runID, CameraID: res.CameraID, Stream: stream, FacilityID: res.Facility, CameraName: res.Name,
		Location: res.Location, Enabled: res.Enabled, URL: s.URL, At: time.Time(s.At).UnixNano(),
		Window: secondsToNs(s.Window), Reachable: s.Reachable, Reason: s.Reason, Message: s.Message,
		MessageVI: s.MessageVI, Codec: s.Codec, Profile: s.Profile, Level: s.Level, Width: s.Width,
		Height: s.Height, FPS: s.FPS, FPSDeclared: s.FPSDeclared, Frames: s.Frames, Keyframes: s.Keyframes,
		GOPFrames: s.GOPFrames, GOP: secondsToNs(s.GOPSeconds), GOPOpen: s.GOPOpen, Bytes: s.Bytes,
		Bitrate: s.Bitrate, PacketsLost: int64(s.PacketsLost), MaxStall: secondsToNs(s.MaxStall),
		Audio: s.Audio, AudioRate: s.AudioRate, AudioChannels: s.AudioChannels, Transport: s.Transport,
	}
}

// fromRows regroups rows, ordered by camera, into results: a main row starts a camera, a sub row
// completes it.
func fromRows(rows []store.SurveyStream) []Result {
	var out []Result
	for i := range rows {
		row := &rows[i]
		s := fromRow(row)
		if row.Stream == "sub" {
			if n := len(out); n > 0 && out[n-1].CameraID == row.CameraID {
				out[n-1].Sub = &s
			}
			continue
		}
		out = append(out, Result{CameraID: row.CameraID, Name: row.CameraName, Facility: row.FacilityID,
			Location: row.Location, Enabled: row.Enabled, Main: s})
	}
	return out
}

func fromRow(r *store.SurveyStream) Stream {
	return Stream{
		URL: r.URL, Reachable: r.Reachable, Reason: r.Reason, Message: r.Message, MessageVI: r.MessageVI,
		Codec: r.Codec, Profile: r.Profile, Level: r.Level, Width: r.Width, Height: r.Height, FPS: r.FPS,
		FPSDeclared: r.FPSDeclared, Frames: r.Frames, Keyframes: r.Keyframes, GOPFrames: r.GOPFrames,
		GOPSeconds: nsToSeconds(r.GOP), GOPOpen: r.GOPOpen, Bytes: r.Bytes, Bitrate: r.Bitrate,
		PacketsLost: uint64(r.PacketsLost), Audio: r.Audio, AudioRate: r.AudioRate,
		AudioChannels: r.AudioChannels, Transport: r.Transport, Window: nsToSeconds(r.Window),
		MaxStall: nsToSeconds(r.MaxStall), At: Time(time.Unix(0, r.At)),
	}
}

func secondsToNs(s float64) int64 { return int64(s*1e9 + 0.5) }

// nsToSeconds keeps the millisecond precision the measurement had.
func nsToSeconds(ns int64) float64 { return round(float64(ns)/1e9, 3) }
