-- HTTP API (issue 18): registered API clients, the nonces of signed
-- requests (replay protection) and the idempotency records of inbound calls.

CREATE SEQUENCE IF NOT EXISTS seq_api_client START 1;

-- A client acts as a person of ``department_id`` with ``roles`` (the same
-- service checks apply).  ``user_id`` is a backing app_user row (inactive,
-- no password, no user_role rows: it can never log in) so that records the
-- client makes (handler, signer, recorder) name it like any person.
-- The secret is never stored: it is HMAC(SGLD_API_KEY, key_id, salt), so the
-- database and its backups hold only the salt (see docs/api.md).
CREATE TABLE api_client (
    id               INTEGER PRIMARY KEY DEFAULT nextval('seq_api_client'),
    name             VARCHAR NOT NULL UNIQUE,
    key_id           VARCHAR NOT NULL UNIQUE,
    department_id    INTEGER NOT NULL,
    user_id          INTEGER NOT NULL,
    roles            VARCHAR NOT NULL,          -- comma-separated
    scopes           VARCHAR NOT NULL,          -- comma-separated API scopes
    salt             VARCHAR NOT NULL,
    fingerprint      VARCHAR NOT NULL,          -- first 8 hex of SHA-256(secret), shown to match a secret
    rate_per_minute  INTEGER NOT NULL CHECK (rate_per_minute > 0),
    status           VARCHAR NOT NULL CHECK (status IN ('active', 'disabled', 'revoked')),
    note             VARCHAR,
    created_at       TIMESTAMP NOT NULL,
    created_by       VARCHAR NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    rotated_at       TIMESTAMP
);

-- nonces seen within the signature window; older rows are pruned
CREATE TABLE api_nonce (
    client_id  INTEGER NOT NULL,
    nonce      VARCHAR NOT NULL,
    seen_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (client_id, nonce)
);

-- the first answer to an idempotent call, per (client, operation, key); a
-- retry with the same request hash gets it back, another payload gets 409
CREATE TABLE api_idempotency (
    client_id     INTEGER NOT NULL,
    operation     VARCHAR NOT NULL,
    idem_key      VARCHAR NOT NULL,
    request_hash  VARCHAR NOT NULL,
    status        INTEGER NOT NULL,
    response      VARCHAR NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (client_id, operation, idem_key)
);
