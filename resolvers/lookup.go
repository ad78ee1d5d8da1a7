package resolvers

import (
	"context"
	"errors"

	"github.com/vikstrous/dataloadgen"

	"github.com/hesgql/hesgql/graph/model"
)

// notFound is the error for an absent or out-of-scope object; the two are
// indistinguishable on purpose.
func notFound(id string) error {
	return model.Errorf(model.ErrNotFound, "no object with id %q", id)
}

func (r *Resolver) patientByKey(ctx context.Context, key int64) (*model.Patient, error) {
	p, err := loadersFrom(ctx).patient.Load(ctx, key)
	if errors.Is(err, dataloadgen.ErrNotFound) {
		return nil, notFound(model.GlobalID(model.TypePatient, key))
	}
	return p, err
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
