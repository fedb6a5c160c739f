-- Compute jobs run by `job` gateways (gateway/src/jobs), one per agreement. A job left
-- `starting` or `running` by a gateway that stopped is marked `failed` when that gateway
-- (same public endpoint) starts again: its process died with it.
CREATE TABLE gateway_jobs (
    agreement_id  BYTEA PRIMARY KEY,            -- 32 bytes
    gateway       TEXT NOT NULL,                -- the public endpoint of the gateway running it
    state         TEXT NOT NULL,                -- starting, running, succeeded, failed, stopped, timed_out
    input_hash    BYTEA NOT NULL,
    output_hash   BYTEA,
    location      TEXT,
    exit_code     INTEGER,
    error         TEXT,
    work_dir      TEXT NOT NULL,
    started_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at   TIMESTAMPTZ
);
