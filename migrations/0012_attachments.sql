-- Photos and scans of a decided project (progress, inspections): the file
-- in the data dir under attachments/<sha256>.<kind>, its row here, its
-- digest in the audit chain.
CREATE TABLE attachments (
    id         INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id),
    sha256     TEXT NOT NULL,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    bytes      INTEGER NOT NULL,
    at         TEXT NOT NULL
);
CREATE INDEX attachments_by_project ON attachments (project_id, id);
