-- A photo or scan may belong to one progress report or one inspection (the
-- site photos of that visit, the scan of that report); otherwise to the
-- project as a whole.
ALTER TABLE attachments ADD COLUMN report_id INTEGER REFERENCES follow_reports(id);
ALTER TABLE attachments ADD COLUMN inspection_id INTEGER REFERENCES inspections(id);
