-- The value sets of the upstream status columns, held by the database too.
-- 0003 created these columns without a CHECK, and SQLite cannot add one to a
-- column in place; these triggers refuse any other value on insert and on
-- update, as a CHECK would. The domain's enums (upstream::model) are the same
-- lists; src/store/checks_tests.rs holds the two together.

CREATE TRIGGER suggestions_status_insert BEFORE INSERT ON suggestions
WHEN NEW.status NOT IN ('received','listed','adopted')
  OR NEW.channel NOT IN ('public','directed','topical','hotline','petition')
BEGIN SELECT RAISE(ABORT, 'suggestions: status or channel outside its set'); END;

CREATE TRIGGER suggestions_status_update BEFORE UPDATE OF status, channel ON suggestions
WHEN NEW.status NOT IN ('received','listed','adopted')
  OR NEW.channel NOT IN ('public','directed','topical','hotline','petition')
BEGIN SELECT RAISE(ABORT, 'suggestions: status or channel outside its set'); END;

CREATE TRIGGER projects_status_insert BEFORE INSERT ON projects
WHEN NEW.status NOT IN ('declared','passed','revise','excluded','merged','candidate')
BEGIN SELECT RAISE(ABORT, 'projects: status outside its set'); END;

CREATE TRIGGER projects_status_update BEFORE UPDATE OF status ON projects
WHEN NEW.status NOT IN ('declared','passed','revise','excluded','merged','candidate')
BEGIN SELECT RAISE(ABORT, 'projects: status outside its set'); END;
