-- Payments are decided in Rust (osiris-payments `rule::decide`); SQL writes the decided
-- row on condition that it is still the version it was decided from. Every write of a
-- row (a payment, a claim moving it to the next nonce) increments `version`.
ALTER TABLE gateway_payments ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE gateway_payments DROP COLUMN last_calls;
