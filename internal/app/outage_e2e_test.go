package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/db/dbtest"
	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/app"
	"github.com/hesgql/hesgql/internal/apptest"
)

// tcpProxy forwards a loopback port to the database, and can be stopped
// (refusing connections and cutting open ones, as a database that died
// would) and started again on the same port.
type tcpProxy struct {
	target, addr string
	mu           sync.Mutex
	ln           net.Listener
	conns        map[net.Conn]bool
}

func newProxy(tb testing.TB, target string) *tcpProxy {
	tb.Helper()
	p := &tcpProxy{target: target, addr: "127.0.0.1:0", conns: map[net.Conn]bool{}}
	p.start(tb)
	tb.Cleanup(p.stop)
	return p
}

func (p *tcpProxy) start(tb testing.TB) {
	tb.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		tb.Fatalf("proxy listen: %v", err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.forward(c)
		}
	}()
}

func (p *tcpProxy) forward(c net.Conn) {
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	if !p.track(c, up) {
		return
	}
	go func() { _, _ = io.Copy(up, c); up.Close() }()
	_, _ = io.Copy(c, up)
	c.Close()
}

func (p *tcpProxy) track(conns ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln == nil {
		for _, c := range conns {
			c.Close()
		}
		return false
	}
	for _, c := range conns {
		p.conns[c] = true
	}
	return true
}

func (p *tcpProxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

// post sends a GraphQL query as a researcher and returns the status, the
// Retry-After header and the decoded body.
func post(t *testing.T, s *apptest.Server, token, query string) (int, string, apptest.Response) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"query": query})
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/graphql", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out apptest.Response
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("decode (%d): %v\n%s", resp.StatusCode, err, raw)
	}
	out.Body = raw
	return resp.StatusCode, resp.Header.Get("Retry-After"), out
}

const outageQuery = `{
  episodes(first: 20) { totalCount nodes { id episodeKey diagnoses { code description } procedures { code }
    patient { pseudoId episodes(first: 3) { nodes { episodeKey } } } } }
  statistics(groupBy: [SEX]) { rows { keys episodes { display } } }
  dataReleases { fileName }
  diagnosisCodes(search: "L40", first: 5) { nodes { code } }
}`

// With the database gone, a request gets one retryable UNAVAILABLE error
// (503 with Retry-After when nothing could be answered), the log says so at
// most once per request and at a bounded rate, and once the database is
// back the same requests succeed without a restart.
func TestDatabaseOutage(t *testing.T) {
	var logs logCapture
	reg := prometheus.NewRegistry()
	dsn := dbtest.NewDSN(t)
	apptest.LoadGenerated(t, dbtest.Open(t, dsn), 200, 5)
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newProxy(t, cfg.Addr)
	cfg.Addr = proxy.addr
	d, err := db.Open(context.Background(), cfg.FormatDSN(), db.Options{Logger: logs.logger(), CursorKey: []byte("test-cursor-key")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	s := apptest.Start(t, d, app.Options{Logger: logs.logger(), Registry: reg})
	token := s.Token(t, []model.Role{model.RoleResearcher})

	status, _, resp := post(t, s, token, outageQuery)
	if status != http.StatusOK || len(resp.Errors) > 0 {
		t.Fatalf("before the outage: %d %s", status, resp.Body)
	}
	var retry string
	var page struct {
		Episodes struct{ Nodes []struct{ ID string } }
	}
	if err := json.Unmarshal(resp.Data, &page); err != nil || len(page.Episodes.Nodes) == 0 {
		t.Fatalf("no episodes before the outage: %v %s", err, resp.Data)
	}

	proxy.stop()
	const requests = 40
	start := time.Now()
	for i := range requests {
		status, retry, resp = post(t, s, token, outageQuery)
		if i == 0 || i == requests-1 {
			if status != http.StatusServiceUnavailable || retry != strconv.Itoa(model.RetryAfterSeconds) {
				t.Errorf("status %d, Retry-After %q; want 503 with Retry-After", status, retry)
			}
			if len(resp.Errors) != 1 || resp.Errors[0].Code() != model.ErrUnavailable {
				t.Errorf("errors = %s, want one UNAVAILABLE", resp.Body)
			}
			if string(resp.Data) != "null" {
				t.Errorf("data = %s, want null", resp.Data)
			}
		}
	}
	took := time.Since(start)

	// What can be answered without the database still is, with a 200.
	status, retry, resp = post(t, s, token, `{ viewer { roles } episode(id: "`+page.Episodes.Nodes[0].ID+`") { episodeKey } }`)
	if status != http.StatusOK || retry != "" || len(resp.Errors) != 1 || resp.Errors[0].Code() != model.ErrUnavailable ||
		!strings.Contains(string(resp.Data), "RESEARCHER") {
		t.Errorf("partial answer: %d Retry-After %q %s; want 200, one UNAVAILABLE and the viewer", status, retry, resp.Body)
	}

	// The CSV extract answers the same way when it fails before streaming
	// (an identifiable extract counts and audits its patients first).
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/export/episodes.csv?columns=episodeKey,patient.nhsNumber", nil)
	req.Header.Set("Authorization", "Bearer "+s.Token(t, []model.Role{model.RoleAdmin}))
	xresp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	xbody, _ := io.ReadAll(xresp.Body)
	xresp.Body.Close()
	if xresp.StatusCode != http.StatusServiceUnavailable || xresp.Header.Get("Retry-After") != strconv.Itoa(model.RetryAfterSeconds) ||
		!strings.Contains(string(xbody), `"UNAVAILABLE"`) {
		t.Errorf("extract during the outage: %d Retry-After %q %s", xresp.StatusCode, xresp.Header.Get("Retry-After"), xbody)
	}

	// The driver's own complaints about the cut connections reach the
	// structured log, rate limited, instead of standard error.
	if n := len(logs.where(t, "WARN", "database driver")); n == 0 || n > 3+int(time.Since(start)/time.Second)+1 {
		t.Errorf("%d driver lines in the log; want some, rate limited", n)
	}

	if n := len(logs.where(t, "ERROR", "internal error")); n > 0 {
		t.Errorf("%d internal errors logged during the outage", n)
	}
	lines := len(logs.where(t, "ERROR", ""))
	// A burst, then one a second, however many requests fail.
	// (+1: the extract's own line.)
	if max := 3 + int(took/time.Second) + 2; lines == 0 || lines > max {
		t.Errorf("%d ERROR lines for %d failed requests in %v; want 1..%d", lines, requests+1, took, max)
	}
	if n := metricSum(t, reg, "hesgql_graphql_errors_total", map[string]string{"code": model.ErrUnavailable}); n != requests+1 {
		t.Errorf("UNAVAILABLE counted %v times, want once per request (%d)", n, requests+1)
	}
	if n := metricSum(t, reg, "hesgql_graphql_errors_total", map[string]string{"code": model.ErrInternal}); n != 0 {
		t.Errorf("INTERNAL counted %v times during the outage", n)
	}
	t.Logf("%d requests in %v during the outage: %d ERROR lines", requests+1, took, lines)

	proxy.start(t)
	back := time.Now()
	for {
		status, _, resp := post(t, s, token, outageQuery)
		if status == http.StatusOK && len(resp.Errors) == 0 {
			break
		}
		if time.Since(back) > 10*time.Second {
			t.Fatalf("no recovery 10s after the database returned: %d %s", status, resp.Body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("recovered %v after the database returned", time.Since(back))
}
