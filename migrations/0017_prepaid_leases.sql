-- Prepaid leases (osiris_payments::lease): the shares of a channel's prepaid authorization
-- that gateway replicas reserved and serve calls from in memory. JSON array of
-- {"replica": hex id, "reserved": planck as text, "expires_ms": Unix ms}; spent plus every
-- share's reserved never exceeds amount. `recalled`: a claim is waiting for the shares to
-- be returned or swept, and none is granted or extended at this nonce.
ALTER TABLE gateway_payments ADD COLUMN leases JSONB NOT NULL DEFAULT '[]'::jsonb;
ALTER TABLE gateway_payments ADD COLUMN recalled BOOLEAN NOT NULL DEFAULT FALSE;
-- The sweep finds channels with shares quickly; most rows hold none.
CREATE INDEX gateway_payments_leased ON gateway_payments (channel_id) WHERE leases <> '[]'::jsonb;
