-- The indexer's mirror of the Osiris contracts. Accounts are SS58 text, amounts
-- NUMERIC(39,0) planck (u128), block numbers BIGINT, hashes BYTEA.
-- Every table is written only by the indexer, one finalized block per transaction.

-- Where ingestion stands: the last block whose events are all in this database.
CREATE TABLE indexer_cursor (
    id            BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (id),
    genesis_hash  BYTEA  NOT NULL,
    block_number  BIGINT NOT NULL,
    block_hash    BYTEA  NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Append-only log of every event the Osiris contracts emitted.
CREATE TABLE events (
    block_number     BIGINT  NOT NULL,
    event_index      INTEGER NOT NULL,           -- position in the block's event list
    block_hash       BYTEA   NOT NULL,
    extrinsic_index  INTEGER,                    -- NULL outside an extrinsic
    contract         TEXT    NOT NULL,           -- emitting contract, SS58
    contract_name    TEXT    NOT NULL,           -- 'registry' | 'escrow'
    event_name       TEXT,                       -- NULL when the event could not be decoded
    fields           JSONB,                      -- decoded fields (accounts SS58, amounts as strings)
    topics           BYTEA[] NOT NULL,
    data             BYTEA   NOT NULL,           -- SCALE bytes as emitted
    PRIMARY KEY (block_number, event_index)
);
CREATE INDEX events_by_contract ON events (contract, block_number, event_index);
CREATE INDEX events_by_name ON events (event_name, block_number, event_index);

CREATE TABLE organizations (
    org_id         TEXT   PRIMARY KEY,
    owner          TEXT   NOT NULL,
    members        TEXT[] NOT NULL,              -- in the contract's order
    name           TEXT   NOT NULL,
    uri            TEXT   NOT NULL,
    content_hash   BYTEA  NOT NULL,
    created_block  BIGINT NOT NULL,              -- (created_block, created_event) orders organizations
    created_event  INTEGER NOT NULL,
    updated_block  BIGINT NOT NULL
);

CREATE TABLE services (
    org_id          TEXT   NOT NULL,
    service_id      TEXT   NOT NULL,
    name            TEXT   NOT NULL,
    uri             TEXT   NOT NULL,
    content_hash    BYTEA  NOT NULL,
    price_per_call  NUMERIC(39, 0) NOT NULL,
    created_block   BIGINT NOT NULL,
    created_event   INTEGER NOT NULL,
    updated_block   BIGINT NOT NULL,
    PRIMARY KEY (org_id, service_id)
);

CREATE TABLE service_groups (
    org_id             TEXT    NOT NULL,
    service_id         TEXT    NOT NULL,
    group_id           TEXT    NOT NULL,
    position           INTEGER NOT NULL,         -- order of the service's groups
    payment_recipient  TEXT    NOT NULL,
    endpoints          TEXT[]  NOT NULL,         -- in the contract's order
    PRIMARY KEY (org_id, service_id, group_id),
    FOREIGN KEY (org_id, service_id) REFERENCES services ON DELETE CASCADE
);
CREATE INDEX service_groups_by_recipient ON service_groups (payment_recipient, group_id);

CREATE TABLE escrow_balances (
    account        TEXT PRIMARY KEY,
    balance        NUMERIC(39, 0) NOT NULL,
    updated_block  BIGINT NOT NULL
);

CREATE TABLE channels (
    channel_id     BIGINT PRIMARY KEY,
    sender         TEXT   NOT NULL,
    recipient      TEXT   NOT NULL,
    signer         BYTEA  NOT NULL,              -- compressed secp256k1 key, 33 bytes
    group_id       TEXT   NOT NULL,
    value          NUMERIC(39, 0) NOT NULL,
    nonce          BIGINT NOT NULL,
    expiration     BIGINT NOT NULL,
    opened_block   BIGINT NOT NULL,
    updated_block  BIGINT NOT NULL
);
CREATE INDEX channels_by_sender ON channels (sender, channel_id);
CREATE INDEX channels_by_recipient ON channels (recipient, group_id, channel_id);
CREATE INDEX channels_by_signer ON channels (signer, channel_id);
CREATE INDEX channels_by_group ON channels (group_id, channel_id);
