-- Agreement-backed calls: the latest metering record each agreement's consumer signed and
-- a gateway accepted (decided by osiris-payments `metering::decide_metered`; written on
-- condition that the row is still the version it was decided from). Records are
-- cumulative, so settling the latest one on chain pays everything accepted, exactly once.
CREATE TABLE gateway_metering (
    agreement_id  BYTEA PRIMARY KEY,            -- 32 bytes
    units         BIGINT NOT NULL,
    amount        NUMERIC(39, 0) NOT NULL,      -- planck, cumulative
    signature     BYTEA NOT NULL,               -- 65 bytes, the consumer's
    calls         BIGINT NOT NULL,
    version       BIGINT NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
