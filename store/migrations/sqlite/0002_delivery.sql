-- Telling colleagues: stakeholder groups and how they are reached, the brief each event sends,
-- one delivery row per recipient per brief, alert groups from Alertmanager, and settings.
CREATE TABLE groups (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    severities TEXT NOT NULL DEFAULT '1,2,3,4',
    events     TEXT NOT NULL DEFAULT 'declared,status_changed,resolved,customer_message_sent,postmortem_shared',
    created_at BIGINT NOT NULL
);

CREATE TABLE contacts (
    id         INTEGER PRIMARY KEY,
    group_id   BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('email','slack','teams','webhook')),
    address    TEXT NOT NULL,
    secret     TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    UNIQUE (group_id, kind, address)
);

CREATE TABLE briefs (
    id          INTEGER PRIMARY KEY,
    incident_id BIGINT NOT NULL REFERENCES incidents (id),
    event       TEXT NOT NULL,
    subject     TEXT NOT NULL,
    body        TEXT NOT NULL,
    fields      TEXT NOT NULL DEFAULT '[]',
    created_at  BIGINT NOT NULL
);
CREATE INDEX briefs_incident ON briefs (incident_id, id);

CREATE TABLE deliveries (
    id           INTEGER PRIMARY KEY,
    incident_id  BIGINT NOT NULL REFERENCES incidents (id),
    brief_id     BIGINT REFERENCES briefs (id),
    contact_id   BIGINT REFERENCES contacts (id) ON DELETE SET NULL,
    purpose      TEXT NOT NULL,
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    address      TEXT NOT NULL,
    secret       TEXT NOT NULL DEFAULT '',
    group_name   TEXT NOT NULL DEFAULT '',
    subject      TEXT NOT NULL,
    body         TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('pending','delivered','retrying','dead')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT NOT NULL DEFAULT '',
    next_try_at  BIGINT,
    delivered_at BIGINT,
    acked_at     BIGINT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX deliveries_incident ON deliveries (incident_id, id);
CREATE INDEX deliveries_state ON deliveries (state, id);

CREATE TABLE alert_groups (
    source      TEXT NOT NULL,
    group_key   TEXT NOT NULL,
    incident_id BIGINT NOT NULL REFERENCES incidents (id),
    firing      INTEGER NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (source, group_key)
);

CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
