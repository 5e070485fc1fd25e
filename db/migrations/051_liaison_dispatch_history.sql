-- Dispatches that were replaced (更换联络员): the letter's detail shows who
-- was dispatched before the current liaison, by whom, when and when replaced.
CREATE SEQUENCE IF NOT EXISTS seq_liaison_dispatch_replaced START 1;

CREATE TABLE liaison_dispatch_replaced (
    id             INTEGER PRIMARY KEY DEFAULT nextval('seq_liaison_dispatch_replaced'),
    request_id     INTEGER NOT NULL,
    liaison_id     INTEGER NOT NULL,
    dispatched_by  INTEGER,
    dispatched_at  TIMESTAMP,
    dispatch_note  VARCHAR,
    replaced_by    INTEGER NOT NULL,
    replaced_at    TIMESTAMP NOT NULL
);
CREATE INDEX idx_liaison_dispatch_replaced_request ON liaison_dispatch_replaced (request_id);
