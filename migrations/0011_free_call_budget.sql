-- The free calls a service's gateway group gave everyone together in a period, so that a
-- budget per period holds whatever number of consumer keys ask (osiris-ledger
-- `free_call_budget`). One row per group and period; replicas of the group share it.
CREATE TABLE gateway_free_call_budget (
    org_id           TEXT NOT NULL,
    service_id       TEXT NOT NULL,
    group_id         TEXT NOT NULL,
    period_start_ms  BIGINT NOT NULL,            -- Unix ms, a multiple of the period
    used             BIGINT NOT NULL,
    PRIMARY KEY (org_id, service_id, group_id, period_start_ms)
);
