-- Customer messages: each incident's audience (all customers, chosen accounts or segments, or a
-- list uploaded for the incident whose extra columns become placeholders), the messages with
-- every version of their text and its ownership-check report, the approvals of each version,
-- and the link from a delivery to the message it carries. A customer message's deliveries
-- have purpose 'customer', brief_id and contact_id NULL, and message_id set.
CREATE TABLE messages (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id     BIGINT NOT NULL REFERENCES incidents (id),
    kind            TEXT NOT NULL CHECK (kind IN ('acknowledgement','update','resolution','followup')),
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('draft','approved','sent')),
    version         INTEGER NOT NULL,
    author          TEXT NOT NULL,
    owns            INTEGER NOT NULL,
    score           INTEGER NOT NULL,
    report          TEXT NOT NULL,
    override_reason TEXT NOT NULL DEFAULT '',
    reply_to        TEXT NOT NULL DEFAULT '',
    recipients      INTEGER NOT NULL DEFAULT 0,
    sent_at         BIGINT,
    sent_by         TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX messages_incident ON messages (incident_id, id);
-- The wording colleagues' briefs carry: the newest approved or sent message of an incident.
CREATE INDEX messages_wording ON messages (incident_id, updated_at) WHERE state IN ('approved','sent');

CREATE TABLE message_versions (
    message_id BIGINT NOT NULL REFERENCES messages (id),
    version    INTEGER NOT NULL,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    author     TEXT NOT NULL,
    at         BIGINT NOT NULL,
    owns       INTEGER NOT NULL,
    score      INTEGER NOT NULL,
    report     TEXT NOT NULL,
    PRIMARY KEY (message_id, version)
);

CREATE TABLE message_approvals (
    message_id BIGINT NOT NULL REFERENCES messages (id),
    version    INTEGER NOT NULL,
    approver   TEXT NOT NULL,
    at         BIGINT NOT NULL,
    PRIMARY KEY (message_id, version, approver)
);

-- One audience per incident. accounts and list_columns (the uploaded list's extra columns) are
-- JSON arrays; segments is a comma list.
CREATE TABLE audiences (
    incident_id BIGINT PRIMARY KEY REFERENCES incidents (id),
    kind        TEXT NOT NULL CHECK (kind IN ('all','accounts','segments','list')),
    accounts    TEXT NOT NULL DEFAULT '[]',
    segments    TEXT NOT NULL DEFAULT '',
    list_columns TEXT NOT NULL DEFAULT '[]',
    updated_at  BIGINT NOT NULL,
    updated_by  TEXT NOT NULL
);

-- The list uploaded for an incident, keyset-paged by email; fields is a JSON object of the
-- list's extra columns.
CREATE TABLE audience_members (
    incident_id BIGINT NOT NULL REFERENCES incidents (id),
    email       TEXT NOT NULL,
    name        TEXT NOT NULL DEFAULT '',
    account     TEXT NOT NULL DEFAULT '',
    fields      TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (incident_id, email)
);

ALTER TABLE deliveries ADD COLUMN message_id BIGINT REFERENCES messages (id);
-- A message's pending deliveries, in order, for the job that sends them.
CREATE INDEX deliveries_message ON deliveries (message_id, state, id) WHERE message_id IS NOT NULL;
