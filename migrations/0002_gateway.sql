-- The gateway's payment state, shared by every gateway replica of an instance group
-- through this database (the same one the indexer mirrors into). Amounts are planck.

-- The last accepted authorization of each channel, at the nonce consumers must sign now.
CREATE TABLE gateway_payments (
    channel_id  BIGINT PRIMARY KEY,
    nonce       BIGINT NOT NULL,
    amount      NUMERIC(39, 0) NOT NULL,     -- cumulative amount the signature authorizes
    signature   BYTEA,                       -- 65 bytes; NULL when nothing is authorized at `nonce` yet
    spent       NUMERIC(39, 0) NOT NULL,     -- what the calls served at `nonce` cost (what a claim takes)
    calls       BIGINT NOT NULL,             -- calls served at `nonce`
    last_calls  INTEGER NOT NULL DEFAULT 1,  -- calls the last write served (prepaid draws of one authorization are written together)
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (spent <= amount)
);

-- Claims: written as in_progress before the extrinsic is submitted, done once the chain has it.
-- After a crash an in_progress claim is reconciled with the chain: a channel nonce past
-- `nonce` means it landed; otherwise it is submitted again.
CREATE TABLE gateway_claims (
    channel_id   BIGINT NOT NULL,
    nonce        BIGINT NOT NULL,
    amount       NUMERIC(39, 0) NOT NULL,    -- the authorization's amount (plan_amount)
    signature    BYTEA NOT NULL,
    spent        NUMERIC(39, 0) NOT NULL,    -- what is claimed (actual_amount)
    status       TEXT NOT NULL CHECK (status IN ('in_progress', 'done')),
    started_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at  TIMESTAMPTZ,
    block_number BIGINT,                     -- finalized block that holds the claim, when known
    PRIMARY KEY (channel_id, nonce)
);
CREATE INDEX gateway_claims_in_progress ON gateway_claims (channel_id) WHERE status = 'in_progress';
