package resolvers

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vikstrous/dataloadgen"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/graph/model"
)

// spellLoaders batch the spell lookups of one request: the spell of each
// episode of a page, the episodes of each spell, and the discharging
// episodes, one statement per level.
type spellLoaders struct {
	d             *db.DB
	ofEpisode     *dataloadgen.Loader[int64, *model.Spell]
	episodes      *dataloadgen.Loader[int64, []*model.Episode]
	episodeByID   *dataloadgen.Loader[int64, *model.Episode]
	mu            sync.Mutex
	patientSpells map[string]*dataloadgen.Loader[int64, *model.SpellConnection]
}

type spellLoadersKey struct{}

func newSpellLoaders(d *db.DB) *spellLoaders {
	opts := []dataloadgen.Option{dataloadgen.WithWait(batchWait), dataloadgen.WithBatchCapacity(1000)}
	return &spellLoaders{
		d: d,
		ofEpisode: dataloadgen.NewMappedLoader(func(ctx context.Context, ids []int64) (map[int64]*model.Spell, error) {
			return d.SpellsOfEpisodes(ctx, ids)
		}, opts...),
		episodes: dataloadgen.NewLoader(func(ctx context.Context, ids []int64) ([][]*model.Episode, []error) {
			m, err := d.EpisodesOfSpells(ctx, ids)
			return inKeyOrder(ids, m, err)
		}, opts...),
		episodeByID: dataloadgen.NewMappedLoader(func(ctx context.Context, ids []int64) (map[int64]*model.Episode, error) {
			es, err := d.EpisodesByID(ctx, ids)
			out := make(map[int64]*model.Episode, len(es))
			for _, e := range es {
				out[e.RowID] = e
			}
			return out, err
		}, opts...),
		patientSpells: map[string]*dataloadgen.Loader[int64, *model.SpellConnection]{},
	}
}

// forPatients returns the loader answering one Patient.spells listing (the
// same arguments) for many patients at once; aliases with other arguments
// get loaders of their own.
func (l *spellLoaders) forPatients(q model.SpellQuery) *dataloadgen.Loader[int64, *model.SpellConnection] {
	b, _ := json.Marshal([]any{q.Filter, q.OrderBy, q.Page, q.Total})
	key := string(b)
	l.mu.Lock()
	defer l.mu.Unlock()
	if ld := l.patientSpells[key]; ld != nil {
		return ld
	}
	ld := dataloadgen.NewMappedLoader(func(ctx context.Context, ids []int64) (map[int64]*model.SpellConnection, error) {
		return l.d.ListSpellsForPatients(ctx, ids, q)
	}, dataloadgen.WithWait(batchWait), dataloadgen.WithBatchCapacity(1000))
	l.patientSpells[key] = ld
	return ld
}

// SpellLoaderMiddleware gives each request its own spell loaders, so that
// nothing is cached across requests or callers.
func SpellLoaderMiddleware(d *db.DB, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := context.WithValue(r.Context(), spellLoadersKey{}, newSpellLoaders(d))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func spellLoadersFrom(ctx context.Context) *spellLoaders {
	return ctx.Value(spellLoadersKey{}).(*spellLoaders)
}

// listSpells answers a root spell listing and loads, one statement each,
// the patients and episodes the page's spells select, so that a page costs
// a fixed number of statements.
func (r *Resolver) listSpells(ctx context.Context, q model.SpellQuery) (*model.SpellConnection, error) {
	_, q.Total = connectionSelection(ctx)
	conn, err := r.DB.ListSpells(ctx, q)
	if err != nil {
		return nil, err
	}
	r.prefetchSpells(ctx, conn.Nodes)
	return conn, nil
}

func (r *Resolver) prefetchSpells(ctx context.Context, spells []*model.Spell) {
	want, episodeWant := spellSelection(ctx)
	if len(spells) == 0 || len(want) == 0 {
		return
	}
	ids := make([]int64, len(spells))
	patients := make([]int64, len(spells))
	var discharging []int64
	for i, s := range spells {
		ids[i], patients[i] = s.RowID, s.PatientID
		if s.DischargingEpisodeID != nil {
			discharging = append(discharging, *s.DischargingEpisodeID)
		}
	}
	sl, l := spellLoadersFrom(ctx), loadersFrom(ctx)
	// A failed batch primes nothing: the fields then load through the
	// loaders and report the error on their own paths.
	var episodeIDs []int64
	if want["episodes"] {
		if m, err := r.DB.EpisodesOfSpells(ctx, ids); err == nil {
			primeLists(sl.episodes.Prime, ids, m)
			for _, id := range ids {
				for _, e := range m[id] {
					episodeIDs = append(episodeIDs, e.RowID)
				}
			}
		}
	}
	if want["patient"] || episodeWant["patient"] {
		if ps, err := r.DB.PatientsByID(ctx, patients); err == nil {
			for _, p := range ps {
				l.patient.Prime(p.RowID, p)
			}
		}
	}
	if want["dischargingEpisode"] && len(discharging) > 0 {
		if es, err := r.DB.EpisodesByID(ctx, discharging); err == nil {
			for _, e := range es {
				sl.episodeByID.Prime(e.RowID, e)
			}
		}
	}
	if len(episodeIDs) == 0 {
		return
	}
	if episodeWant["diagnoses"] || episodeWant["primaryDiagnosis"] {
		if m, err := r.DB.DiagnosesByEpisode(ctx, episodeIDs); err == nil {
			primeLists(l.diagnoses.Prime, episodeIDs, m)
		}
	}
	if episodeWant["procedures"] {
		if m, err := r.DB.ProceduresByEpisode(ctx, episodeIDs); err == nil {
			primeLists(l.procedures.Prime, episodeIDs, m)
		}
	}
}

// spellSelection returns the fields selected on the spells of the
// connection being resolved, and those selected on their episodes.
func spellSelection(ctx context.Context) (spell, episode map[string]bool) {
	spell, _ = connectionSelection(ctx)
	episode = map[string]bool{}
	if len(spell) == 0 || !spell["episodes"] {
		return spell, episode
	}
	oc, fc := graphql.GetOperationContext(ctx), graphql.GetFieldContext(ctx)
	var walk func(sel ast.SelectionSet, depth int)
	walk = func(sel ast.SelectionSet, depth int) {
		for _, f := range graphql.CollectFields(oc, sel, nil) {
			switch {
			case depth == 0 && (f.Name == "nodes" || f.Name == "edges"):
				walk(f.Selections, 1)
			case depth == 1 && f.Name == "node":
				walk(f.Selections, 2)
			case depth >= 1 && f.Name == "episodes":
				for _, g := range graphql.CollectFields(oc, f.Selections, nil) {
					episode[g.Name] = true
				}
			}
		}
	}
	walk(fc.Field.Selections, 0)
	return spell, episode
}

// patientSpells answers Patient.spells. For a patient of a list (a page of
// patients, or the patients of a page of episodes) the first sibling to
// resolve lists the spells of every patient of the list in one statement
// and loads what those spells select, as Patient.episodes does; a lone
// patient goes through the loader.
func (r *Resolver) patientSpells(ctx context.Context, p *model.Patient, q model.SpellQuery) (*model.SpellConnection, error) {
	_, q.Total = connectionSelection(ctx)
	if q.Page.After != nil || q.Page.Before != nil {
		q.PatientID = p.RowID
		return r.DB.ListSpells(ctx, q) // a cursor continues one patient's listing
	}
	if ids, shared := siblingPatients(ctx); len(ids) > 1 && slices.Contains(ids, p.RowID) {
		if b, err := json.Marshal([]any{"spells", q.Filter, q.OrderBy, q.Page, q.Total}); err == nil {
			c, err := sharedNested(shared, string(b), ids, p.RowID,
				func() (map[int64]*model.SpellConnection, error) {
					return r.DB.ListSpellsForPatients(ctx, ids, q)
				},
				func(c *model.SpellConnection) []*model.Spell { return c.Nodes },
				func(nodes []*model.Spell) { r.prefetchSpells(ctx, nodes) })
			if err != nil || c != nil {
				return c, err
			}
		}
	}
	conn, err := spellLoadersFrom(ctx).forPatients(q).Load(ctx, p.RowID)
	if err == nil {
		r.prefetchSpells(ctx, conn.Nodes)
	}
	return conn, err
}

// episodeSpell answers Episode.spell. For an episode of a page of episodes
// the first sibling to resolve reads the spells of every episode on the
// page in one statement; other episodes go through the loader.
func (r *Resolver) episodeSpell(ctx context.Context, e *model.Episode) (*model.Spell, error) {
	if ids, shared := siblingEpisodes(ctx); len(ids) > 1 && slices.Contains(ids, e.RowID) {
		res, _ := shared.Do("episode.spell", func() any {
			m, err := r.DB.SpellsOfEpisodes(ctx, ids)
			return episodeSpells{spells: m, err: err}
		}).(episodeSpells)
		if res.err != nil {
			return nil, res.err
		}
		return res.spells[e.RowID], nil
	}
	sp, err := spellLoadersFrom(ctx).ofEpisode.Load(ctx, e.RowID)
	if errors.Is(err, dataloadgen.ErrNotFound) {
		return nil, nil // an episode without provider or admission date has no spell
	}
	return sp, err
}

type episodeSpells struct {
	spells map[int64]*model.Spell
	err    error
}

// siblingEpisodes finds the page of an episode connection that the episode
// being resolved belongs to, with the connection's work memo.
func siblingEpisodes(ctx context.Context) ([]int64, *model.Memo) {
	return siblingList(ctx, "episodes", func(result any) ([]int64, bool) {
		var ids []int64
		switch list := result.(type) {
		case []*model.Episode:
			for _, x := range list {
				ids = append(ids, x.RowID)
			}
		case []*model.EpisodeEdge:
			for _, x := range list {
				ids = append(ids, x.Node.RowID)
			}
		case *model.Episode, **model.Episode, **model.EpisodeEdge:
			return nil, true // the item, or the edge leading to it
		}
		return ids, false
	})
}
