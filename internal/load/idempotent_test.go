package load_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/db/dbtest"
	"github.com/hesgql/hesgql/internal/load"
)

// fingerprint sums up the stored data independently of row ids: row counts
// and an order-free checksum of every table's content keyed by EPIKEY or
// pseudo_id, so two stores compare equal exactly when they hold the same
// data.
func fingerprint(t *testing.T, dsn string) map[string]string {
	t.Helper()
	conn, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	queries := map[string]string{
		"patients": `SELECT COUNT(*), COALESCE(BIT_XOR(CRC32(CONCAT_WS('|', pseudo_id, sex, ethnicity, birth_year,
			birth_month, nhs_number, date_of_birth, postcode, region))), 0) FROM patients`,
		"episodes": `SELECT COUNT(*), COALESCE(BIT_XOR(CRC32(CONCAT_WS('|', e.epikey, p.pseudo_id, e.fyear, e.procode3,
			e.admidate, e.epistart, e.epiend, e.disdate, e.epiorder, e.epistat, e.tretspef, e.startage_code, e.start_age,
			e.epidur, e.speldur, e.primary_diag, e.primary_chapter))), 0)
			FROM episodes e JOIN patients p ON p.id = e.patient_id`,
		"diagnoses": `SELECT COUNT(*), COALESCE(BIT_XOR(CRC32(CONCAT_WS('|', e.epikey, x.position, x.code, x.classification))), 0)
			FROM diagnoses x JOIN episodes e ON e.id = x.episode_id`,
		"procedures": `SELECT COUNT(*), COALESCE(BIT_XOR(CRC32(CONCAT_WS('|', e.epikey, x.position, x.code, x.op_date))), 0)
			FROM procedures x JOIN episodes e ON e.id = x.episode_id`,
		// A spell's id is its smallest episode id: named here by that
		// episode's EPIKEY, as its links are.
		"spells": `SELECT COUNT(*), COALESCE(BIT_XOR(CRC32(CONCAT_WS('|', f.epikey, p.pseudo_id, s.procode3, s.admidate,
			s.disdate, s.admimeth, s.admimeth_group, s.dismeth, s.los, fe.epikey, de.epikey, s.episode_count,
			s.emergency_readmission_30d))), 0)
			FROM spells s JOIN patients p ON p.id = s.patient_id JOIN episodes f ON f.id = s.id
			JOIN episodes fe ON fe.id = s.first_episode_id LEFT JOIN episodes de ON de.id = s.discharging_episode_id`,
		"spell episodes": `SELECT COUNT(*), COALESCE(BIT_XOR(CRC32(CONCAT_WS('|', e.epikey, f.epikey, x.seq))), 0)
			FROM spell_episodes x JOIN episodes e ON e.id = x.episode_id JOIN episodes f ON f.id = x.spell_id`,
		"orphan codes": `SELECT (SELECT COUNT(*) FROM diagnoses x LEFT JOIN episodes e ON e.id = x.episode_id WHERE e.id IS NULL)
			+ (SELECT COUNT(*) FROM procedures x LEFT JOIN episodes e ON e.id = x.episode_id WHERE e.id IS NULL), 0`,
		"duplicate epikeys":  `SELECT COUNT(*) - COUNT(DISTINCT epikey), 0 FROM episodes`,
		"duplicate patients": `SELECT COUNT(*) - COUNT(DISTINCT pseudo_id), 0 FROM patients`,
	}
	out := map[string]string{}
	for name, q := range queries {
		var n, sum int64
		if err := conn.QueryRow(q).Scan(&n, &sum); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = fmt.Sprintf("%d rows, checksum %d", n, sum)
	}
	return out
}

// releaseWarnings returns the warnings by column of each stored release,
// newest first.
func releaseWarnings(t *testing.T, d *db.DB) []map[string]int {
	t.Helper()
	rels, err := d.DataReleases(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]int
	for _, r := range rels {
		m := map[string]int{}
		for _, w := range r.Warnings {
			m[w.Column] = w.Count
		}
		out = append(out, m)
	}
	return out
}

// splitSample writes rows [from, to) of the sample's data rows, with its
// header, to a file.
func splitSample(t *testing.T, from, to int) string {
	t.Helper()
	raw, err := os.ReadFile(samplePath)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(raw), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	p := filepath.Join(t.TempDir(), fmt.Sprintf("sample_%d_%d.csv", from, to))
	body := lines[0] + strings.Join(lines[1+from:1+to], "")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReloadSameFileIsIdempotent(t *testing.T) {
	dsn := dbtest.NewDSN(t)
	d := dbtest.Open(t, dsn)
	first := loadFile(t, d, samplePath)
	before := fingerprint(t, dsn)
	again := loadFile(t, d, samplePath)
	if after := fingerprint(t, dsn); !maps.Equal(before, after) {
		t.Errorf("reload changed the store:\nbefore %v\nafter  %v", before, after)
	}
	if again.Loaded != first.Loaded || again.Updated != first.Loaded || again.Rejected != first.Rejected ||
		!maps.Equal(again.Warnings, first.Warnings) {
		t.Errorf("reload summary %+v, first %+v", again, first)
	}
	if w := releaseWarnings(t, d); len(w) != 2 || !maps.Equal(w[0], first.Warnings) || !maps.Equal(w[1], first.Warnings) {
		t.Errorf("release warnings %v, want %v twice", w, first.Warnings)
	}
}

// Two overlapping extracts leave what one extract of their union leaves.
func TestOverlappingFilesMatchOneLoad(t *testing.T) {
	whole := dbtest.NewDSN(t)
	loadFile(t, dbtest.Open(t, whole), samplePath)

	parts := dbtest.NewDSN(t)
	d := dbtest.Open(t, parts)
	a := loadFile(t, d, splitSample(t, 0, 1100)) // line 1084's warning
	b := loadFile(t, d, splitSample(t, 700, 1384))
	if a.Loaded != 1100 || b.Loaded != 684 || b.Updated != 400 || a.Updated != 0 {
		t.Errorf("parts: %+v / %+v", a, b)
	}
	if want, got := fingerprint(t, whole), fingerprint(t, parts); !maps.Equal(want, got) {
		t.Errorf("overlapping loads differ from one load:\nwhole %v\nparts %v", want, got)
	}
	// Each release counts the warnings of its own rows: both files hold
	// line 1084's, only the second holds line 1133's.
	w := releaseWarnings(t, d)
	if len(w) != 2 || !maps.Equal(w[1], map[string]int{"OPERTN_4_04": 1}) || !maps.Equal(w[0], map[string]int{"OPERTN_4_04": 1, "DIAG_4_06": 1}) {
		t.Errorf("release warnings %v", w)
	}
}

// cutReader stops the load part way through the file, as a kill would: it
// cancels the load's context once limit bytes have been read, and the
// database connection is dropped mid-transaction.
type cutReader struct {
	r      io.Reader
	n      int64
	limit  int64
	cancel context.CancelFunc
}

func (c *cutReader) Read(p []byte) (int, error) {
	if c.n >= c.limit {
		c.cancel()
		return 0, errors.New("killed")
	}
	if int64(len(p)) > c.limit-c.n {
		p = p[:c.limit-c.n]
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// A load stopped mid-file leaves nothing behind, and running it again
// gives what one clean load gives, warnings included.
func TestKilledLoadThenRerun(t *testing.T) {
	clean := dbtest.NewDSN(t)
	cd := dbtest.Open(t, clean)
	want := loadFile(t, cd, samplePath)

	dsn := dbtest.NewDSN(t)
	d := dbtest.Open(t, dsn)
	empty := fingerprint(t, dsn)
	f, err := os.Open(samplePath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err = load.Stream(ctx, d, "artificial_hes_apc_0102_sample.csv", &cutReader{r: f, limit: st.Size() * 3 / 4, cancel: cancel}, st.Size(),
		load.Options{BatchSize: 200, RejectsPath: filepath.Join(t.TempDir(), "rejects.csv")})
	if err == nil {
		t.Fatal("the stopped load succeeded")
	}
	if got := fingerprint(t, dsn); !maps.Equal(got, empty) {
		t.Errorf("a stopped load left data: %v", got)
	}
	if w := releaseWarnings(t, d); len(w) != 0 {
		t.Errorf("a stopped load left %d releases", len(w))
	}

	again := loadFile(t, d, samplePath)
	if again.Loaded != want.Loaded || again.Updated != 0 || !maps.Equal(again.Warnings, want.Warnings) {
		t.Errorf("rerun %+v, clean %+v", again, want)
	}
	if a, b := fingerprint(t, clean), fingerprint(t, dsn); !maps.Equal(a, b) {
		t.Errorf("rerun differs from a clean load:\nclean %v\nrerun %v", a, b)
	}
	if w := releaseWarnings(t, d); len(w) != 1 || !maps.Equal(w[0], want.Warnings) {
		t.Errorf("release warnings %v, want %v", w, want.Warnings)
	}
}
