-- 联络员制度 (notice attachment 3): rosters, the reviews liaisons take part in,
-- request letters (商请函) and dispatch, the liaison's record / report
-- signature / feedback, rectifications and their checks, and the
-- acknowledgement of the work discipline.  No foreign keys (DuckDB blocks
-- updates of referenced rows); the services keep the links consistent.
CREATE SEQUENCE IF NOT EXISTS seq_liaison START 1;
CREATE SEQUENCE IF NOT EXISTS seq_liaison_review START 1;
CREATE SEQUENCE IF NOT EXISTS seq_liaison_request START 1;
CREATE SEQUENCE IF NOT EXISTS seq_liaison_rect START 1;
CREATE SEQUENCE IF NOT EXISTS seq_liaison_rect_check START 1;

-- A department's liaison roster (各部门负责本部门联络员的确认).
CREATE TABLE liaison (
    id                  INTEGER PRIMARY KEY DEFAULT nextval('seq_liaison'),
    department_id       INTEGER NOT NULL,
    name                VARCHAR NOT NULL,
    user_id             INTEGER,                 -- optional app_user holding the liaison role
    position            VARCHAR,
    employment_type     VARCHAR NOT NULL CHECK (employment_type IN
                            ('在职公务员', '参照公务员法管理人员', '事业单位人员', '其他')),
    joined_on           DATE NOT NULL,           -- date joined the department
    -- 熟悉本部门监管工作要求，具有一定的组织协调能力 — confirmed by the department
    familiar_confirmed  BOOLEAN NOT NULL DEFAULT FALSE,
    confirmed_by        INTEGER,
    confirmed_at        TIMESTAMP,
    contact             VARCHAR,
    active              BOOLEAN NOT NULL DEFAULT TRUE,
    created_by          INTEGER,
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL
);
CREATE INDEX idx_liaison_department ON liaison (department_id);

-- The review a letter asks a liaison to join: a special review, a joint
-- review or a site review of a case.
CREATE TABLE liaison_review (
    id                 INTEGER PRIMARY KEY DEFAULT nextval('seq_liaison_review'),
    kind               VARCHAR NOT NULL CHECK (kind IN ('专项审查', '联合审查', '现场审查')),
    special_review_id  INTEGER,                  -- special_review.id (issue 6) when kind = 专项审查
    case_id            INTEGER,                  -- approval_case.id once known
    case_no            VARCHAR,                  -- the case number as typed / from the case
    enterprise_id      INTEGER,
    applicant          VARCHAR,                  -- applicant's name (from the enterprise when linked)
    title              VARCHAR NOT NULL,
    purpose            VARCHAR NOT NULL,
    basis              VARCHAR NOT NULL,
    scope              VARCHAR NOT NULL,
    content            VARCHAR NOT NULL,
    schedule           VARCHAR NOT NULL,
    review_date        DATE NOT NULL,
    place              VARCHAR NOT NULL,
    contact_name       VARCHAR,
    contact_phone      VARCHAR,
    -- 现场审查情况报告: drafted by the bureau, the liaison helps and signs
    report_text        VARCHAR,
    report_updated_by  INTEGER,
    report_updated_at  TIMESTAMP,
    created_by         INTEGER,
    created_at         TIMESTAMP NOT NULL
);
CREATE INDEX idx_liaison_review_date ON liaison_review (review_date);

-- One letter to one department; the department's answer (dispatch) and the
-- dispatched liaison's work on this review.
CREATE TABLE liaison_request (
    id               INTEGER PRIMARY KEY DEFAULT nextval('seq_liaison_request'),
    review_id        INTEGER NOT NULL,
    department_id    INTEGER NOT NULL,
    letter_no        VARCHAR NOT NULL,
    sent_by          INTEGER,
    sent_at          TIMESTAMP NOT NULL,
    attachment_id    BIGINT,                     -- the generated .docx
    status           VARCHAR NOT NULL DEFAULT '待派员'
                         CHECK (status IN ('待派员', '已派员', '已撤回')),
    withdrawn_reason VARCHAR,
    withdrawn_at     TIMESTAMP,
    liaison_id       INTEGER,
    dispatched_by    INTEGER,
    dispatched_at    TIMESTAMP,
    dispatch_note    VARCHAR,
    -- 审查记录 and suggestions of the liaison
    attended         BOOLEAN,
    absence_reason   VARCHAR,
    record_text      VARCHAR,
    suggestions      VARCHAR,
    recommendation   VARCHAR CHECK (recommendation IS NULL OR recommendation IN
                         ('建议通过', '建议整改后通过', '建议不予通过')),
    applicant_info   VARCHAR,                    -- 申请人基本情况, for later supervision
    recorded_at      TIMESTAMP,
    -- signature of the review report (account and time, bound to the text)
    signed_by        INTEGER,
    signed_at        TIMESTAMP,
    signed_hash      VARCHAR,
    -- 反馈信息: reported back to the liaison's own department
    feedback_text    VARCHAR,
    feedback_at      TIMESTAMP
);
CREATE INDEX idx_liaison_request_review ON liaison_request (review_id);
CREATE INDEX idx_liaison_request_department ON liaison_request (department_id);

-- 整改: problems found in the review, to be fixed by the applicant by a deadline.
CREATE TABLE liaison_rectification (
    id             INTEGER PRIMARY KEY DEFAULT nextval('seq_liaison_rect'),
    request_id     INTEGER NOT NULL,
    review_id      INTEGER NOT NULL,
    department_id  INTEGER NOT NULL,
    problem        VARCHAR NOT NULL,
    requirement    VARCHAR,
    hardware       BOOLEAN NOT NULL DEFAULT FALSE,  -- 涉及硬件设施: closing needs a site visit
    deadline       DATE NOT NULL,
    status         VARCHAR NOT NULL DEFAULT '整改中' CHECK (status IN ('整改中', '已整改')),
    created_by     INTEGER,
    created_at     TIMESTAMP NOT NULL,
    closed_by      INTEGER,
    closed_at      TIMESTAMP
);
CREATE INDEX idx_liaison_rect_request ON liaison_rectification (request_id);

CREATE TABLE liaison_rect_check (
    id                INTEGER PRIMARY KEY DEFAULT nextval('seq_liaison_rect_check'),
    rectification_id  INTEGER NOT NULL,
    checked_on        DATE NOT NULL,
    site_visit        BOOLEAN NOT NULL,
    result            VARCHAR NOT NULL CHECK (result IN ('已整改', '未整改')),
    note              VARCHAR NOT NULL,
    new_deadline      DATE,
    checked_by        INTEGER,
    created_at        TIMESTAMP NOT NULL
);
CREATE INDEX idx_liaison_rect_check_rect ON liaison_rect_check (rectification_id);

-- 工作纪律: shown on the first assignment and acknowledged once per version.
CREATE TABLE liaison_discipline_ack (
    user_id          INTEGER NOT NULL,
    version          INTEGER NOT NULL,
    acknowledged_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, version)
);
