-- A year's hotline export, imported in one go and again without doubling:
-- each imported suggestion keeps the source's own reference (its 工单编号,
-- or, when the source has none, a digest of what it says and when), unique
-- within its channel across the years (an export that spans New Year brings
-- last year's calls again; they stay last year's). The source's own time is
-- the suggestion's received_at.
ALTER TABLE suggestions ADD COLUMN source_ref TEXT;
CREATE UNIQUE INDEX suggestions_source_ref ON suggestions (channel, source_ref)
    WHERE source_ref IS NOT NULL;

-- The search finds a call by its 工单编号 too: the triggers of 0006 again,
-- with the source's number in the text they index.
DROP TRIGGER suggestions_fts_insert;
DROP TRIGGER suggestions_fts_update;

CREATE TRIGGER suggestions_fts_insert AFTER INSERT ON suggestions BEGIN
    INSERT INTO suggestions_fts (rowid, body) VALUES (new.id,
        new.tracking_no || ' ' || CASE WHEN new.source_ref LIKE 'ticket:%' THEN substr(new.source_ref, 8) ELSE '' END || ' '
        || new.town || ' ' || new.village || ' ' || new.category || ' '
        || coalesce(new.department, '') || ' ' || coalesce(json_extract(new.doc, '$.source'), '') || ' '
        || coalesce(json_extract(new.doc, '$.title'), '') || ' ' || coalesce(json_extract(new.doc, '$.text'), ''));
END;

CREATE TRIGGER suggestions_fts_update AFTER UPDATE ON suggestions BEGIN
    UPDATE suggestions_fts SET body =
        new.tracking_no || ' ' || CASE WHEN new.source_ref LIKE 'ticket:%' THEN substr(new.source_ref, 8) ELSE '' END || ' '
        || new.town || ' ' || new.village || ' ' || new.category || ' '
        || coalesce(new.department, '') || ' ' || coalesce(json_extract(new.doc, '$.source'), '') || ' '
        || coalesce(json_extract(new.doc, '$.title'), '') || ' ' || coalesce(json_extract(new.doc, '$.text'), '')
    WHERE rowid = new.id;
END;

-- The list's counts (by town, channel, month) and its filters' choices,
-- read from this index alone: a year of 200,000 suggestions is 150 MB of
-- rows (their text), and a few MB of this.
CREATE INDEX suggestions_facets ON suggestions
    (year, town, channel, category, status, department, received_at);

-- A year's suggestions newest first: this index is ordered (year, id), so a
-- page is read from its end without sorting the year.
CREATE INDEX suggestions_year_id ON suggestions (year);
