-- Keyed audit chain: the id of the HMAC key that signed each row (NULL for
-- rows written before keyed signing, which keep their plain SHA-256 hash).
ALTER TABLE audit_log ADD COLUMN key_id VARCHAR;
