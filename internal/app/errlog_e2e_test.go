package app_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/hesgql/hesgql/db/dbtest"
	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/app"
	"github.com/hesgql/hesgql/internal/apptest"
)

// An internal error's ERROR line names the request it happened in, with the
// id the caller was given in X-Request-Id.
func TestInternalErrorLogCarriesRequestID(t *testing.T) {
	var logs logCapture
	d := dbtest.New(t)
	s := apptest.Start(t, d, app.Options{Logger: logs.logger()})
	// A closed pool fails every statement with an error the caller cannot
	// act on: an internal error.
	d.Close()

	req, _ := http.NewRequest(http.MethodPost, s.URL+"/graphql", strings.NewReader(`{"query":"{ dataReleases { fileName } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+s.Token(t, []model.Role{model.RoleResearcher}))
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	id := resp.Header.Get("X-Request-Id")
	if id == "" {
		t.Fatal("no X-Request-Id in the response")
	}
	errs := logs.where(t, "ERROR", "internal error")
	if len(errs) == 0 {
		t.Fatalf("no internal error logged; log:\n%v", logs.lines(t))
	}
	for _, l := range errs {
		if l["request_id"] != id {
			t.Errorf("ERROR line request_id = %v, want %q: %v", l["request_id"], id, l)
		}
	}
	// The request line names it once, not twice.
	for _, l := range logs.raw() {
		if strings.Contains(l, `"msg":"request"`) && strings.Count(l, `"request_id"`) != 1 {
			t.Errorf("request line should name its id once: %s", l)
		}
	}
}
