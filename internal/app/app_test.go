package app_test

import (
	"testing"

	"github.com/hesgql/hesgql/internal/apptest"
)

type episodePage struct {
	Episodes struct {
		Edges []struct {
			Cursor string
			Node   struct {
				ID         string
				EpisodeKey string
				Patient    struct{ PseudoID string }
				Diagnoses  []struct {
					Position int
					Code     string
				}
			}
		}
		PageInfo struct {
			HasNextPage bool
			EndCursor   *string
		}
	}
}

const pageQuery = `query($after: String) {
  episodes(first: 50, after: $after) {
    edges { cursor node { id episodeKey patient { pseudoId } diagnoses { position code } } }
    pageInfo { hasNextPage endCursor }
  }
}`

// Paging forward through every episode sees each loaded episode exactly
// once, with nested data batched into a bounded number of statements.
func TestEpisodesPageThroughEverything(t *testing.T) {
	s := apptest.New(t)
	sum := apptest.LoadGenerated(t, s.DB, 1200, 7)

	seen := map[string]bool{}
	var after any
	pages := 0
	for {
		before := s.DB.StatementsTotal()
		var page episodePage
		s.Query(t, pageQuery, map[string]any{"after": after}, &page)
		if n := s.DB.StatementsTotal() - before; n > 4 {
			t.Errorf("page %d took %d SQL statements, want at most 4", pages, n)
		}
		pages++
		for _, e := range page.Episodes.Edges {
			if seen[e.Node.EpisodeKey] {
				t.Fatalf("episode %s seen twice", e.Node.EpisodeKey)
			}
			seen[e.Node.EpisodeKey] = true
			if e.Node.Patient.PseudoID == "" {
				t.Errorf("episode %s has no patient", e.Node.EpisodeKey)
			}
			for i := 1; i < len(e.Node.Diagnoses); i++ {
				if e.Node.Diagnoses[i-1].Position >= e.Node.Diagnoses[i].Position {
					t.Errorf("episode %s diagnoses out of position order: %+v", e.Node.EpisodeKey, e.Node.Diagnoses)
				}
			}
		}
		if !page.Episodes.PageInfo.HasNextPage {
			break
		}
		after = *page.Episodes.PageInfo.EndCursor
		if pages > 1000 {
			t.Fatal("paging does not end")
		}
	}
	if len(seen) != sum.Loaded {
		t.Errorf("saw %d episodes, loaded %d", len(seen), sum.Loaded)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	s := apptest.New(t)
	for _, path := range []string{"/healthz", "/readyz", "/metrics", "/"} {
		resp, err := s.Client().Get(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("GET %s = %d, want 200", path, resp.StatusCode)
		}
	}
}
