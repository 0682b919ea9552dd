-- The upstream stages (产生办法): the year and its stage, the working group,
-- suggestions, projects and their revisions, links, opinions, meetings,
-- discussion drafts — and the hash-chained log of every change, written in
-- the same transaction as the change itself.

CREATE TABLE up_years (
    year              INTEGER PRIMARY KEY,
    stage             TEXT NOT NULL CHECK (stage IN ('collect','declare','review','consult','approve','vote')),
    collection_opened TEXT,
    collection_closed TEXT
);

-- 工作组: a staff account's role in the working group (JSON GroupRole).
CREATE TABLE wg_members (
    staff_id INTEGER PRIMARY KEY REFERENCES staff(id),
    role     TEXT NOT NULL
);

CREATE TABLE suggestions (
    id          INTEGER PRIMARY KEY,
    year        INTEGER NOT NULL REFERENCES up_years(year),
    tracking_no TEXT NOT NULL UNIQUE,
    channel     TEXT NOT NULL,
    town        TEXT NOT NULL,
    village     TEXT NOT NULL,
    category    TEXT NOT NULL,
    status      TEXT NOT NULL,
    department  TEXT,
    doc         TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE INDEX suggestions_year ON suggestions(year, status);

CREATE TABLE projects (
    id          INTEGER PRIMARY KEY,
    year        INTEGER NOT NULL REFERENCES up_years(year),
    department  TEXT NOT NULL,
    status      TEXT NOT NULL,
    doc         TEXT NOT NULL,
    assessment  TEXT,
    exclusion   TEXT,
    merged_into INTEGER REFERENCES projects(id),
    candidate_id TEXT,
    round_id    INTEGER REFERENCES rounds(id)
);

-- Every version of a project, with why it changed.
CREATE TABLE project_revisions (
    project_id INTEGER NOT NULL REFERENCES projects(id),
    rev        INTEGER NOT NULL,
    doc        TEXT NOT NULL,
    reason     TEXT NOT NULL,
    PRIMARY KEY (project_id, rev)
) WITHOUT ROWID;

-- Suggestion -> project (the suggestions a project answers).
CREATE TABLE project_links (
    project_id    INTEGER NOT NULL REFERENCES projects(id),
    suggestion_id INTEGER NOT NULL REFERENCES suggestions(id),
    PRIMARY KEY (project_id, suggestion_id)
) WITHOUT ROWID;

CREATE TABLE opinions (
    id         INTEGER PRIMARY KEY,
    year       INTEGER NOT NULL REFERENCES up_years(year),
    project_id INTEGER REFERENCES projects(id),
    source     TEXT NOT NULL,
    author     TEXT NOT NULL,
    text       TEXT NOT NULL,
    response   TEXT,
    adopted    INTEGER
);

CREATE TABLE meetings (
    id   INTEGER PRIMARY KEY,
    year INTEGER NOT NULL REFERENCES up_years(year),
    doc  TEXT NOT NULL
);

-- 本年度重大项目 (imported): a project duplicating one is ruled out.
CREATE TABLE major_projects (
    year INTEGER NOT NULL REFERENCES up_years(year),
    name TEXT NOT NULL,
    PRIMARY KEY (year, name)
) WITHOUT ROWID;

-- 讨论稿 / 送审方案: numbered versions of the list.
CREATE TABLE drafts (
    year    INTEGER NOT NULL REFERENCES up_years(year),
    version INTEGER NOT NULL,
    label   TEXT NOT NULL,
    doc     TEXT NOT NULL,
    PRIMARY KEY (year, version)
) WITHOUT ROWID;

-- 过程记录: one canonical JSON event a row, each linked to the one before.
CREATE TABLE audit_events (
    seq     INTEGER PRIMARY KEY,
    subject TEXT NOT NULL,
    hash    TEXT NOT NULL,
    line    TEXT NOT NULL
);
CREATE INDEX audit_events_subject ON audit_events(subject);
