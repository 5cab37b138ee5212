-- The SHA-256 of the register extract a letter batch was made from: the same file cannot make
-- a second set of codes for the same round (that would give every resident two votes).
ALTER TABLE bb_letter_batches ADD COLUMN register_sha256 TEXT;
CREATE UNIQUE INDEX bb_letter_batches_register ON bb_letter_batches (round_id, register_sha256);
