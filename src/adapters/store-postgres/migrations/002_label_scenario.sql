-- 002: labels arriving on the `labels` topic (simulator ground truth, chargebacks, imports) are
-- stored too, with the simulator's scenario name when it gives one.
ALTER TABLE labels ADD COLUMN scenario text;
