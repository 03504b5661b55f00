-- Feedback surveys: after an incident is resolved, each customer who was delivered one of its
-- customer messages is asked, once, how well it was handled. The link carries a random token;
-- only its SHA-256 (hex) is kept here. answered_at, rating and comment are set together when the
-- customer answers; action_item_id when someone turned the answer into an action item.
CREATE TABLE surveys (
    id             INTEGER PRIMARY KEY,
    incident_id    BIGINT NOT NULL REFERENCES incidents (id),
    email          TEXT NOT NULL,
    name           TEXT NOT NULL DEFAULT '',
    account        TEXT NOT NULL DEFAULT '',
    token_hash     TEXT NOT NULL UNIQUE,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    answered_at    BIGINT,
    rating         INTEGER CHECK (rating BETWEEN 1 AND 5),
    comment        TEXT NOT NULL DEFAULT '',
    action_item_id BIGINT REFERENCES action_items (id),
    UNIQUE (incident_id, email)
);
CREATE INDEX surveys_by_incident ON surveys (incident_id, id);
CREATE INDEX surveys_answered ON surveys (answered_at) WHERE answered_at IS NOT NULL;
CREATE INDEX surveys_by_account ON surveys (account, incident_id);

-- Where an action item came from: '' added by hand, 'postmortem', 'feedback' or 'message'.
ALTER TABLE action_items ADD COLUMN source TEXT NOT NULL DEFAULT '';
