package resolvers

import (
	"context"
	"slices"

	"github.com/99designs/gqlgen/graphql"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/graph/model"
)

// The lookup tables, named for the fields that search them.
const (
	icd10Codes = db.ICD10
	opcs4Codes = db.OPCS4
)

// searchCodes answers diagnosisCodes and procedureCodes. The COUNT behind
// totalCount runs only when the field is selected.
func (r *Resolver) searchCodes(ctx context.Context, system db.CodeSystem, search *string, first *int, after *string) (*model.CodeConnection, error) {
	q := db.CodeQuery{System: system, First: first, After: after}
	if search != nil {
		q.Search = *search
	}
	conn, err := r.DB.SearchCodes(ctx, q)
	if err != nil {
		return nil, err
	}
	if slices.Contains(graphql.CollectAllFields(ctx), "totalCount") {
		if conn.TotalCount, err = r.DB.CountCodes(ctx, q); err != nil {
			return nil, err
		}
	}
	return conn, nil
}
