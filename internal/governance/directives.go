package governance

import (
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/graphql"

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
		// The first check of a request asks about every patient it has
		// read so far in one statement; later ones find their answer
		// cached. Lists are marshalled one element after another, so
		// leaving it to the loader's batching window would cost a
		// statement per patient.
		if ids := st.reads.Take(); len(ids) > 0 {
			_, _ = st.inScope.LoadAll(ctx, ids) // errors are cached per key; each field reports its own
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
		st.audit.Note(fieldName(fc.Object, fc.Field.Name), patient)
	}
	return res, err
}

// fieldNames interns the "Type.field" names restricted reads are audited
// under: a few fields, read once per patient of a page each.
var fieldNames struct {
	sync.RWMutex
	m map[[2]string]string
}

func fieldName(object, field string) string {
	k := [2]string{object, field}
	fieldNames.RLock()
	name, ok := fieldNames.m[k]
	fieldNames.RUnlock()
	if ok {
		return name
	}
	name = object + "." + field
	fieldNames.Lock()
	if fieldNames.m == nil {
		fieldNames.m = map[[2]string]string{}
	}
	fieldNames.m[k] = name
	fieldNames.Unlock()
	return name
}

// denied is the refusal of the field being resolved.
func denied(ctx context.Context, v *auth.Viewer, needs string) error {
	field := "this field"
	if fc := graphql.GetFieldContext(ctx); fc != nil {
		field = fc.Object + "." + fc.Field.Name
	}
	return deniedError(v, field, needs)
}

// deniedError is UNAUTHENTICATED for callers without a token (a token may
// help) and FORBIDDEN for the others (it will not).
func deniedError(v *auth.Viewer, field, needs string) error {
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
