-- 热点专题: the working group names the hot topics the grouping finds,
-- merges two into one and splits one in two. A topic keeps the calls it
-- was made of; a new grouping shows a group under the topic holding most
-- of it. A retired topic (merged into another) keeps its rows for history.
CREATE TABLE hot_topics (
    id         INTEGER PRIMARY KEY,
    year       INTEGER NOT NULL REFERENCES up_years(year),
    name       TEXT NOT NULL,
    keywords   TEXT NOT NULL DEFAULT '[]',
    merged_into INTEGER REFERENCES hot_topics(id)
);
CREATE TABLE hot_topic_members (
    topic_id      INTEGER NOT NULL REFERENCES hot_topics(id),
    suggestion_id INTEGER NOT NULL REFERENCES suggestions(id),
    PRIMARY KEY (topic_id, suggestion_id)
) WITHOUT ROWID;
CREATE INDEX hot_topic_members_by_suggestion ON hot_topic_members (suggestion_id);

-- A declared project cites the hot topics it answers (its calls and
-- suggestions are in project_links).
CREATE TABLE project_topics (
    project_id INTEGER NOT NULL REFERENCES projects(id),
    topic_id   INTEGER NOT NULL REFERENCES hot_topics(id),
    PRIMARY KEY (project_id, topic_id)
) WITHOUT ROWID;
