-- +goose Up
-- Data quality of each load, and diagnoses coded in ICD-9.
--
-- A load stores a row whose fields break a rule with those values unknown,
-- and counts the warnings by HES column; the counts are kept with the data
-- release so that results can cite the quality of the data they came from.
CREATE TABLE data_release_warnings (
  release_id  BIGINT UNSIGNED NOT NULL,
  column_name VARCHAR(64)     NOT NULL COMMENT 'HES column as named in the file header',
  warnings    INT UNSIGNED    NOT NULL,
  PRIMARY KEY (release_id, column_name),
  CONSTRAINT data_release_warnings_release_fk FOREIGN KEY (release_id) REFERENCES data_releases (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- HES coded diagnoses in ICD-9 up to 1994-95. Its V and E codes share their
-- first letter with ICD-10 codes (ICD-9 E849 is not ICD-10 E849), so each
-- diagnosis says which classification its code belongs to. Added last with
-- a default, the column is an instant change on MariaDB.
ALTER TABLE diagnoses ADD COLUMN classification ENUM('ICD10', 'ICD9') NOT NULL DEFAULT 'ICD10';

CREATE TABLE icd9_codes (
  code        CHAR(4)      CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,
  description VARCHAR(255) NOT NULL,
  chapter     VARCHAR(5)   NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A first load into an empty store drops the secondary indexes and builds
-- them again once the rows are in, which is far faster than maintaining them
-- row by row. Each dropped index is recorded here, with the statement that
-- builds it, before it is dropped: if the load is killed, the next start
-- (migrate) builds what is listed.
CREATE TABLE deferred_indexes (
  table_name VARCHAR(64)   NOT NULL,
  index_name VARCHAR(64)   NOT NULL,
  definition VARCHAR(1024) NOT NULL COMMENT 'the ADD INDEX clause that rebuilds it',
  PRIMARY KEY (table_name, index_name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE deferred_indexes;
DROP TABLE icd9_codes;
ALTER TABLE diagnoses DROP COLUMN classification;
DROP TABLE data_release_warnings;
