package db_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/db/dbtest"
	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/hes"
)

// The plans checked here are those of the statements the store really
// sends: a relay between the store and the server records each query's
// text (the driver interpolates arguments client side, so the text is
// complete) and the test EXPLAINs it. Building the SELECT again in the test
// would need the listing builder factored out of ListEpisodes, and an
// internal test could not use dbtest or the loader anyway (import cycle).

// statementTap relays MySQL protocol traffic to the server and keeps the
// text of every COM_QUERY the client sends.
type statementTap struct {
	mu      sync.Mutex
	queries []string
}

const comQuery = 0x03

// newStatementTap starts a relay in front of the server of dsn and returns
// a DSN that goes through it.
func newStatementTap(t *testing.T, dsn string) (*statementTap, string) {
	t.Helper()
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	tap := &statementTap{}
	network, addr := cfg.Net, cfg.Addr
	go func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial(network, addr)
			if err != nil {
				client.Close()
				continue
			}
			go func() { io.Copy(client, server); client.Close() }()
			go tap.relay(client, server)
		}
	}()
	tapped := cfg.Clone()
	tapped.Net, tapped.Addr = "tcp", ln.Addr().String()
	return tap, tapped.FormatDSN()
}

// relay copies client packets to the server, noting queries. Commands
// start a sequence (id 0); the handshake answer does not, so it is never
// mistaken for one.
func (tap *statementTap) relay(client, server net.Conn) {
	defer server.Close()
	r := bufio.NewReader(client)
	for {
		var hdr [4]byte
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return
		}
		body := make([]byte, int(hdr[0])|int(hdr[1])<<8|int(hdr[2])<<16)
		if _, err := io.ReadFull(r, body); err != nil {
			return
		}
		if hdr[3] == 0 && len(body) > 0 && body[0] == comQuery {
			tap.mu.Lock()
			tap.queries = append(tap.queries, string(body[1:]))
			tap.mu.Unlock()
		}
		if _, err := server.Write(append(hdr[:], body...)); err != nil {
			return
		}
	}
}

// take returns the queries recorded since the last call.
func (tap *statementTap) take() []string {
	tap.mu.Lock()
	defer tap.mu.Unlock()
	q := tap.queries
	tap.queries = nil
	return q
}

// planRow is one row of a traditional EXPLAIN, by column name.
type planRow map[string]string

func explain(t *testing.T, conn *sql.DB, query string) []planRow {
	t.Helper()
	rows, err := conn.Query("EXPLAIN " + query)
	if err != nil {
		t.Fatalf("EXPLAIN %s: %v", query, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var plan []planRow
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		r := planRow{}
		for i, c := range cols {
			r[strings.ToLower(c)] = vals[i].String
		}
		plan = append(plan, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return plan
}

func formatPlan(plan []planRow) string {
	var b bytes.Buffer
	for _, r := range plan {
		fmt.Fprintf(&b, "\n    %-2s %-18s %-4s %-7s key=%-24s rows=%-6s %s",
			r["id"], r["select_type"], r["table"], r["type"], r["key"], r["rows"], r["extra"])
	}
	return b.String()
}

// planShape is one query shape the API emits.
type planShape struct {
	name string
	// main is the alias of the listed table in the statement.
	main string
	// indexOrder says an index serves the whole ORDER BY, so a sort of the
	// rows found would be a bad plan.
	indexOrder bool
	run        func(d *db.DB) error
}

// Every listing shape the API emits has a plan without a full scan of the
// listed table, and pages whose order an index serves are read in index
// order rather than sorted.
func TestExplainListingPlans(t *testing.T) { listingPlans(t, loadedSize) }

// listingPlans checks the listing plans with the optimiser's statistics
// at scale (planChecks runs it at 10M too).
func listingPlans(t *testing.T, scale planScale) {
	ctx := context.Background()
	dsn, conn := explainFixture(t, 3, scale)
	var patientID int64
	if err := conn.QueryRow(`SELECT patient_id FROM episodes GROUP BY patient_id ORDER BY COUNT(*) DESC, patient_id LIMIT 1`).Scan(&patientID); err != nil {
		t.Fatal(err)
	}
	// A page of patients, as Patient.episodes is asked for them together.
	pagePatients := firstPatientIDs(t, conn, 20)

	tap, tapped := newStatementTap(t, dsn)
	d := openExplainDB(t, tapped)

	// secondPage lists the first page, then returns the page after it, so
	// that the statement under test carries a seek predicate.
	secondPage := func(q model.EpisodeQuery, backward bool) func(*db.DB) error {
		return func(d *db.DB) error {
			q.Page = model.Page{First: ptr(20)}
			if backward {
				q.Page = model.Page{Last: ptr(20)}
			}
			first, err := d.ListEpisodes(ctx, q)
			if err != nil {
				return err
			}
			if first.PageInfo.EndCursor == nil {
				return fmt.Errorf("the first page is empty")
			}
			tap.take()
			q.Page = model.Page{First: ptr(20), After: first.PageInfo.EndCursor}
			if backward {
				q.Page = model.Page{Last: ptr(20), Before: first.PageInfo.StartCursor}
			}
			_, err = d.ListEpisodes(ctx, q)
			return err
		}
	}
	episodes := func(q model.EpisodeQuery) func(*db.DB) error {
		return func(d *db.DB) error {
			q.Page = model.Page{First: ptr(20)}
			_, err := d.ListEpisodes(ctx, q)
			return err
		}
	}
	patients := func(q model.PatientQuery, seek bool) func(*db.DB) error {
		return func(d *db.DB) error {
			q.Page = model.Page{First: ptr(20)}
			first, err := d.ListPatients(ctx, q)
			if err != nil || !seek {
				return err
			}
			tap.take()
			q.Page.After = first.PageInfo.EndCursor
			_, err = d.ListPatients(ctx, q)
			return err
		}
	}

	nested := func(q model.EpisodeQuery) func(*db.DB) error {
		return func(d *db.DB) error {
			q.Page = model.Page{First: ptr(5)}
			_, err := d.ListEpisodesForPatients(ctx, pagePatients, q)
			return err
		}
	}

	w1 := model.EpisodeQuery{
		Filter: &model.EpisodeFilter{
			TreatmentSpecialty: &model.StringFilter{In: []string{"330", "257"}},
			EpisodeStart: &model.DateFilter{
				Gte: &model.Date{Time: mustDate(t, "2021-04-01")},
				Lt:  &model.Date{Time: mustDate(t, "2022-04-01")},
			},
		},
		OrderBy: episodeOrder(model.EpisodeSortFieldEpisodeStart, model.SortDirectionDesc),
	}
	codes := model.EpisodeQuery{Filter: &model.EpisodeFilter{
		Diagnosis: &model.CodeFilter{StartsWith: ptr("L40")},
		Procedure: &model.CodeFilter{StartsWith: ptr("S06")},
	}}
	shapes := []planShape{
		{name: "default order", main: "e", indexOrder: true, run: episodes(model.EpisodeQuery{})},
		{name: "default order, after", main: "e", indexOrder: true, run: secondPage(model.EpisodeQuery{}, false)},
		{name: "default order, last before", main: "e", indexOrder: true, run: secondPage(model.EpisodeQuery{}, true)},
	}
	for _, f := range model.AllEpisodeSortField {
		for _, dir := range model.AllSortDirection {
			q := model.EpisodeQuery{OrderBy: episodeOrder(f, dir)}
			shapes = append(shapes,
				planShape{name: fmt.Sprintf("%s %s", f, dir), main: "e", indexOrder: true, run: episodes(q)},
				planShape{name: fmt.Sprintf("%s %s, after", f, dir), main: "e", indexOrder: true, run: secondPage(q, false)},
				planShape{name: fmt.Sprintf("%s %s, last before", f, dir), main: "e", indexOrder: true, run: secondPage(q, true)},
			)
		}
	}
	shapes = append(shapes,
		planShape{name: "W1 specialty and start range by start desc", main: "e", indexOrder: true, run: episodes(w1)},
		planShape{name: "W1, after", main: "e", indexOrder: true, run: secondPage(w1, false)},
		planShape{name: "W1 count", main: "e", run: func(d *db.DB) error { _, err := d.CountEpisodes(ctx, w1); return err }},
		planShape{name: "diagnosis L40 and procedure S06", main: "e", run: episodes(codes)},
		planShape{name: "diagnosis L40 and procedure S06, after", main: "e", run: secondPage(codes, false)},
		planShape{name: "not specialty", main: "e", indexOrder: true, run: episodes(model.EpisodeQuery{Filter: &model.EpisodeFilter{
			Not: &model.EpisodeFilter{TreatmentSpecialty: &model.StringFilter{Eq: ptr("330")}},
		}})},
		planShape{name: "patient.episodes for a page of patients", main: "e", run: nested(model.EpisodeQuery{Total: true})},
		planShape{name: "patient.episodes for a page of patients, by start desc", main: "e", run: nested(model.EpisodeQuery{
			OrderBy: episodeOrder(model.EpisodeSortFieldEpisodeStart, model.SortDirectionDesc),
			Filter:  &model.EpisodeFilter{TreatmentSpecialty: &model.StringFilter{Eq: ptr("330")}},
		})},
		planShape{name: "patient.episodes default order", main: "e", run: episodes(model.EpisodeQuery{PatientID: patientID})},
		planShape{name: "patient.episodes by start, after", main: "e", indexOrder: true, run: secondPage(model.EpisodeQuery{
			PatientID: patientID, OrderBy: episodeOrder(model.EpisodeSortFieldEpisodeStart, model.SortDirectionAsc),
		}, false)},
	)
	for _, f := range model.AllPatientSortField {
		for _, dir := range model.AllSortDirection {
			q := model.PatientQuery{OrderBy: []*model.PatientOrder{{Field: f, Direction: &dir}}}
			shapes = append(shapes,
				planShape{name: fmt.Sprintf("patients %s %s", f, dir), main: "p", indexOrder: true, run: patients(q, false)},
				planShape{name: fmt.Sprintf("patients %s %s, after", f, dir), main: "p", indexOrder: true, run: patients(q, true)},
			)
		}
	}
	shapes = append(shapes, planShape{name: "patients having a dermatology episode", main: "p", run: patients(model.PatientQuery{
		Filter: &model.PatientFilter{HasEpisode: &model.EpisodeFilter{TreatmentSpecialty: &model.StringFilter{Eq: ptr("330")}}},
	}, true)})

	for _, s := range shapes {
		t.Run(s.name, func(t *testing.T) {
			plan := explainOnly(t, tap, conn, func() error { return s.run(d) })
			found := false
			for _, r := range plan {
				if r["table"] != s.main {
					continue
				}
				found = true
				if r["type"] == "ALL" {
					t.Errorf("full scan of the listed table %s", s.main)
				}
				if s.indexOrder && (strings.Contains(r["extra"], "filesort") || strings.Contains(r["extra"], "temporary")) {
					t.Errorf("an index serves this order, but the plan sorts: %s", r["extra"])
				}
			}
			if !found {
				t.Errorf("the plan has no row for the listed table %s", s.main)
			}
		})
	}
}

// explainFixture loads 20,000 generated episodes into a fresh database and
// refreshes the optimiser's statistics, so that plans are those a real
// table of that size gets; scale then sets the statistics of another size
// (explain_10m_test.go). It returns the DSN and a plain connection.
func explainFixture(t *testing.T, seed int64, scale planScale) (string, *sql.DB) {
	t.Helper()
	dsn := dbtest.NewDSN(t)
	var buf bytes.Buffer
	if err := hes.Generate(&buf, hes.GenerateOptions{Seed: seed, Episodes: 20_000}); err != nil {
		t.Fatal(err)
	}
	loadExtract(t, dbtest.Open(t, dsn), "generated.txt", buf.String())
	conn, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := conn.Exec("ANALYZE TABLE " + strings.Join(growingTables, ", ")); err != nil {
		t.Fatal(err)
	}
	if scale.apply != nil {
		scale.apply(t, conn)
	}
	return dsn, conn
}

// explainOnly runs call, which must issue exactly one statement, and returns
// that statement's plan, logging both.
func explainOnly(t *testing.T, tap *statementTap, conn *sql.DB, call func() error) []planRow {
	t.Helper()
	tap.take()
	if err := call(); err != nil {
		t.Fatal(err)
	}
	queries := tap.take()
	if len(queries) != 1 {
		t.Fatalf("captured %d statements, want 1: %q", len(queries), queries)
	}
	plan := explain(t, conn, queries[0])
	t.Logf("%s%s", queries[0], formatPlan(plan))
	return plan
}

// firstPatientIDs is a page of patients in pseudo_id order, as
// Patient.episodes and Patient.spells are asked for them together.
func firstPatientIDs(t *testing.T, conn *sql.DB, n int) []int64 {
	t.Helper()
	rows, err := conn.Query(`SELECT id FROM patients ORDER BY pseudo_id LIMIT ?`, n)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return ids
}

// openExplainDB opens the API's database layer on dsn (a statement tap),
// closed when the test ends.
func openExplainDB(t *testing.T, dsn string) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), dsn, db.Options{CursorKey: []byte("explain"), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}
