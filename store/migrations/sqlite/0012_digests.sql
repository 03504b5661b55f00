-- Weekly digests: a delivery may now belong to no incident (a person's digest of what they owe
-- across incidents). SQLite cannot drop NOT NULL in place, so deliveries is rebuilt with the
-- same columns, rows and ids, and its indexes are made again. Nothing references deliveries.
CREATE TABLE deliveries_rebuilt (
    id            INTEGER PRIMARY KEY,
    incident_id   BIGINT REFERENCES incidents (id),
    brief_id      BIGINT REFERENCES briefs (id),
    contact_id    BIGINT REFERENCES contacts (id) ON DELETE SET NULL,
    purpose       TEXT NOT NULL,
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL,
    address       TEXT NOT NULL,
    secret        TEXT NOT NULL DEFAULT '',
    group_name    TEXT NOT NULL DEFAULT '',
    subject       TEXT NOT NULL,
    body          TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('pending','delivered','retrying','dead')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT NOT NULL DEFAULT '',
    next_try_at   BIGINT,
    delivered_at  BIGINT,
    acked_at      BIGINT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    message_id    BIGINT REFERENCES messages (id),
    subscriber_id BIGINT REFERENCES subscribers (id),
    event_id      BIGINT REFERENCES events (id)
);
INSERT INTO deliveries_rebuilt (id, incident_id, brief_id, contact_id, purpose, name, kind, address, secret,
    group_name, subject, body, state, attempts, last_error, next_try_at, delivered_at, acked_at, created_at,
    updated_at, message_id, subscriber_id, event_id)
SELECT id, incident_id, brief_id, contact_id, purpose, name, kind, address, secret,
    group_name, subject, body, state, attempts, last_error, next_try_at, delivered_at, acked_at, created_at,
    updated_at, message_id, subscriber_id, event_id FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_rebuilt RENAME TO deliveries;
CREATE INDEX deliveries_incident ON deliveries (incident_id, id);
CREATE INDEX deliveries_state ON deliveries (state, id);
CREATE INDEX deliveries_message ON deliveries (message_id, state, id) WHERE message_id IS NOT NULL;
CREATE INDEX deliveries_subscriber ON deliveries (event_id, state, id) WHERE subscriber_id IS NOT NULL;
CREATE INDEX deliveries_subscriber_id ON deliveries (subscriber_id) WHERE subscriber_id IS NOT NULL;

-- One digest per person per ISO week ("2026-W48"): the row is written in the transaction that
-- writes the digest's deliveries, so a second run of the week's job, on this replica or another,
-- sends nothing again.
CREATE TABLE digests (
    owner      TEXT NOT NULL,
    week       TEXT NOT NULL,
    items      INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (owner, week)
);
