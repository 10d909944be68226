package store

// 6: users, sessions, API tokens, the audit log, and server secrets.
const schemaAuth = `
CREATE TABLE user (
  id            INTEGER PRIMARY KEY,
  username      TEXT    NOT NULL UNIQUE,
  name          TEXT    NOT NULL DEFAULT '',
  role          TEXT    NOT NULL CHECK (role IN ('admin', 'operator', 'investigator', 'facility', 'viewer')),
  grants        TEXT    NOT NULL DEFAULT '[]', -- JSON list of {facility, from_ns, until_ns}; facility "*" = all
  password_hash TEXT    NOT NULL,              -- PHC string (argon2id)
  disabled      INTEGER NOT NULL DEFAULT 0,
  created_ns    INTEGER NOT NULL,
  last_login_ns INTEGER NOT NULL DEFAULT 0,
  failed_logins INTEGER NOT NULL DEFAULT 0,    -- failures in a row since the last success or lockout
  locked_until  INTEGER NOT NULL DEFAULT 0
);

-- A signed-in browser. The cookie holds a random secret; the store keeps only its SHA-256, so a copy of
-- the database signs nobody in.
CREATE TABLE session (
  id_hash    BLOB    PRIMARY KEY,
  user_id    INTEGER NOT NULL REFERENCES user (id),
  csrf       TEXT    NOT NULL,
  created_ns INTEGER NOT NULL,
  seen_ns    INTEGER NOT NULL,
  address    TEXT    NOT NULL DEFAULT '',
  user_agent TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX session_user ON session (user_id);

-- A machine's credential (the central system, scripts). Only the secret's SHA-256 is kept.
CREATE TABLE api_token (
  id             INTEGER PRIMARY KEY,
  name           TEXT    NOT NULL,
  secret_hash    BLOB    NOT NULL UNIQUE,
  role           TEXT    NOT NULL CHECK (role IN ('admin', 'operator', 'investigator', 'facility', 'viewer')),
  grants         TEXT    NOT NULL DEFAULT '[]',
  created_ns     INTEGER NOT NULL,
  created_by     TEXT    NOT NULL,
  last_used_ns   INTEGER NOT NULL DEFAULT 0,
  last_used_from TEXT    NOT NULL DEFAULT '',
  revoked_ns     INTEGER NOT NULL DEFAULT 0
);

-- Who did what to which footage, from where, when. Rows are never changed; they are deleted only by
-- retention, and only below audit_horizon, which only moves forward: the triggers refuse anything else,
-- whatever code runs.
CREATE TABLE audit (
  id         INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused: a gap in the ids shows where rows went
  at_ns      INTEGER NOT NULL,
  actor      TEXT    NOT NULL,
  actor_kind TEXT    NOT NULL CHECK (actor_kind IN ('user', 'token', 'system', 'anonymous')),
  role       TEXT    NOT NULL DEFAULT '',
  address    TEXT    NOT NULL DEFAULT '',
  action     TEXT    NOT NULL,
  camera     TEXT    NOT NULL DEFAULT '',
  facility   TEXT    NOT NULL DEFAULT '',
  start_ns   INTEGER NOT NULL DEFAULT 0,
  end_ns     INTEGER NOT NULL DEFAULT 0,
  bytes      INTEGER NOT NULL DEFAULT 0,
  detail     TEXT    NOT NULL DEFAULT '',
  outcome    TEXT    NOT NULL DEFAULT 'ok'
);
CREATE INDEX audit_at ON audit (at_ns);
CREATE INDEX audit_camera_at ON audit (camera, at_ns) WHERE camera != '';

CREATE TABLE audit_horizon (
  one       INTEGER PRIMARY KEY CHECK (one = 1),
  before_ns INTEGER NOT NULL
);
INSERT INTO audit_horizon (one, before_ns) VALUES (1, 0);

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
WHEN old.at_ns >= coalesce((SELECT before_ns FROM audit_horizon), 0)
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: only retention deletes, below its horizon'); END;
CREATE TRIGGER audit_horizon_forward BEFORE UPDATE ON audit_horizon
WHEN new.before_ns < old.before_ns
BEGIN SELECT RAISE(ABORT, 'the audit horizon only moves forward'); END;
CREATE TRIGGER audit_horizon_kept BEFORE DELETE ON audit_horizon
BEGIN SELECT RAISE(ABORT, 'the audit horizon cannot be removed'); END;

-- Keys the server makes for itself once (the HMAC key of signed media links).
CREATE TABLE server_secret (
  name  TEXT PRIMARY KEY,
  value BLOB NOT NULL
);
`
