-- +goose Up
-- Each statement rewrites or reads a whole table, which on a loaded store
-- outlasts the API's statement time limit that the connection carries:
-- MariaDB lifts it for the statement (the /*M! comment is MariaDB's own;
-- MySQL's limit covers SELECT only and it ignores the comment).
-- The 3-character category of each code, kept by the server. A broad prefix
-- filter (diagnosis startsWith "L40") is then one value of code3, and in
-- the (code3, episode_id, code) index its episodes come in id order: two
-- such filters intersect by walking both lists in step, and a listing in
-- id order stops after its page, where the (code, episode_id) range of
-- 'L40%' holds each full code's episodes apart and must be read whole and
-- sorted. code is in the index so that a longer prefix (L400) is checked
-- there too. RTRIM makes the expression independent of the session's
-- PAD_CHAR_TO_FULL_LENGTH, without which MariaDB refuses it in a stored
-- column; codes carry no trailing spaces, so it changes no value.
/*M! SET STATEMENT max_statement_time = 0 FOR */ ALTER TABLE diagnoses
  ADD COLUMN code3 CHAR(3) AS (LEFT(RTRIM(code), 3)) STORED,
  ADD INDEX diagnoses_code3 (code3, episode_id, code);

/*M! SET STATEMENT max_statement_time = 0 FOR */ ALTER TABLE procedures
  ADD COLUMN code3 CHAR(3) AS (LEFT(RTRIM(code), 3)) STORED,
  ADD INDEX procedures_code3 (code3, episode_id, code);

-- The patient's sex on each of their episodes (kept equal by the loader),
-- so that tabulations by sex read the covering index episodes_fce alone
-- instead of joining every episode to its patient.
/*M! SET STATEMENT max_statement_time = 0 FOR */ ALTER TABLE episodes ADD COLUMN patient_sex CHAR(1) NULL COMMENT 'patients.sex of patient_id, for tabulation';

/*M! SET STATEMENT max_statement_time = 0 FOR */ UPDATE episodes e JOIN patients p ON p.id = e.patient_id SET e.patient_sex = p.sex WHERE p.sex IS NOT NULL;

-- episodes_fce_patient served tabulations by sex from each patient to their
-- episodes; with patient_sex, episodes_fce serves them.
/*M! SET STATEMENT max_statement_time = 0 FOR */ ALTER TABLE episodes
  DROP INDEX episodes_fce_patient,
  DROP INDEX episodes_fce,
  ADD INDEX episodes_fce (epistat, fyear, tretspef, classpat, epiorder, start_age,
    admimeth, procode3, primary_chapter, primary_diag, patient_sex, patient_id);

-- +goose Down
ALTER TABLE episodes
  DROP INDEX episodes_fce,
  ADD INDEX episodes_fce (epistat, fyear, tretspef, classpat, epiorder, start_age,
    admimeth, procode3, primary_chapter, primary_diag, patient_id),
  ADD INDEX episodes_fce_patient (patient_id, epistat, classpat, epiorder, fyear, tretspef,
    start_age, admimeth, procode3, primary_chapter, primary_diag);
ALTER TABLE episodes DROP COLUMN patient_sex;
ALTER TABLE procedures DROP INDEX procedures_code3, DROP COLUMN code3;
ALTER TABLE diagnoses DROP INDEX diagnoses_code3, DROP COLUMN code3;
