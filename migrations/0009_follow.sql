-- 实施与监督: after the vote, each decided project's implementation plan
-- (entered by its lead department, checked by the working group), the
-- department's progress reports, the 人大常委会's decisions (调整, 暂缓,
-- 终止, with document number and public notice), and the deputies'
-- inspections with their 督办建议 and the department's answers. Each row's
-- `doc` is the domain's JSON; every change is also in the audit chain.
CREATE TABLE follow_plans (
    project_id INTEGER PRIMARY KEY REFERENCES projects(id),
    doc        TEXT NOT NULL,
    checked_by TEXT,
    checked_at TEXT
);
CREATE TABLE follow_reports (
    id         INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id),
    doc        TEXT NOT NULL,
    at         TEXT NOT NULL
);
CREATE INDEX follow_reports_by_project ON follow_reports (project_id, id);
CREATE TABLE follow_decisions (
    id         INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id),
    doc        TEXT NOT NULL,
    at         TEXT NOT NULL
);
CREATE INDEX follow_decisions_by_project ON follow_decisions (project_id, id);
CREATE TABLE inspections (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects(id),
    doc         TEXT NOT NULL,
    at          TEXT NOT NULL,
    answer      TEXT,
    answered_at TEXT
);
CREATE INDEX inspections_by_project ON inspections (project_id, id);
