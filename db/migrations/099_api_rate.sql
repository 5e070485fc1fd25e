-- The API rate limit's token bucket shared by the app processes of one
-- PostgreSQL database (issue 21, sgld/services/api_clients.py): one row per
-- client, moved by each call.  DuckDB (one process) keeps it in memory.
CREATE TABLE api_rate (
    client_id  INTEGER PRIMARY KEY,
    tokens     FLOAT8 NOT NULL,
    last_at    FLOAT8 NOT NULL,
    allowed    BOOLEAN NOT NULL
);
