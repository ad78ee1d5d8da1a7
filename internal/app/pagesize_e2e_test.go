package app_test

import (
	"net/http"
	"testing"

	"github.com/hesgql/hesgql/db/dbtest"
	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/app"
	"github.com/hesgql/hesgql/internal/apptest"
)

// A page size over 100, or negative, is the caller's mistake in one
// argument: BAD_USER_INPUT naming it, before the cost check (which a
// first: 2147483647 would fail) and before any SQL.
func TestPageSizeLimit(t *testing.T) {
	s := apptest.Start(t, dbtest.New(t), app.Options{Logger: quietLogger()})
	apptest.LoadGenerated(t, s.DB, 50, 5)
	for name, c := range map[string]struct {
		query string
		vars  map[string]any
		msg   string
		path  string
	}{
		"FirstMaxInt32":  {`{ episodes(first: 2147483647) { nodes { id } } }`, nil, "first: must be at most 100", "episodes"},
		"First101":       {`{ patients(first: 101) { nodes { id } } }`, nil, "first: must be at most 100", "patients"},
		"Last101":        {`{ episodes(last: 101) { nodes { id } } }`, nil, "last: must be at most 100", "episodes"},
		"LastVar":        {`query($n: Int) { episodes(last: $n) { nodes { id } } }`, map[string]any{"n": 2147483647}, "last: must be at most 100", "episodes"},
		"FirstNegative":  {`{ episodes(first: -1) { nodes { id } } }`, nil, "first: must not be negative", "episodes"},
		"LastNegative":   {`query($n: Int) { patients(last: $n) { nodes { id } } }`, map[string]any{"n": -5}, "last: must not be negative", "patients"},
		"Nested":         {`{ patients(first: 100) { nodes { episodes(first: 1000) { nodes { patient { episodes(first: 100) { nodes { id } } } } } } } }`, nil, "first: must be at most 100", "patientsnodesepisodes"},
		"Codes":          {`{ diagnosisCodes(search: "psoriasis", first: 500) { nodes { code } } }`, nil, "first: must be at most 100", "diagnosisCodes"},
		"PublicCodesMax": {`{ procedureCodes(first: 2147483647) { nodes { code } } }`, nil, "first: must be at most 100", "procedureCodes"},
	} {
		t.Run(name, func(t *testing.T) {
			before := s.DB.StatementsTotal()
			resp := s.Do(t, apptest.Request{Query: c.query, Variables: c.vars})
			if len(resp.Errors) != 1 || resp.Errors[0].Code() != model.ErrBadUserInput || resp.Errors[0].Message != c.msg {
				t.Fatalf("status %d, errors %+v; want one BAD_USER_INPUT %q", resp.Status, resp.Errors, c.msg)
			}
			var path string
			for _, p := range resp.Errors[0].Path {
				path += p.(string)
			}
			if path != c.path {
				t.Errorf("path %v, want %s", resp.Errors[0].Path, c.path)
			}
			if resp.Status != http.StatusOK {
				t.Errorf("status %d, want 200 as for any invalid argument (application/json)", resp.Status)
			}
			if n := s.DB.StatementsTotal() - before; n != 0 {
				t.Errorf("%d SQL statements ran", n)
			}
		})
	}
	t.Run("AtLimitRuns", func(t *testing.T) {
		var out struct {
			Episodes struct{ Nodes []struct{ ID string } }
		}
		s.Query(t, `{ episodes(first: 100) { nodes { id } } }`, nil, &out)
		if len(out.Episodes.Nodes) != 50 {
			t.Errorf("first: 100 gave %d of the 50 episodes", len(out.Episodes.Nodes))
		}
	})
}
