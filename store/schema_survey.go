package store

// 5: camera survey results. A run is one survey (of every camera, a facility or one camera); each of
// its cameras has one row per stream read. Only measurements are kept: whether a camera meets the
// minimum is judged when a report is built, against the minimum then in force.
const schemaSurvey = `
CREATE TABLE survey_run (
  id          INTEGER PRIMARY KEY,
  started_ns  INTEGER NOT NULL,            -- wall clock, ns since epoch
  finished_ns INTEGER,                     -- NULL while running, or if vigil stopped during the run
  scope       TEXT    NOT NULL DEFAULT '', -- '' every camera | 'facility:<id>' | 'camera:<id>'
  source      TEXT    NOT NULL,            -- cli | api
  window_ns   INTEGER NOT NULL,            -- how long each main stream was to be read
  minimum     TEXT    NOT NULL DEFAULT '{}' -- JSON: the minimum in force when it ran, for the record
);

CREATE TABLE survey_result (
  run_id         INTEGER NOT NULL REFERENCES survey_run (id),
  camera_id      TEXT    NOT NULL,
  stream         TEXT    NOT NULL CHECK (stream IN ('main', 'sub')),
  facility_id    TEXT    NOT NULL,
  camera_name    TEXT    NOT NULL,
  location       TEXT    NOT NULL DEFAULT '',
  enabled        INTEGER NOT NULL,         -- 1 if the camera was being recorded
  url            TEXT    NOT NULL,         -- password redacted: never a secret in this table
  at_ns          INTEGER NOT NULL,         -- when the reading ended
  window_ns      INTEGER NOT NULL,         -- how long it actually read, PLAY to end
  reachable      INTEGER NOT NULL,         -- 1 if the camera answered DESCRIBE
  reason         TEXT    NOT NULL DEFAULT '', -- '' measured | refused | auth_failed | timeout | dns | not_found | no_video_track | unsupported_codec | other
  message        TEXT    NOT NULL DEFAULT '', -- the reason, or a note, in English
  message_vi     TEXT    NOT NULL DEFAULT '', -- the same in Vietnamese
  codec          TEXT    NOT NULL DEFAULT '', -- H264 | H265 | an unsupported codec's name
  profile        TEXT    NOT NULL DEFAULT '',
  level          TEXT    NOT NULL DEFAULT '',
  width          INTEGER NOT NULL DEFAULT 0,  -- from the SPS
  height         INTEGER NOT NULL DEFAULT 0,
  fps            REAL    NOT NULL DEFAULT 0,  -- measured from the frames' timestamps
  fps_declared   REAL    NOT NULL DEFAULT 0,  -- from the SPS's VUI; 0 if absent
  frames         INTEGER NOT NULL DEFAULT 0,
  keyframes      INTEGER NOT NULL DEFAULT 0,
  gop_frames     INTEGER NOT NULL DEFAULT 0,  -- longest keyframe interval, frames; 0 if gop_open
  gop_ns         INTEGER NOT NULL DEFAULT 0,  -- longest keyframe interval, media time
  gop_open       INTEGER NOT NULL DEFAULT 0,  -- 1: fewer than two keyframes, gop_ns is a lower bound
  bytes          INTEGER NOT NULL DEFAULT 0,  -- RTP payload received, video and audio
  bitrate_bps    INTEGER NOT NULL DEFAULT 0,  -- bytes * 8 / window
  packets_lost   INTEGER NOT NULL DEFAULT 0,
  max_stall_ns   INTEGER NOT NULL DEFAULT 0,  -- longest time without video data, edges of the window included
  audio          TEXT    NOT NULL DEFAULT '', -- '' none | AAC | Opus | G711 | LPCM | another name
  audio_rate     INTEGER NOT NULL DEFAULT 0,
  audio_channels INTEGER NOT NULL DEFAULT 0,
  transport      TEXT    NOT NULL DEFAULT '', -- TCP | UDP | UDP-multicast
  PRIMARY KEY (run_id, camera_id, stream)
);
-- the latest survey of each camera
CREATE INDEX survey_result_camera ON survey_result (camera_id, run_id);
`
