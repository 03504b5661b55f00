-- Subscriptions from the public status page: people (email) and systems (webhook) who asked to
-- hear every public update. A subscriber is unconfirmed until it answers its confirmation
-- (a link for email, a 2xx to a signed test POST for a webhook); token_hash is the SHA-256 of
-- the token of its confirm and unsubscribe links (the token itself is never stored; it is
-- derived from a server key, see store/subscribe.go), token_gen makes a fresh token when an
-- unconfirmed or unsubscribed address subscribes again. secret is a webhook's HMAC key.
CREATE TABLE subscribers (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('email','webhook')),
    address         TEXT NOT NULL,
    secret          TEXT NOT NULL DEFAULT '',
    token_hash      TEXT NOT NULL UNIQUE,
    token_gen       INTEGER NOT NULL DEFAULT 1,
    confirmed_at    BIGINT,
    unsubscribed_at BIGINT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    UNIQUE (kind, address)
);

-- A public update's deliveries to subscribers have purpose 'subscriber' and subscriber_id and event_id
-- (the public event they carry) set.
ALTER TABLE deliveries ADD COLUMN subscriber_id BIGINT REFERENCES subscribers (id);
ALTER TABLE deliveries ADD COLUMN event_id BIGINT REFERENCES events (id);
CREATE INDEX deliveries_subscriber ON deliveries (event_id, state, id) WHERE subscriber_id IS NOT NULL;
CREATE INDEX deliveries_subscriber_id ON deliveries (subscriber_id) WHERE subscriber_id IS NOT NULL;
