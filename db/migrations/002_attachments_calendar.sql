-- Stored files (scans, evidence, generated documents) and the working-day calendar.
CREATE SEQUENCE IF NOT EXISTS seq_attachment START 1;
CREATE TABLE attachment (
    id            BIGINT PRIMARY KEY DEFAULT nextval('seq_attachment'),
    sha256        VARCHAR NOT NULL,           -- content address under <data>/files/ab/cd/<sha256>
    file_name     VARCHAR NOT NULL,           -- original name, for download only
    file_type     VARCHAR NOT NULL,           -- pdf / jpg / png / ofd / docx / xlsx
    size_bytes    BIGINT NOT NULL,
    owner_type    VARCHAR NOT NULL,           -- e.g. 'case', 'inspection'
    owner_id      VARCHAR NOT NULL,
    uploaded_by   INTEGER,
    uploaded_at   TIMESTAMP NOT NULL
);
CREATE INDEX idx_attachment_owner ON attachment (owner_type, owner_id);

-- Holidays and adjusted working days (调休) the admin maintains for years the
-- chinese-calendar package does not know; overrides the package.
CREATE TABLE calendar_day (
    day         DATE PRIMARY KEY,
    is_workday  BOOLEAN NOT NULL,
    note        VARCHAR,
    updated_by  VARCHAR,
    updated_at  TIMESTAMP NOT NULL
);
