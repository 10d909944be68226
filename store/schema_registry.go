package store

// 3: the province's facilities and their contact persons.
//
// Times are ns since the epoch like everywhere in the store; a calendar date (status_since, a contact
// confirmed on paper) is its midnight in the configured zone. Foreign keys are not switched on in vigil's
// connections, so the accessors delete a facility's contacts themselves; the REFERENCES clause documents
// the link (and would cascade if they were).
const schemaRegistry = `
CREATE TABLE facility (
  id              TEXT    PRIMARY KEY,            -- what cameras name in the config: ^[a-z0-9][a-z0-9_-]{0,63}$
  name            TEXT    NOT NULL,               -- e.g. "Khu cách ly tập trung Ký túc xá A"
  address         TEXT    NOT NULL DEFAULT '',
  district        TEXT    NOT NULL DEFAULT '',    -- quận/huyện
  commune         TEXT    NOT NULL DEFAULT '',    -- phường/xã
  kind            TEXT    NOT NULL DEFAULT '',    -- dormitory, hotel, hospital, barracks, school... (free text)
  capacity        INTEGER NOT NULL DEFAULT 0 CHECK (capacity >= 0), -- people
  status          TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'closed')),
  status_since_ns INTEGER NOT NULL DEFAULT 0,     -- when the status took effect; 0 = not known
  notes           TEXT    NOT NULL DEFAULT '',
  -- Where the row came from. Seeding at startup keeps a row in step with the config file until someone
  -- edits it (or its contacts) through the API or an import; edited_ns records that moment.
  origin          TEXT    NOT NULL CHECK (origin IN ('config', 'camera', 'api', 'import')),
  created_ns      INTEGER NOT NULL,
  updated_ns      INTEGER NOT NULL,               -- last change of the row or of its contacts, by anyone
  edited_ns       INTEGER NOT NULL DEFAULT 0      -- last change through the API or an import; 0 = never
);

CREATE TABLE contact (
  id           INTEGER PRIMARY KEY,
  facility_id  TEXT    NOT NULL REFERENCES facility (id) ON DELETE CASCADE,
  name         TEXT    NOT NULL CHECK (name <> ''),  -- họ và tên
  title        TEXT    NOT NULL DEFAULT '',          -- chức danh
  phone        TEXT    NOT NULL DEFAULT '',          -- +84 and the national number without its 0
  email        TEXT    NOT NULL DEFAULT '',
  is_primary   INTEGER NOT NULL DEFAULT 0 CHECK (is_primary IN (0, 1)),
  confirmed_ns INTEGER NOT NULL DEFAULT 0,           -- when the details were last confirmed; 0 = never
  created_ns   INTEGER NOT NULL,
  updated_ns   INTEGER NOT NULL
);
CREATE INDEX contact_facility ON contact (facility_id, id);
-- The consolidated list holds one primary contact per facility: the database refuses a second.
CREATE UNIQUE INDEX contact_one_primary ON contact (facility_id) WHERE is_primary = 1;
`
