package resolvers

import (
	"context"
	"sync"

	"github.com/99designs/gqlgen/graphql"

	"github.com/hesgql/hesgql/graph/model"
)

// prefetchEpisodes loads, in one batch each, the nested data that the
// current connection field selects for its episodes (patient, diagnoses,
// procedures). Without it, loaders would batch only what arrives within
// their wait window, and a page could cost a varying number of statements.
func prefetchEpisodes(ctx context.Context, episodes []*model.Episode) {
	if len(episodes) == 0 {
		return
	}
	want := selectedEpisodeFields(ctx)
	if len(want) == 0 {
		return
	}
	l := loadersFrom(ctx)
	episodeIDs := make([]int64, len(episodes))
	patientIDs := make([]int64, 0, len(episodes))
	seen := map[int64]bool{}
	for i, e := range episodes {
		episodeIDs[i] = e.RowID
		if !seen[e.PatientID] {
			seen[e.PatientID] = true
			patientIDs = append(patientIDs, e.PatientID)
		}
	}
	var wg sync.WaitGroup
	run := func(f func()) {
		wg.Add(1)
		go func() { defer wg.Done(); f() }()
	}
	// Errors are not lost: the loaders cache them and the field resolvers
	// report them on their own paths.
	if want["patient"] {
		run(func() { _, _ = l.patient.LoadAll(ctx, patientIDs) })
	}
	if want["diagnoses"] || want["primaryDiagnosis"] {
		run(func() { _, _ = l.diagnoses.LoadAll(ctx, episodeIDs) })
	}
	if want["procedures"] {
		run(func() { _, _ = l.procedures.LoadAll(ctx, episodeIDs) })
	}
	wg.Wait()
}

// selectedEpisodeFields returns the names of the fields selected on the
// episodes of the connection being resolved (under edges.node and nodes).
func selectedEpisodeFields(ctx context.Context) map[string]bool {
	oc := graphql.GetOperationContext(ctx)
	fc := graphql.GetFieldContext(ctx)
	if oc == nil || fc == nil {
		return nil
	}
	want := map[string]bool{}
	collect := func(sel []graphql.CollectedField) {
		for _, f := range sel {
			want[f.Name] = true
		}
	}
	for _, f := range graphql.CollectFields(oc, fc.Field.Selections, nil) {
		switch f.Name {
		case "nodes":
			collect(graphql.CollectFields(oc, f.Selections, nil))
		case "edges":
			for _, g := range graphql.CollectFields(oc, f.Selections, nil) {
				if g.Name == "node" {
					collect(graphql.CollectFields(oc, g.Selections, nil))
				}
			}
		}
	}
	return want
}
