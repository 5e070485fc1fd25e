-- Foundation: organisation, users, item catalogue, settings, audit log.
CREATE SEQUENCE IF NOT EXISTS seq_department START 1;
CREATE SEQUENCE IF NOT EXISTS seq_user START 1;
CREATE SEQUENCE IF NOT EXISTS seq_item START 1;
CREATE SEQUENCE IF NOT EXISTS seq_audit START 1;

-- kind: bureau (市行政审批局 and its divisions), supervision (监管部门),
--       licensing (其他实施行政许可部门), government (市政府)
CREATE TABLE department (
    id          INTEGER PRIMARY KEY DEFAULT nextval('seq_department'),
    name        VARCHAR NOT NULL UNIQUE,
    kind        VARCHAR NOT NULL CHECK (kind IN ('bureau', 'supervision', 'licensing', 'government')),
    parent_id   INTEGER,
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  TIMESTAMP NOT NULL
);

CREATE TABLE app_user (
    id                  INTEGER PRIMARY KEY DEFAULT nextval('seq_user'),
    username            VARCHAR NOT NULL UNIQUE,
    display_name        VARCHAR NOT NULL,
    department_id       INTEGER NOT NULL,
    password_hash       VARCHAR,
    active              BOOLEAN NOT NULL DEFAULT TRUE,
    failed_attempts     INTEGER NOT NULL DEFAULT 0,
    locked_until        TIMESTAMP,
    -- the "session version": a cookie issued before this instant no longer logs in
    session_valid_from  TIMESTAMP NOT NULL,
    phone               VARCHAR,
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL
);

CREATE TABLE user_role (
    user_id  INTEGER NOT NULL,
    role     VARCHAR NOT NULL CHECK (role IN ('admin', 'leader', 'approver', 'supervisor', 'liaison')),
    PRIMARY KEY (user_id, role)
);

CREATE TABLE item (
    id                INTEGER PRIMARY KEY DEFAULT nextval('seq_item'),
    code              VARCHAR NOT NULL UNIQUE,
    name              VARCHAR NOT NULL,
    category          VARCHAR NOT NULL,
    centralised       BOOLEAN NOT NULL DEFAULT TRUE,
    sign_limit_days   INTEGER NOT NULL DEFAULT 3 CHECK (sign_limit_days > 0),
    active            BOOLEAN NOT NULL DEFAULT TRUE,
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL
);

-- supervising departments (centralised items) or the departments that claim
-- the results (items of other licensing departments)
CREATE TABLE item_department (
    item_id        INTEGER NOT NULL,
    department_id  INTEGER NOT NULL,
    PRIMARY KEY (item_id, department_id)
);

CREATE TABLE setting (
    key         VARCHAR PRIMARY KEY,
    value       VARCHAR NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    updated_by  VARCHAR
);

-- Append-only, hash-chained.  No code path updates or deletes these rows.
-- No index: ids and times only grow, so DuckDB's min/max zone maps already
-- make id and time ranges cheap, and every write stays one plain append.
CREATE TABLE audit_log (
    id             BIGINT NOT NULL,
    logged_at      TIMESTAMP NOT NULL,
    actor_id       INTEGER,
    actor          VARCHAR NOT NULL,
    department     VARCHAR,
    action         VARCHAR NOT NULL,
    object_type    VARCHAR NOT NULL,
    object_id      VARCHAR,
    before_json    VARCHAR,
    after_json     VARCHAR,
    prev_hash      VARCHAR NOT NULL,
    hash           VARCHAR NOT NULL
);

-- the chain's head, updated in the same transaction as each audit row
CREATE TABLE audit_head (
    singleton  INTEGER PRIMARY KEY CHECK (singleton = 1),
    last_id    BIGINT NOT NULL,
    last_hash  VARCHAR NOT NULL
);
INSERT INTO audit_head VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- 行政相对人 / 企业, identified by 统一社会信用代码
CREATE SEQUENCE IF NOT EXISTS seq_enterprise START 1;
CREATE TABLE enterprise (
    id           INTEGER PRIMARY KEY DEFAULT nextval('seq_enterprise'),
    uscc         VARCHAR NOT NULL UNIQUE,
    name         VARCHAR NOT NULL,
    legal_rep    VARCHAR,
    address      VARCHAR,
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX idx_enterprise_name ON enterprise (name);
