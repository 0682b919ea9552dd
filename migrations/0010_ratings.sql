-- 民生码: anyone may rate a project and leave a short comment (no contact
-- is asked for); a comment is shown once staff let it (shown = 1), hidden
-- when they do not (0), waiting while NULL. The audit chain records a
-- rating and a digest of its comment, never the text.
CREATE TABLE public_ratings (
    id         INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id),
    rating     TEXT NOT NULL,
    comment    TEXT NOT NULL DEFAULT '',
    at         TEXT NOT NULL,
    shown      INTEGER
);
CREATE INDEX public_ratings_by_project ON public_ratings (project_id, id);
