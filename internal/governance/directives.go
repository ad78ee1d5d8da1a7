package governance

import (
	"context"
	"errors"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/hesgql/hesgql/graph"
	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/auth"
)

// Directives returns the implementations of the schema's runtime
// directives for graph.Config. @hasRole has none: the extension enforces it
// per operation (roles.go).
func Directives() graph.DirectiveRoot {
	return graph.DirectiveRoot{Identifiable: identifiable}
}

// primeScopeCheck asks in one query whether the patients of a list a
// clinician is about to read restricted fields of belong to their
// organisations, so that every per-field check finds its answer cached:
// lists are marshalled one element after another, so a check left to the
// loader's batching window would cost a statement per patient.
func primeScopeCheck(ctx context.Context, st *governance, res any) {
	var ids []int64
	switch l := res.(type) {
	case []*model.Patient:
		for _, p := range l {
			if p != nil {
				ids = append(ids, p.RowID)
			}
		}
	case []*model.Episode:
		for _, e := range l {
			if e != nil {
				ids = append(ids, e.PatientID)
			}
		}
	case []*model.PatientEdge:
		for _, e := range l {
			if e != nil && e.Node != nil {
				ids = append(ids, e.Node.RowID)
			}
		}
	case []*model.EpisodeEdge:
		for _, e := range l {
			if e != nil && e.Node != nil {
				ids = append(ids, e.Node.PatientID)
			}
		}
	default:
		return
	}
	if len(ids) < 2 || !selectsIdentifiable(ctx) {
		return
	}
	// Errors are cached per key; each field reports its own.
	_, _ = st.inScope.LoadAll(ctx, ids)
}

// selectsIdentifiable reports whether the current field's selection reaches
// a restricted field within three levels (patient lists, episode lists,
// their edges).
func selectsIdentifiable(ctx context.Context) bool {
	oc, fc := graphql.GetOperationContext(ctx), graphql.GetFieldContext(ctx)
	if oc == nil || fc == nil {
		return false
	}
	var walk func(set ast.SelectionSet, depth int) bool
	walk = func(set ast.SelectionSet, depth int) bool {
		for _, f := range graphql.CollectFields(oc, set, nil) {
			if f.Definition != nil && f.Definition.Directives.ForName("identifiable") != nil {
				return true
			}
			if depth < 3 && walk(f.Selections, depth+1) {
				return true
			}
		}
		return false
	}
	return walk(fc.Field.Selections, 0)
}

// identifiable guards a HES restricted field: ADMIN may read it, a
// CLINICIAN only for patients with an episode at one of their
// organisations, nobody else. Every permitted read is noted for the audit
// log.
func identifiable(ctx context.Context, obj any, next graphql.Resolver) (any, error) {
	v := auth.FromContext(ctx)
	st := governanceFrom(ctx)
	if st == nil {
		// Without the per-operation state the read could be neither
		// checked for clinicians nor audited: refuse it.
		return nil, errors.New("restricted field resolved outside a governed operation")
	}
	patient := patientOf(obj)
	switch {
	case v.Has(model.RoleAdmin):
	case v.Has(model.RoleClinician):
		if patient == 0 || st.inScope == nil {
			return nil, denied(ctx, v, "a patient of your organisations")
		}
		ok, err := st.inScope.Load(ctx, patient)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, denied(ctx, v, "a patient of your organisations")
		}
	default:
		return nil, denied(ctx, v, "ADMIN, or CLINICIAN for the patient's organisation")
	}
	res, err := next(ctx)
	if err == nil {
		fc := graphql.GetFieldContext(ctx)
		st.audit.Note(fc.Object+"."+fc.Field.Name, patient)
	}
	return res, err
}

// denied is UNAUTHENTICATED for callers without a token (a token may help)
// and FORBIDDEN for the others (it will not).
func denied(ctx context.Context, v *auth.Viewer, needs string) error {
	field := "this field"
	if fc := graphql.GetFieldContext(ctx); fc != nil {
		field = fc.Object + "." + fc.Field.Name
	}
	if !v.Authenticated {
		return model.Errorf(model.ErrUnauthenticated, "%s needs authentication", field)
	}
	return model.Errorf(model.ErrForbidden, "%s needs %s", field, needs)
}

func roleList(roles []model.Role) string {
	s := make([]string, len(roles))
	for i, r := range roles {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}

// patientOf ties the object holding a restricted field to its patient, for
// the clinician check and the audit count; 0 when the object has none, which
// a clinician is refused.
func patientOf(obj any) int64 {
	switch o := obj.(type) {
	case *model.Patient:
		return o.RowID
	case *model.Episode:
		return o.PatientID
	}
	return 0
}
