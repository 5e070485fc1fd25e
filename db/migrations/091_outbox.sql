-- 系统对接 outbound side (issue 18): the transactional outbox and the
-- departments' webhook subscriptions.  See sgld/services/outbox.py and
-- docs/webhooks.md.
--
-- outbox_event: one row per event per addressed department, written in the
-- same transaction as the change it reports (a new push / opened claim, a
-- licence status change, a decided revocation request).  Rows are written
-- for every department, subscribed or not: they are also the department's
-- pull feed (sgld/services/feed.py), ordered by id.
--   state: pending   — to be delivered to the department's webhook
--          delivered — its receiver answered 2xx (delivered_at)
--          failed    — gave up after SGLD_WEBHOOK_MAX_ATTEMPTS; the
--                      department's later events wait behind it until an
--                      admin retries it (order per department)
--          skipped   — the department had no webhook when it was written
--                      (pull feed only)
-- Ids come from a sequence under the process-wide write lock, so id order
-- is commit order.
CREATE SEQUENCE IF NOT EXISTS seq_outbox_event START 1;
CREATE TABLE outbox_event (
    id               BIGINT PRIMARY KEY DEFAULT nextval('seq_outbox_event'),
    department_id    INTEGER NOT NULL,
    kind             VARCHAR NOT NULL,       -- push.created, claim.opened, licence.status_changed, request.decided
    object_type      VARCHAR NOT NULL,       -- push, claim, licence_event, revocation_request
    object_id        BIGINT NOT NULL,
    payload          VARCHAR NOT NULL,       -- JSON object (the event's "data")
    created_at       TIMESTAMP NOT NULL,
    state            VARCHAR NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'delivered', 'failed', 'skipped')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMP,              -- NULL: due now
    last_attempt_at  TIMESTAMP,
    last_error       VARCHAR,
    delivered_at     TIMESTAMP
);

-- One webhook per department.  The signing secret is not stored: it is
-- HMAC-SHA256(SGLD_WEBHOOK_KEY, 'sgld-webhook|' || id || '|' || secret_salt),
-- recomputed when signing and shown once to the admin who registers or
-- rotates it; a copy of the database alone cannot forge signatures.
-- An inactive subscription pauses delivery (its events stay pending).
CREATE SEQUENCE IF NOT EXISTS seq_webhook_subscription START 1;
CREATE TABLE webhook_subscription (
    id             INTEGER PRIMARY KEY DEFAULT nextval('seq_webhook_subscription'),
    department_id  INTEGER NOT NULL UNIQUE,
    url            VARCHAR NOT NULL,
    secret_salt    VARCHAR NOT NULL,
    secret_hint    VARCHAR NOT NULL,         -- first 8 hex digits of sha256(secret), to compare copies
    active         BOOLEAN NOT NULL DEFAULT TRUE,
    created_by     INTEGER,
    created_at     TIMESTAMP NOT NULL,
    updated_by     INTEGER,
    updated_at     TIMESTAMP NOT NULL
);

-- One row once the events of the records written before the outbox existed
-- (or loaded by the demo) were added, as 'skipped' (sgld.services.outbox.backfill_once).
CREATE TABLE outbox_backfill (
    singleton  INTEGER PRIMARY KEY CHECK (singleton = 1),
    done_at    TIMESTAMP NOT NULL,
    events     BIGINT NOT NULL
);
