-- Attachments: screenshots and supporting data of an incident. The file itself lives on disk
-- in the attachments directory (DATA/attachments by default) under stored_as, never under the
-- name it was uploaded with; name is the sanitised display name and type the sniffed type.
CREATE TABLE attachments (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id BIGINT NOT NULL REFERENCES incidents (id),
    name        TEXT NOT NULL,
    type        TEXT NOT NULL,
    size        BIGINT NOT NULL,
    sha256      TEXT NOT NULL,
    stored_as   TEXT NOT NULL UNIQUE,
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX attachments_by_incident ON attachments (incident_id, id);
