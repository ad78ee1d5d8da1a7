package db_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/hesgql/hesgql/db/dbtest"
	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/apptest"
)

const sexHeader = "FYEAR|EPIKEY|PSEUDO_HESID|SEX|EPISTART|EPISTAT|CLASSPAT|EPIORDER|DIAG_4_01\n"

// staleEpisodeSex counts episodes whose copy of their patient's sex
// differs from the patient's.
func staleEpisodeSex(t *testing.T, conn *sql.DB) int {
	t.Helper()
	var n int
	if err := conn.QueryRow(`SELECT COUNT(*) FROM episodes e JOIN patients p ON p.id = e.patient_id
		WHERE NOT (e.patient_sex <=> p.sex)`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Tabulations by sex read the patient's sex from their episodes: every
// load keeps that copy equal to the patient's, also for the episodes an
// earlier release wrote when a refresh changes the patient's sex.
func TestEpisodeCarriesPatientSex(t *testing.T) {
	ctx := context.Background()
	dsn := dbtest.NewDSN(t)
	d := dbtest.Open(t, dsn)
	conn, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	bySex := func() string {
		t.Helper()
		base, err := d.TabulateBaseForTest(ctx, nil, []model.Dimension{model.DimensionSex})
		if err != nil {
			t.Fatal(err)
		}
		published, err := d.Tabulate(ctx, nil, []model.Dimension{model.DimensionSex})
		if err != nil {
			t.Fatal(err)
		}
		if rowsText(base) != rowsText(published) {
			t.Errorf("published table %q, base tables %q", rowsText(published), rowsText(base))
		}
		return rowsText(base)
	}

	loadExtract(t, d, "first.txt", sexHeader+
		"2122|9200000000000000001|TESTSEXA|1|2021-05-01|3|1|1|L400\n"+
		"2122|9200000000000000002|TESTSEXA|1|2021-06-01|3|1|1|L401\n"+
		"2122|9200000000000000003|TESTSEXB||2021-05-01|3|1|1|L400\n")
	if n := staleEpisodeSex(t, conn); n != 0 {
		t.Errorf("after the first load %d episodes disagree with their patient's sex", n)
	}
	if got, want := bySex(), "<nil> 1/1/1\nMALE 2/2/1\n"; got != want {
		t.Errorf("by sex after the first load:\n%s\nwant\n%s", got, want)
	}

	// The refresh states new sexes: A's earlier episodes follow, and B's
	// unknown sex becomes known.
	loadExtract(t, d, "refresh.txt", sexHeader+
		"2223|9200000000000000004|TESTSEXA|2|2022-05-01|3|1|1|L400\n"+
		"2223|9200000000000000005|TESTSEXB|9|2022-05-01|3|1|1|L400\n")
	if n := staleEpisodeSex(t, conn); n != 0 {
		t.Errorf("after the refresh %d episodes disagree with their patient's sex", n)
	}
	if got, want := bySex(), "FEMALE 3/3/1\nNOT_SPECIFIED 2/2/1\n"; got != want {
		t.Errorf("by sex after the refresh:\n%s\nwant\n%s", got, want)
	}

	// A blank sex in a later row keeps the stated one (the loader's merge).
	loadExtract(t, d, "blank.txt", sexHeader+"2223|9200000000000000006|TESTSEXA||2022-06-01|3|1|1|L400\n")
	if got, want := bySex(), "FEMALE 4/4/1\nNOT_SPECIFIED 2/2/1\n"; got != want {
		t.Errorf("by sex after a blank sex:\n%s\nwant\n%s", got, want)
	}

	apptest.LoadGenerated(t, d, 600, 21)
	if n := staleEpisodeSex(t, conn); n != 0 {
		t.Errorf("after a generated load %d episodes disagree with their patient's sex", n)
	}
}
