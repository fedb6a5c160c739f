-- Free calls: how many of its free calls each consumer (identified by its payment key) has
-- used in the current period of a service, shared by the service's gateways so replicas
-- agree. Decided by osiris-payments `free_calls::decide_free`; written on condition that
-- the row is still what it was decided from.
CREATE TABLE gateway_free_calls (
    org_id             TEXT NOT NULL,
    service_id         TEXT NOT NULL,
    caller             BYTEA NOT NULL,          -- 33-byte compressed secp256k1 key
    period_start_ms    BIGINT NOT NULL,         -- Unix ms
    used               BIGINT NOT NULL,
    last_timestamp_ms  BIGINT NOT NULL,         -- the newest signed timestamp accepted
    PRIMARY KEY (org_id, service_id, caller)
);
