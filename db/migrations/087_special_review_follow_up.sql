-- Following up a special review's decision (附件2 五、工作要求: 市行政审批局和各
-- 行业主管部门要认真落实会议决定，分别办理有关审批手续和做好监管工作).
-- Once the minutes are issued, the proposing division (审批手续) and every
-- participating department (监管工作) record what they did; until then it is
-- on their to-do list.  One row per party; a correction updates it (audited).
CREATE SEQUENCE IF NOT EXISTS seq_special_review_follow_up START 1;
CREATE TABLE special_review_follow_up (
    id             INTEGER PRIMARY KEY DEFAULT nextval('seq_special_review_follow_up'),
    review_id      INTEGER NOT NULL,
    department_id  INTEGER NOT NULL,    -- the proposing division, or a participating department
    kind           VARCHAR NOT NULL,    -- 办理审批手续 / 做好监管工作
    text           VARCHAR NOT NULL,    -- what was done
    done_on        DATE NOT NULL,
    recorded_by    INTEGER NOT NULL,
    recorded_at    TIMESTAMP NOT NULL,
    UNIQUE (review_id, department_id)
);
CREATE INDEX idx_special_review_follow_up_dept ON special_review_follow_up (department_id);
