-- The public status page. 'publish' counts changes to what the page shows; every replica polls it
-- (one query per interval, never per request) and rebuilds its precomputed page when it moves.
-- 'publish_at' holds when the last such change committed (microseconds), the page's Last-Modified.
-- Both are bumped in the transaction of the change itself (store/publish.go).
INSERT INTO counters (name, value) VALUES ('publish', 0);
INSERT INTO counters (name, value) VALUES ('publish_at', 0);

-- Public events of one incident, in recording order, without reading its internal ones.
CREATE INDEX events_public ON events (incident_id, seq) WHERE visibility = 'public';
