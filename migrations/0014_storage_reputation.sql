-- Storage in the reputation figures: a service serves the buckets of every ddc cluster that
-- holds a node answering at one of its endpoints (the node's url in the ddc contract equals
-- an endpoint of one of the service's groups); an organization, the buckets its services
-- serve, each counted once. Computed by indexer/src/reputation.rs like the other figures.
ALTER TABLE service_reputation ADD COLUMN buckets_served BIGINT NOT NULL DEFAULT 0;
ALTER TABLE organization_reputation ADD COLUMN buckets_served BIGINT NOT NULL DEFAULT 0;
