package governance

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vikstrous/dataloadgen"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/auth"
)

// governance is the per-operation state of the rules and directives.
type governance struct {
	audit   *auth.Collector
	inScope *dataloadgen.Loader[int64, bool] // clinicians only
	reads   *db.PatientReads                 // clinicians only: the patients to check
}

type governanceKey struct{}

func governanceFrom(ctx context.Context) *governance {
	st, _ := ctx.Value(governanceKey{}).(*governance)
	return st
}

// Governance is the gqlgen extension that applies the schema's rules to
// every operation: it enforces @hasRole (on root fields, see roles.go),
// gives the @identifiable directive what it needs (an audit collector and,
// for clinicians, a batched check that a patient belongs to their
// organisations) and, when the operation has run, hands an audit record of
// its restricted reads to Audit. Use it as a pointer: Validate reads the
// rules from the schema.
type Governance struct {
	// PatientsAtOrgs reports which patients have an episode at one of orgs.
	PatientsAtOrgs func(ctx context.Context, ids []int64, orgs []string) (map[int64]bool, error)
	// Audit receives one record per operation that read restricted fields.
	Audit func(db.AuditRecord)
	// RequestID names the request in logs, for the audit record.
	RequestID func(ctx context.Context) string

	rules *Rules
}

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
	graphql.RootFieldInterceptor
} = &Governance{}

// ExtensionName names the extension for gqlgen.
func (*Governance) ExtensionName() string { return "Governance" }

// Validate checks that the extension can audit and reads the role rules
// from the schema.
func (g *Governance) Validate(es graphql.ExecutableSchema) error {
	if g.Audit == nil {
		return errors.New("governance: no audit sink")
	}
	rules, err := NewRules(es.Schema())
	if err != nil {
		return err
	}
	g.rules = rules
	return nil
}

// InterceptResponse runs the operation with fresh per-operation state and
// records what it read. The record is made even when the client has gone:
// the data was read on its behalf all the same.
func (g *Governance) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
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
		ctx, st.reads = db.WithPatientReads(ctx)
	}
	resp := next(context.WithValue(ctx, governanceKey{}, st))
	if !st.audit.Empty() {
		g.Audit(g.record(ctx, v, st.audit))
	}
	return resp
}

func (g *Governance) record(ctx context.Context, v *auth.Viewer, c *auth.Collector) db.AuditRecord {
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
