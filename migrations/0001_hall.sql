-- The hall: staff, deputies, rounds, the vote log. Append-only migrations.
-- Secret ballot by construction: no table joins a deputy or a tablet to a
-- credential or an entry, and no ballot-related row carries a time.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE staff (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('secretariat','chief_scrutineer','scrutineer','counter','working_group','department')),
    password_hash TEXT NOT NULL
);

CREATE TABLE staff_sessions (
    token_hash TEXT PRIMARY KEY,
    staff_id   INTEGER NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
    csrf       TEXT NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;

-- 代表: the roster. `present` is 签到 (attendance), a flag with no time.
CREATE TABLE deputies (
    id           INTEGER PRIMARY KEY,
    number       TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    delegation   TEXT NOT NULL,
    seat         TEXT NOT NULL,
    checkin_code TEXT NOT NULL,
    present      INTEGER NOT NULL DEFAULT 0 CHECK (present IN (0, 1))
);

CREATE TABLE tablet_sessions (
    token_hash TEXT PRIMARY KEY,
    deputy_id  INTEGER NOT NULL REFERENCES deputies(id) ON DELETE CASCADE
) WITHOUT ROWID;

-- 轮次: draft -> open -> closed -> published.
CREATE TABLE rounds (
    id            INTEGER PRIMARY KEY,
    election_id   TEXT NOT NULL,
    round         INTEGER NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('draft','open','closed','published')),
    draft_json    TEXT NOT NULL,
    manifest_json TEXT,
    present       INTEGER,
    result_json   TEXT,
    UNIQUE (election_id, round)
);

-- Raw credentials not yet handed out, in a shuffled order. A row is deleted
-- as its credential is issued; the rest are wiped when the round closes.
CREATE TABLE credential_stack (
    round_id   INTEGER NOT NULL REFERENCES rounds(id),
    slot       INTEGER NOT NULL,
    credential TEXT NOT NULL,
    PRIMARY KEY (round_id, slot)
) WITHOUT ROWID;

-- Who has received a ballot (one per deputy per round): no credential, no time.
CREATE TABLE ballots_issued (
    round_id  INTEGER NOT NULL REFERENCES rounds(id),
    deputy_id INTEGER NOT NULL REFERENCES deputies(id),
    PRIMARY KEY (round_id, deputy_id)
) WITHOUT ROWID;

-- 计票日志: the entries of the hash chain, exactly as published.
CREATE TABLE entries (
    round_id   INTEGER NOT NULL REFERENCES rounds(id),
    seq        INTEGER NOT NULL,
    credential TEXT NOT NULL,
    entry_json TEXT NOT NULL,
    hash       TEXT NOT NULL,
    PRIMARY KEY (round_id, seq),
    UNIQUE (round_id, credential)
) WITHOUT ROWID;

-- Signatures over the result body: the authority's and each scrutineer's.
CREATE TABLE attestations (
    round_id   INTEGER NOT NULL REFERENCES rounds(id),
    public_key TEXT NOT NULL,
    role       TEXT NOT NULL CHECK (role IN ('authority','scrutineer')),
    signature  TEXT NOT NULL,
    PRIMARY KEY (round_id, public_key)
) WITHOUT ROWID;
