-- Each instance of a cluster publishes the figures its alert rules read
-- (cumulative counters, budgets, endpoint states) every few seconds, so
-- that the leader evaluates the rules on the whole cluster's traffic.
CREATE TABLE instance_samples (
    instance_id text PRIMARY KEY,
    sample jsonb NOT NULL,
    updated_at timestamptz NOT NULL
);
