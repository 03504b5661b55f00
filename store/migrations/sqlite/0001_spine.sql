-- The spine: incidents, their append-only timeline, people, sessions, tokens and the audit log.
-- Times are microseconds since the Unix epoch, UTC, in both databases (see docs/decisions).
CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('incident', 0);

CREATE TABLE incidents (
    id                 INTEGER PRIMARY KEY,
    number             BIGINT NOT NULL UNIQUE,
    title              TEXT NOT NULL,
    summary            TEXT NOT NULL DEFAULT '',
    severity           INTEGER NOT NULL CHECK (severity BETWEEN 1 AND 4),
    status             TEXT NOT NULL CHECK (status IN ('investigating','identified','monitoring','resolved','closed')),
    open_rank          INTEGER NOT NULL,
    owner              TEXT NOT NULL DEFAULT '',
    lead               TEXT NOT NULL DEFAULT '',
    comms              TEXT NOT NULL DEFAULT '',
    components         TEXT NOT NULL DEFAULT '[]',
    noticed_at         BIGINT NOT NULL,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    created_by         TEXT NOT NULL,
    colleagues_told_at BIGINT,
    customers_told_at  BIGINT,
    root_cause_at      BIGINT,
    mitigated_at       BIGINT,
    resolved_at        BIGINT,
    closed_at          BIGINT,
    event_count        BIGINT NOT NULL DEFAULT 0,
    head_hash          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX incidents_list ON incidents (open_rank, number DESC);
CREATE INDEX incidents_by_status ON incidents (status, number DESC);
CREATE INDEX incidents_by_severity ON incidents (severity, open_rank, number DESC);

CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    incident_id BIGINT NOT NULL REFERENCES incidents (id),
    seq         BIGINT NOT NULL,
    kind        TEXT NOT NULL,
    body        TEXT NOT NULL,
    at          BIGINT NOT NULL,
    recorded_at BIGINT NOT NULL,
    actor       TEXT NOT NULL,
    visibility  TEXT NOT NULL CHECK (visibility IN ('internal','public')),
    corrects    BIGINT REFERENCES events (id),
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL,
    UNIQUE (incident_id, seq)
);
CREATE INDEX events_timeline ON events (incident_id, at, seq);

-- The timeline is append-only: the database itself refuses edits and deletions.
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'timeline events are append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'timeline events are append-only'); END;

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL CHECK (role IN ('admin','responder','viewer')),
    password_hash TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE TABLE sessions (
    id_hash    TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE tokens (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    role         TEXT NOT NULL CHECK (role IN ('admin','responder','viewer')),
    hash         TEXT NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT
);

CREATE TABLE audit (
    id     INTEGER PRIMARY KEY,
    at     BIGINT NOT NULL,
    actor  TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_at ON audit (at);
