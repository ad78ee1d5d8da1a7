package app_test

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/hesgql/hesgql/internal/apptest"
)

// tamper changes one byte inside a cursor, keeping it valid base64url, as
// a client editing the opaque string would.
func tamper(t *testing.T, cursor string) string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		t.Fatalf("cursor %q is not base64url: %v", cursor, err)
	}
	raw[len(raw)/2] ^= 0x20
	return base64.RawURLEncoding.EncodeToString(raw)
}

// wantFieldInputError checks that a response failed only at field with
// BAD_USER_INPUT: HTTP 200, the field null, no internal detail.
func wantFieldInputError(t *testing.T, resp apptest.Response, field string) {
	t.Helper()
	if resp.Status != 200 {
		t.Errorf("HTTP %d, want 200", resp.Status)
	}
	if len(resp.Errors) == 0 {
		t.Fatalf("no errors: %s", resp.Body)
	}
	e := resp.Errors[0]
	if e.Code() != "BAD_USER_INPUT" {
		t.Errorf("extensions.code = %q, want BAD_USER_INPUT (%s)", e.Code(), resp.Body)
	}
	if len(e.Path) == 0 || e.Path[0] != field {
		t.Errorf("error path %v, want it to start at %s", e.Path, field)
	}
	if !strings.Contains(e.Message, "cursor") || strings.Contains(strings.ToLower(e.Message), "sql") {
		t.Errorf("message %q should explain the cursor and show nothing of the database", e.Message)
	}
	// Guarded root fields are nullable: the field alone is null, the
	// response around it stands, and nothing of it leaks out.
	var data map[string]json.RawMessage
	if err := json.Unmarshal(resp.Data, &data); err != nil || data == nil {
		t.Fatalf("data = %s (%v), want an object with %s null", resp.Data, err, field)
	}
	if v, ok := data[field]; !ok || string(v) != "null" {
		t.Errorf("data.%s = %s, want null", field, v)
	}
}

// A tampered or misapplied cursor is the client's error over HTTP, never
// an internal one.
func TestTamperedCursorOverHTTP(t *testing.T) {
	s := apptest.New(t)
	apptest.LoadGenerated(t, s.DB, 200, 5)

	var first struct {
		Episodes struct {
			Edges []struct {
				Cursor string
				Node   struct {
					ID      string
					Patient struct {
						ID       string
						Episodes struct{ PageInfo struct{ EndCursor string } }
					}
				}
			}
			PageInfo struct{ EndCursor string }
		}
	}
	s.Query(t, `{ episodes(first: 2, orderBy: [{field: EPISODE_START}]) {
		edges { cursor node { id patient { id episodes(first: 1) { pageInfo { endCursor } } } } }
		pageInfo { endCursor } } }`, nil, &first)
	end := first.Episodes.PageInfo.EndCursor
	if end == "" {
		t.Fatal("no endCursor on the first page")
	}

	const next = `query($after: String) { episodes(first: 2, after: $after, orderBy: [{field: EPISODE_START}]) { edges { node { id } } } }`
	// The genuine cursor works, so the failures below are the cursor's.
	s.Query(t, next, map[string]any{"after": end}, nil)

	t.Run("tampered", func(t *testing.T) {
		wantFieldInputError(t, s.Do(t, apptest.Request{Query: next, Variables: map[string]any{"after": tamper(t, end)}}), "episodes")
	})
	t.Run("truncated", func(t *testing.T) {
		wantFieldInputError(t, s.Do(t, apptest.Request{Query: next, Variables: map[string]any{"after": end[:len(end)/2]}}), "episodes")
	})
	t.Run("another ordering", func(t *testing.T) {
		q := `query($before: String) { episodes(last: 2, before: $before, orderBy: [{field: EPISODE_START, direction: DESC}]) { edges { node { id } } } }`
		wantFieldInputError(t, s.Do(t, apptest.Request{Query: q, Variables: map[string]any{"before": end}}), "episodes")
	})
	t.Run("nested listing", func(t *testing.T) {
		p := first.Episodes.Edges[0].Node.Patient
		q := `query($id: ID!, $after: String) { patient(id: $id) { id episodes(first: 5, after: $after) { edges { node { id } } } } }`
		wantFieldInputError(t, s.Do(t, apptest.Request{Query: q, Variables: map[string]any{"id": p.ID, "after": tamper(t, p.Episodes.PageInfo.EndCursor)}}), "patient")
	})
}
