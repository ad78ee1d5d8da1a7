package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hesgql/hesgql/db/dbtest"
	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/app"
	"github.com/hesgql/hesgql/internal/apptest"
)

// A GraphQL request whose client goes away has its SQL stopped on the
// server, whatever path issued it: the statements wait on locked tables, the
// client gives up, and the process list must empty at once rather than when
// the server next happens to look at the closed socket.
func TestClientGoneKillsStatements(t *testing.T) {
	dsn := dbtest.NewDSN(t)
	s := apptest.Start(t, dbtest.Open(t, dsn), app.Options{Logger: quietLogger()})
	researcher := s.Token(t, []model.Role{model.RoleResearcher})
	watch := dbtest.LockTables(t, dsn, "episodes WRITE, patients WRITE, diagnoses WRITE, procedures WRITE, icd10_codes WRITE, opcs4_codes WRITE")

	cases := []struct{ name, token, query string }{
		{"Statistics", "", `{ statistics(groupBy: [FINANCIAL_YEAR]) { rows { keys episodes { display } } } }`},
		{"EpisodesWithCount", researcher, `{ episodes(first: 5, filter: { diagnosis: { startsWith: "L40" } }) { totalCount nodes { id } } }`},
		{"Patients", researcher, `{ patients(first: 5) { nodes { id episodes(first: 2) { nodes { id } } } } }`},
		{"CodeSearch", "", `{ diagnosisCodes(search: "psoriasis", first: 5) { nodes { code } } }`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			body, _ := json.Marshal(map[string]string{"query": c.query})
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/graphql", strings.NewReader(string(body)))
			req.Header.Set("Content-Type", "application/json")
			if c.token != "" {
				req.Header.Set("Authorization", "Bearer "+c.token)
			}
			done := make(chan error, 1)
			go func() {
				resp, err := s.Client().Do(req)
				if err == nil {
					resp.Body.Close()
				}
				done <- err
			}()
			running := dbtest.WaitRunning(t, watch, dsn, 5*time.Second)
			time.Sleep(dbtest.CancelAfter)
			cancel()
			if err := <-done; err == nil {
				t.Fatal("the request was answered while its tables were locked")
			}
			took := dbtest.WaitIdle(t, watch, dsn, dbtest.KillWithin)
			t.Logf("%d statement(s) (%.60q…) gone %v after the client left", len(running), running[0], took)
		})
	}
}
