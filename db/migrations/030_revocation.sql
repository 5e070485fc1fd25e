-- 协同处理 (revocation requests) and 警示名单 (the warning list),
-- attachment 1 (三)(四) and section 一 of the notice.
--
-- revocation_request.status: 已提交 → 核实中 → 已撤销 | 不予撤销, or 已撤回
-- (withdrawn by the department before the bureau starts verifying).
CREATE SEQUENCE IF NOT EXISTS seq_revocation_request START 1;
CREATE TABLE revocation_request (
    id                  INTEGER PRIMARY KEY DEFAULT nextval('seq_revocation_request'),
    request_no          VARCHAR NOT NULL UNIQUE,     -- XT2026-0007
    licence_id          INTEGER NOT NULL,
    enterprise_id       INTEGER NOT NULL,
    item_id             INTEGER NOT NULL,
    category            VARCHAR NOT NULL,            -- the item's category when filed (assigns the to-do)
    department_id       INTEGER NOT NULL,            -- requesting supervision department
    requested_action    VARCHAR NOT NULL
                        CHECK (requested_action IN ('撤销许可决定', '吊销许可证', '吊销营业执照')),
    facts               VARCHAR NOT NULL,            -- 事实与理由
    legal_basis         VARCHAR NOT NULL,            -- 法律依据
    source_kind         VARCHAR,                     -- filed from: 企业画像 / 日常检查 / 行政处罚
    status              VARCHAR NOT NULL DEFAULT '已提交'
                        CHECK (status IN ('已提交', '核实中', '已撤销', '不予撤销', '已撤回')),
    filed_by            INTEGER NOT NULL,
    filed_at            TIMESTAMP NOT NULL,
    deadline            DATE NOT NULL,               -- working days from the business setting
    verifier_id         INTEGER,                     -- approver who started verifying
    verify_started_at   TIMESTAMP,
    verification_notes  VARCHAR,                     -- 核实情况
    decision_reason     VARCHAR,                     -- reason of the revocation / of the refusal
    new_licence_status  VARCHAR,                     -- 已撤销 / 已吊销 after a revocation
    decided_by          INTEGER,
    decided_at          TIMESTAMP,
    explanation_attachment_id BIGINT,                -- 书面说明 (.docx) of a refusal
    explanation_signed_by     INTEGER,
    explanation_signed_at     TIMESTAMP,
    withdrawn_by        INTEGER,
    withdrawn_at        TIMESTAMP,
    withdraw_reason     VARCHAR,
    updated_at          TIMESTAMP NOT NULL
);
CREATE INDEX idx_revocation_licence ON revocation_request (licence_id);
CREATE INDEX idx_revocation_enterprise ON revocation_request (enterprise_id);
CREATE INDEX idx_revocation_department ON revocation_request (department_id);

-- evidence links: inspections and penalties behind a request
CREATE TABLE revocation_evidence (
    request_id   INTEGER NOT NULL,
    record_type  VARCHAR NOT NULL CHECK (record_type IN ('inspection', 'penalty')),
    record_id    BIGINT NOT NULL,
    PRIMARY KEY (request_id, record_type, record_id)
);

-- which approvers (window staff) handle which item categories; a category
-- nobody handles goes to every approver
CREATE TABLE user_category (
    user_id   INTEGER NOT NULL,
    category  VARCHAR NOT NULL,
    PRIMARY KEY (user_id, category)
);

-- 警示名单.  status: 在列 | 已解除.  One 在列 entry per enterprise at most
-- (enforced by the service under the write lock); lifted entries stay.
CREATE SEQUENCE IF NOT EXISTS seq_warning_entry START 1;
CREATE TABLE warning_entry (
    id             INTEGER PRIMARY KEY DEFAULT nextval('seq_warning_entry'),
    enterprise_id  INTEGER NOT NULL,
    status         VARCHAR NOT NULL DEFAULT '在列' CHECK (status IN ('在列', '已解除')),
    listed_at      TIMESTAMP NOT NULL,
    manual         BOOLEAN NOT NULL DEFAULT FALSE,   -- added by hand
    manual_reason  VARCHAR,
    listed_by      INTEGER,                          -- NULL: by the rules
    lifted_at      TIMESTAMP,
    lifted_by      INTEGER,                          -- NULL with lifted_at: lifted by the rules
    lift_reason    VARCHAR
);
CREATE INDEX idx_warning_enterprise ON warning_entry (enterprise_id);

-- the records that put an entry on the list (rule hits), kept as history
CREATE TABLE warning_hit (
    entry_id     INTEGER NOT NULL,
    rule         VARCHAR NOT NULL,        -- big_penalty / penalty_count / inspection / revoked
    record_type  VARCHAR NOT NULL,        -- penalty / inspection / licence
    record_id    BIGINT NOT NULL,
    hit_on       DATE,                    -- the record's date
    detail       VARCHAR,
    added_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (entry_id, rule, record_type, record_id)
);

-- the rules' fingerprint and time of the last recomputation
CREATE TABLE warning_state (
    singleton    INTEGER PRIMARY KEY CHECK (singleton = 1),
    rules_hash   VARCHAR,
    computed_at  TIMESTAMP
);
INSERT INTO warning_state VALUES (1, NULL, NULL);
