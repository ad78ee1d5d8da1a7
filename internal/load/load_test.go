package load_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
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

const samplePath = "../../testdata/artificial_hes_apc_0102_sample.csv"

// counts returns row counts of the clinical tables, read with plain SQL.
func counts(t *testing.T, dsn string) map[string]int {
	t.Helper()
	conn, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	out := map[string]int{}
	for _, table := range []string{"patients", "episodes", "diagnoses", "procedures"} {
		var n int
		if err := conn.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[table] = n
	}
	var bad int
	err = conn.QueryRow(`SELECT (SELECT COUNT(*) FROM diagnoses WHERE code LIKE 'R69X%' OR code IN ('-', '&'))
		+ (SELECT COUNT(*) FROM procedures WHERE code IN ('-', '&', 'X998', 'X999') OR code LIKE '-%')`).Scan(&bad)
	if err != nil {
		t.Fatal(err)
	}
	out["placeholders"] = bad
	return out
}

func loadFile(t *testing.T, d *db.DB, path string) load.Summary {
	t.Helper()
	sum, err := load.File(context.Background(), d, path, load.Options{RejectsPath: filepath.Join(t.TempDir(), "rejects.csv")})
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	return sum
}

func TestLoadSample(t *testing.T) {
	dsn := dbtest.NewDSN(t)
	d := dbtest.Open(t, dsn)

	first := loadFile(t, d, samplePath)
	if first.Read != 1384 {
		t.Errorf("read %d rows, want 1384", first.Read)
	}
	// Every row has a usable EPIKEY, patient and FYEAR, so every row is an
	// episode; its two damaged codes are warnings.
	if first.Loaded != 1384 || first.Rejected != 0 || first.RejectsPath != "" {
		t.Errorf("loaded %d, rejected %d (%s); want every row loaded", first.Loaded, first.Rejected, first.RejectsPath)
	}
	if want := map[string]int{"OPERTN_4_04": 1, "DIAG_4_06": 1}; !maps.Equal(first.Warnings, want) {
		t.Errorf("warnings %v, want %v", first.Warnings, want)
	}
	if first.Updated != 0 {
		t.Errorf("first load updated %d episodes, want 0", first.Updated)
	}
	got := counts(t, dsn)
	if got["episodes"] != first.Loaded {
		t.Errorf("episodes table has %d rows, loaded %d", got["episodes"], first.Loaded)
	}
	if got["placeholders"] != 0 {
		t.Errorf("%d placeholder codes stored as data", got["placeholders"])
	}
	if got["diagnoses"] == 0 || got["procedures"] == 0 || got["patients"] == 0 {
		t.Errorf("counts look empty: %v", got)
	}

	// A quarterly refresh of the same extract replaces rather than duplicates.
	again := loadFile(t, d, samplePath)
	if again.Loaded != first.Loaded || again.Updated != first.Loaded || again.Rejected != first.Rejected {
		t.Errorf("reload: got %+v, want loaded=updated=%d rejected=%d", again, first.Loaded, first.Rejected)
	}
	if after := counts(t, dsn); !equalCounts(after, got) {
		t.Errorf("reload changed counts: before %v after %v", got, after)
	}

	releases, err := d.DataReleases(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(releases) != 2 || releases[0].Checksum != first.Checksum || releases[0].RowsRead != 1384 {
		t.Errorf("data releases = %+v", releases)
	}
	for _, r := range releases {
		got := map[string]int{}
		for _, w := range r.Warnings {
			got[w.Column] = w.Count
		}
		if !maps.Equal(got, first.Warnings) || r.WarningCount != 2 {
			t.Errorf("release %s warnings %v (total %d), want %v", r.ID, got, r.WarningCount, first.Warnings)
		}
	}
}

// The same rows pipe-delimited load into the same store.
func TestLoadPipeDelimitedMatchesCSV(t *testing.T) {
	pipe := filepath.Join(t.TempDir(), "sample.txt")
	rows := readCSV(t, samplePath)
	var b bytes.Buffer
	for _, r := range rows {
		b.WriteString(strings.Join(r, "|"))
		b.WriteByte('\n')
	}
	if err := os.WriteFile(pipe, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	csvDSN, pipeDSN := dbtest.NewDSN(t), dbtest.NewDSN(t)
	a := loadFile(t, dbtest.Open(t, csvDSN), samplePath)
	p := loadFile(t, dbtest.Open(t, pipeDSN), pipe)
	if a.Loaded != p.Loaded || a.Rejected != p.Rejected {
		t.Errorf("csv %+v vs pipe %+v", a, p)
	}
	if ca, cp := counts(t, csvDSN), counts(t, pipeDSN); !equalCounts(ca, cp) {
		t.Errorf("csv counts %v vs pipe counts %v", ca, cp)
	}
}

func TestLoadBadInput(t *testing.T) {
	d := dbtest.New(t)
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct {
		name, path, want string
	}{
		{"Unreadable", filepath.Join(dir, "missing.txt"), "no such file"},
		{"Directory", dir, "directory"},
		{"UnknownDelimiter", write("tab.txt", "EPIKEY\tPSEUDO_HESID\tFYEAR\tEPISTART\n1\tA\t0102\t2001-04-01\n"), "delimiter"},
		{"MissingColumns", write("cols.txt", "EPIKEY|FYEAR\n1|0102\n"), "EPISTART"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := load.File(context.Background(), d, c.path, load.Options{})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, c.want)
			}
		})
	}
	if n, err := d.EpisodeCount(context.Background()); err != nil || n != 0 {
		t.Errorf("after failed loads: %d episodes (err %v), want 0", n, err)
	}

	t.Run("TruncatedLastLine", func(t *testing.T) {
		p := write("trunc.txt", "EPIKEY|PSEUDO_HESID|FYEAR|EPISTART\n100000000001|P1|0102|2001-04-01\n100000000002|P2|01")
		sum := loadFile(t, d, p)
		if sum.Read != 2 || sum.Loaded != 1 || sum.Rejected != 1 {
			t.Errorf("summary %+v, want read 2 loaded 1 rejected 1", sum)
		}
	})

	t.Run("ReadErrorMidFileWritesNothing", func(t *testing.T) {
		before, _ := d.EpisodeCount(context.Background())
		var b strings.Builder
		b.WriteString("EPIKEY|PSEUDO_HESID|FYEAR|EPISTART\n")
		for i := 0; i < 5000; i++ {
			fmt.Fprintf(&b, "2000000%05d|P|0102|2001-04-01\n", i)
		}
		r := io.MultiReader(strings.NewReader(b.String()), errReader{})
		_, err := load.Stream(context.Background(), d, "broken.txt", r, 0, load.Options{BatchSize: 1000})
		if err == nil {
			t.Fatal("want an error from the broken stream")
		}
		if after, _ := d.EpisodeCount(context.Background()); after != before {
			t.Errorf("episodes %d -> %d after a failed load; want nothing written", before, after)
		}
	})
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func equalCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
