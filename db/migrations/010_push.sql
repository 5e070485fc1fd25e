-- 审批推送: approval cases, licence library (证照批文库), project library (项目库),
-- push–sign (推送—签收), claim (领取) and the case timeline.
CREATE SEQUENCE IF NOT EXISTS seq_case START 1;
CREATE SEQUENCE IF NOT EXISTS seq_licence START 1;
CREATE SEQUENCE IF NOT EXISTS seq_licence_event START 1;
CREATE SEQUENCE IF NOT EXISTS seq_push START 1;
CREATE SEQUENCE IF NOT EXISTS seq_claim START 1;
CREATE SEQUENCE IF NOT EXISTS seq_case_event START 1;

-- 项目库: one row per 项目编号; cases and licences hang off it.
CREATE TABLE project (
    project_no     VARCHAR PRIMARY KEY,
    name           VARCHAR NOT NULL,
    enterprise_id  INTEGER,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);

-- 审批办件.  stage: the step whose result is pushed (需监管部门参与环节 → 办结).
CREATE TABLE approval_case (
    id             INTEGER PRIMARY KEY DEFAULT nextval('seq_case'),
    case_no        VARCHAR NOT NULL UNIQUE,
    item_id        INTEGER NOT NULL,
    enterprise_id  INTEGER NOT NULL,
    project_no     VARCHAR NOT NULL,
    stage          VARCHAR NOT NULL CHECK (stage IN ('需监管部门参与环节', '办结')),
    reply          VARCHAR NOT NULL,           -- 批复信息
    handler_id     INTEGER,                    -- 经办人 (the recording approver)
    division_id    INTEGER,                    -- 业务处室 (the approver's department)
    decided_on     DATE NOT NULL,              -- 决定（办理）日期
    source         VARCHAR NOT NULL DEFAULT 'form' CHECK (source IN ('form', 'import', 'demo')),
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);
CREATE INDEX idx_case_enterprise ON approval_case (enterprise_id);
CREATE INDEX idx_case_project ON approval_case (project_no);

-- 证照批文库
CREATE TABLE licence (
    id                 INTEGER PRIMARY KEY DEFAULT nextval('seq_licence'),
    licence_no         VARCHAR NOT NULL UNIQUE,
    kind               VARCHAR NOT NULL CHECK (kind IN ('许可证', '批文', '营业执照')),
    case_id            INTEGER NOT NULL,
    enterprise_id      INTEGER NOT NULL,
    item_id            INTEGER NOT NULL,
    issued_on          DATE NOT NULL,
    valid_until        DATE,                   -- NULL: 长期有效
    status             VARCHAR NOT NULL DEFAULT '有效'
                       CHECK (status IN ('有效', '已撤销', '已吊销', '已注销', '已过期')),
    status_changed_at  TIMESTAMP,
    created_at         TIMESTAMP NOT NULL
);
CREATE INDEX idx_licence_case ON licence (case_id);
CREATE INDEX idx_licence_enterprise ON licence (enterprise_id);

-- status history of a licence (the first row records its issue)
CREATE TABLE licence_event (
    id           INTEGER PRIMARY KEY DEFAULT nextval('seq_licence_event'),
    licence_id   INTEGER NOT NULL,
    from_status  VARCHAR,
    to_status    VARCHAR NOT NULL,
    reason       VARCHAR,
    ref          VARCHAR,                      -- e.g. 决定书文号 or a revocation request id
    actor_id     INTEGER,
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX idx_licence_event_licence ON licence_event (licence_id);

-- 推送: one row per case stage × supervising department (plus re-pushes with a reason)
CREATE TABLE push (
    id             INTEGER PRIMARY KEY DEFAULT nextval('seq_push'),
    case_id        INTEGER NOT NULL,
    department_id  INTEGER NOT NULL,
    stage          VARCHAR NOT NULL,
    pushed_at      TIMESTAMP NOT NULL,
    pushed_by      INTEGER,
    due_on         DATE NOT NULL,              -- add_workdays(pushed_at, item.sign_limit_days)
    status         VARCHAR NOT NULL DEFAULT '待签收' CHECK (status IN ('待签收', '已签收')),
    signed_by      INTEGER,
    signed_at      TIMESTAMP,
    reason         VARCHAR                     -- NULL for a stage push; the reason of a re-push
);
CREATE INDEX idx_push_case ON push (case_id);

-- 领取: results of items not centralised in the bureau, pulled by the departments concerned
CREATE TABLE claim (
    id             INTEGER PRIMARY KEY DEFAULT nextval('seq_claim'),
    case_id        INTEGER NOT NULL,
    department_id  INTEGER NOT NULL,
    stage          VARCHAR NOT NULL,
    status         VARCHAR NOT NULL DEFAULT '待领取' CHECK (status IN ('待领取', '已领取')),
    claimed_by     INTEGER,
    claimed_at     TIMESTAMP,
    available_at   TIMESTAMP NOT NULL,
    reason         VARCHAR                     -- NULL for a stage result; the reason of a re-publication
);
CREATE INDEX idx_claim_case ON claim (case_id);

-- the case's timeline (recorded, stage changes, scans added, later events of other features)
CREATE TABLE case_event (
    id          INTEGER PRIMARY KEY DEFAULT nextval('seq_case_event'),
    case_id     INTEGER NOT NULL,
    kind        VARCHAR NOT NULL,
    detail      VARCHAR,
    actor_id    INTEGER,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX idx_case_event_case ON case_event (case_id);
