package db_test

import (
	"database/sql"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
)

// The EXPLAIN plan checks hold on a table of 10 million episodes too. A
// plan is the optimiser's choice from its statistics (row counts, rows per
// index key, index sizes) and from index dives into the real tree for
// ranges; loading 10M rows into every test run is out of the question, so
// the fixture's persistent statistics are rewritten to what 10M episodes
// would give and the same assertions run again. A plan that is only good
// because the tables are small fails here. What the statistics cannot
// change: the rows of a range or a constant ref are estimated by dives into
// the real index tree, so they stay those of the fixture; what moves to 10M
// is the table sizes (full scan costs, and how selective a range looks
// against them) and the rows per key of joins and correlated subqueries.

// planScale sets the optimiser's statistics after the fixture is loaded
// and analysed; loadedSize leaves the fixture's own.
type planScale struct {
	name  string
	apply func(t *testing.T, conn *sql.DB)
}

var (
	loadedSize = planScale{name: "loaded"}
	tenMillion = planScale{name: "10M", apply: func(t *testing.T, conn *sql.DB) { scaleStatistics(t, conn, 10_000_000) }}
)

// planChecks are every EXPLAIN plan check, each a function of the scale.
// Its own Test function runs it at the fixture's size; TestExplainPlansAt10M
// runs each again at 10M. A new plan check is added here to get both.
var planChecks = []struct {
	name  string
	check func(t *testing.T, scale planScale)
}{
	{"listings", listingPlans},
	{"tabulations", tabulationPlans},
	{"spells", spellPlans},
	{"exact equality", exactEqualityPlans},
	{"code-driven listings", codeDrivenListingPlans},
}

func TestExplainPlansAt10M(t *testing.T) {
	for _, c := range planChecks {
		t.Run(c.name, func(t *testing.T) { c.check(t, tenMillion) })
	}
}

// growingTables are the tables whose size follows the number of episodes;
// code lookups and the published tables are bounded by their domains.
var growingTables = []string{"episodes", "patients", "diagnoses", "procedures", "spells", "spell_episodes"}

// nearUnique is the most rows per key at which an index prefix counts as
// growing with the data (ids, episode keys, patient ids: about 2.6 episodes
// a patient, a few diagnoses an episode); prefixes with more rows per key
// are bounded domains (codes, dates, specialties) whose distinct values
// stay as they are while the rows per value grow.
const nearUnique = 4

// scaleStatistics rewrites the test database's statistics of the growing
// tables to what they would be with episodes rows in episodes, reloads them
// with FLUSH TABLE, and checks that the optimiser now believes it.
//
// Two sets of statistics are written. MariaDB's engine-independent ones
// (mysql.table_stats, index_stats, column_stats, collected by ANALYZE
// TABLE … PERSISTENT FOR ALL) are what its optimiser prefers under the
// default use_stat_tables = PREFERABLY_FOR_QUERIES, and FLUSH TABLE makes
// it read them again. InnoDB's persistent ones (mysql.innodb_table_stats,
// innodb_index_stats) are what MySQL uses, reloaded on FLUSH TABLE there;
// MariaDB 10.11 keeps an open table's InnoDB statistics in its dictionary
// cache through FLUSH TABLE (measured), so there they take effect only
// once the table is evicted, and are written so that they agree.
func scaleStatistics(t *testing.T, conn *sql.DB, episodes int) {
	t.Helper()
	var schema string
	var loaded int
	if err := conn.QueryRow(`SELECT DATABASE(), (SELECT COUNT(*) FROM episodes)`).Scan(&schema, &loaded); err != nil {
		t.Fatal(err)
	}
	var eits int
	if err := conn.QueryRow(`SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'mysql' AND TABLE_NAME = 'table_stats'`).Scan(&eits); err != nil {
		t.Fatal(err)
	}
	k := float64(episodes) / float64(loaded)
	for _, table := range growingTables {
		// A recalculation of the table's statistics in the background
		// would put back the real figures. (The ALTER also writes InnoDB's
		// statistics out again, so it comes before they are changed.)
		exec(t, conn, "ALTER TABLE "+table+" STATS_AUTO_RECALC = 0")
	}
	if eits > 0 {
		exec(t, conn, "ANALYZE TABLE "+strings.Join(growingTables, ", ")+" PERSISTENT FOR ALL")
	}
	for _, table := range growingTables {
		var rows int64
		if err := conn.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&rows); err != nil {
			t.Fatal(err)
		}
		scaled := int64(math.Round(float64(rows) * k))
		exec(t, conn, `UPDATE mysql.innodb_table_stats SET n_rows = ?,
			clustered_index_size = CEIL(clustered_index_size * ?), sum_of_other_index_sizes = CEIL(sum_of_other_index_sizes * ?)
			WHERE database_name = ? AND table_name = ?`, scaled, k, k, schema, table)
		exec(t, conn, `UPDATE mysql.innodb_index_stats SET stat_value = CEIL(stat_value * ?)
			WHERE database_name = ? AND table_name = ? AND stat_name IN ('size', 'n_leaf_pages')`, k, schema, table)
		// Rows per key: kept for near-unique prefixes, multiplied by k for
		// bounded ones.
		exec(t, conn, `UPDATE mysql.innodb_index_stats SET stat_value = CASE
				WHEN stat_value > 0 AND ? / stat_value <= ? THEN LEAST(CEIL(stat_value * ?), ?)
				ELSE stat_value END
			WHERE database_name = ? AND table_name = ? AND stat_name LIKE 'n_diff_pfx%'`, rows, nearUnique, k, scaled, schema, table)
		if eits == 0 {
			continue
		}
		exec(t, conn, `UPDATE mysql.table_stats SET cardinality = ? WHERE db_name = ? AND table_name = ?`, scaled, schema, table)
		for _, st := range []string{"index_stats", "column_stats"} {
			exec(t, conn, `UPDATE mysql.`+st+` SET avg_frequency = avg_frequency * ?
				WHERE db_name = ? AND table_name = ? AND avg_frequency > ?`, k, schema, table, nearUnique)
		}
	}
	exec(t, conn, "FLUSH TABLES "+strings.Join(growingTables, ", "))

	for _, table := range []string{"episodes", "diagnoses"} {
		if got := fullScanRows(t, conn, table); got < int64(0.8*k*float64(countRows(t, conn, table))) {
			t.Fatalf("after scaling to %d episodes the optimiser estimates %d rows in %s", episodes, got, table)
		}
	}
	t.Cleanup(func() {
		// The figures must have held for the whole check.
		if got := fullScanRows(t, conn, "episodes"); got < int64(0.8*float64(episodes)) {
			t.Errorf("the optimiser's episodes estimate fell back to %d rows during the check", got)
		}
	})
}

func exec(t *testing.T, conn *sql.DB, query string, args ...any) {
	t.Helper()
	if _, err := conn.Exec(query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func countRows(t *testing.T, conn *sql.DB, table string) int64 {
	t.Helper()
	var n int64
	if err := conn.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// fullScanRows is the optimiser's row estimate for reading all of table.
func fullScanRows(t *testing.T, conn *sql.DB, table string) int64 {
	t.Helper()
	plan := explain(t, conn, fmt.Sprintf("SELECT * FROM %s IGNORE INDEX (PRIMARY) WHERE 1 = 1", table))
	if len(plan) != 1 {
		t.Fatalf("plan of a full scan of %s: %s", table, formatPlan(plan))
	}
	n, err := strconv.ParseInt(plan[0]["rows"], 10, 64)
	if err != nil {
		t.Fatalf("rows of %s: %v", formatPlan(plan), err)
	}
	return n
}
