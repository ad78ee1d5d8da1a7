-- +goose Up
-- Normalised HES APC store. Secondary indexes end in the row id so that every
-- listing order (sort key, id) is served by an index scan and keyset seeks.

CREATE TABLE data_releases (
  id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  file_name       VARCHAR(512)    NOT NULL,
  checksum        CHAR(64)        NOT NULL,
  financial_years VARCHAR(512)    NOT NULL DEFAULT '',
  rows_read       INT UNSIGNED    NOT NULL,
  rows_loaded     INT UNSIGNED    NOT NULL,
  rows_updated    INT UNSIGNED    NOT NULL,
  rows_rejected   INT UNSIGNED    NOT NULL,
  started_at      DATETIME(3)     NOT NULL,
  loaded_at       DATETIME(3)     NOT NULL,
  KEY data_releases_loaded_at (loaded_at, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE patients (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  pseudo_id     VARCHAR(64)     NOT NULL,
  sex           CHAR(1)         NULL,
  ethnicity     VARCHAR(2)      NULL,
  birth_year    SMALLINT        NULL,
  birth_month   TINYINT         NULL,
  nhs_number    CHAR(10)        NULL,
  date_of_birth DATE            NULL,
  postcode      VARCHAR(8)      NULL,
  region        VARCHAR(16)     NULL,
  UNIQUE KEY patients_pseudo_id (pseudo_id),
  KEY patients_birth_year (birth_year, id),
  KEY patients_sex (sex, id),
  KEY patients_region (region, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE episodes (
  id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  epikey          VARCHAR(20)     NOT NULL,
  patient_id      BIGINT UNSIGNED NOT NULL,
  release_id      BIGINT UNSIGNED NULL,
  fyear           CHAR(4)         NOT NULL,
  procode3        VARCHAR(16)     NULL,
  sitetret        VARCHAR(16)     NULL,
  admidate        DATE            NULL,
  epistart        DATE            NULL,
  epiend          DATE            NULL,
  disdate         DATE            NULL,
  epiorder        TINYINT UNSIGNED NULL,
  epistat         VARCHAR(2)      NULL,
  epitype         VARCHAR(2)      NULL,
  classpat        VARCHAR(2)      NULL,
  admimeth        VARCHAR(2)      NULL,
  admisorc        VARCHAR(2)      NULL,
  dismeth         VARCHAR(2)      NULL,
  disdest         VARCHAR(2)      NULL,
  admincat        VARCHAR(2)      NULL,
  tretspef        VARCHAR(4)      NULL,
  mainspef        VARCHAR(4)      NULL,
  startage_code   SMALLINT        NULL COMMENT 'STARTAGE as coded (7001-7007 under one)',
  start_age       SMALLINT        NULL COMMENT 'STARTAGE in years',
  epidur          INT             NULL,
  speldur         INT             NULL,
  primary_diag    CHAR(4)         NULL COMMENT 'diagnosis at position 1, for tabulation',
  primary_chapter TINYINT         NULL COMMENT 'ICD-10 chapter number of primary_diag',
  UNIQUE KEY episodes_epikey (epikey),
  KEY episodes_patient (patient_id, epistart, id),
  KEY episodes_epistart (epistart, id),
  KEY episodes_epiend (epiend, id),
  KEY episodes_admidate (admidate, id),
  KEY episodes_disdate (disdate, id),
  KEY episodes_procode3 (procode3, id),
  KEY episodes_start_age (start_age, id),
  KEY episodes_epidur (epidur, id),
  KEY episodes_fyear (fyear, id),
  KEY episodes_tretspef (tretspef, epistart, id),
  KEY episodes_primary_diag (primary_diag, id),
  CONSTRAINT episodes_patient_fk FOREIGN KEY (patient_id) REFERENCES patients (id),
  CONSTRAINT episodes_release_fk FOREIGN KEY (release_id) REFERENCES data_releases (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE diagnoses (
  episode_id BIGINT UNSIGNED  NOT NULL,
  position   TINYINT UNSIGNED NOT NULL,
  code       CHAR(4)          NOT NULL,
  PRIMARY KEY (episode_id, position),
  KEY diagnoses_code (code, episode_id),
  CONSTRAINT diagnoses_episode_fk FOREIGN KEY (episode_id) REFERENCES episodes (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE procedures (
  episode_id BIGINT UNSIGNED  NOT NULL,
  position   TINYINT UNSIGNED NOT NULL,
  code       CHAR(4)          NOT NULL,
  op_date    DATE             NULL,
  PRIMARY KEY (episode_id, position),
  KEY procedures_code (code, episode_id),
  CONSTRAINT procedures_episode_fk FOREIGN KEY (episode_id) REFERENCES episodes (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE icd10_codes (
  code        CHAR(4)      CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,
  description VARCHAR(255) NOT NULL,
  chapter     VARCHAR(5)   NOT NULL,
  FULLTEXT KEY icd10_codes_description (description)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE opcs4_codes (
  code        CHAR(4)      CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,
  description VARCHAR(255) NOT NULL,
  chapter     VARCHAR(5)   NOT NULL,
  FULLTEXT KEY opcs4_codes_description (description)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE procedures;
DROP TABLE diagnoses;
DROP TABLE episodes;
DROP TABLE patients;
DROP TABLE data_releases;
DROP TABLE icd10_codes;
DROP TABLE opcs4_codes;
