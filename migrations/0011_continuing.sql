-- 跨年度项目 (第五条(三)): when a year opens, each project an earlier year's
-- vote decided that runs into it is carried forward with this year's stage
-- goal — shown as continuing, never voted on again.
CREATE TABLE continuing (
    year       INTEGER NOT NULL REFERENCES up_years(year),
    project_id INTEGER NOT NULL REFERENCES projects(id),
    goal       TEXT NOT NULL,
    PRIMARY KEY (year, project_id)
) WITHOUT ROWID;
