package db

import (
	"context"
	"sync"

	"github.com/hesgql/hesgql/graph/model"
)

// PatientReads collects the ids of the patients a request has read, so that
// a check about them (a clinician's right to their restricted fields) can
// be asked for all of them in one statement when the first is needed,
// however the response reaches them (a page, its edges, the patients of a
// page of episodes).
type PatientReads struct {
	mu  sync.Mutex
	ids []int64
}

type patientReadsKey struct{}

// WithPatientReads returns a context whose patient reads are collected.
func WithPatientReads(ctx context.Context) (context.Context, *PatientReads) {
	r := &PatientReads{}
	return context.WithValue(ctx, patientReadsKey{}, r), r
}

// Take returns the ids collected since the last Take.
func (r *PatientReads) Take() []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	ids := r.ids
	r.ids = nil
	return ids
}

// notePatients records ps in the context's collector, if it has one.
func notePatients(ctx context.Context, ps []*model.Patient) {
	r, _ := ctx.Value(patientReadsKey{}).(*PatientReads)
	if r == nil || len(ps) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range ps {
		if p != nil {
			r.ids = append(r.ids, p.RowID)
		}
	}
}
