package store

// 4: continuity alerts and their deliveries.
const schemaAlerts = `
-- One outage of one camera that lasted longer than alerts.offline_after. Times are ns since the epoch.
CREATE TABLE alert (
  id           INTEGER PRIMARY KEY,
  camera_id    TEXT    NOT NULL,
  facility_id  TEXT    NOT NULL DEFAULT '', -- the camera's facility when the alert was raised
  down_since   INTEGER NOT NULL,            -- when the camera stopped being online (as far as vigil saw it)
  opened_at    INTEGER NOT NULL,            -- when the alert was raised: down_since + the threshold, or later
  closed_at    INTEGER,                     -- when the camera was online again; NULL while the alert is open
  reason       TEXT    NOT NULL DEFAULT '', -- the recorder's last error when the alert was raised
  close_reason TEXT    NOT NULL DEFAULT '', -- recovered | camera disabled | camera removed from the configuration
  CHECK (opened_at >= down_since),
  CHECK (closed_at IS NULL OR closed_at >= down_since)
);
-- At most one open alert per camera: the database itself refuses a second alert for the same outage,
-- whatever happens to the process that raises them.
CREATE UNIQUE INDEX alert_open_camera ON alert (camera_id) WHERE closed_at IS NULL;
-- history: alerts overlapping a time range, newest first
CREATE INDEX alert_down_since ON alert (down_since);

-- One attempt to tell one channel about one alert event.
CREATE TABLE delivery (
  id       INTEGER PRIMARY KEY,
  alert_id INTEGER NOT NULL REFERENCES alert (id),
  event    TEXT    NOT NULL CHECK (event IN ('camera.offline', 'camera.recovered')),
  channel  TEXT    NOT NULL CHECK (channel IN ('webhook', 'email')),
  target   TEXT    NOT NULL, -- webhook name (never its path, query or secret) or the e-mail recipients
  attempt  INTEGER NOT NULL CHECK (attempt >= 1),
  status   TEXT    NOT NULL CHECK (status IN ('sent', 'retry', 'failed')), -- retry: failed, another attempt follows; failed: given up
  error    TEXT    NOT NULL DEFAULT '',
  at       INTEGER NOT NULL  -- when the attempt ended
);
CREATE INDEX delivery_alert ON delivery (alert_id, id);
-- the metrics' failure counter, read at every scrape
CREATE INDEX delivery_failed ON delivery (channel) WHERE status = 'failed';
`
