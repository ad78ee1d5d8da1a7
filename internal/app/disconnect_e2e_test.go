package app_test

import (
	"context"
	"database/sql"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/hesgql/hesgql/db/dbtest"
	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/app"
	"github.com/hesgql/hesgql/internal/apptest"
)

// A caller that goes away while its query runs is logged as a disconnect
// (debug for the failed fields, the request line with status 499), never as
// an internal error, and the error metric does not count it.
func TestClientDisconnectIsNotAnError(t *testing.T) {
	var logs logCapture
	reg := prometheus.NewRegistry()
	dsn := dbtest.NewDSN(t)
	d := dbtest.Open(t, dsn)
	s := apptest.Start(t, d, app.Options{Logger: logs.logger(), Registry: reg})

	// Hold a write lock on the table the query reads, so that the query is
	// still waiting when the client gives up.
	admin, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	lock, err := admin.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lock.ExecContext(context.Background(), "LOCK TABLES data_releases WRITE"); err != nil {
		t.Fatal(err)
	}
	unlock := func() {
		if lock != nil {
			_, _ = lock.ExecContext(context.Background(), "UNLOCK TABLES")
			lock.Close()
			lock = nil
		}
	}
	t.Cleanup(unlock)

	// The client gives up once the query is seen waiting for the lock.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		defer cancel()
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			var n int
			err := admin.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND INFO LIKE '%data_releases%' AND STATE LIKE '%lock%'").Scan(&n)
			if err != nil || n > 0 {
				return
			}
		}
	}()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/graphql", strings.NewReader(`{"query":"{ dataReleases { fileName } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+s.Token(t, []model.Role{model.RoleResearcher}))
	if resp, err := s.Client().Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("the request was answered (%d) though its table is locked", resp.StatusCode)
	}

	var line map[string]any
	for deadline := time.Now().Add(10 * time.Second); line == nil && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, l := range logs.lines(t) {
			if strings.HasPrefix(l["msg"].(string), "request") && l["path"] == "/graphql" {
				line = l
			}
		}
	}
	if line == nil {
		t.Fatalf("no request line logged after the disconnect; log:\n%s", strings.Join(logs.raw(), "\n"))
	}
	if line["msg"] != "request: client went away" || line["level"] != "INFO" || line["status"] != float64(499) {
		t.Errorf("request line = %v, want INFO \"request: client went away\" with status 499", line)
	}
	if errs := logs.where(t, "ERROR", ""); len(errs) > 0 {
		t.Errorf("a disconnect was logged at ERROR: %v", errs)
	}
	if len(logs.where(t, "DEBUG", "client went away")) == 0 {
		t.Errorf("the abandoned field was not logged at debug; log:\n%s", strings.Join(logs.raw(), "\n"))
	}
	if n := metricSum(t, reg, "hesgql_graphql_errors_total", nil); n != 0 {
		t.Errorf("hesgql_graphql_errors_total = %v after a disconnect, want 0", n)
	}
	if n := metricSum(t, reg, "hesgql_http_request_duration_seconds", map[string]string{"route": "/graphql", "status": "200"}); n != 0 {
		t.Errorf("the disconnect was recorded as status 200 (%v)", n)
	}
	if n := metricSum(t, reg, "hesgql_http_request_duration_seconds", map[string]string{"route": "/graphql", "status": "499"}); n != 1 {
		t.Errorf("requests recorded as 499 = %v, want 1", n)
	}

	// Errors of callers who stay are counted by code.
	unlock()
	resp := s.Do(t, apptest.Request{Query: `{ episodes(first: 1, after: \"not-a-cursor\") { totalCount } }`})
	if len(resp.Errors) != 1 || resp.Errors[0].Code() != model.ErrBadUserInput {
		t.Fatalf("errors = %+v, want one BAD_USER_INPUT", resp.Errors)
	}
	if n := metricSum(t, reg, "hesgql_graphql_errors_total", map[string]string{"code": model.ErrBadUserInput}); n != 1 {
		t.Errorf("hesgql_graphql_errors_total{code=BAD_USER_INPUT} = %v, want 1", n)
	}
}

// metricSum adds up the counters (or histogram sample counts) of the
// family name whose labels include want.
func metricSum(tb testing.TB, reg *prometheus.Registry, name string, want map[string]string) float64 {
	tb.Helper()
	fams, err := reg.Gather()
	if err != nil {
		tb.Fatal(err)
	}
	var sum float64
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	metrics:
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			for k, v := range want {
				if labels[k] != v {
					continue metrics
				}
			}
			sum += value(m)
		}
	}
	return sum
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	}
	return 0
}
