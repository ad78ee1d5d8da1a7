package graph

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vikstrous/dataloadgen"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/auth"
)

// Directives returns the implementations of the schema's authorisation
// directives. They read the caller from the request context (internal/auth)
// and the per-operation state installed by the Governance extension.
func Directives() DirectiveRoot {
	return DirectiveRoot{HasRole: hasRole, Identifiable: identifiable}
}

// hasRole guards a field, or every field returning an object type that
// carries the directive. Restricted values need no clearing here: for
// callers who could never read them, db selects NULL in their place
// (db.WithoutIdentifiable, set by the auth middleware), so they never leave
// the database.
func hasRole(ctx context.Context, obj any, next graphql.Resolver, roles []model.Role) (any, error) {
	v := auth.FromContext(ctx)
	if !v.HasAny(roles) {
		return nil, denied(ctx, v, "one of the roles "+roleList(roles))
	}
	res, err := next(ctx)
	if err == nil {
		primeScopeCheck(ctx, res)
	}
	return res, err
}

// primeScopeCheck asks in one query whether the patients of a list a
// clinician is about to read restricted fields of belong to their
// organisations, so that every per-field check finds its answer cached
// instead of depending on the loader's batching window.
func primeScopeCheck(ctx context.Context, res any) {
	st := governanceFrom(ctx)
	if st == nil || st.inScope == nil {
		return
	}
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
	}
	if len(ids) < 2 || !selectsIdentifiable(ctx) {
		return
	}
	// Errors are cached per key; each field reports its own.
	_, _ = st.inScope.LoadAll(ctx, ids)
}

// selectsIdentifiable reports whether the current field's selection reaches
// a restricted field within two levels (patient lists, episode lists).
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
			if depth < 2 && walk(f.Selections, depth+1) {
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

// governance is the per-operation state of the directives.
type governance struct {
	audit   *auth.Collector
	inScope *dataloadgen.Loader[int64, bool] // clinicians only
}

type governanceKey struct{}

func governanceFrom(ctx context.Context) *governance {
	st, _ := ctx.Value(governanceKey{}).(*governance)
	return st
}

// Governance is the gqlgen extension that gives every operation what the
// directives need (an audit collector and, for clinicians, a batched check
// that a patient belongs to their organisations) and, when the operation
// has run, hands an audit record of its restricted reads to Audit.
type Governance struct {
	// PatientsAtOrgs reports which patients have an episode at one of orgs.
	PatientsAtOrgs func(ctx context.Context, ids []int64, orgs []string) (map[int64]bool, error)
	// Audit receives one record per operation that read restricted fields.
	Audit func(db.AuditRecord)
	// RequestID names the request in logs, for the audit record.
	RequestID func(ctx context.Context) string
}

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
} = Governance{}

// ExtensionName names the extension for gqlgen.
func (Governance) ExtensionName() string { return "Governance" }

// Validate checks that the extension can audit.
func (g Governance) Validate(graphql.ExecutableSchema) error {
	if g.Audit == nil {
		return errors.New("governance: no audit sink")
	}
	return nil
}

// InterceptResponse runs the operation with fresh per-operation state and
// records what it read. The record is made even when the client has gone:
// the data was read on its behalf all the same.
func (g Governance) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	v := auth.FromContext(ctx)
	st := &governance{audit: auth.NewCollector()}
	if v.Has(model.RoleClinician) && !v.Has(model.RoleAdmin) && g.PatientsAtOrgs != nil {
		orgs := v.Orgs
		st.inScope = dataloadgen.NewMappedLoader(func(ctx context.Context, ids []int64) (map[int64]bool, error) {
			m, err := g.PatientsAtOrgs(ctx, ids, orgs)
			if err != nil {
				return nil, err
			}
			out := make(map[int64]bool, len(ids))
			for _, id := range ids {
				out[id] = m[id]
			}
			return out, nil
		}, dataloadgen.WithWait(500*time.Microsecond), dataloadgen.WithBatchCapacity(1000))
	}
	resp := next(context.WithValue(ctx, governanceKey{}, st))
	if !st.audit.Empty() {
		g.Audit(g.record(ctx, v, st.audit))
	}
	return resp
}

func (g Governance) record(ctx context.Context, v *auth.Viewer, c *auth.Collector) db.AuditRecord {
	rec := db.AuditRecord{
		At:       graphql.Now().UTC(),
		Subject:  v.Subject,
		Orgs:     append([]string{}, v.Orgs...),
		Fields:   c.Fields(),
		Patients: c.Patients(),
	}
	for _, r := range v.Roles {
		rec.Roles = append(rec.Roles, string(r))
	}
	if oc := graphql.GetOperationContext(ctx); oc != nil {
		if !oc.Stats.OperationStart.IsZero() {
			rec.At = oc.Stats.OperationStart.UTC()
		}
		rec.OperationName = oc.OperationName
		if rec.OperationName == "" && oc.Operation != nil {
			rec.OperationName = oc.Operation.Name
		}
		sum := sha256.Sum256([]byte(oc.RawQuery))
		rec.QueryHash = hex.EncodeToString(sum[:])
	}
	if g.RequestID != nil {
		rec.RequestID = g.RequestID(ctx)
	}
	return rec
}
