-- +goose Up
-- Audit log of restricted-field reads (one row per request that read any
-- @identifiable field), and the index that serves the clinician row scope.

CREATE TABLE audit_log (
  id             BIGINT UNSIGNED  NOT NULL AUTO_INCREMENT PRIMARY KEY,
  event_id       CHAR(32)         NOT NULL COMMENT 'random id: a retried batch insert writes each event once',
  at             DATETIME(6)      NOT NULL,
  subject        VARCHAR(255)     NOT NULL,
  roles          VARCHAR(255)     NOT NULL COMMENT 'comma-separated',
  orgs           TEXT             NOT NULL COMMENT 'comma-separated PROCODE3',
  operation_name VARCHAR(255)     NULL,
  query_sha256   CHAR(64)         NOT NULL,
  fields         TEXT             NOT NULL COMMENT 'comma-separated Type.field',
  patient_count  INT UNSIGNED     NOT NULL,
  request_id     VARCHAR(64)      NULL,
  UNIQUE KEY audit_log_event_id (event_id),
  KEY audit_log_at (at, id),
  KEY audit_log_subject (subject, at, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The clinician scope predicate (db/scope.go) materialises the patients with
-- an episode at the caller's trusts; this makes that read index-only.
CREATE INDEX episodes_procode3_patient ON episodes (procode3, patient_id);

-- +goose Down
DROP INDEX episodes_procode3_patient ON episodes;
DROP TABLE audit_log;
