package export_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/db/dbtest"
	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/apptest"
	"github.com/hesgql/hesgql/internal/auth"
	"github.com/hesgql/hesgql/internal/export"
	"github.com/hesgql/hesgql/internal/hes"
	"github.com/hesgql/hesgql/internal/load"
)

var testSecret = []byte("export-test-secret-at-least-32-bytes-long")

func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// exportServer serves the extract behind the real auth middleware. When a
// handler returns, returned receives a value if it has room.
type exportServer struct {
	*httptest.Server
	returned chan struct{}
}

func newExportServer(t *testing.T, d *db.DB, opts export.Options) *exportServer {
	t.Helper()
	v, err := auth.NewVerifier(context.Background(), auth.Config{Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	if opts.Logger == nil {
		opts.Logger = quietLogger()
	}
	if opts.Authorize == nil {
		opts.Authorize = export.ViewerAccess
	}
	h := auth.Middleware(v, quietLogger())(export.Handler(d, opts))
	s := &exportServer{returned: make(chan struct{}, 1)}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			select {
			case s.returned <- struct{}{}:
			default: // nobody is waiting for it
			}
		}()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func token(t *testing.T, subject string, roles []model.Role, orgs ...string) string {
	t.Helper()
	tok, err := auth.Mint(testSecret, auth.TokenSpec{Subject: subject, Roles: roles, Orgs: orgs, TTL: time.Hour}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (s *exportServer) request(ctx context.Context, t *testing.T, tok string, q url.Values) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/export/episodes.csv?"+q.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// extract is a CSV answer, read whole.
type extract struct {
	header []string
	rows   [][]string
}

func (x extract) column(name string) []string {
	i := slices.Index(x.header, name)
	out := make([]string, len(x.rows))
	for j, r := range x.rows {
		out[j] = r[i]
	}
	return out
}

// fetch requests an extract and fails the test unless it is a 200 CSV.
func (s *exportServer) fetch(t *testing.T, tok string, q url.Values) extract {
	t.Helper()
	resp := s.request(context.Background(), t, tok, q)
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %v: status %d: %s", q, resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="episodes-`) {
		t.Errorf("Content-Disposition = %q", cd)
	}
	recs, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil {
		t.Fatalf("read CSV: %v", err)
	}
	if len(recs) == 0 {
		t.Fatal("no header row")
	}
	return extract{header: recs[0], rows: recs[1:]}
}

type apiError struct {
	Errors []struct {
		Message    string
		Extensions struct{ Code, Field string }
	}
}

// refused requests an extract and returns the status and the error.
func (s *exportServer) refused(t *testing.T, tok string, q url.Values) (int, string, string) {
	t.Helper()
	resp := s.request(context.Background(), t, tok, q)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusOK {
		t.Fatalf("GET %v was not refused", q)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("error Content-Type = %q", ct)
	}
	var e apiError
	if err := json.Unmarshal(body, &e); err != nil || len(e.Errors) != 1 || e.Errors[0].Message == "" {
		t.Fatalf("error body %s is not one GraphQL-shaped error", body)
	}
	return resp.StatusCode, e.Errors[0].Extensions.Code, e.Errors[0].Extensions.Field
}

func sqlConn(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	conn, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func sqlStrings(t *testing.T, conn *sql.DB, query string, args ...any) []string {
	t.Helper()
	rows, err := conn.Query(query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s sql.NullString
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s.String)
	}
	return out
}

func sqlInt(t *testing.T, conn *sql.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := conn.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func cols(names ...string) url.Values { return url.Values{"columns": {strings.Join(names, ",")}} }

// The public and callers without a record-level role are refused; the
// application serves the route.
func TestExportRefusesThePublic(t *testing.T) {
	app := apptest.New(t)
	resp, err := app.Client().Get(app.URL + "/export/episodes.csv")
	if err != nil {
		t.Fatal(err)
	}
	var e apiError
	_ = json.NewDecoder(resp.Body).Decode(&e)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || len(e.Errors) != 1 || e.Errors[0].Extensions.Code != model.ErrUnauthenticated {
		t.Errorf("public GET on the application = %d %+v, want 401 UNAUTHENTICATED", resp.StatusCode, e)
	}

	s := newExportServer(t, app.DB, export.Options{})
	if status, code, _ := s.refused(t, "", nil); status != 401 || code != model.ErrUnauthenticated {
		t.Errorf("no token: %d %s, want 401 UNAUTHENTICATED", status, code)
	}
	if status, code, _ := s.refused(t, "not-a-token", nil); status != 401 || code != model.ErrUnauthenticated {
		t.Errorf("bad token: %d %s, want 401 UNAUTHENTICATED", status, code)
	}
	if status, code, _ := s.refused(t, token(t, "nobody", nil), nil); status != 403 || code != model.ErrForbidden {
		t.Errorf("no role: %d %s, want 403 FORBIDDEN", status, code)
	}
	// Without an Authorize function everyone is public.
	bare := httptest.NewServer(export.Handler(app.DB, export.Options{Logger: quietLogger()}))
	defer bare.Close()
	req, _ := http.NewRequest(http.MethodGet, bare.URL, nil)
	req.Header.Set("Authorization", "Bearer "+token(t, "admin", []model.Role{model.RoleAdmin}))
	resp, err = bare.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("without Authorize: %d, want 401", resp.StatusCode)
	}
}

func TestExportRolesAndScope(t *testing.T) {
	dsn := dbtest.NewDSN(t)
	d := dbtest.Open(t, dsn)
	apptest.LoadGenerated(t, d, 3000, 11)
	conn := sqlConn(t, dsn)
	s := newExportServer(t, d, export.Options{Audit: export.StoreAudit(d), BatchSize: 700})
	total := sqlInt(t, conn, "SELECT COUNT(*) FROM episodes")
	org := sqlStrings(t, conn, "SELECT procode3 FROM episodes WHERE procode3 IS NOT NULL GROUP BY procode3 ORDER BY COUNT(*) LIMIT 1")[0]
	inScope := sqlStrings(t, conn, `SELECT e.epikey FROM episodes e WHERE EXISTS
		(SELECT 1 FROM episodes s WHERE s.patient_id = e.patient_id AND s.procode3 = ?) ORDER BY e.id`, org)
	scopedPatients := sqlInt(t, conn, "SELECT COUNT(DISTINCT patient_id) FROM episodes WHERE procode3 = ?", org)
	if len(inScope) == 0 || len(inScope) == total {
		t.Fatalf("organisation %s has %d of %d episodes in scope: no test", org, len(inScope), total)
	}
	audits := func() int { return sqlInt(t, conn, "SELECT COUNT(*) FROM audit_log") }

	researcher := token(t, "res", []model.Role{model.RoleResearcher})
	x := s.fetch(t, researcher, nil)
	if !slices.Equal(x.header, db.DefaultExportColumns()) {
		t.Errorf("default header = %v", x.header)
	}
	if len(x.rows) != total {
		t.Errorf("researcher: %d rows, want %d", len(x.rows), total)
	}
	for _, c := range []string{"patient.nhsNumber", "patient.dateOfBirth", "patient.postcode"} {
		if status, code, field := s.refused(t, researcher, cols("episodeKey", c)); status != 403 || code != model.ErrForbidden || field != "columns" {
			t.Errorf("researcher asking for %s: %d %s %s, want 403 FORBIDDEN columns", c, status, code, field)
		}
	}
	if audits() != 0 {
		t.Errorf("pseudonymised or refused extracts were audited")
	}

	clinician := token(t, "clin", []model.Role{model.RoleClinician}, org)
	x = s.fetch(t, clinician, cols("episodeKey", "patient.pseudoId"))
	if got := x.column("episodeKey"); !slices.Equal(got, inScope) {
		t.Errorf("clinician without identifiable columns: %d rows, want the %d in scope", len(got), len(inScope))
	}
	x = s.fetch(t, clinician, cols("episodeKey", "patient.nhsNumber", "patient.dateOfBirth", "patient.postcode"))
	if got := x.column("episodeKey"); !slices.Equal(got, inScope) {
		t.Errorf("clinician with identifiable columns: %d rows, want the %d in scope", len(got), len(inScope))
	}
	if slices.Max(x.column("patient.nhsNumber")) == "" {
		t.Errorf("clinician got no NHS numbers")
	}
	var subject, fields string
	var patients int
	if err := conn.QueryRow("SELECT subject, fields, patient_count FROM audit_log ORDER BY id DESC LIMIT 1").Scan(&subject, &fields, &patients); err != nil {
		t.Fatalf("identifiable extract not audited: %v", err)
	}
	if subject != "clin" || fields != "Patient.dateOfBirth,Patient.nhsNumber,Patient.postcode" || patients != scopedPatients {
		t.Errorf("audit record = %s %s %d, want clin, the three fields sorted, %d patients", subject, fields, patients, scopedPatients)
	}

	// A clinician who is also a researcher sees every row pseudonymised,
	// but identifiable columns only for their own patients.
	both := token(t, "both", []model.Role{model.RoleClinician, model.RoleResearcher}, org)
	if x := s.fetch(t, both, cols("episodeKey")); len(x.rows) != total {
		t.Errorf("clinician-researcher, pseudonymised: %d rows, want %d", len(x.rows), total)
	}
	if x := s.fetch(t, both, cols("episodeKey", "patient.nhsNumber")); !slices.Equal(x.column("episodeKey"), inScope) {
		t.Errorf("clinician-researcher, identifiable: %d rows, want the %d in scope", len(x.rows), len(inScope))
	}

	admin := token(t, "adm", []model.Role{model.RoleAdmin})
	before := audits()
	x = s.fetch(t, admin, cols("episodeKey", "patient.nhsNumber", "patient.dateOfBirth"))
	if len(x.rows) != total {
		t.Errorf("admin: %d rows, want %d", len(x.rows), total)
	}
	want := sqlStrings(t, conn, "SELECT p.nhs_number FROM episodes e JOIN patients p ON p.id = e.patient_id ORDER BY e.id")
	if got := x.column("patient.nhsNumber"); !slices.Equal(got, want) {
		t.Errorf("admin NHS numbers differ from the store")
	}
	if audits() != before+1 {
		t.Errorf("admin identifiable extract wrote %d audit records, want 1", audits()-before)
	}

	// Identifiable columns are refused when their reading cannot be audited.
	noAudit := newExportServer(t, d, export.Options{})
	if status, code, _ := noAudit.refused(t, admin, cols("patient.nhsNumber")); status != 403 || code != model.ErrForbidden {
		t.Errorf("no audit configured: %d %s, want 403 FORBIDDEN", status, code)
	}
}

func TestExportBadParameters(t *testing.T) {
	d := dbtest.New(t)
	s := newExportServer(t, d, export.Options{})
	tok := token(t, "res", []model.Role{model.RoleResearcher})
	before := d.StatementsTotal()
	for _, tc := range []struct {
		query string
		field string
	}{
		{"columns=episodeKey,nope", "columns"},
		{"columns=episodeKey,,financialYear", "columns"},
		{"columns=episodeKey,episodeKey", "columns"},
		{"columns=", "columns"},
		{"filter=" + url.QueryEscape(`{"providerCode":`), "filter"},
		{"filter=" + url.QueryEscape(`{"providerCode":{"eq":"RWE"}} {}`), "filter"},
		{"filter=" + url.QueryEscape(`{"providerCod":{"eq":"RWE"}}`), "filter.providerCod"},
		{"filter=" + url.QueryEscape(`{"providerCode":{"eq":5}}`), "filter.providerCode.eq"},
		{"filter=" + url.QueryEscape(`{"episodeStart":{"gte":"2020-02-30"}}`), "filter.episodeStart.gte"},
		{"filter=" + url.QueryEscape(`{"startAge":{"gt":1.5}}`), "filter.startAge.gt"},
		{"filter=" + url.QueryEscape(`{"startAge":{"gt":10,"gte":11}}`), "filter.startAge"},
		{"filter=" + url.QueryEscape(`{"patient":{"sex":["MAN"]}}`), "filter.patient.sex[0]"},
		{"filter=" + url.QueryEscape(`{"diagnosis":{"eq":"not a code"}}`), "filter.diagnosis.eq"},
		{"filter=" + url.QueryEscape(`{"or":[]}`), "filter.or"},
		{"filter=" + url.QueryEscape(`[1]`), "filter"},
		{"orderBy=" + url.QueryEscape(`[{"field":"EPISODE_BEGIN"}]`), "orderBy[0].field"},
		{"orderBy=" + url.QueryEscape(`[{"direction":"DESC"}]`), "orderBy[0].field"},
		{"orderBy=" + url.QueryEscape(`[null]`), "orderBy[0]"},
		{"sort=epistart", "sort"},
		{"columns=episodeKey&columns=financialYear", "columns"},
	} {
		q, _ := url.ParseQuery(tc.query)
		status, code, field := s.refused(t, tok, q)
		if status != 400 || code != model.ErrBadUserInput || field != tc.field {
			t.Errorf("%s: %d %s field %q, want 400 BAD_USER_INPUT field %q", tc.query, status, code, field, tc.field)
		}
	}
	if n := d.StatementsTotal() - before; n != 0 {
		t.Errorf("refused extracts ran %d statements", n)
	}
}

// The filter and ordering accept what the episodes field accepts, dates,
// enums, nested filters and single values for lists included, and give the
// same rows in the same order as paging through the listing.
func TestExportFilterAndOrder(t *testing.T) {
	d := dbtest.New(t)
	apptest.LoadGenerated(t, d, 2500, 5)
	s := newExportServer(t, d, export.Options{BatchSize: 97})
	tok := token(t, "res", []model.Role{model.RoleResearcher})
	ctx := context.Background()
	str := func(v string) *string { return &v }
	num := func(v int) *int { return &v }
	date, _ := model.ParseDate("2019-04-01")
	desc, asc := model.SortDirectionDesc, model.SortDirectionAsc
	for _, tc := range []struct {
		filter, orderBy string
		f               *model.EpisodeFilter
		o               []*model.EpisodeOrder
	}{
		{},
		{
			filter:  `{"episodeStart":{"gte":"2019-04-01"},"patient":{"sex":"FEMALE"}}`,
			orderBy: `{"field":"EPISODE_START","direction":"DESC"}`,
			f:       &model.EpisodeFilter{EpisodeStart: &model.DateFilter{Gte: &date}, Patient: &model.PatientFilter{Sex: []model.Sex{model.SexFemale}}},
			o:       []*model.EpisodeOrder{{Field: model.EpisodeSortFieldEpisodeStart, Direction: &desc}},
		},
		{
			filter:  `{"or":[{"startAge":{"lt":18}},{"diagnosis":{"startsWith":"L4"}}]}`,
			orderBy: `[{"field":"PROVIDER_CODE"},{"field":"START_AGE","direction":"DESC"}]`,
			f: &model.EpisodeFilter{Or: []*model.EpisodeFilter{
				{StartAge: &model.IntFilter{Lt: num(18)}}, {Diagnosis: &model.CodeFilter{StartsWith: str("L4")}}}},
			o: []*model.EpisodeOrder{{Field: model.EpisodeSortFieldProviderCode}, {Field: model.EpisodeSortFieldStartAge, Direction: &desc}},
		},
		{
			filter:  `{"not":{"admissionMethod":{"in":["11","12","13"]}}}`,
			orderBy: `[{"field":"DISCHARGE_DATE","direction":"ASC"}]`,
			f:       &model.EpisodeFilter{Not: &model.EpisodeFilter{AdmissionMethod: &model.StringFilter{In: []string{"11", "12", "13"}}}},
			o:       []*model.EpisodeOrder{{Field: model.EpisodeSortFieldDischargeDate, Direction: &asc}},
		},
		{
			filter:  `{"patient":{"hasEpisode":{"procedure":{"startsWithAny":["S0","S1"]}}}}`,
			orderBy: `[{"field":"EPISODE_DURATION","direction":"DESC"},{"field":"FINANCIAL_YEAR"}]`,
			f: &model.EpisodeFilter{Patient: &model.PatientFilter{HasEpisode: &model.EpisodeFilter{
				Procedure: &model.CodeFilter{StartsWithAny: []string{"S0", "S1"}}}}},
			o: []*model.EpisodeOrder{{Field: model.EpisodeSortFieldEpisodeDuration, Direction: &desc}, {Field: model.EpisodeSortFieldFinancialYear}},
		},
	} {
		q := listingColumns()
		if tc.filter != "" {
			q.Set("filter", tc.filter)
		}
		if tc.orderBy != "" {
			q.Set("orderBy", tc.orderBy)
		}
		x := s.fetch(t, tok, q)
		want := walkListing(ctx, t, d, tc.f, tc.o)
		if len(want.rows) == 0 {
			t.Errorf("filter %s matches nothing: no test", tc.filter)
		}
		if got := x.column("episodeKey"); !slices.Equal(got, want.keys) {
			t.Errorf("filter %s order %s: %d rows differ from the %d of the listing", tc.filter, tc.orderBy, len(got), len(want.keys))
			continue
		}
		for i, r := range x.rows {
			if w := want.rows[i]; !slices.Equal(r, w) {
				t.Errorf("filter %s: row %d = %v, listing has %v", tc.filter, i, r, w)
				break
			}
		}
	}
}

// listingColumns are the extract columns walkListing renders, in its order.
func listingColumns() url.Values {
	return cols("episodeKey", "financialYear", "episodeStart", "startAge", "providerCode", "primaryDiagnosis",
		"diagnoses", "diagnosisClassifications", "procedures", "patient.sex")
}

// An extract of years coded in ICD-9 and ICD-10 says which classification
// each diagnosis uses, code by code, as the episodes field does.
func TestExportDiagnosisClassifications(t *testing.T) {
	d := dbtest.New(t)
	var buf bytes.Buffer
	if err := hes.Generate(&buf, hes.GenerateOptions{Seed: 4, Episodes: 600, FromYear: 1993}); err != nil {
		t.Fatal(err)
	}
	if _, err := load.Stream(context.Background(), d, "icd9.txt", &buf, 0, load.Options{}); err != nil {
		t.Fatal(err)
	}
	s := newExportServer(t, d, export.Options{BatchSize: 97})
	tok := token(t, "res", []model.Role{model.RoleResearcher})
	x := s.fetch(t, tok, listingColumns())
	want := walkListing(context.Background(), t, d, nil, nil)
	if !slices.Equal(x.column("episodeKey"), want.keys) {
		t.Fatalf("%d rows differ from the %d of the listing", len(x.rows), len(want.keys))
	}
	for i, r := range x.rows {
		if !slices.Equal(r, want.rows[i]) {
			t.Fatalf("row %d = %v, listing has %v", i, r, want.rows[i])
		}
	}
	seen := map[string]bool{}
	for _, c := range x.column("diagnosisClassifications") {
		for _, cls := range strings.Split(c, ";") {
			seen[cls] = true
		}
	}
	if !seen["ICD9"] || !seen["ICD10"] {
		t.Errorf("classifications seen %v, want ICD9 and ICD10", seen)
	}
}

// listing is an episode listing walked page by page through the same code
// as the episodes field, rendered as the extract renders it.
type listing struct {
	keys []string
	rows [][]string
}

func walkListing(ctx context.Context, t *testing.T, d *db.DB, filter *model.EpisodeFilter, order []*model.EpisodeOrder) listing {
	t.Helper()
	var out listing
	first := 100
	var after *string
	for {
		conn, err := d.ListEpisodes(ctx, model.EpisodeQuery{Filter: filter, OrderBy: order, Page: model.Page{First: &first, After: after}})
		if err != nil {
			t.Fatalf("list episodes: %v", err)
		}
		ids := make([]int64, len(conn.Nodes))
		pids := make([]int64, len(conn.Nodes))
		for i, e := range conn.Nodes {
			ids[i], pids[i] = e.RowID, e.PatientID
		}
		diags, err := d.DiagnosesByEpisode(ctx, ids)
		if err != nil {
			t.Fatal(err)
		}
		procs, err := d.ProceduresByEpisode(ctx, ids)
		if err != nil {
			t.Fatal(err)
		}
		pats, err := d.PatientsByID(ctx, pids)
		if err != nil {
			t.Fatal(err)
		}
		sex := map[int64]string{}
		for _, p := range pats {
			if p.Sex != nil {
				sex[p.RowID] = string(*p.Sex)
			}
		}
		for _, e := range conn.Nodes {
			str := func(s *string) string {
				if s == nil {
					return ""
				}
				return *s
			}
			date := func(d *model.Date) string {
				if d == nil {
					return ""
				}
				return d.String()
			}
			age := ""
			if e.StartAge != nil {
				age = strconv.Itoa(*e.StartAge)
			}
			var primary string
			var dcodes, dclasses, pcodes []string
			for _, x := range diags[e.RowID] {
				if x.Position == 1 && x.Classification == model.DiagnosisClassificationIcd10 {
					primary = x.Code
				}
				dcodes = append(dcodes, x.Code)
				dclasses = append(dclasses, string(x.Classification))
			}
			for _, x := range procs[e.RowID] {
				pcodes = append(pcodes, x.Code)
			}
			out.keys = append(out.keys, e.EpisodeKey)
			out.rows = append(out.rows, []string{e.EpisodeKey, e.FinancialYear, date(e.EpisodeStart), age,
				str(e.ProviderCode), primary, strings.Join(dcodes, ";"), strings.Join(dclasses, ";"), strings.Join(pcodes, ";"), sex[e.PatientID]})
		}
		if !conn.PageInfo.HasNextPage {
			return out
		}
		after = conn.PageInfo.EndCursor
	}
}
