-- Service details (the indexer's describer, indexer/src/describe.rs): each service's metadata
-- document as fetched from its endpoints and checked against the registry's content_hash.
-- One row per service; `content_hash` and `name` are the registry's values the row was made
-- for, so a row whose values differ from `services` is due for a new check.
CREATE TABLE service_documents (
    org_id        TEXT        NOT NULL,
    service_id    TEXT        NOT NULL,
    content_hash  BYTEA       NOT NULL,
    name          TEXT        NOT NULL,
    -- none: the registry names no document (content_hash all zero); verified: the bytes hash
    -- to content_hash and parse; mismatch: an endpoint served other bytes; invalid: the bytes
    -- hash right but are not a document; unreachable: no endpoint answered with a document.
    status        TEXT        NOT NULL CHECK (status IN ('none', 'verified', 'mismatch', 'invalid', 'unreachable')),
    -- The gateway's service_type (grpc, jsonrpc, process, job) as its ServiceInfo said.
    service_type  TEXT,
    -- The document, only when verified.
    document      JSONB,
    -- Name (A), tags (B) and description (C), for full-text search.
    search        TSVECTOR    NOT NULL,
    -- Which endpoint answered, and why a check failed.
    endpoint      TEXT,
    detail        TEXT,
    checked_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, service_id)
);
CREATE INDEX service_documents_search ON service_documents USING GIN (search);
CREATE INDEX service_documents_tags ON service_documents USING GIN ((document -> 'tags'));
