-- Weekly digests: a delivery may now belong to no incident (a person's digest of what they owe
-- across incidents).
ALTER TABLE deliveries ALTER COLUMN incident_id DROP NOT NULL;

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
