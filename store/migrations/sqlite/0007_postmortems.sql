-- Postmortems: the current text of each saved section with its version (a save names the
-- version it edited, so a stale save is refused instead of lost), every saved version of every
-- section, and the waivers of loop-closing checks with their reasons. A section nobody has saved
-- has no row: its text is prefilled from the incident when read.
CREATE TABLE postmortem_sections (
    incident_id BIGINT NOT NULL REFERENCES incidents (id),
    section     TEXT NOT NULL,
    markdown    TEXT NOT NULL,
    public      INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    updated_at  BIGINT NOT NULL,
    updated_by  TEXT NOT NULL,
    PRIMARY KEY (incident_id, section)
);

CREATE TABLE postmortem_versions (
    incident_id BIGINT NOT NULL REFERENCES incidents (id),
    section     TEXT NOT NULL,
    version     INTEGER NOT NULL,
    markdown    TEXT NOT NULL,
    public      INTEGER NOT NULL,
    author      TEXT NOT NULL,
    at          BIGINT NOT NULL,
    PRIMARY KEY (incident_id, section, version)
);

CREATE TABLE checklist_waivers (
    incident_id BIGINT NOT NULL REFERENCES incidents (id),
    item        TEXT NOT NULL,
    reason      TEXT NOT NULL,
    waived_by   TEXT NOT NULL,
    at          BIGINT NOT NULL,
    PRIMARY KEY (incident_id, item)
);

-- When the public edition was published, and by whom: only then does the public page show it.
CREATE TABLE postmortem_publications (
    incident_id  BIGINT PRIMARY KEY REFERENCES incidents (id),
    published_at BIGINT NOT NULL,
    published_by TEXT NOT NULL
);
