-- Open follow-up supervision tasks (后续监管任务), kept in the transaction of
-- every write that opens or closes one (sgld/followup.py): a push signed by a
-- department is a task until that department records an inspection of the
-- enterprise dated on or after the day of signing.  Computing the rule from
-- push, approval_case and inspection on every visit cost ~0.2 s at scale 100;
-- the list, the sidebar count and the dashboard read this table instead.
CREATE TABLE followup_task (
    push_id        INTEGER NOT NULL,
    department_id  INTEGER NOT NULL,
    enterprise_id  INTEGER NOT NULL,
    signed_at      TIMESTAMP NOT NULL
);
INSERT INTO followup_task (push_id, department_id, enterprise_id, signed_at)
SELECT p.id, p.department_id, c.enterprise_id, p.signed_at
FROM push p JOIN approval_case c ON c.id = p.case_id
WHERE p.status = '已签收' AND p.signed_at IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM inspection n WHERE n.department_id = p.department_id
                  AND n.enterprise_id = c.enterprise_id
                  AND n.inspected_at >= date_trunc('day', p.signed_at));
