-- Insights (#7): each incident's team and root-cause category, the counters of its "next update
-- by" promises, and its components as rows, so the insight queries filter and group by index.
--
-- updates_due counts the public updates of an open incident that followed an earlier public
-- update (each of those kept or broke the promise "next update by" that the earlier one made;
-- the resolution counts as the update that keeps the last promise); updates_late counts those
-- that came after that time. They are kept by the transaction that appends the update.
ALTER TABLE incidents ADD COLUMN team TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN cause TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN updates_due BIGINT NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN updates_late BIGINT NOT NULL DEFAULT 0;

-- The period filter of every insight reads this index; the team filter reads the second.
CREATE INDEX incidents_noticed ON incidents (noticed_at);
CREATE INDEX incidents_team ON incidents (team, noticed_at);

-- One row per affected component of an incident, written with incidents.components.
CREATE TABLE incident_components (
    incident_id BIGINT NOT NULL REFERENCES incidents (id),
    component   TEXT NOT NULL,
    PRIMARY KEY (component, incident_id)
);
CREATE INDEX incident_components_incident ON incident_components (incident_id);
INSERT INTO incident_components (incident_id, component)
    SELECT DISTINCT i.id, j.value FROM incidents i, json_each(i.components) j WHERE j.value <> '';

-- What the promise figures read of each action item, without touching the table.
CREATE INDEX action_items_insight ON action_items (incident_id, public, kind, state, due_at, done_at);
-- The incidents that promised "it won't happen again" (repeat causes).
CREATE INDEX action_items_prevention ON action_items (incident_id) WHERE kind = 'prevention';

-- The messages a customer received, by address (the trust ledger).
CREATE INDEX deliveries_recipient ON deliveries (address, id) WHERE message_id IS NOT NULL;

-- Backfill the update counters from the timelines as they stand.
WITH pub AS (
    SELECT e.incident_id, e.at, LAG(e.at) OVER (PARTITION BY e.incident_id ORDER BY e.at, e.seq) AS prev
    FROM events e WHERE e.visibility = 'public'
), steps AS (
    SELECT p.incident_id, p.at, p.prev FROM pub p JOIN incidents i ON i.id = p.incident_id
    WHERE p.prev IS NOT NULL AND (i.resolved_at IS NULL OR p.at <= i.resolved_at)
    UNION ALL
    SELECT i.id, i.resolved_at, (SELECT max(e.at) FROM events e WHERE e.incident_id = i.id
        AND e.visibility = 'public' AND e.at <= i.resolved_at)
    FROM incidents i WHERE i.resolved_at IS NOT NULL
), counted AS (
    SELECT s.incident_id, count(*) AS due,
        sum(CASE WHEN s.at > s.prev + CASE i.severity WHEN 1 THEN 1800000000 WHEN 2 THEN 3600000000 ELSE 14400000000 END
            THEN 1 ELSE 0 END) AS late
    FROM steps s JOIN incidents i ON i.id = s.incident_id WHERE s.prev IS NOT NULL GROUP BY s.incident_id
)
UPDATE incidents SET updates_due = (SELECT due FROM counted c WHERE c.incident_id = incidents.id),
    updates_late = (SELECT late FROM counted c WHERE c.incident_id = incidents.id)
WHERE id IN (SELECT incident_id FROM counted);
