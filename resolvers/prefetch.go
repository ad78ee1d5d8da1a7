package resolvers

import (
	"context"
	"encoding/json"
	"slices"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/graph/model"
)

// listEpisodes answers a root episode listing: it reads only the columns
// the query selects, then the page's nested data in one batch each.
func (r *Resolver) listEpisodes(ctx context.Context, q model.EpisodeQuery) (*model.EpisodeConnection, error) {
	q.Fields, q.Total = connectionSelection(ctx)
	conn, err := r.DB.ListEpisodes(ctx, q)
	if err != nil {
		return nil, err
	}
	r.prefetchEpisodes(ctx, conn.Nodes)
	return conn, nil
}

// patientEpisodes answers Patient.episodes. When the patient is one of a
// list (a page of patients, or the patients of a page of episodes), the
// first sibling to resolve fetches the same listing for every patient of
// the list in one statement and the others take their share, so a page
// costs a fixed number of statements however many patients it has.
func (r *Resolver) patientEpisodes(ctx context.Context, p *model.Patient, q model.EpisodeQuery) (*model.EpisodeConnection, error) {
	q.PatientID = p.RowID
	shape := loadersFrom(ctx).nestedShape(ctx, q)
	q.Fields, q.Total, q.NoCursors = shape.fields, shape.total, shape.noCursors
	// A cursor continues one patient's listing only, so it is not batched.
	if q.Page.After == nil && q.Page.Before == nil {
		if ids, shared := siblingPatients(ctx); len(ids) > 1 && slices.Contains(ids, p.RowID) {
			if key, ok := shape.key, shape.keyed; ok {
				c, err := sharedNested(shared, key, ids, p.RowID,
					func() (map[int64]*model.EpisodeConnection, error) {
						return r.DB.ListEpisodesForPatients(ctx, ids, q)
					},
					func(c *model.EpisodeConnection) []*model.Episode { return c.Nodes },
					func(nodes []*model.Episode) { r.prefetchEpisodes(ctx, nodes) })
				if err != nil || c != nil {
					return c, err
				}
			}
		}
	}
	conn, err := r.DB.ListEpisodes(ctx, q)
	if err != nil {
		return nil, err
	}
	r.prefetchEpisodes(ctx, conn.Nodes)
	return conn, nil
}

// nested is the shared result of one batched nested listing.
type nested[C any] struct {
	conns map[int64]C
	err   error
}

// sharedNested answers one patient's nested listing from a statement shared
// by its siblings: the first sibling to ask runs list for every patient on
// the page and prefetches what the listed nodes need; the others take their
// share. A nil connection means the patient was not among them.
func sharedNested[C comparable, N any](shared *model.Memo, key string, ids []int64, id int64,
	list func() (map[int64]C, error), nodesOf func(C) []N, prefetch func([]N)) (C, error) {
	res, _ := shared.Do(key, func() any {
		conns, err := list()
		if err != nil {
			return nested[C]{err: err}
		}
		var nodes []N
		var none C
		for _, pid := range ids {
			if c := conns[pid]; c != none {
				nodes = append(nodes, nodesOf(c)...)
			}
		}
		prefetch(nodes)
		return nested[C]{conns: conns}
	}).(nested[C])
	return res.conns[id], res.err
}

// listingShape is what a nested listing field's selection and arguments
// make of its query, the same for every parent the field is resolved on:
// worked out once per field of the operation (loaders.nestedShape), not
// once per patient of a page.
type listingShape struct {
	fields           map[string]bool
	total, noCursors bool
	key              string // nestedKey's, when keyed
	keyed            bool
}

// nestedShape returns the shape of the nested listing field being
// resolved, whose query without the parent is q.
func (l *loaders) nestedShape(ctx context.Context, q model.EpisodeQuery) listingShape {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil {
		return makeShape(ctx, q)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if s, ok := l.shapes[fc.Field.Field]; ok {
		return s
	}
	s := makeShape(ctx, q)
	if l.shapes == nil {
		l.shapes = map[*ast.Field]listingShape{}
	}
	l.shapes[fc.Field.Field] = s
	return s
}

func makeShape(ctx context.Context, q model.EpisodeQuery) listingShape {
	var s listingShape
	s.fields, s.total = connectionSelection(ctx)
	s.noCursors = !selectsCursors(ctx)
	q.Fields, q.Total, q.NoCursors = s.fields, s.total, s.noCursors
	s.key, s.keyed = nestedKey(q)
	return s
}

// nestedKey identifies a nested listing among the siblings: two fields
// (aliases) with other arguments or selections are batched apart.
func nestedKey(q model.EpisodeQuery) (string, bool) {
	fields := make([]string, 0, len(q.Fields))
	for f := range q.Fields {
		fields = append(fields, f)
	}
	slices.Sort(fields)
	b, err := json.Marshal([]any{"episodes", q.Filter, q.OrderBy, q.Page.First, q.Page.Last, fields, q.Fields == nil, q.Total, q.NoCursors})
	return string(b), err == nil
}

// siblingPatients finds the list that the patient being resolved belongs
// to and returns the ids of all its patients with the work memo of the
// connection holding that list. It looks no further than the nearest list,
// reached through list items, edge nodes and episode patients; anything
// else means there is nothing to batch with.
func siblingPatients(ctx context.Context) ([]int64, *model.Memo) {
	return siblingList(ctx, "patients", func(result any) ([]int64, bool) {
		var ids []int64
		switch list := result.(type) {
		case []*model.Patient:
			for _, x := range list {
				ids = append(ids, x.RowID)
			}
		case []*model.PatientEdge:
			for _, x := range list {
				ids = append(ids, x.Node.RowID)
			}
		case []*model.Episode:
			for _, x := range list {
				ids = append(ids, x.PatientID)
			}
		case []*model.EpisodeEdge:
			for _, x := range list {
				ids = append(ids, x.Node.PatientID)
			}
		case *model.Patient, **model.Patient, **model.PatientEdge, **model.EpisodeEdge, **model.Episode:
			return nil, true // the item, or the edge or episode leading to it
		}
		slices.Sort(ids)
		return slices.Compact(ids), false
	})
}

// siblingList walks up from the field being resolved, at most four levels,
// to the nearest list held by a connection, and returns the ids that pick
// takes from it with the connection's work memo. pick answers walk for a
// result that only leads to the list (an item, an edge) and no ids for
// anything else, which means there is nothing to batch with. Every
// sibling finds the same list: what pick took from it is kept under kind
// for the others (loaders.siblings), who must not change the ids.
func siblingList(ctx context.Context, kind string, pick func(result any) (ids []int64, walk bool)) ([]int64, *model.Memo) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return nil, nil
	}
	l, _ := ctx.Value(loadersKey{}).(*loaders)
	for p, depth := fc.Parent, 0; p != nil && depth < 4; p, depth = p.Parent, depth+1 {
		if found, ok := l.sibling(p, kind); ok {
			return found.ids, found.shared
		}
		ids, walk := pick(p.Result)
		if walk {
			continue
		}
		if ids == nil || p.Parent == nil {
			return nil, nil
		}
		var shared *model.Memo
		switch c := p.Parent.Result.(type) {
		case *model.PatientConnection:
			shared = &c.Shared
		case *model.EpisodeConnection:
			shared = &c.Shared
		default:
			return nil, nil
		}
		l.keepSibling(p, kind, siblings{ids, shared})
		return ids, shared
	}
	return nil, nil
}

// prefetchEpisodes loads, in one statement each and concurrently, the
// nested data that the current connection field selects for its episodes
// (patient, diagnoses, procedures) and primes the request's loaders with
// it. Without it, loaders would batch only what arrives within their wait
// window, and a page would cost a varying number of statements and wait
// for the window to close.
func (r *Resolver) prefetchEpisodes(ctx context.Context, episodes []*model.Episode) {
	if len(episodes) == 0 {
		return
	}
	want, _ := connectionSelection(ctx)
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
	var jobs []func(context.Context)
	// A failed batch primes nothing: the field resolvers then load through
	// the loaders and report the error on their own paths.
	if want["patient"] {
		jobs = append(jobs, func(ctx context.Context) {
			ps, err := r.DB.PatientsByID(ctx, patientIDs)
			if err == nil {
				for _, p := range ps {
					l.patient.Prime(p.RowID, p)
				}
			}
		})
	}
	if want["diagnoses"] || want["primaryDiagnosis"] {
		jobs = append(jobs, func(ctx context.Context) {
			m, err := r.DB.DiagnosesByEpisode(ctx, episodeIDs)
			if err == nil {
				primeLists(l.diagnoses.Prime, episodeIDs, m)
			}
		})
	}
	if want["procedures"] {
		jobs = append(jobs, func(ctx context.Context) {
			m, err := r.DB.ProceduresByEpisode(ctx, episodeIDs)
			if err == nil {
				primeLists(l.procedures.Prime, episodeIDs, m)
			}
		})
	}
	switch len(jobs) {
	case 0:
	case 1:
		jobs[0](ctx)
	default:
		// The first job runs here, on a stack already grown to the
		// depth of a statement: a new goroutine's grows, by copying,
		// on its first statement.
		ctx = db.ConcurrentGroup(ctx)
		var wg sync.WaitGroup
		for _, job := range jobs[1:] {
			wg.Add(1)
			go func() { defer wg.Done(); job(ctx) }()
		}
		jobs[0](ctx)
		wg.Wait()
	}
}

// primeLists caches each key's rows, an empty list for a key without any.
func primeLists[T any](prime func(int64, []T) bool, keys []int64, m map[int64][]T) {
	for _, k := range keys {
		v := m[k]
		if v == nil {
			v = []T{}
		}
		prime(k, v)
	}
}

// selectsCursors reports whether the connection being resolved selects
// anything that reads a cursor (edges or pageInfo); without an operation
// it says yes.
func selectsCursors(ctx context.Context) bool {
	fc := graphql.GetFieldContext(ctx)
	if !graphql.HasOperationContext(ctx) || fc == nil {
		return true
	}
	for _, f := range graphql.CollectFields(graphql.GetOperationContext(ctx), fc.Field.Selections, nil) {
		if f.Name == "edges" || f.Name == "pageInfo" {
			return true
		}
	}
	return false
}

// connectionSelection returns the names of the fields selected on the
// nodes of the connection being resolved (under edges.node and nodes) and
// whether totalCount is selected. Outside a GraphQL operation it returns
// nil, which reads every column.
func connectionSelection(ctx context.Context) (map[string]bool, bool) {
	if !graphql.HasOperationContext(ctx) {
		return nil, false
	}
	oc := graphql.GetOperationContext(ctx)
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return nil, false
	}
	want := map[string]bool{}
	total := false
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
		case "totalCount":
			total = true
		}
	}
	return want, total
}
