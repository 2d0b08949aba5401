-- The open centres in a temporary table with its own sparse GiST index (queries/centres.py).
DROP TABLE IF EXISTS pg_temp.open_centre;
CREATE TEMP TABLE open_centre ON COMMIT DROP AS
    SELECT centre_id, location FROM centre WHERE status = 'open';
CREATE INDEX ON open_centre USING gist (location) WITH (fillfactor = 10, buffering = on);
ANALYZE open_centre;
