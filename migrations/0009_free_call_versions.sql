-- Free-call counts are written by the same conditional-write loop as the other deal kinds'
-- rows (osiris-ledger `versioned`): on condition of the row's version.
ALTER TABLE gateway_free_calls ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
