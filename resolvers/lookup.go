package resolvers

import (
	"context"

	"github.com/hesgql/hesgql/graph/model"
)

// notFound is the error for an absent or out-of-scope object; the two are
// indistinguishable on purpose.
func notFound(id string) error {
	return model.Errorf(model.ErrNotFound, "no object with id %q", id)
}

// patientByKey reads one patient directly: a lone key gains nothing from
// the loader's batching window, only its wait. The loader is primed so that
// nested fields asking for the same patient find it.
func (r *Resolver) patientByKey(ctx context.Context, key int64) (*model.Patient, error) {
	ps, err := r.DB.PatientsByID(ctx, []int64{key})
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, notFound(model.GlobalID(model.TypePatient, key))
	}
	loadersFrom(ctx).patient.Prime(key, ps[0])
	return ps[0], nil
}

func (r *Resolver) episodeByKey(ctx context.Context, key int64) (*model.Episode, error) {
	es, err := r.DB.EpisodesByID(ctx, []int64{key})
	if err != nil {
		return nil, err
	}
	if len(es) == 0 {
		return nil, notFound(model.GlobalID(model.TypeEpisode, key))
	}
	return es[0], nil
}

func (r *Resolver) spellByKey(ctx context.Context, key int64) (*model.Spell, error) {
	ss, err := r.DB.SpellsByID(ctx, []int64{key})
	if err != nil {
		return nil, err
	}
	if len(ss) == 0 {
		return nil, notFound(model.GlobalID(model.TypeSpell, key))
	}
	return ss[0], nil
}
