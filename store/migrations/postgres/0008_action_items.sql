-- Action items: what the team will do about an incident, each with one owner (a user's name)
-- and a due instant (a due date is stored as the end of that day in the server's zone). A
-- public item is a promise to customers. done_at is set when it was done; a dropped item keeps
-- the reason it was dropped.
CREATE TABLE action_items (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id BIGINT NOT NULL REFERENCES incidents (id),
    title       TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('fix','prevention','process','communication')),
    owner       TEXT NOT NULL,
    due_at      BIGINT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('open','done','dropped')),
    drop_reason TEXT NOT NULL DEFAULT '',
    public      INTEGER NOT NULL,
    ticket_url  TEXT NOT NULL DEFAULT '',
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    done_at     BIGINT
);
CREATE INDEX action_items_by_incident ON action_items (incident_id, due_at);
CREATE INDEX action_items_owed ON action_items (owner, state, due_at);
