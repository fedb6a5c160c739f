-- The ddc contract's state (nodes, clusters, buckets, accounts, trust), folded from its
-- events (indexer/src/state/ddc.rs). Nodes, clusters and buckets are JSON documents (`doc`,
-- the API's shape, declared in mirror/src/ddc.rs) beside the columns the API filters and
-- pages on. Amounts are planck.

CREATE TABLE ddc_nodes (
    node_id       BIGINT PRIMARY KEY,
    owner         TEXT NOT NULL,
    doc           JSONB NOT NULL,
    created_block BIGINT NOT NULL,
    created_event INTEGER NOT NULL,
    updated_block BIGINT NOT NULL
);
CREATE INDEX ddc_nodes_owner ON ddc_nodes (owner, node_id);

CREATE TABLE ddc_clusters (
    cluster_id    BIGINT PRIMARY KEY,
    manager       TEXT NOT NULL,
    doc           JSONB NOT NULL,
    created_block BIGINT NOT NULL,
    created_event INTEGER NOT NULL,
    updated_block BIGINT NOT NULL
);
CREATE INDEX ddc_clusters_manager ON ddc_clusters (manager, cluster_id);

CREATE TABLE ddc_buckets (
    bucket_id     BIGINT PRIMARY KEY,
    owner         TEXT NOT NULL,
    cluster_id    BIGINT NOT NULL,
    doc           JSONB NOT NULL,
    created_block BIGINT NOT NULL,
    created_event INTEGER NOT NULL,
    updated_block BIGINT NOT NULL
);
CREATE INDEX ddc_buckets_owner ON ddc_buckets (owner, bucket_id);
CREATE INDEX ddc_buckets_cluster ON ddc_buckets (cluster_id, bucket_id);

CREATE TABLE ddc_accounts (
    account       TEXT PRIMARY KEY,
    deposit       NUMERIC(39, 0) NOT NULL,
    updated_block BIGINT NOT NULL
);

-- A provider's trust in a manager: present while trusted.
CREATE TABLE ddc_trust (
    provider      TEXT NOT NULL,
    manager       TEXT NOT NULL,
    updated_block BIGINT NOT NULL,
    PRIMARY KEY (provider, manager)
);
CREATE INDEX ddc_trust_manager ON ddc_trust (manager, provider);

-- A node gateway's count of each bucket's bytes: what its object store holds for the
-- bucket (as the store reports after each write) and what went in and out of it. The
-- manager reads these to report usage with bucket_alloc_into_cluster.
CREATE TABLE gateway_bucket_usage (
    node_id        BIGINT NOT NULL,
    bucket_id      BIGINT NOT NULL,
    stored_bytes   BIGINT,                      -- NULL until the object store reports it
    bytes_in       BIGINT NOT NULL,
    bytes_out      BIGINT NOT NULL,
    requests       BIGINT NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (node_id, bucket_id)
);
