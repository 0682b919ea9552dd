-- The suggestion list at a real year's size: full-text search (Chinese,
-- by trigrams: any substring of three characters or more is found through
-- the index, shorter ones by a scan of the index's text) and the indexes
-- the workbench's filters and counts use. The contact never enters it.
CREATE VIRTUAL TABLE suggestions_fts USING fts5(body, tokenize = 'trigram');

CREATE TRIGGER suggestions_fts_insert AFTER INSERT ON suggestions BEGIN
    INSERT INTO suggestions_fts (rowid, body) VALUES (new.id,
        new.tracking_no || ' ' || new.town || ' ' || new.village || ' ' || new.category || ' '
        || coalesce(new.department, '') || ' ' || coalesce(json_extract(new.doc, '$.source'), '') || ' '
        || coalesce(json_extract(new.doc, '$.title'), '') || ' ' || coalesce(json_extract(new.doc, '$.text'), ''));
END;

CREATE TRIGGER suggestions_fts_update AFTER UPDATE ON suggestions BEGIN
    UPDATE suggestions_fts SET body =
        new.tracking_no || ' ' || new.town || ' ' || new.village || ' ' || new.category || ' '
        || coalesce(new.department, '') || ' ' || coalesce(json_extract(new.doc, '$.source'), '') || ' '
        || coalesce(json_extract(new.doc, '$.title'), '') || ' ' || coalesce(json_extract(new.doc, '$.text'), '')
    WHERE rowid = new.id;
END;

CREATE TRIGGER suggestions_fts_delete AFTER DELETE ON suggestions BEGIN
    DELETE FROM suggestions_fts WHERE rowid = old.id;
END;

INSERT INTO suggestions_fts (rowid, body)
SELECT id, tracking_no || ' ' || town || ' ' || village || ' ' || category || ' '
    || coalesce(department, '') || ' ' || coalesce(json_extract(doc, '$.source'), '') || ' '
    || coalesce(json_extract(doc, '$.title'), '') || ' ' || coalesce(json_extract(doc, '$.text'), '')
FROM suggestions;

CREATE INDEX suggestions_year_received ON suggestions (year, received_at);
CREATE INDEX suggestions_year_town ON suggestions (year, town);
CREATE INDEX suggestions_year_channel ON suggestions (year, channel);
