-- Customers: the people a mistake may reach, imported from CSV or added through the API.
-- Email is stored lower-cased, so UNIQUE (email) makes one address one customer however it was
-- typed. Segments is a comma list of tags; a tag holds only a-z, 0-9, - and _, never a comma.
CREATE TABLE customers (
    id         INTEGER PRIMARY KEY,
    email      TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL DEFAULT '',
    account    TEXT NOT NULL DEFAULT '',
    segments   TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- Pages are keyset-paged by id (the primary key); filtered by account, by this index.
CREATE INDEX customers_account ON customers (account, id);
