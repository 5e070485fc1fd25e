-- Warning list: where the last recomputation stopped reading the sources, so
-- a recomputation after a sync, an inspection or a decision only looks at
-- the enterprises touched since (a full one runs when the rules or the day change).
ALTER TABLE warning_state ADD COLUMN penalty_id BIGINT;
ALTER TABLE warning_state ADD COLUMN inspection_id BIGINT;
ALTER TABLE warning_state ADD COLUMN inspection_updated TIMESTAMP;
ALTER TABLE warning_state ADD COLUMN licence_changed TIMESTAMP;
ALTER TABLE warning_state ADD COLUMN full_at TIMESTAMP;
