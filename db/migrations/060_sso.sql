-- Single sign-on: the identity (OIDC claim value or trusted-header value) an
-- administrator binds to a local account when it differs from the username
-- (e.g. an e-mail address or an employee number of the unified identity
-- platform).  Stored trimmed and lower-case; NULL = match by username only.
ALTER TABLE app_user ADD COLUMN sso_subject VARCHAR;
CREATE UNIQUE INDEX idx_app_user_sso_subject ON app_user (sso_subject);
