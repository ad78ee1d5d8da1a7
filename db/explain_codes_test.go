package db_test

import (
	"context"
	"strings"
	"testing"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/graph/model"
)

// A listing in id order by broad code prefixes reads its page's ids from
// the driving code table's (code3, episode_id, code) index in index order,
// with no sort and no temporary table (which would mean reading every
// episode of the prefix before the LIMIT), checks the other code filter by
// a lookup on the same kind of index, and never scans episodes.
func TestExplainCodeDrivenListing(t *testing.T) { codeDrivenListingPlans(t, loadedSize) }

// codeDrivenListingPlans is the check at scale (planChecks runs it at 10M too).
func codeDrivenListingPlans(t *testing.T, scale planScale) {
	ctx := context.Background()
	dsn, conn := explainFixture(t, 3, scale)
	tap, tapped := newStatementTap(t, dsn)
	d := openExplainDB(t, tapped)

	code := func(p string) *model.CodeFilter { return &model.CodeFilter{StartsWith: ptr(p)} }
	w4 := &model.EpisodeFilter{Diagnosis: code("L40"), Procedure: code("S06")}
	page := func(f *model.EpisodeFilter, p model.Page, seek bool) func() error {
		return func() error {
			q := model.EpisodeQuery{Filter: f, Page: p}
			if !seek {
				_, err := d.ListEpisodes(ctx, q)
				return err
			}
			first, err := d.ListEpisodes(ctx, model.EpisodeQuery{Filter: f, Page: model.Page{First: ptr(20)}})
			if err != nil || first.PageInfo.EndCursor == nil {
				t.Fatalf("first page: %v", err)
			}
			tap.take()
			if p.Last != nil {
				q.Page.Before = first.PageInfo.EndCursor
			} else {
				q.Page.After = first.PageInfo.EndCursor
			}
			_, err = d.ListEpisodes(ctx, q)
			return err
		}
	}
	var org string
	if err := conn.QueryRow(`SELECT procode3 FROM episodes GROUP BY procode3 ORDER BY COUNT(*) DESC, procode3 LIMIT 1`).Scan(&org); err != nil {
		t.Fatal(err)
	}
	scoped := db.WithScope(ctx, &db.Scope{Orgs: []string{org}})
	shapes := []struct {
		name          string
		driver, other string // table aliases
		driverKey     string
		run           func() error
	}{
		{"W4 first page", "d1", "p2", "diagnoses_code3", page(w4, model.Page{First: ptr(50)}, false)},
		{"W4 after", "d1", "p2", "diagnoses_code3", page(w4, model.Page{First: ptr(50)}, true)},
		{"W4 last before", "d1", "p2", "diagnoses_code3", page(w4, model.Page{Last: ptr(20)}, true)},
		{"diagnosis L400", "d1", "", "diagnoses_code3", page(&model.EpisodeFilter{Diagnosis: code("L400")}, model.Page{First: ptr(50)}, false)},
		{"procedure S06 with specialty", "p1", "", "procedures_code3", page(&model.EpisodeFilter{Procedure: code("S06"),
			TreatmentSpecialty: &model.StringFilter{Eq: ptr("330")}}, model.Page{First: ptr(50)}, false)},
		{"W4 scoped", "d1", "p2", "diagnoses_code3", func() error {
			_, err := d.ListEpisodes(scoped, model.EpisodeQuery{Filter: w4, Page: model.Page{First: ptr(50)}})
			return err
		}},
	}
	for _, s := range shapes {
		t.Run(s.name, func(t *testing.T) {
			plan := explainOnly(t, tap, conn, s.run)
			seen := map[string]bool{}
			for _, r := range plan {
				seen[r["table"]] = true
				switch r["table"] {
				case "e":
					if r["type"] == "ALL" || r["type"] == "index" {
						t.Errorf("episodes are scanned: %s", r["type"])
					}
				case s.driver:
					if r["select_type"] != "DERIVED" || r["key"] != s.driverKey || (r["type"] != "ref" && r["type"] != "range") {
						t.Errorf("the driving code table is not read from %s: %v", s.driverKey, r)
					}
					if strings.Contains(r["extra"], "filesort") || strings.Contains(r["extra"], "temporary") {
						t.Errorf("the page's ids are sorted, not read in index order: %s", r["extra"])
					}
				case s.other:
					if !strings.HasSuffix(r["key"], "_code3") || r["type"] != "ref" {
						t.Errorf("the other code filter is not an index lookup: %v", r)
					}
				}
			}
			for _, a := range []string{"e", s.driver, s.other} {
				if a != "" && !seen[a] {
					t.Errorf("the plan has no row for %s", a)
				}
			}
		})
	}
}
