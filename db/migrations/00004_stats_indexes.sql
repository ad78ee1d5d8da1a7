-- +goose Up
-- Covering indexes for tabulations (db/statistics.go). A tabulation reads
-- most episodes (nearly all are finished consultant episodes), so what it
-- costs is the width of what it reads: from these it reads only the FCE
-- predicate, the grouped and filtered columns and the counted ones, never
-- the wide rows.
--
-- episodes_fce leads with the FCE status and the usual filter columns, so
-- that a financial year filter is a short range and grouping by year reads
-- the groups in index order.
CREATE INDEX episodes_fce ON episodes (epistat, fyear, tretspef, classpat, epiorder, start_age,
  admimeth, procode3, primary_chapter, primary_diag, patient_id);

-- episodes_fce_patient serves the tabulations by sex, which are read from
-- each patient to their episodes: through episodes_patient every episode
-- would be a lookup of the whole row.
CREATE INDEX episodes_fce_patient ON episodes (patient_id, epistat, classpat, epiorder, fyear, tretspef,
  start_age, admimeth, procode3, primary_chapter, primary_diag);

-- +goose Down
DROP INDEX episodes_fce_patient ON episodes;
DROP INDEX episodes_fce ON episodes;
