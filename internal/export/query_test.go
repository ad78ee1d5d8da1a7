package export_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/hesgql/hesgql/db/dbtest"
	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/apptest"
	"github.com/hesgql/hesgql/internal/export"
)

// rawGet requests an extract with the query string exactly as given, which
// url.Values could not express when it is malformed.
func (s *exportServer) rawGet(t *testing.T, tok, rawQuery string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, s.URL+"/export/episodes.csv", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.URL.RawQuery = rawQuery
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

// A query string that does not parse is refused as a whole: dropping the
// pair that does not decode would silently widen the extract to every row.
func TestExportMalformedQueryString(t *testing.T) {
	d := dbtest.New(t)
	apptest.LoadGenerated(t, d, 300, 3)
	s := newExportServer(t, d, export.Options{})
	tok := token(t, "res", []model.Role{model.RoleResearcher})
	valid := "filter=" + url.QueryEscape(`{"providerCode":{"eq":"RWE"}}`)
	before := d.StatementsTotal()
	for _, tc := range []struct{ query, field string }{
		{"filter=%ZZ", "filter"},
		{"filter=%7B%22providerCode%22%3A%7B%22eq%22%3A%22RWE%22%7D%7D%ZZ", "filter"},
		{valid + ";columns=episodeKey", "query"},
		{"columns=episodeKey;" + valid, "query"},
		{valid + "&columns=episodeKey%ZZ", "columns"},
		{"columns=episodeKey&" + valid + "&orderBy=%G1", "orderBy"},
		{"%ZZ=1&" + valid, "query"},
		{valid + "&=1", "query"},
		{"filter=", "filter"},
		{"orderBy=", "orderBy"},
		{"filter=+", "filter"},
		{valid + "&" + valid, "filter"},
		{valid + "&limit=10", "limit"},
	} {
		status, body := s.rawGet(t, tok, tc.query)
		var e apiError
		if err := json.Unmarshal(body, &e); err != nil || len(e.Errors) != 1 {
			t.Errorf("?%s: status %d, body %.80q: want one coded JSON error", tc.query, status, body)
			continue
		}
		got := e.Errors[0]
		if status != http.StatusBadRequest || got.Extensions.Code != model.ErrBadUserInput || got.Extensions.Field != tc.field {
			t.Errorf("?%s: %d %s field %q (%s), want 400 BAD_USER_INPUT field %q",
				tc.query, status, got.Extensions.Code, got.Extensions.Field, got.Message, tc.field)
		}
	}
	if n := d.StatementsTotal() - before; n != 0 {
		t.Errorf("refused extracts ran %d statements", n)
	}

	// An explicit JSON null is the argument's own "no filter" and "default
	// order", as in GraphQL: the whole listing.
	all := s.fetch(t, tok, nil)
	if x := s.fetch(t, tok, url.Values{"filter": {"null"}, "orderBy": {"null"}}); len(x.rows) != len(all.rows) || len(all.rows) != 300 {
		t.Errorf("filter=null&orderBy=null: %d rows, the unfiltered extract %d, want 300", len(x.rows), len(all.rows))
	}
}
