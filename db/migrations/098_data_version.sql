-- The data version shared by the app processes of one PostgreSQL database
-- (issue 21, sgld/audit.py): every write transaction moves it just before it
-- commits, every process reads it once per page run, so a write in one
-- process invalidates the cached figures of all.  DuckDB (one process per
-- file) keeps the table but never reads or writes it.
CREATE TABLE data_version (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    version BIGINT NOT NULL
);
INSERT INTO data_version VALUES (1, 0);
