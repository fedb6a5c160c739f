-- Audits of ddc nodes (osiris-keeper, keeper/src/audit.rs): each challenge a node was given
-- (a random object it should hold, a random byte range, a fresh nonce) and how it answered.
CREATE TABLE ddc_audits (
    audit_id    BIGSERIAL   PRIMARY KEY,
    node_id     BIGINT      NOT NULL,
    bucket_id   BIGINT      NOT NULL,
    object_key  TEXT        NOT NULL,
    range_start BIGINT      NOT NULL,
    range_bytes BIGINT      NOT NULL,
    -- passed: its proof matched the other replicas' and its copy is intact; failed: the
    -- object is missing, altered since it was stored, or its proof differs from the agreeing
    -- others'; disputed: it and the one other replica each claim an intact copy but differ;
    -- unreachable: it did not answer.
    result      TEXT        NOT NULL CHECK (result IN ('passed', 'failed', 'disputed', 'unreachable')),
    detail      TEXT,
    audited_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX ddc_audits_node ON ddc_audits (node_id, audit_id DESC);
