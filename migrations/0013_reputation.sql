-- Reputation from facts only (indexer/src/reputation.rs): the indexer's own health probes of
-- every registered endpoint, and per service and per organization the figures the mirror
-- holds, recomputed by the indexer at an interval. No ratings anyone can give.

-- The probes' results by endpoint and hour (UTC): uptime over 24 h and 30 d is up / probes
-- over the hours in range; 720 rows per endpoint per 30 days, whatever the probe interval.
CREATE TABLE endpoint_probes_hourly (
    endpoint  TEXT        NOT NULL,
    hour      TIMESTAMPTZ NOT NULL,
    probes    INTEGER     NOT NULL,
    up        INTEGER     NOT NULL,
    PRIMARY KEY (endpoint, hour)
);

-- The last probe of each endpoint.
CREATE TABLE endpoint_status (
    endpoint     TEXT        PRIMARY KEY,
    up           BOOLEAN     NOT NULL,
    probed_at    TIMESTAMPTZ NOT NULL,
    -- The last probe that found it serving.
    last_seen    TIMESTAMPTZ,
    latency_ms   INTEGER,
    detail       TEXT
);

-- Per service: consumers and channels are those of the channels opened to the service's
-- groups' (recipient, group) pairs by another account than the recipient; claimed is what
-- the recipient claimed from them; agreements are the agreements contract's, by state.
CREATE TABLE service_reputation (
    org_id                 TEXT            NOT NULL,
    service_id             TEXT            NOT NULL,
    consumers              BIGINT          NOT NULL,
    channels               BIGINT          NOT NULL,
    claimed                NUMERIC(39, 0)  NOT NULL,
    agreements_active      BIGINT          NOT NULL,
    agreements_fulfilled   BIGINT          NOT NULL,
    agreements_refunded    BIGINT          NOT NULL,
    agreements_terminated  BIGINT          NOT NULL,
    -- Percent of probes of its endpoints that found them serving; NULL before any probe.
    uptime_24h             DOUBLE PRECISION,
    uptime_30d             DOUBLE PRECISION,
    last_seen              TIMESTAMPTZ,
    updated_at             TIMESTAMPTZ     NOT NULL,
    PRIMARY KEY (org_id, service_id)
);

-- Per organization, over its services (consumers counted once across them).
CREATE TABLE organization_reputation (
    org_id                 TEXT            PRIMARY KEY,
    consumers              BIGINT          NOT NULL,
    channels               BIGINT          NOT NULL,
    claimed                NUMERIC(39, 0)  NOT NULL,
    agreements_active      BIGINT          NOT NULL,
    agreements_fulfilled   BIGINT          NOT NULL,
    agreements_refunded    BIGINT          NOT NULL,
    agreements_terminated  BIGINT          NOT NULL,
    uptime_24h             DOUBLE PRECISION,
    uptime_30d             DOUBLE PRECISION,
    last_seen              TIMESTAMPTZ,
    updated_at             TIMESTAMPTZ     NOT NULL
);
