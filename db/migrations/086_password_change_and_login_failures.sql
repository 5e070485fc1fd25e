-- Forced password change: set when an administrator issues an initial or a
-- reset password, cleared by the user's own password change; while set, a
-- password login shows only the change-password form.
ALTER TABLE app_user ADD COLUMN must_change_password BOOLEAN DEFAULT FALSE;
UPDATE app_user SET must_change_password = FALSE WHERE must_change_password IS NULL;

-- Failed logins for usernames that have no account: counted and locked
-- exactly like real accounts, so the "account locked" message does not tell
-- whether a username exists (see sgld/services/accounts.py authenticate).
CREATE TABLE login_failure (
    username         VARCHAR PRIMARY KEY,
    failed_attempts  INTEGER NOT NULL,
    locked_until     TIMESTAMP,
    last_failed_at   TIMESTAMP NOT NULL
);
