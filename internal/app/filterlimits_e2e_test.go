package app_test

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hesgql/hesgql/db/dbtest"
	"github.com/hesgql/hesgql/graph"
	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/app"
	"github.com/hesgql/hesgql/internal/apptest"
)

// notChain is an episode filter of n nested nots around startAge >= 65:
// n+2 objects deep (the filters and the IntFilter).
func notChain(n int) string {
	return strings.Repeat(`{"not":`, n) + `{"startAge":{"gte":65}}` + strings.Repeat("}", n)
}

// hasEpisodeChain is an episode filter of n patient.hasEpisode steps around
// financialYear = fy: 2n+2 objects deep.
func hasEpisodeChain(n int, fy string) string {
	return strings.Repeat(`{"patient":{"hasEpisode":`, n) + `{"financialYear":{"eq":"` + fy + `"}}` + strings.Repeat("}}", n)
}

// wideOr is an episode filter ORing n provider codes: 3n+2 values.
func wideOr(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf(`{"providerCode":{"eq":"R%03d"}}`, i)
	}
	return `{"or":[` + strings.Join(parts, ",") + `]}`
}

func jsonValue(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return v
}

// Filters too deep or too large for the database are refused as
// QUERY_TOO_COMPLEX, naming the field and the place, before any SQL, on
// every filter argument and in the extract; filters at the limit run.
func TestFilterLimits(t *testing.T) {
	dsn := dbtest.NewDSN(t)
	d := dbtest.Open(t, dsn)
	s := apptest.Start(t, d, app.Options{Logger: quietLogger()})
	apptest.LoadGenerated(t, d, 600, 17)
	conn, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	count := func(q string, args ...any) int {
		var n int
		if err := conn.QueryRow(q, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	researcher := s.Token(t, []model.Role{model.RoleResearcher})
	inList := make([]string, graph.DefaultMaxFilterNodes)
	for i := range inList {
		inList[i] = fmt.Sprintf("R%04d", i)
	}
	bigIn, _ := json.Marshal(map[string]any{"providerCode": map[string]any{"in": inList}})

	const (
		statistics = `query($f: EpisodeFilter) { statistics(filter: $f, groupBy: [SEX]) { rows { keys } } }`
		episodes   = `query($f: EpisodeFilter) { episodes(filter: $f) { totalCount } }`
		patients   = `query($f: EpisodeFilter) { patients(filter: {hasEpisode: $f}) { totalCount } }`
		nested     = `query($f: EpisodeFilter) { patients(first: 2) { nodes { episodes(filter: $f) { totalCount } } } }`
	)
	for name, c := range map[string]struct {
		query, filter, token string
		limit, path, field   string
	}{
		"PublicStatisticsNot1000":      {statistics, notChain(1000), apptest.NoToken, "filterDepth", "statistics", "filter" + strings.Repeat(".not", 12)},
		"PublicStatisticsHasEpisode40": {statistics, hasEpisodeChain(40, "1920"), apptest.NoToken, "filterDepth", "statistics", "filter" + strings.Repeat(".patient.hasEpisode", 6)},
		"EpisodesDepth13":              {episodes, notChain(11), researcher, "filterDepth", "episodes", "filter" + strings.Repeat(".not", 11) + ".startAge"},
		"EpisodesHasEpisode40":         {episodes, hasEpisodeChain(40, "1920"), researcher, "filterDepth", "episodes", ""},
		"PatientsHasEpisode":           {patients, hasEpisodeChain(6, "1920"), researcher, "filterDepth", "patients", ""},
		// Within the depth limit, but each relation level multiplies the
		// cost of what it holds (graph/filtercost.go).
		"EpisodesHasEpisode5Cost": {episodes, hasEpisodeChain(5, "1920"), researcher, "complexity", "", ""},
		"NestedEpisodes":          {nested, notChain(30), researcher, "filterDepth", "patients.nodes.episodes", ""},
		"PublicStatisticsWideOr":  {statistics, wideOr(700), apptest.NoToken, "filterSize", "statistics", "filter"},
		"EpisodesBigIn":           {episodes, string(bigIn), researcher, "filterSize", "episodes", "filter"},
	} {
		t.Run(name, func(t *testing.T) {
			before := d.StatementsTotal()
			resp := s.Do(t, apptest.Request{Query: c.query, Variables: map[string]any{"f": jsonValue(t, c.filter)}, Token: c.token})
			if len(resp.Errors) != 1 || resp.Errors[0].Code() != model.ErrTooComplex || resp.Errors[0].Extensions["limit"] != c.limit {
				t.Fatalf("status %d, errors %+v; want one QUERY_TOO_COMPLEX (%s)", resp.Status, resp.Errors, c.limit)
			}
			e := resp.Errors[0]
			if got := fmt.Sprint(e.Path...); strings.ReplaceAll(c.path, ".", "") != got {
				t.Errorf("path %v, want %s", e.Path, c.path)
			}
			if f, _ := e.Extensions["field"].(string); c.field != "" && f != c.field {
				t.Errorf("field %q, want %q", f, c.field)
			}
			if resp.Status != http.StatusOK {
				t.Errorf("status %d, want 200 as for any request error (application/json)", resp.Status)
			}
			if n := d.StatementsTotal() - before; n != 0 {
				t.Errorf("%d SQL statements ran for a refused filter", n)
			}
		})
	}

	// Inline literals are measured as variables are.
	t.Run("Literal", func(t *testing.T) {
		q := `{ statistics(filter: ` + strings.Repeat(`{not: `, 200) + `{startAge: {gte: 65}}` + strings.Repeat(`}`, 200) + `, groupBy: [SEX]) { rows { keys } } }`
		resp := s.Do(t, apptest.Request{Query: q, Token: apptest.NoToken})
		if len(resp.Errors) != 1 || resp.Errors[0].Extensions["limit"] != "filterDepth" {
			t.Fatalf("errors %+v; want one QUERY_TOO_COMPLEX (filterDepth)", resp.Errors)
		}
	})

	// At the limits the filters reach MariaDB, which answers them: the
	// limits sit below what the server refuses.
	t.Run("AtLimitRuns", func(t *testing.T) {
		old := count("SELECT COUNT(*) FROM episodes WHERE start_age >= 65")
		fy := "1920"
		ofYear := count(`SELECT COUNT(*) FROM episodes e WHERE e.patient_id IN (SELECT patient_id FROM episodes WHERE fyear = ?)`, fy)
		if old == 0 || ofYear == 0 {
			t.Fatalf("no data to test: %d old, %d of %s", old, ofYear, fy)
		}
		wantRows := count(`SELECT COUNT(*) FROM episodes WHERE procode3 IN ('R000','R001')`)
		for _, c := range []struct {
			filter string
			want   int
		}{
			{notChain(10), old},              // 12 deep
			{hasEpisodeChain(2, fy), ofYear}, // four relation levels: within the cost limit
			{wideOr(666), wantRows},          // 2,000 values
		} {
			var out struct{ Episodes struct{ TotalCount int } }
			s.Query(t, episodes, map[string]any{"f": jsonValue(t, c.filter)}, &out)
			if out.Episodes.TotalCount != c.want {
				t.Errorf("%.60s…: totalCount %d, want %d", c.filter, out.Episodes.TotalCount, c.want)
			}
		}
	})

	t.Run("Extract", func(t *testing.T) {
		for _, c := range []struct{ filter, limit string }{
			{notChain(1000), "filterDepth"},
			{hasEpisodeChain(40, "1920"), "filterDepth"},
			{wideOr(700), "filterSize"},
		} {
			before := d.StatementsTotal()
			req, _ := http.NewRequest(http.MethodGet, s.URL+"/export/episodes.csv?"+url.Values{"filter": {c.filter}}.Encode(), nil)
			req.Header.Set("Authorization", "Bearer "+researcher)
			resp, err := s.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var out apptest.Response
			if err := json.Unmarshal(body, &out); err != nil || resp.StatusCode != http.StatusUnprocessableEntity ||
				len(out.Errors) != 1 || out.Errors[0].Code() != model.ErrTooComplex {
				t.Errorf("%.40s…: status %d, body %.200s; want 422 QUERY_TOO_COMPLEX", c.filter, resp.StatusCode, body)
			}
			if f, _ := out.Errors[0].Extensions["field"].(string); !strings.HasPrefix(f, "filter") {
				t.Errorf("field %q, want the filter's path", f)
			}
			if n := d.StatementsTotal() - before; n != 0 {
				t.Errorf("%d SQL statements ran for a refused extract", n)
			}
		}
	})
}
