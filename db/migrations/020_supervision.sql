-- Supervision: daily inspections, penalties extracted from the 行权系统
-- (sources, runs, quarantine) and the sync run state.

-- Inspection results the admin can extend (the five of the notice are built in).
CREATE TABLE inspection_result (
    name        VARCHAR PRIMARY KEY,
    sort        INTEGER NOT NULL,
    builtin     BOOLEAN NOT NULL DEFAULT FALSE,
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  TIMESTAMP NOT NULL
);
INSERT INTO inspection_result VALUES
    ('合格', 10, TRUE, TRUE, current_timestamp),
    ('基本合格', 20, TRUE, TRUE, current_timestamp),
    ('责令整改', 30, TRUE, TRUE, current_timestamp),
    ('立案查处', 40, TRUE, TRUE, current_timestamp),
    ('发现未经许可擅自从事', 50, TRUE, TRUE, current_timestamp);

-- 日常检查: recorded by a supervision department about one enterprise.
CREATE SEQUENCE IF NOT EXISTS seq_inspection START 1;
CREATE TABLE inspection (
    id             BIGINT PRIMARY KEY DEFAULT nextval('seq_inspection'),
    department_id  INTEGER NOT NULL,
    enterprise_id  INTEGER NOT NULL,
    uscc           VARCHAR NOT NULL,
    entity_name    VARCHAR NOT NULL,
    inspected_at   TIMESTAMP NOT NULL,
    place          VARCHAR NOT NULL,
    result         VARCHAR NOT NULL,
    findings       VARCHAR,
    inspectors     VARCHAR NOT NULL,
    recorded_by    INTEGER,
    recorded_at    TIMESTAMP NOT NULL,
    updated_by     INTEGER,
    updated_at     TIMESTAMP
);
CREATE INDEX idx_inspection_enterprise ON inspection (enterprise_id);
CREATE INDEX idx_inspection_department ON inspection (department_id);

-- Where penalties come from.  kind 'file': location is a folder (or one
-- file) of .csv/.xlsx exports; kind 'sql': location is a SQLAlchemy URL and
-- table_name a table or view; column_mapping maps our field names to the
-- source's columns (JSON object).  watermark is JSON: {"value": ..., "type": ...}
-- for sql sources, {"mtime": ..., "name": ...} for file sources.
CREATE TABLE penalty_source (
    name              VARCHAR PRIMARY KEY,
    kind              VARCHAR NOT NULL CHECK (kind IN ('file', 'sql')),
    location          VARCHAR NOT NULL,
    table_name        VARCHAR,
    watermark_column  VARCHAR,
    column_mapping    VARCHAR,
    watermark         VARCHAR,
    enabled           BOOLEAN NOT NULL DEFAULT TRUE,
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL
);

-- One row per extraction run (scheduled, on demand, command line, upload).
CREATE SEQUENCE IF NOT EXISTS seq_penalty_run START 1;
CREATE TABLE penalty_run (
    id           BIGINT PRIMARY KEY DEFAULT nextval('seq_penalty_run'),
    source       VARCHAR NOT NULL,
    trigger      VARCHAR NOT NULL,            -- 定时 / 立即同步 / 命令行 / 上传
    started_at   TIMESTAMP NOT NULL,
    ended_at     TIMESTAMP,
    status       VARCHAR NOT NULL,            -- 运行中 / 完成 / 失败
    rows_read    BIGINT NOT NULL DEFAULT 0,
    imported     BIGINT NOT NULL DEFAULT 0,
    duplicates   BIGINT NOT NULL DEFAULT 0,
    quarantined  BIGINT NOT NULL DEFAULT 0,
    detail       VARCHAR,                     -- files read, watermark before/after (JSON)
    error        VARCHAR,
    started_by   VARCHAR
);

-- 行政处罚, stored once per (source, 决定书文号), linked by 统一社会信用代码.
CREATE SEQUENCE IF NOT EXISTS seq_penalty START 1;
CREATE TABLE penalty (
    id                BIGINT PRIMARY KEY DEFAULT nextval('seq_penalty'),
    source            VARCHAR NOT NULL,
    decision_no       VARCHAR NOT NULL,
    uscc              VARCHAR NOT NULL,
    enterprise_id     INTEGER,
    entity_name       VARCHAR NOT NULL,
    legal_rep         VARCHAR,
    violation_type    VARCHAR,
    facts             VARCHAR,
    basis             VARCHAR,
    category          VARCHAR,
    content           VARCHAR,
    fine_wan          DECIMAL(18, 6),
    confiscation_wan  DECIMAL(18, 6),
    decision_date     DATE NOT NULL,
    valid_until       DATE,
    publish_until     DATE,
    authority         VARCHAR,
    data_source_unit  VARCHAR,
    imported_at       TIMESTAMP NOT NULL,
    run_id            BIGINT,
    UNIQUE (source, decision_no)
);

-- Rows that could not be imported, with the reason; never dropped.
-- status: 待处理 / 已放行 (corrected and imported) / 已忽略
CREATE SEQUENCE IF NOT EXISTS seq_penalty_quarantine START 1;
CREATE TABLE penalty_quarantine (
    id            BIGINT PRIMARY KEY DEFAULT nextval('seq_penalty_quarantine'),
    run_id        BIGINT NOT NULL,
    source        VARCHAR NOT NULL,
    location      VARCHAR,                    -- file name and row number, or source key
    raw_json      VARCHAR NOT NULL,
    raw_hash      VARCHAR NOT NULL,
    reason        VARCHAR NOT NULL,
    status        VARCHAR NOT NULL DEFAULT '待处理',
    created_at    TIMESTAMP NOT NULL,
    handled_at    TIMESTAMP,
    handled_by    VARCHAR,
    note          VARCHAR,
    penalty_id    BIGINT
);
CREATE INDEX idx_quarantine_hash ON penalty_quarantine (source, raw_hash);

-- The sync run state (one row): which run holds the extraction, since when.
CREATE TABLE penalty_sync_state (
    singleton    INTEGER PRIMARY KEY CHECK (singleton = 1),
    run_id       BIGINT,
    owner        VARCHAR,
    started_at   TIMESTAMP,
    last_end     TIMESTAMP
);
INSERT INTO penalty_sync_state VALUES (1, NULL, NULL, NULL, NULL);
