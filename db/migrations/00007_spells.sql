-- +goose Up
-- Hospital provider spells derived from episodes (db/spells.go, docs/spells.md):
-- the episodes of one patient at one provider (PROCODE3) with one admission
-- date (ADMIDATE). Rebuilt for the patients a load touches, after it commits.
--
-- id is the smallest episodes.id of the spell, so a spell keeps its id when a
-- refresh adds or replaces its episodes (new episodes get larger ids).
-- admimeth_group is the ADMIMETH group of the statistics dimension:
-- 1 elective, 2 emergency, 3 maternity, 4 other, 5 unknown.
CREATE TABLE spells (
  id                        BIGINT UNSIGNED   NOT NULL PRIMARY KEY,
  patient_id                BIGINT UNSIGNED   NOT NULL,
  procode3                  VARCHAR(16)       NOT NULL,
  admidate                  DATE              NOT NULL,
  disdate                   DATE              NULL,
  admimeth                  VARCHAR(2)        NULL,
  admimeth_group            TINYINT UNSIGNED  NOT NULL,
  dismeth                   VARCHAR(2)        NULL,
  los                       INT               NULL COMMENT 'DISDATE - ADMIDATE in days; null until discharged',
  first_episode_id          BIGINT UNSIGNED   NOT NULL,
  discharging_episode_id    BIGINT UNSIGNED   NULL,
  episode_count             SMALLINT UNSIGNED NOT NULL,
  emergency_readmission_30d BOOLEAN           NOT NULL,
  UNIQUE KEY spells_key (patient_id, procode3, admidate),
  KEY spells_patient (patient_id, admidate, id),
  KEY spells_admidate (admidate, id),
  KEY spells_disdate (disdate, id),
  KEY spells_los (los, id),
  KEY spells_group (admimeth_group, admidate, id),
  CONSTRAINT spells_patient_fk FOREIGN KEY (patient_id) REFERENCES patients (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- spell_episodes places each episode in its spell; seq is its position
-- (EPIORDER, then EPISTART, then row id).
CREATE TABLE spell_episodes (
  episode_id BIGINT UNSIGNED   NOT NULL PRIMARY KEY,
  spell_id   BIGINT UNSIGNED   NOT NULL,
  seq        SMALLINT UNSIGNED NOT NULL,
  KEY spell_episodes_spell (spell_id, seq, episode_id),
  CONSTRAINT spell_episodes_spell_fk FOREIGN KEY (spell_id) REFERENCES spells (id) ON DELETE CASCADE,
  CONSTRAINT spell_episodes_episode_fk FOREIGN KEY (episode_id) REFERENCES episodes (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE spell_episodes;
DROP TABLE spells;
