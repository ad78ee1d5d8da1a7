package load_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/hesgql/hesgql/db/dbtest"
	"github.com/hesgql/hesgql/internal/load"
)

// Writing in bulk keeps the row-by-row meaning: an EPIKEY repeated in a
// later batch of the same file replaces the earlier row, and a patient's
// attributes are merged across rows whatever the batch boundaries.
func TestLoadAcrossBatches(t *testing.T) {
	dsn := dbtest.NewDSN(t)
	d := dbtest.Open(t, dsn)
	var b strings.Builder
	b.WriteString("EPIKEY|PSEUDO_HESID|FYEAR|EPISTART|SEX|ETHNOS|RESGOR|DIAG_4_01|DIAG_4_02\n")
	b.WriteString("100000000001|PA|1920|2019-05-01|1||E12000001|L400|\n")
	for i := 2; i <= 9; i++ {
		fmt.Fprintf(&b, "1000000000%02d|P%d|1920|2019-05-0%d|2|A||L409|\n", i, i, i)
	}
	// The same patient later states no sex but an ethnicity; the same
	// episode comes again with other codes.
	b.WriteString("100000000010|PA|1920|2019-06-01||B||C430|\n")
	b.WriteString("100000000001|PA|1920|2019-05-02|1||E12000001|L401|L402\n")

	sum, err := load.Stream(context.Background(), d, "batches.txt", strings.NewReader(b.String()), 0, load.Options{BatchSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Read != 11 || sum.Loaded != 11 || sum.Updated != 1 || sum.Rejected != 0 {
		t.Errorf("summary %+v, want read 11 loaded 11 updated 1", sum)
	}
	conn, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var episodes, diagnoses int
	if err := conn.QueryRow("SELECT COUNT(*), (SELECT COUNT(*) FROM diagnoses) FROM episodes").Scan(&episodes, &diagnoses); err != nil {
		t.Fatal(err)
	}
	if episodes != 10 || diagnoses != 11 {
		t.Errorf("%d episodes and %d diagnoses stored, want 10 and 11", episodes, diagnoses)
	}
	var start, codes string
	err = conn.QueryRow(`SELECT DATE_FORMAT(MIN(e.epistart), '%Y-%m-%d'), GROUP_CONCAT(x.code ORDER BY x.position)
		FROM episodes e JOIN diagnoses x ON x.episode_id = e.id WHERE e.epikey = '100000000001' GROUP BY e.id`).Scan(&start, &codes)
	if err != nil {
		t.Fatal(err)
	}
	if start != "2019-05-02" || codes != "L401,L402" {
		t.Errorf("repeated EPIKEY kept start %s codes %s, want the later row's 2019-05-02 L401,L402", start, codes)
	}
	var sex, eth, region sql.NullString
	if err := conn.QueryRow("SELECT sex, ethnicity, region FROM patients WHERE pseudo_id = 'PA'").Scan(&sex, &eth, &region); err != nil {
		t.Fatal(err)
	}
	if sex.String != "1" || eth.String != "B" || region.String != "E12000001" {
		t.Errorf("patient PA = sex %v ethnicity %v region %v, want 1, B, E12000001", sex, eth, region)
	}
	var ids int
	if err := conn.QueryRow("SELECT COUNT(*) FROM episodes e JOIN patients p ON p.id = e.patient_id WHERE p.pseudo_id = 'PA'").Scan(&ids); err != nil {
		t.Fatal(err)
	}
	if ids != 2 {
		t.Errorf("patient PA has %d episodes, want 2", ids)
	}
}

// A value the database cannot store as given fails the whole load rather
// than being cut short or skipped.
func TestLoadRefusesValuesItCannotStore(t *testing.T) {
	d := dbtest.New(t)
	body := "EPIKEY|PSEUDO_HESID|FYEAR|EPISTART|SITETRET\n" +
		"100000000001|PA|1920|2019-05-01|RX1\n" +
		"100000000002|PB|1920|2019-05-01|" + strings.Repeat("S", 40) + "\n"
	_, err := load.Stream(context.Background(), d, "long.txt", strings.NewReader(body), 0, load.Options{})
	if err == nil {
		t.Fatal("want an error for a site code longer than its column")
	}
	t.Logf("error: %v", err)
	if n, err := d.EpisodeCount(context.Background()); err != nil || n != 0 {
		t.Errorf("after a failed load: %d episodes (err %v), want 0", n, err)
	}
}
