package db_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/db/dbtest"
	"github.com/hesgql/hesgql/graph/model"
)

// spellHeader is the header of the crafted spell extracts.
const spellHeader = "FYEAR|EPIKEY|PSEUDO_HESID|PROCODE3|ADMIDATE|EPISTART|EPIEND|DISDATE|EPIORDER|EPISTAT|ADMIMETH|DISMETH|DIAG_4_01|OPERTN_4_01\n"

// spellExtract crafts the grouping and readmission edge cases (docs/spells.md):
//
//	SPA RXX 2021-01-01: two episodes, listed out of order; discharged 01-05
//	SPA RXX 2021-02-04: emergency (21), 30 days after 01-05: readmission
//	SPA RYY 2021-03-07: emergency (22), 31 days after 02-04: not one
//	SPA RXX 2021-03-20: elective, 13 days after 03-08: not one; not discharged
//	SPA, no ADMIDATE: no spell
//	SPB RXX 2021-01-01: another patient's spell, same provider and date
const spellExtract = spellHeader +
	"2021|9200000000000000002|SPA|RXX|2021-01-01|2021-01-03|2021-01-05|2021-01-05|2|3|11|1|L400|\n" +
	"2021|9200000000000000001|SPA|RXX|2021-01-01|2021-01-01|2021-01-03||1|3|11||L400|S068\n" +
	"2021|9200000000000000003|SPA|RXX|2021-02-04|2021-02-04|2021-02-04|2021-02-04|1|3|21|1|L401|\n" +
	"2021|9200000000000000004|SPA|RYY|2021-03-07|2021-03-07|2021-03-08|2021-03-08|1|3|22|1|I10X|\n" +
	"2021|9200000000000000005|SPA|RXX|2021-03-20|2021-03-20|||1|1|11|8|L400|\n" +
	"2021|9200000000000000006|SPA|RXX||2021-04-01|2021-04-02||1|3|11|1|L400|\n" +
	"2021|9200000000000000007|SPB|RXX|2021-01-01|2021-01-01|2021-01-01|2021-01-01|1|3|2A|4|C443|\n"

// spellRows returns every stored spell in a readable form, ordered by
// patient and admission date; episodes are named by their EPIKEY's last digits.
func spellRows(t *testing.T, dsn string) []string {
	t.Helper()
	conn, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rows, err := conn.Query(`SELECT p.pseudo_id, s.procode3, s.admidate, COALESCE(CAST(s.disdate AS CHAR), '-'),
		COALESCE(s.admimeth, '-'), s.admimeth_group, COALESCE(s.dismeth, '-'), COALESCE(CAST(s.los AS CHAR), '-'),
		COALESCE(RIGHT(de.epikey, 2), '-'), s.episode_count, s.emergency_readmission_30d, RIGHT(fe.epikey, 2),
		(SELECT GROUP_CONCAT(RIGHT(e.epikey, 2) ORDER BY se.seq SEPARATOR ',') FROM spell_episodes se
		   JOIN episodes e ON e.id = se.episode_id WHERE se.spell_id = s.id),
		s.id = (SELECT MIN(se.episode_id) FROM spell_episodes se WHERE se.spell_id = s.id)
		FROM spells s JOIN patients p ON p.id = s.patient_id
		JOIN episodes fe ON fe.id = s.first_episode_id
		LEFT JOIN episodes de ON de.id = s.discharging_episode_id
		ORDER BY p.pseudo_id, s.admidate, s.id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var pseudo, prov, adm, dis, meth, dmeth, los, disEp, first, eps string
		var group, count int
		var readmit, idIsMin bool
		if err := rows.Scan(&pseudo, &prov, &adm, &dis, &meth, &group, &dmeth, &los, &disEp, &count, &readmit, &first, &eps, &idIsMin); err != nil {
			t.Fatal(err)
		}
		if !idIsMin {
			t.Errorf("spell of %s %s %s: id is not its smallest episode id", pseudo, prov, adm)
		}
		out = append(out, fmt.Sprintf("%s %s %s..%s meth=%s/%d dis=%s los=%s by=%s n=%d first=%s eps=%s readmit=%v",
			pseudo, prov, adm[:10], dis, meth, group, dmeth, los, disEp, count, first, eps, readmit))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func diffLines(t *testing.T, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("spells:\ngot:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

var spellWant = []string{
	"SPA RXX 2021-01-01..2021-01-05 meth=11/1 dis=1 los=4 by=02 n=2 first=01 eps=01,02 readmit=true",
	"SPA RXX 2021-02-04..2021-02-04 meth=21/2 dis=1 los=0 by=03 n=1 first=03 eps=03 readmit=false",
	"SPA RYY 2021-03-07..2021-03-08 meth=22/2 dis=1 los=1 by=04 n=1 first=04 eps=04 readmit=false",
	"SPA RXX 2021-03-20..- meth=11/1 dis=- los=- by=- n=1 first=05 eps=05 readmit=false",
	"SPB RXX 2021-01-01..2021-01-01 meth=2A/2 dis=4 los=0 by=07 n=1 first=07 eps=07 readmit=false",
}

func TestSpellsDerivedAtLoad(t *testing.T) {
	dsn := dbtest.NewDSN(t)
	d := dbtest.Open(t, dsn)
	loadExtract(t, d, "spells.txt", spellExtract)
	diffLines(t, spellRows(t, dsn), spellWant)

	t.Run("RebuildIsIdempotent", func(t *testing.T) {
		if err := d.RebuildSpells(context.Background()); err != nil {
			t.Fatal(err)
		}
		diffLines(t, spellRows(t, dsn), spellWant)
		loadExtract(t, d, "spells-again.txt", spellExtract)
		diffLines(t, spellRows(t, dsn), spellWant)
	})
}

func TestSpellsFollowRefresh(t *testing.T) {
	dsn := dbtest.NewDSN(t)
	d := dbtest.Open(t, dsn)
	loadExtract(t, d, "spells.txt", spellExtract)
	// The refresh finishes the open spell with a second episode, turns the
	// 30-day readmission into an elective admission, and moves SPB's episode
	// to SPA, into SPA's first spell (same provider and admission date).
	loadExtract(t, d, "refresh.txt", spellHeader+
		"2021|9200000000000000008|SPA|RXX|2021-03-20|2021-03-22|2021-03-25|2021-03-25|2|3|11|1|L400|\n"+
		"2021|9200000000000000003|SPA|RXX|2021-02-04|2021-02-04|2021-02-04|2021-02-04|1|3|12|1|L401|\n"+
		"2021|9200000000000000007|SPA|RXX|2021-01-01|2021-01-01|2021-01-01||3|3|2A||C443|\n")
	diffLines(t, spellRows(t, dsn), []string{
		"SPA RXX 2021-01-01..2021-01-05 meth=11/1 dis=1 los=4 by=02 n=3 first=01 eps=01,02,07 readmit=false",
		"SPA RXX 2021-02-04..2021-02-04 meth=12/1 dis=1 los=0 by=03 n=1 first=03 eps=03 readmit=false",
		"SPA RYY 2021-03-07..2021-03-08 meth=22/2 dis=1 los=1 by=04 n=1 first=04 eps=04 readmit=false",
		"SPA RXX 2021-03-20..2021-03-25 meth=11/1 dis=1 los=5 by=08 n=2 first=05 eps=05,08 readmit=false",
	})
}

// Spell counts and the LENGTH_OF_STAY_BAND dimension over the crafted
// spells: FCEs are every episode but 05 (EPISTAT 1); 06 has no spell.
func TestTabulateSpells(t *testing.T) {
	dsn := dbtest.NewDSN(t)
	d := dbtest.Open(t, dsn)
	loadExtract(t, d, "spells.txt", spellExtract)
	rows, err := d.Tabulate(context.Background(), nil, []model.Dimension{model.DimensionLengthOfStayBand}, db.WithSpellCount())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		key := "null"
		if r.Keys[0] != nil {
			key = *r.Keys[0]
		}
		got = append(got, fmt.Sprintf("%s episodes=%d admissions=%d patients=%d spells=%d", key, r.Episodes, r.Admissions, r.Patients, r.Spells))
	}
	diffLines(t, got, []string{
		"null episodes=1 admissions=1 patients=1 spells=0",
		"0 episodes=2 admissions=2 patients=2 spells=2",
		"1 episodes=1 admissions=1 patients=1 spells=1",
		"4-7 episodes=2 admissions=1 patients=1 spells=1",
	})
	t.Run("WithoutSpellCountNoJoin", func(t *testing.T) {
		ctx, n := db.WithStatementCounter(context.Background())
		rows, err := d.Tabulate(ctx, nil, []model.Dimension{model.DimensionFinancialYear})
		if err != nil || len(rows) != 1 || rows[0].Spells != 0 || rows[0].Episodes != 6 || n.Count() != 1 {
			t.Errorf("rows %+v, err %v, %d statements", rows, err, n.Count())
		}
		rows, err = d.Tabulate(ctx, nil, []model.Dimension{model.DimensionFinancialYear}, db.WithSpellCount())
		if err != nil || len(rows) != 1 || rows[0].Spells != 4 {
			t.Errorf("with spell count: rows %+v, err %v", rows, err)
		}
	})
}

// A database loaded before the spell tables existed gets its spells when
// the migration creating them is applied.
func TestMigrationDerivesSpellsOfExistingEpisodes(t *testing.T) {
	dsn := dbtest.NewDSN(t)
	d := dbtest.Open(t, dsn)
	loadExtract(t, d, "spells.txt", spellExtract)
	conn, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Back to the schema before spells (and so before the published
	// tables of 00008 and the code categories and patient sex of 00009),
	// episodes kept.
	for _, q := range []string{
		"ALTER TABLE episodes DROP INDEX episodes_fce, DROP COLUMN patient_sex, " +
			"ADD INDEX episodes_fce (epistat, fyear, tretspef, classpat, epiorder, start_age, admimeth, procode3, primary_chapter, primary_diag, patient_id), " +
			"ADD INDEX episodes_fce_patient (patient_id, epistat, classpat, epiorder, fyear, tretspef, start_age, admimeth, procode3, primary_chapter, primary_diag)",
		"ALTER TABLE procedures DROP INDEX procedures_code3, DROP COLUMN code3",
		"ALTER TABLE diagnoses DROP INDEX diagnoses_code3, DROP COLUMN code3",
		"DELETE FROM goose_db_version WHERE version_id = 9",
		"UPDATE patients SET sex = '2'", // for 00009 to copy to the episodes
		"DROP TABLE stats_aggregate_builds", "DROP TABLE stats_aggregates", "DELETE FROM goose_db_version WHERE version_id = 8",
		"DROP TABLE spell_episodes", "DROP TABLE spells", "DELETE FROM goose_db_version WHERE version_id = 7"} {
		if _, err := conn.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := d.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	diffLines(t, spellRows(t, dsn), spellWant)
	var stale, female int
	if err := conn.QueryRow("SELECT SUM(NOT (e.patient_sex <=> p.sex)), SUM(e.patient_sex = '2') FROM episodes e JOIN patients p ON p.id = e.patient_id").
		Scan(&stale, &female); err != nil {
		t.Fatal(err)
	}
	if stale != 0 || female == 0 {
		t.Errorf("after the migration %d episodes differ from their patient's sex, %d carry it", stale, female)
	}
}

// An episode moving to a patient rebuilt in an earlier chunk than its old
// patient (here every patient is a chunk of its own) still ends up in
// exactly one spell, and spells that did not change are not rewritten.
func TestSpellsRefreshAcrossChunks(t *testing.T) {
	dsn := dbtest.NewDSN(t)
	d := dbtest.Open(t, dsn)
	defer db.SetSpellChunkForTest(1)()
	loadExtract(t, d, "spells.txt", spellExtract)
	diffLines(t, spellRows(t, dsn), spellWant)
	// SPA's first episode moves to SPB; SPB (loaded later, larger row id)
	// comes after SPA, so move it the other way too: SPB's episode to SPA.
	loadExtract(t, d, "move.txt", spellHeader+
		"2021|9200000000000000007|SPA|RXX|2021-01-01|2021-01-01|2021-01-01||3|3|2A||C443|\n"+
		"2021|9200000000000000003|SPB|RXX|2021-02-04|2021-02-04|2021-02-04|2021-02-04|1|3|21|1|L401|\n")
	diffLines(t, spellRows(t, dsn), []string{
		"SPA RXX 2021-01-01..2021-01-05 meth=11/1 dis=1 los=4 by=02 n=3 first=01 eps=01,02,07 readmit=false",
		"SPA RYY 2021-03-07..2021-03-08 meth=22/2 dis=1 los=1 by=04 n=1 first=04 eps=04 readmit=false",
		"SPA RXX 2021-03-20..- meth=11/1 dis=- los=- by=- n=1 first=05 eps=05 readmit=false",
		"SPB RXX 2021-02-04..2021-02-04 meth=21/2 dis=1 los=0 by=03 n=1 first=03 eps=03 readmit=false",
	})
	t.Run("UnchangedSpellsAreNotRewritten", func(t *testing.T) {
		ctx, n := db.WithStatementCounter(context.Background())
		if err := d.RebuildSpells(ctx); err != nil {
			t.Fatal(err)
		}
		// patients, whether any spell is stored, then per patient (chunk of
		// one): episodes, stored spells, their links
		if got := n.Count(); got != 2+2*3 {
			t.Errorf("a rebuild with nothing changed took %d statements, want %d (reads only)", got, 2+2*3)
		}
	})
}

// A first derivation of many patients (here any number) into empty spell
// tables drops the spells' deferrable indexes and builds them once the
// spells are written: the spells are those derived with the indexes kept,
// every index is back and no record is left. A later load, into tables
// that hold spells, defers nothing.
func TestSpellsFirstDerivationDefersIndexes(t *testing.T) {
	dsn := dbtest.NewDSN(t)
	d := dbtest.Open(t, dsn)
	defer db.SetSpellBulkPatientsForTest(1)()
	conn, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	indexes := func() []string {
		return dbtest.Strings(t, conn, `SELECT DISTINCT INDEX_NAME FROM information_schema.STATISTICS
			WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ('spells', 'spell_episodes') ORDER BY 1`)
	}
	want := indexes()
	if !slices.Contains(want, "spells_los") {
		t.Fatalf("spells indexes: %v", want)
	}
	loadExtract(t, d, "spells.txt", spellExtract)
	diffLines(t, spellRows(t, dsn), spellWant)
	var recorded int
	if err := conn.QueryRow("SELECT COUNT(*) FROM deferred_indexes").Scan(&recorded); err != nil {
		t.Fatal(err)
	}
	if got := indexes(); recorded != 0 || !slices.Equal(got, want) {
		t.Errorf("after the load: indexes %v (want %v), %d left recorded", got, want, recorded)
	}
	// The drop itself is seen by the spells being derived with indexes
	// missing: derive again into emptied tables, watching for the drop.
	if _, err := conn.Exec("DELETE FROM spells"); err != nil {
		t.Fatal(err)
	}
	ctx, trace := db.WithTrace(context.Background())
	if err := d.RebuildSpells(ctx); err != nil {
		t.Fatal(err)
	}
	diffLines(t, spellRows(t, dsn), spellWant)
	var dropped, built bool
	for _, s := range trace.Statements() {
		dropped = dropped || strings.Contains(s.SQL, "ALTER TABLE spells DROP INDEX")
		built = built || strings.Contains(s.SQL, "ALTER TABLE spells ADD INDEX")
	}
	if !dropped || !built {
		t.Errorf("a derivation into empty spell tables: dropped the indexes %v, built them %v; want both", dropped, built)
	}
	if got := indexes(); !slices.Equal(got, want) {
		t.Errorf("indexes after the rebuild: %v, want %v", got, want)
	}
	ctx, trace = db.WithTrace(context.Background())
	if err := d.RebuildSpells(ctx); err != nil {
		t.Fatal(err)
	}
	for _, s := range trace.Statements() {
		if strings.Contains(s.SQL, "ALTER TABLE") {
			t.Errorf("a rebuild over stored spells altered a table: %s", s.SQL)
		}
	}
	diffLines(t, spellRows(t, dsn), spellWant)
}

// A derivation into empty spell tables writes them with LOAD DATA LOCAL
// INFILE; what it stores is exactly what the row-by-row path compares
// against, so a rebuild over those spells finds nothing changed and
// writes nothing.
func TestSpellsFirstDerivationLoadsRowsExactly(t *testing.T) {
	dsn := dbtest.NewDSN(t)
	d := dbtest.Open(t, dsn)
	loadExtract(t, d, "spells.txt", spellExtract)
	diffLines(t, spellRows(t, dsn), spellWant)
	conn, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Their links go with them (ON DELETE CASCADE).
	if _, err := conn.Exec("DELETE FROM spells"); err != nil {
		t.Fatal(err)
	}
	ctx, trace := db.WithTrace(context.Background())
	if err := d.RebuildSpells(ctx); err != nil {
		t.Fatal(err)
	}
	diffLines(t, spellRows(t, dsn), spellWant)
	loaded := map[string]bool{}
	for _, s := range trace.Statements() {
		for _, table := range []string{"spells", "spell_episodes"} {
			if strings.Contains(s.SQL, "LOAD DATA LOCAL INFILE") && strings.Contains(s.SQL, "INTO TABLE "+table+" ") {
				loaded[table] = true
			}
		}
	}
	if !loaded["spells"] || !loaded["spell_episodes"] {
		t.Errorf("a derivation into empty spell tables loaded %v; want both tables by LOAD DATA", loaded)
	}
	ctx, trace = db.WithTrace(context.Background())
	if err := d.RebuildSpells(ctx); err != nil {
		t.Fatal(err)
	}
	for _, s := range trace.Statements() {
		if strings.HasPrefix(s.SQL, "INSERT") || strings.HasPrefix(s.SQL, "DELETE") {
			t.Errorf("a rebuild over loaded spells wrote: %.80s", s.SQL)
		}
	}
	diffLines(t, spellRows(t, dsn), spellWant)
}
