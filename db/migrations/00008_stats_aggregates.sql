-- +goose Up
-- Published tables (db/aggregates.go): every statistics request without a
-- filter and with at most two dimensions is answered from here, built by
-- SQL when a data release is loaded. One row per group of each dimension
-- set (dims: the dimension names in their enum order, comma-separated),
-- with its exact counts; distinct patients are counted per group because
-- they do not add up across groups. n0/n1 hold the numeric value of
-- numeric dimensions so that groups sort as the base-table statement sorts
-- them; k0/k1 keep the grouped value in the episodes' own collation.
CREATE TABLE stats_aggregates (
  dims       VARCHAR(80)  NOT NULL,
  seq        BIGINT       NOT NULL AUTO_INCREMENT,
  k0         VARCHAR(16)  NULL,
  n0         BIGINT       NULL,
  k1         VARCHAR(16)  NULL,
  n1         BIGINT       NULL,
  episodes   BIGINT       NOT NULL,
  admissions BIGINT       NOT NULL,
  patients   BIGINT       NOT NULL,
  PRIMARY KEY (dims, seq),
  KEY stats_aggregates_seq (seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The data release the aggregates were built for: one row, replaced in the
-- same transaction as the aggregates, so readers see a matching pair.
CREATE TABLE stats_aggregate_builds (
  release_id BIGINT      NOT NULL PRIMARY KEY,
  built_at   DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE stats_aggregate_builds;
DROP TABLE stats_aggregates;
