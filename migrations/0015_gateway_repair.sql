-- A ddc node gateway's repair (gateway/src/repair.rs): where its running pass is, so that a
-- restart resumes there, and what its passes did. One row per node.
CREATE TABLE gateway_repair (
    node_id          BIGINT      PRIMARY KEY,
    -- The bucket being walked and the last object key done in it; NULL bucket: the next
    -- pass starts from the first bucket.
    bucket_id        BIGINT,
    after_key        TEXT        NOT NULL DEFAULT '',
    pass_started_at  TIMESTAMPTZ,
    -- Passes completed, and when the last one did.
    passes           BIGINT      NOT NULL DEFAULT 0,
    last_pass_at     TIMESTAMPTZ,
    -- Totals over every pass: objects looked at, copied here from a peer, removed here
    -- (no longer placed here and held by every node placed), bytes copied, objects that
    -- could not be repaired (a peer down, a digest that did not match).
    objects_checked  BIGINT      NOT NULL DEFAULT 0,
    objects_copied   BIGINT      NOT NULL DEFAULT 0,
    objects_removed  BIGINT      NOT NULL DEFAULT 0,
    bytes_copied     BIGINT      NOT NULL DEFAULT 0,
    failures         BIGINT      NOT NULL DEFAULT 0,
    last_error       TEXT,
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
