-- The agreements contract's state, folded from its events (indexer/src/state/agreements.rs).
-- Templates, offers and agreements are JSON documents (`doc`, the API's shape) beside the
-- columns the API filters and pages on. Amounts are planck.

CREATE TABLE agreement_templates (
    template_id   BIGINT PRIMARY KEY,
    whitelisted   BOOLEAN NOT NULL,
    doc           JSONB NOT NULL,
    created_block BIGINT NOT NULL,
    created_event INTEGER NOT NULL,
    updated_block BIGINT NOT NULL
);

CREATE TABLE agreement_offers (
    offer_id      BIGINT PRIMARY KEY,
    provider      TEXT NOT NULL,
    org_id        TEXT NOT NULL,
    service_id    TEXT NOT NULL,
    active        BOOLEAN NOT NULL,
    doc           JSONB NOT NULL,
    created_block BIGINT NOT NULL,
    created_event INTEGER NOT NULL,
    updated_block BIGINT NOT NULL
);
CREATE INDEX agreement_offers_provider ON agreement_offers (provider, offer_id);
CREATE INDEX agreement_offers_service ON agreement_offers (org_id, service_id, offer_id);

CREATE TABLE agreements (
    agreement_id  BYTEA PRIMARY KEY,            -- 32 bytes
    offer_id      BIGINT NOT NULL,
    consumer      TEXT NOT NULL,
    provider      TEXT NOT NULL,
    org_id        TEXT NOT NULL,
    service_id    TEXT NOT NULL,
    state         TEXT NOT NULL,                -- active, fulfilled, refunded, terminated
    doc           JSONB NOT NULL,
    created_block BIGINT NOT NULL,
    created_event INTEGER NOT NULL,
    updated_block BIGINT NOT NULL
);
CREATE INDEX agreements_consumer ON agreements (consumer, created_block, created_event);
CREATE INDEX agreements_provider ON agreements (provider, created_block, created_event);
CREATE INDEX agreements_service ON agreements (org_id, service_id, created_block, created_event);

-- Settled metering records, in chain order; a record never pays twice, so never changes.
CREATE TABLE agreement_metering (
    agreement_id  BYTEA NOT NULL,
    block_number  BIGINT NOT NULL,
    event_index   INTEGER NOT NULL,
    units         BIGINT NOT NULL,
    amount        NUMERIC(39, 0) NOT NULL,      -- cumulative
    paid          NUMERIC(39, 0) NOT NULL,      -- what this settlement paid
    PRIMARY KEY (agreement_id, block_number, event_index)
);

CREATE TABLE agreement_balances (
    account       TEXT PRIMARY KEY,
    balance       NUMERIC(39, 0) NOT NULL,
    updated_block BIGINT NOT NULL
);
