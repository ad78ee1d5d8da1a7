package app_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hesgql/hesgql/db/dbtest"
	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/app"
	"github.com/hesgql/hesgql/internal/apptest"
	"github.com/hesgql/hesgql/internal/hes"
	"github.com/hesgql/hesgql/internal/load"
)

const statsSamplePath = "../../testdata/artificial_hes_apc_0102_sample.csv"

// statsServer serves the API over a fresh database holding the shared
// artificial sample, and returns a plain connection to that database.
func statsServer(t *testing.T) (*apptest.Server, *sql.DB) {
	t.Helper()
	dsn := dbtest.NewDSN(t)
	d := dbtest.Open(t, dsn)
	s := apptest.Start(t, d, app.Options{})
	sum, err := load.File(context.Background(), d, statsSamplePath, load.Options{RejectsPath: filepath.Join(t.TempDir(), "rejects.csv")})
	if err != nil {
		t.Fatalf("load sample: %v", err)
	}
	if sum.Loaded == 0 {
		t.Fatal("the sample loaded nothing")
	}
	conn, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return s, conn
}

// fceRow is one finished consultant episode as plain SQL reads it.
type fceRow struct {
	fyear, provider, sex, specialty, method, primary sql.NullString
	age, order                                       sql.NullInt64
	patient                                          int64
}

// readFCEs reads every finished consultant episode with hand-written SQL,
// independent of the statistics code.
func readFCEs(t *testing.T, conn *sql.DB) []fceRow {
	t.Helper()
	rows, err := conn.Query(`SELECT e.fyear, e.procode3, p.sex, e.tretspef, e.admimeth, e.primary_diag,
		e.start_age, e.epiorder, e.patient_id
		FROM episodes e JOIN patients p ON p.id = e.patient_id
		WHERE e.epistat = '3' AND (e.classpat IS NULL OR e.classpat NOT IN ('3', '4'))`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []fceRow
	for rows.Next() {
		var r fceRow
		if err := rows.Scan(&r.fyear, &r.provider, &r.sex, &r.specialty, &r.method, &r.primary, &r.age, &r.order, &r.patient); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// fceKey gives a dimension's key for an episode from the HES definitions.
func fceKey(dim string, r fceRow) string {
	null := "<null>"
	val := func(s sql.NullString) string {
		if !s.Valid {
			return null
		}
		return s.String
	}
	switch dim {
	case "FINANCIAL_YEAR":
		return val(r.fyear)
	case "PROVIDER":
		return val(r.provider)
	case "TREATMENT_SPECIALTY":
		return val(r.specialty)
	case "SEX":
		if sex := model.SexFromCode(r.sex.String); r.sex.Valid && sex != nil {
			return string(*sex)
		}
		return null
	case "AGE_BAND":
		switch a := r.age.Int64; {
		case !r.age.Valid:
			return null
		case a == 0:
			return "0"
		case a < 5:
			return "1-4"
		case a >= 90:
			return "90+"
		default:
			return fmt.Sprintf("%d-%d", a/5*5, a/5*5+4)
		}
	case "ADMISSION_METHOD_GROUP":
		m := r.method.String
		switch {
		case !r.method.Valid || m == "98" || m == "99":
			return "UNKNOWN"
		case slices.Contains([]string{"11", "12", "13"}, m):
			return "ELECTIVE"
		case slices.Contains([]string{"21", "22", "23", "24", "25", "26", "27", "28", "2A", "2B", "2C", "2D"}, m):
			return "EMERGENCY"
		case m == "31" || m == "32":
			return "MATERNITY"
		}
		return "OTHER"
	case "PRIMARY_DIAGNOSIS_CHAPTER":
		if numeral, _, ok := hes.ICD10Chapter(r.primary.String); r.primary.Valid && ok {
			return numeral
		}
		return null
	case "PRIMARY_DIAGNOSIS_3":
		if !r.primary.Valid {
			return null
		}
		return r.primary.String[:3]
	}
	panic("no reference for " + dim)
}

type fceCounts struct {
	episodes, admissions int
	patients             map[int64]bool
}

func referenceCounts(fces []fceRow, keep func(fceRow) bool, groupBy []string) map[string]*fceCounts {
	out := map[string]*fceCounts{}
	for _, r := range fces {
		if keep != nil && !keep(r) {
			continue
		}
		keys := make([]string, len(groupBy))
		for i, g := range groupBy {
			keys[i] = fceKey(g, r)
		}
		k := strings.Join(keys, "|")
		c := out[k]
		if c == nil {
			c = &fceCounts{patients: map[int64]bool{}}
			out[k] = c
		}
		c.episodes++
		if r.order.Valid && r.order.Int64 == 1 {
			c.admissions++
		}
		c.patients[r.patient] = true
	}
	return out
}

type statsCount struct {
	Value      *int
	Display    string
	Suppressed bool
}

type tabulation struct {
	Statistics struct {
		DisclosureControl bool
		Note              *string
		Rows              []struct {
			Keys                           []*string
			Episodes, Admissions, Patients statsCount
		}
	}
}

const statisticsQuery = `query($groupBy: [Dimension!]!, $filter: EpisodeFilter) {
  statistics(groupBy: $groupBy, filter: $filter) {
    disclosureControl note
    rows { keys episodes { value display suppressed } admissions { value display suppressed } patients { value display suppressed } }
  }
}`

// controlled is the published form of an exact count under the HES rule.
func controlled(n int) statsCount {
	if n >= 1 && n <= 7 {
		return statsCount{Display: "*", Suppressed: true}
	}
	v := (n + 2) / 5 * 5
	return statsCount{Value: &v, Display: strconv.Itoa(v)}
}

func exact(n int) statsCount { return statsCount{Value: &n, Display: strconv.Itoa(n)} }

func sameCount(a, b statsCount) bool {
	return a.Display == b.Display && a.Suppressed == b.Suppressed &&
		(a.Value == nil) == (b.Value == nil) && (a.Value == nil || *a.Value == *b.Value)
}

func (c statsCount) String() string {
	if c.Value == nil {
		return fmt.Sprintf("{null %q %v}", c.Display, c.Suppressed)
	}
	return fmt.Sprintf("{%d %q %v}", *c.Value, c.Display, c.Suppressed)
}

// Statistics over the shared sample match an independent count, exactly
// for ADMIN and under disclosure control for everyone else; no controlled
// answer ever shows a count of 1 to 7 or one that is not a multiple of 5.
func TestStatisticsMatchIndependentCount(t *testing.T) {
	s, conn := statsServer(t)
	fces := readFCEs(t, conn)
	tokens := map[string]string{
		"public":     apptest.NoToken,
		"RESEARCHER": s.Token(t, []model.Role{model.RoleResearcher}),
		"ADMIN":      s.Token(t, []model.Role{model.RoleAdmin}),
	}
	cases := []struct {
		groupBy []string
		filter  map[string]any
		keep    func(fceRow) bool
	}{
		{groupBy: []string{"FINANCIAL_YEAR"}},
		{groupBy: []string{"PROVIDER"}},
		{groupBy: []string{"SEX", "AGE_BAND"}},
		{groupBy: []string{"ADMISSION_METHOD_GROUP", "PRIMARY_DIAGNOSIS_CHAPTER"}},
		{groupBy: []string{"TREATMENT_SPECIALTY", "PRIMARY_DIAGNOSIS_3"}},
		{groupBy: []string{"PRIMARY_DIAGNOSIS_3", "SEX", "FINANCIAL_YEAR", "AGE_BAND", "PROVIDER",
			"TREATMENT_SPECIALTY", "ADMISSION_METHOD_GROUP", "PRIMARY_DIAGNOSIS_CHAPTER"}},
		{
			groupBy: []string{"AGE_BAND"},
			filter:  map[string]any{"patient": map[string]any{"sex": []string{"FEMALE"}}},
			keep:    func(r fceRow) bool { return r.sex.String == "2" },
		},
		{
			groupBy: []string{"SEX"},
			filter:  map[string]any{"startAge": map[string]any{"gte": 65}, "admissionMethod": map[string]any{"startsWith": "2"}},
			keep: func(r fceRow) bool {
				return r.age.Valid && r.age.Int64 >= 65 && strings.HasPrefix(r.method.String, "2")
			},
		},
	}
	suppressedSeen, roundedSeen := 0, 0
	for _, tc := range cases {
		want := referenceCounts(fces, tc.keep, tc.groupBy)
		for role, tok := range tokens {
			var got tabulation
			resp := s.Do(t, apptest.Request{Query: statisticsQuery, Token: tok,
				Variables: map[string]any{"groupBy": tc.groupBy, "filter": tc.filter}})
			if len(resp.Errors) > 0 {
				t.Fatalf("%s %v: %+v", role, tc.groupBy, resp.Errors)
			}
			if err := json.Unmarshal(resp.Data, &got); err != nil {
				t.Fatal(err)
			}
			st := got.Statistics
			isAdmin := role == "ADMIN"
			if st.DisclosureControl == isAdmin {
				t.Errorf("%s %v: disclosureControl = %v", role, tc.groupBy, st.DisclosureControl)
			}
			if st.Note == nil || *st.Note == "" {
				t.Errorf("%s %v: no note", role, tc.groupBy)
			}
			if len(st.Rows) != len(want) {
				t.Errorf("%s %v: %d rows, reference has %d groups", role, tc.groupBy, len(st.Rows), len(want))
			}
			for _, row := range st.Rows {
				keys := make([]string, len(row.Keys))
				for i, k := range row.Keys {
					keys[i] = "<null>"
					if k != nil {
						keys[i] = *k
					}
				}
				k := strings.Join(keys, "|")
				ref := want[k]
				if ref == nil {
					t.Errorf("%s %v: group %s is not in the reference", role, tc.groupBy, k)
					continue
				}
				for _, cell := range []struct {
					name string
					got  statsCount
					n    int
				}{
					{"episodes", row.Episodes, ref.episodes},
					{"admissions", row.Admissions, ref.admissions},
					{"patients", row.Patients, len(ref.patients)},
				} {
					expect := exact(cell.n)
					if !isAdmin {
						expect = controlled(cell.n)
						if v := cell.got.Value; v != nil && (*v%5 != 0 || (*v >= 1 && *v <= 7)) {
							t.Errorf("%s %v %s %s: controlled value %d", role, tc.groupBy, k, cell.name, *v)
						}
						if cell.got.Suppressed {
							suppressedSeen++
						} else if cell.got.Value != nil && *cell.got.Value != cell.n {
							roundedSeen++
						}
					}
					if !sameCount(cell.got, expect) {
						t.Errorf("%s %v %s %s: got %v, want %v (exact %d)", role, tc.groupBy, k, cell.name, cell.got, expect, cell.n)
					}
				}
			}
		}
	}
	if suppressedSeen == 0 || roundedSeen == 0 {
		t.Errorf("the cases never suppressed (%d) or rounded (%d) a count: they prove little", suppressedSeen, roundedSeen)
	}
}

func TestStatisticsRefusesBadGrouping(t *testing.T) {
	s := apptest.New(t)
	for _, tc := range []struct {
		vars  map[string]any
		field string
	}{
		{map[string]any{"groupBy": []string{}}, "groupBy"},
		{map[string]any{"groupBy": []string{"SEX", "PROVIDER", "SEX"}}, "groupBy[2]"},
		{map[string]any{"groupBy": []string{"SEX"}, "filter": map[string]any{"startAge": map[string]any{"gt": 1, "gte": 2}}}, "filter.startAge"},
		{map[string]any{"groupBy": []string{"POSTCODE"}}, ""},
	} {
		resp := s.Do(t, apptest.Request{Query: statisticsQuery, Variables: tc.vars, Token: apptest.NoToken})
		if len(resp.Errors) != 1 || resp.Errors[0].Code() != model.ErrBadUserInput {
			t.Errorf("%v: errors %+v, want one BAD_USER_INPUT", tc.vars, resp.Errors)
			continue
		}
		if f, _ := resp.Errors[0].Extensions["field"].(string); tc.field != "" && f != tc.field {
			t.Errorf("%v: field %q, want %q", tc.vars, f, tc.field)
		}
	}
}

func TestDataReleasesAfterLoading(t *testing.T) {
	s, conn := statsServer(t)
	raw, err := os.ReadFile(statsSamplePath)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	const q = `{ dataReleases { id fileName checksum financialYears rowsRead rowsLoaded rowsUpdated rowsRejected
		warningCount warnings { column count } loadedAt } }`
	type release struct {
		ID, FileName, Checksum                          string
		FinancialYears                                  []string
		RowsRead, RowsLoaded, RowsUpdated, RowsRejected int
		WarningCount                                    int
		Warnings                                        []struct {
			Column string
			Count  int
		}
		LoadedAt string
	}
	var got struct{ DataReleases []release }
	resp := s.Do(t, apptest.Request{Query: q, Token: apptest.NoToken})
	if len(resp.Errors) > 0 {
		t.Fatalf("dataReleases as the public: %+v", resp.Errors)
	}
	if err := json.Unmarshal(resp.Data, &got); err != nil {
		t.Fatal(err)
	}
	var stored int
	if err := conn.QueryRow("SELECT COUNT(*) FROM episodes").Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if len(got.DataReleases) != 1 {
		t.Fatalf("%d releases, want 1: %+v", len(got.DataReleases), got.DataReleases)
	}
	r := got.DataReleases[0]
	if r.ID == "" || r.FileName != filepath.Base(statsSamplePath) || r.Checksum != hex.EncodeToString(sum[:]) ||
		!slices.Equal(r.FinancialYears, []string{"0102"}) || r.RowsRead != 1384 ||
		r.RowsLoaded+r.RowsRejected != r.RowsRead || r.RowsLoaded != stored || r.RowsUpdated != 0 || r.LoadedAt == "" {
		t.Errorf("release = %+v; want the sample's name, checksum %x, year 0102, 1384 rows read, %d loaded", r, sum, stored)
	}
	// The sample's two damaged codes are cited by column.
	if r.WarningCount != 2 || len(r.Warnings) != 2 || r.Warnings[0].Column != "DIAG_4_06" || r.Warnings[1].Column != "OPERTN_4_04" {
		t.Errorf("release warnings %d %+v, want DIAG_4_06 and OPERTN_4_04", r.WarningCount, r.Warnings)
	}

	// A second extract is listed first, the sample still after it.
	apptest.LoadGenerated(t, s.DB, 500, 3)
	got.DataReleases = nil
	s.Query(t, q, nil, &got)
	if len(got.DataReleases) != 2 || got.DataReleases[0].FileName != "generated.txt" ||
		got.DataReleases[1].Checksum != r.Checksum || got.DataReleases[0].RowsLoaded != 500 {
		t.Errorf("after a second load: %+v", got.DataReleases)
	}
}

func TestCodeSearchOverHTTP(t *testing.T) {
	s := apptest.New(t)
	const q = `query($search: String, $first: Int, $after: String) {
  diagnosisCodes(search: $search, first: $first, after: $after) {
    totalCount edges { cursor node { code description chapter } } pageInfo { hasNextPage endCursor }
  }
}`
	type page struct {
		DiagnosisCodes struct {
			TotalCount int
			Edges      []struct {
				Cursor string
				Node   struct {
					Code, Description, Chapter string
				}
			}
			PageInfo struct {
				HasNextPage bool
				EndCursor   *string
			}
		}
	}
	var codes []string
	var after any
	total := -1
	for {
		var p page
		resp := s.Do(t, apptest.Request{Query: q, Token: apptest.NoToken,
			Variables: map[string]any{"search": "l40", "first": 3, "after": after}})
		if len(resp.Errors) > 0 {
			t.Fatalf("diagnosisCodes as the public: %+v", resp.Errors)
		}
		if err := json.Unmarshal(resp.Data, &p); err != nil {
			t.Fatal(err)
		}
		total = p.DiagnosisCodes.TotalCount
		for _, e := range p.DiagnosisCodes.Edges {
			if !strings.HasPrefix(e.Node.Code, "L40") || e.Node.Chapter != "XII" || e.Node.Description == "" || e.Cursor == "" {
				t.Errorf("unexpected code %+v", e.Node)
			}
			codes = append(codes, e.Node.Code)
		}
		if !p.DiagnosisCodes.PageInfo.HasNextPage {
			break
		}
		after = *p.DiagnosisCodes.PageInfo.EndCursor
	}
	if len(codes) < 4 || len(codes) != total || !slices.IsSorted(codes) {
		t.Errorf("L40 codes %v, totalCount %d", codes, total)
	}

	var words struct {
		ProcedureCodes struct {
			Nodes []struct{ Code, Description string }
		}
	}
	s.Query(t, `{ procedureCodes(search: "excision lesion skin", first: 100) { nodes { code description } } }`, nil, &words)
	if len(words.ProcedureCodes.Nodes) == 0 {
		t.Error("no procedure matches excision of a lesion of skin")
	}
	for _, n := range words.ProcedureCodes.Nodes {
		d := strings.ToLower(n.Description)
		if !strings.Contains(d, "excision") || !strings.Contains(d, "lesion") || !strings.Contains(d, "skin") {
			t.Errorf("%s %q does not have every word", n.Code, n.Description)
		}
	}

	resp := s.Do(t, apptest.Request{Query: q, Variables: map[string]any{"first": 101}})
	if len(resp.Errors) != 1 || resp.Errors[0].Code() != model.ErrBadUserInput {
		t.Errorf("first: 101 gave %+v, want BAD_USER_INPUT", resp.Errors)
	}
}

// The extract holds exactly the rows of the episodes listing, in its order,
// for the same filter and orderBy sent as the same JSON.
func TestExportMatchesGraphQLListing(t *testing.T) {
	s := apptest.New(t)
	apptest.LoadGenerated(t, s.DB, 3000, 17)
	filter := `{"or":[{"startAge":{"gte":70}},{"diagnosis":{"startsWith":"L4"}}],"episodeStart":{"gte":"2018-01-01"}}`
	orderBy := `[{"field":"PROVIDER_CODE","direction":"DESC"},{"field":"EPISODE_START"}]`
	var vars map[string]any
	if err := json.Unmarshal([]byte(`{"filter":`+filter+`,"orderBy":`+orderBy+`}`), &vars); err != nil {
		t.Fatal(err)
	}
	const q = `query($filter: EpisodeFilter, $orderBy: [EpisodeOrder!], $after: String) {
  episodes(filter: $filter, orderBy: $orderBy, first: 100, after: $after) {
    nodes { episodeKey financialYear providerCode episodeStart startAge }
    pageInfo { hasNextPage endCursor }
  }
}`
	var want [][]string
	for pages := 0; ; pages++ {
		var p struct {
			Episodes struct {
				Nodes []struct {
					EpisodeKey, FinancialYear  string
					ProviderCode, EpisodeStart *string
					StartAge                   *int
				}
				PageInfo struct {
					HasNextPage bool
					EndCursor   *string
				}
			}
		}
		s.Query(t, q, vars, &p)
		for _, n := range p.Episodes.Nodes {
			age := ""
			if n.StartAge != nil {
				age = strconv.Itoa(*n.StartAge)
			}
			want = append(want, []string{n.EpisodeKey, n.FinancialYear, str(n.ProviderCode), str(n.EpisodeStart), age})
		}
		if !p.Episodes.PageInfo.HasNextPage {
			break
		}
		vars["after"] = *p.Episodes.PageInfo.EndCursor
		if pages > 100 {
			t.Fatal("paging does not end")
		}
	}
	if len(want) < 100 {
		t.Fatalf("the filter matches %d episodes: too few to compare pages", len(want))
	}

	params := url.Values{"filter": {filter}, "orderBy": {orderBy}, "columns": {"episodeKey,financialYear,providerCode,episodeStart,startAge"}}
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/export/episodes.csv?"+params.Encode(), nil)
	req.Header.Set("Authorization", "Bearer "+s.Token(t, []model.Role{model.RoleResearcher}))
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("extract status %d", resp.StatusCode)
	}
	recs, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	got := recs[1:]
	if len(got) != len(want) {
		t.Fatalf("extract has %d rows, the listing %d", len(got), len(want))
	}
	for i := range got {
		if !slices.Equal(got[i], want[i]) {
			t.Fatalf("row %d: extract %v, listing %v", i, got[i], want[i])
		}
	}
}
