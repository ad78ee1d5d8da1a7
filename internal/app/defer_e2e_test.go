package app_test

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/hesgql/hesgql/internal/apptest"
)

// Objects get an empty @defer group unless one of their fields is
// deferred (graph/marshal.go): a query that defers still runs, and the same
// query without @defer answers in full.
func TestDeferredFieldsStillResolve(t *testing.T) {
	s := apptest.New(t)
	apptest.LoadGenerated(t, s.DB, 50, 3)
	plain := s.Do(t, apptest.Request{Query: `{ episodes(first: 3) { nodes { episodeKey diagnoses { code } } } }`})
	if plain.Status != http.StatusOK || len(plain.Errors) > 0 || !bytes.Contains(plain.Data, []byte(`"diagnoses"`)) {
		t.Fatalf("plain query: %d %s", plain.Status, plain.Body)
	}
	deferred := s.Do(t, apptest.Request{Query: `{ episodes(first: 3) { nodes { episodeKey ... @defer { diagnoses { code } } } } }`})
	if deferred.Status != http.StatusOK || !bytes.Contains(deferred.Data, []byte(`"episodeKey"`)) {
		t.Fatalf("deferred query: %d %s", deferred.Status, deferred.Body)
	}
}
