package export

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/auth"
)

// ViewerAccess is the Authorize function for a route behind the auth
// middleware: it reads the viewer the middleware put in the request context
// (public when there is none).
func ViewerAccess(r *http.Request) (Access, error) {
	v := auth.FromContext(r.Context())
	a := Access{
		Authenticated: v.Authenticated,
		Subject:       v.Subject,
		Orgs:          v.Orgs,
		RecordLevel:   v.HasAny([]model.Role{model.RoleResearcher, model.RoleClinician, model.RoleAdmin}),
		Identifiable:  v.MayReadIdentifiable(),
		Scope:         v.RowScope(),
	}
	for _, role := range v.Roles {
		a.Roles = append(a.Roles, string(role))
	}
	if v.Has(model.RoleClinician) && !v.Has(model.RoleAdmin) {
		a.IdentifiableScope = &db.Scope{Orgs: v.Orgs}
	}
	return a, nil
}

// StoreAudit is the Audit function writing to the audit log, in the
// request, so that an extract starts only once its record is stored. The
// application passes its audit writer, which counts the record in the
// audit metrics; a *db.DB writes it uncounted.
func StoreAudit(d auth.AuditStore) func(context.Context, AuditRecord) error {
	return func(ctx context.Context, rec AuditRecord) error {
		var id [16]byte
		_, _ = rand.Read(id[:])
		sum := sha256.Sum256([]byte(rec.Query))
		fields := make([]string, len(rec.Columns))
		for i, c := range rec.Columns {
			// The audit log names a column by the schema field it mirrors
			// (Type.field), as it names the GraphQL reads.
			fields[i] = c
			if f, ok := db.ExportColumnField(c); ok {
				fields[i] = f.String()
			}
		}
		// Sorted, as AuditEvent.fields is documented and as GraphQL reads
		// are recorded, not in the order the columns were asked for.
		slices.Sort(fields)
		return d.InsertAuditRecords(ctx, []db.AuditRecord{{
			EventID:       hex.EncodeToString(id[:]),
			At:            rec.At,
			Subject:       rec.Subject,
			Roles:         rec.Roles,
			Orgs:          rec.Orgs,
			OperationName: "GET /export/episodes.csv",
			QueryHash:     hex.EncodeToString(sum[:]),
			Fields:        fields,
			Patients:      rec.Patients,
			RequestID:     rec.RequestID,
		}})
	}
}
