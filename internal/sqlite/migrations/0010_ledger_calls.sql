-- A ledger row may stand for several calls: cache hits are summed per
-- customer, user, kind, model and minute into one row (calls = their number).
ALTER TABLE ledger ADD COLUMN calls INTEGER NOT NULL DEFAULT 1;
