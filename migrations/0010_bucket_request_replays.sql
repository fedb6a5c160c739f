-- Bucket-request signatures a ddc node has served, kept until they are stale anyway (the
-- request's timestamp plus the node's freshness window). Shared by every gateway process
-- serving as the node and kept across restarts, so a captured request is served once.
-- (A signature covers the node id: on another node it does not verify at all.)
CREATE TABLE gateway_bucket_requests_seen (
    signature      BYTEA PRIMARY KEY,
    node_id        BIGINT NOT NULL,
    stale_at_ms    BIGINT NOT NULL               -- Unix ms
);
CREATE INDEX gateway_bucket_requests_seen_stale ON gateway_bucket_requests_seen (stale_at_ms);
