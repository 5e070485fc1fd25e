-- Special review (专项审查), attachment 2 of the notice:
-- motion (动议) by a business division -> approval (审察) by the bureau's
-- leader in charge -> notice to participating departments -> meeting with
-- each department's opinion (deemed agreement: absent without reason, or
-- present without stating a different opinion = 视为同意) -> consensus, or a
-- recommendation to the city government and its decision -> minutes (纪要).
--
-- status: 待审察 | 已退回 | 已撤回 | 已通知 | 已召开 | 已达成一致 |
--         待市政府决定 | 市政府已决定 | 纪要已印发
CREATE SEQUENCE IF NOT EXISTS seq_special_review START 1;
CREATE TABLE special_review (
    id                  INTEGER PRIMARY KEY DEFAULT nextval('seq_special_review'),
    review_no           VARCHAR NOT NULL UNIQUE,      -- 专审〔2026〕12号
    title               VARCHAR NOT NULL,             -- 议题 / agenda
    case_id             INTEGER,                      -- approval_case.id once the push tables exist
    case_no             VARCHAR,                      -- 办件编号 as entered / of case_id
    project_no          VARCHAR,                      -- 项目编号
    project_name        VARCHAR,
    scopes              VARCHAR[] NOT NULL,           -- 审查范围 (one or more)
    forms               VARCHAR[] NOT NULL,           -- 专题会议 / 专家评审 / 现场检查
    background          VARCHAR,                      -- 项目基本情况
    matters             VARCHAR NOT NULL,             -- 需要协调解决的事项
    meeting_at          TIMESTAMP NOT NULL,           -- proposed date and time
    place               VARCHAR NOT NULL,
    major               BOOLEAN NOT NULL DEFAULT FALSE,   -- 特别重大、复杂
    city_chair          BOOLEAN NOT NULL DEFAULT FALSE,   -- 报请市政府分管领导主持
    invited_units       VARCHAR,                      -- 邀请的相关单位负责人
    status              VARCHAR NOT NULL,
    division_id         INTEGER NOT NULL,             -- proposing business division
    proposed_by         INTEGER NOT NULL,
    proposed_at         TIMESTAMP NOT NULL,
    submitted_at        TIMESTAMP NOT NULL,           -- last (re)submission
    approved_by         INTEGER,                      -- leader in charge (审察)
    approved_at         TIMESTAMP,
    approval_comment    VARCHAR,                      -- comment on approval or on sending back
    held_on             DATE,                         -- actual meeting date
    chair               VARCHAR,                      -- 主持人
    presentation        VARCHAR,                      -- 经办人情况说明
    expert_opinions     VARCHAR,                      -- 专家评审意见
    site_findings       VARCHAR,                      -- 现场检查情况
    meeting_by          INTEGER,
    meeting_recorded_at TIMESTAMP,
    outcome             VARCHAR,                      -- 达成一致 / 报市政府决定
    conclusion          VARCHAR,                      -- agreed opinion, or the recommendation
    concluded_by        INTEGER,
    concluded_at        TIMESTAMP,
    gov_decision        VARCHAR,                      -- 同意 / 不同意 / 有条件同意
    gov_decision_text   VARCHAR,
    gov_decided_on      DATE,
    gov_decision_by     INTEGER,
    gov_recorded_at     TIMESTAMP,
    minutes_no          VARCHAR UNIQUE,
    minutes_attachment_id BIGINT,
    minutes_issued_by   INTEGER,
    minutes_issued_at   TIMESTAMP,
    updated_at          TIMESTAMP NOT NULL
);
CREATE INDEX idx_special_review_status ON special_review (status);
CREATE INDEX idx_special_review_meeting ON special_review (meeting_at);
CREATE INDEX idx_special_review_case ON special_review (case_id);
CREATE INDEX idx_special_review_project ON special_review (project_no);

-- one row per participating department
-- attendance: 出席 / 缺席（有理由） / 无故缺席
-- opinion:    同意 / 不同意 / 有条件同意
-- basis:      会上发表 / 书面意见 / 视为同意
CREATE TABLE special_review_department (
    review_id        INTEGER NOT NULL,
    department_id    INTEGER NOT NULL,
    attendees        VARCHAR,               -- named by the department on the notice
    attendees_by     INTEGER,
    attendees_at     TIMESTAMP,
    attendance       VARCHAR,
    absence_reason   VARCHAR,
    opinion          VARCHAR,
    opinion_text     VARCHAR,               -- reasons (不同意) / conditions (有条件同意) / remarks
    basis            VARCHAR,
    deemed           BOOLEAN NOT NULL DEFAULT FALSE,
    deemed_reason    VARCHAR,               -- 无故缺席 / 出席会议未发表不同意见
    opinion_by       INTEGER,
    opinion_at       TIMESTAMP,
    PRIMARY KEY (review_id, department_id)
);
CREATE INDEX idx_special_review_dept ON special_review_department (department_id);
