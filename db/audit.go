package db

import (
	"context"
	"database/sql"
	"strings"
	"time"

	sq "github.com/Masterminds/squirrel"

	"github.com/hesgql/hesgql/graph/model"
)

// AuditRecord is one request that read restricted fields, as stored in
// audit_log.
type AuditRecord struct {
	// EventID is unique per event, so that a batch retried after an
	// ambiguous failure (committed, but the answer was lost) is written once.
	EventID       string
	At            time.Time
	Subject       string
	Roles         []string
	Orgs          []string
	OperationName string
	QueryHash     string // hex SHA-256 of the query text
	Fields        []string
	Patients      int
	RequestID     string
}

// auditTimeLayout is how audit times travel in cursors; MariaDB and MySQL
// compare it with DATETIME(6) columns without losing the index.
const auditTimeLayout = "2006-01-02 15:04:05.000000"

// InsertAuditRecords writes a batch of audit records in one statement.
// Records already written (same EventID) are left as they are.
func (d *DB) InsertAuditRecords(ctx context.Context, recs []AuditRecord) error {
	if len(recs) == 0 {
		return nil
	}
	q := builder.Insert("audit_log").Columns("event_id", "at", "subject", "roles", "orgs",
		"operation_name", "query_sha256", "fields", "patient_count", "request_id")
	for _, r := range recs {
		q = q.Values(r.EventID, r.At.UTC(), auditClip(r.Subject, 255), strings.Join(r.Roles, ","), strings.Join(r.Orgs, ","),
			auditNull(auditClip(r.OperationName, 255)), r.QueryHash, strings.Join(r.Fields, ","), r.Patients,
			auditNull(auditClip(r.RequestID, 64)))
	}
	_, err := d.exec(ctx, d.sql, q.Suffix("ON DUPLICATE KEY UPDATE event_id = event_id"))
	return err
}

// AuditQuery is a validated audit log listing request.
type AuditQuery struct {
	Filter *model.AuditEventFilter
	Page   model.Page
	// Count asks for totalCount as well, which costs a COUNT.
	Count bool
}

// ListAuditEvents returns one page of the audit log, newest first.
func (d *DB) ListAuditEvents(ctx context.Context, q AuditQuery) (*model.AuditEventConnection, error) {
	ord := newOrdering("a", []sortKey{{col: "at", kind: kindString, desc: true}}, bindingOf("audit_log", q.Filter))
	w, err := d.pageWindow(ord, q.Page)
	if err != nil {
		return nil, err
	}
	base := builder.Select().From("audit_log a")
	if f := q.Filter; f != nil {
		if f.Subject != nil {
			base = base.Where(exactIn("a.subject", []string{*f.Subject}))
		}
		if f.From != nil {
			base = base.Where(sq.GtOrEq{"a.at": f.From.UTC()})
		}
		if f.To != nil {
			base = base.Where(sq.Lt{"a.at": f.To.UTC()})
		}
	}
	conn := &model.AuditEventConnection{Edges: []*model.AuditEventEdge{}, Nodes: []*model.AuditEvent{}}
	if q.Count {
		if err := d.scanPrimary(ctx, base.Columns("COUNT(*)"), func(r *sql.Rows) error { return r.Scan(&conn.TotalCount) }); err != nil {
			return nil, err
		}
	}
	if w.limit == 0 {
		conn.PageInfo = w.pageInfo(0, "", "")
		return conn, nil
	}
	sel := base.Columns("a.id", "a.at", "a.subject", "a.roles", "a.orgs", "a.operation_name", "a.query_sha256",
		"a.fields", "a.patient_count", "a.request_id")
	if w.after != nil {
		sel = sel.Where(ord.seek(*w.after, false))
	}
	if w.before != nil {
		sel = sel.Where(ord.seek(*w.before, true))
	}
	sel = sel.OrderBy(ord.orderBy(w.backward)...).Limit(uint64(w.limit + 1))
	type row struct {
		id int64
		ev *model.AuditEvent
	}
	var rows []row
	err = d.scanPrimary(ctx, sel, func(r *sql.Rows) error {
		var ev model.AuditEvent
		var id int64
		var roles, orgs, fields string
		var op, reqID sql.NullString
		if err := r.Scan(&id, &ev.At, &ev.Subject, &roles, &orgs, &op, &ev.QueryHash, &fields, &ev.PatientCount, &reqID); err != nil {
			return err
		}
		ev.ID = model.GlobalID("AuditEvent", id)
		ev.At = ev.At.UTC()
		for _, s := range auditSplit(roles) {
			ev.Roles = append(ev.Roles, model.Role(s))
		}
		if ev.Roles == nil {
			ev.Roles = []model.Role{}
		}
		ev.Orgs, ev.Fields = auditSplit(orgs), auditSplit(fields)
		ev.OperationName, ev.RequestID = strPtr(op), strPtr(reqID)
		rows = append(rows, row{id, &ev})
		return nil
	})
	if err != nil {
		return nil, err
	}
	rows, cursors, info := keysetPage(d, ord, w, rows, func(r row) position {
		return position{ID: r.id, Values: []any{r.ev.At.Format(auditTimeLayout)}}
	})
	for i, r := range rows {
		conn.Edges = append(conn.Edges, &model.AuditEventEdge{Cursor: cursors[i], Node: r.ev})
		conn.Nodes = append(conn.Nodes, r.ev)
	}
	conn.PageInfo = info
	return conn, nil
}

func auditSplit(s string) []string {
	out := []string{}
	for _, p := range strings.Split(s, ",") {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// auditClip keeps s within a column's width; the audit row must be written even
// when a client sends an absurdly long operation name.
func auditClip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !auditRuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func auditRuneStart(b byte) bool { return b&0xC0 != 0x80 }

func auditNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}
