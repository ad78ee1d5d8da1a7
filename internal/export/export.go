// Package export serves GET /export/episodes.csv: a filtered, ordered
// episode listing streamed as CSV, with the filter and ordering semantics of
// the `episodes` field, for RESEARCHER, CLINICIAN and ADMIN callers.
package export

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/graph"
	"github.com/hesgql/hesgql/graph/model"
)

// Access is what the caller of an extract may read.
type Access struct {
	// Authenticated is false for a request without credentials (public).
	Authenticated bool
	// Subject, Roles and Orgs name the caller in logs and the audit record.
	Subject string
	Roles   []string
	Orgs    []string
	// RecordLevel allows pseudonymised record-level data: RESEARCHER,
	// CLINICIAN or ADMIN.
	RecordLevel bool
	// Identifiable allows HES restricted columns (NHS number, date of
	// birth, postcode): ADMIN, or CLINICIAN for the patients of their
	// organisations.
	Identifiable bool
	// Scope limits every extract of the caller (a clinician's row scope);
	// nil adds no limit beyond any scope already in the request context.
	Scope *db.Scope
	// IdentifiableScope limits an extract that includes identifiable
	// columns: a clinician who may otherwise see every row (as a
	// RESEARCHER too) gets identifiable columns only for the patients of
	// their organisations. Nil with Identifiable means every patient (ADMIN).
	IdentifiableScope *db.Scope
}

// AuditRecord describes an extract of identifiable columns. It is recorded
// before any row is sent.
type AuditRecord struct {
	Subject   string
	Roles     []string
	Orgs      []string
	RequestID string
	// Columns are the identifiable columns requested.
	Columns []string
	// Query is the request's query string as sent (filter, orderBy, columns).
	Query string
	// Patients is the number of distinct patients in the extract.
	Patients int
	At       time.Time
}

// Options configure the handler.
type Options struct {
	Logger *slog.Logger
	// Authorize tells who the caller is and what they may read. An error
	// that is a *model.Error with code UNAUTHENTICATED or FORBIDDEN is sent
	// to the caller as such. Nil treats every caller as public, so the
	// extract is refused to all.
	Authorize func(*http.Request) (Access, error)
	// Audit records an extract of identifiable columns before it starts; if
	// it fails the extract is refused. Nil refuses identifiable columns to
	// everyone, since their reading could not be recorded.
	Audit func(context.Context, AuditRecord) error
	// RequestID returns the id the server gave the request, for the audit
	// record; nil leaves it empty.
	RequestID func(context.Context) string
	// BatchSize is the number of rows per database statement (0 = db default).
	BatchSize int
	// FlushRows is the number of rows between flushes to the client
	// (0 = 1000); rows waiting longer than FlushInterval go out sooner.
	FlushRows int
	// FlushInterval bounds how long a written row waits in the buffer
	// (0 = 500ms).
	FlushInterval time.Duration
	// Limits bound the filter and orderBy parameters as they bound the
	// arguments of a GraphQL query (MaxFilterDepth, MaxFilterNodes; zero
	// values take the defaults).
	Limits graph.Limits
	// HoldBytes bounds the output held back, status line included, until
	// the first batch has been read (0 = DefaultHoldBytes).
	HoldBytes int
}

// DefaultHoldBytes holds a first batch of the default size and columns
// (5,000 rows of about 220 bytes) whole.
const DefaultHoldBytes = 4 << 20

// Handler returns the extract handler over d.
func Handler(d *db.DB, opts Options) http.Handler {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.FlushRows <= 0 {
		opts.FlushRows = 1000
	}
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = 500 * time.Millisecond
	}
	if opts.HoldBytes <= 0 {
		opts.HoldBytes = DefaultHoldBytes
	}
	return &handler{d: d, opts: opts}
}

type handler struct {
	d    *db.DB
	opts Options
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	access, err := h.authorize(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	switch {
	case !access.Authenticated:
		h.fail(w, r, model.Errorf(model.ErrUnauthenticated, "the extract needs a signed-in RESEARCHER, CLINICIAN or ADMIN"))
		return
	case !access.RecordLevel:
		h.fail(w, r, model.Errorf(model.ErrForbidden, "the extract needs the RESEARCHER, CLINICIAN or ADMIN role"))
		return
	}
	req, err := parseRequest(r.URL.RawQuery, h.opts.Limits)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ident := req.identifiableColumns()
	if len(ident) > 0 && !access.Identifiable {
		h.fail(w, r, &model.Error{Code: model.ErrForbidden, Field: "columns",
			Message: fmt.Sprintf("column %q is identifiable: only ADMIN, or a CLINICIAN for patients in scope, may read it", ident[0])})
		return
	}
	if len(ident) > 0 && h.opts.Audit == nil {
		h.opts.Logger.ErrorContext(ctx, "identifiable extract refused: no audit log is configured")
		h.fail(w, r, &model.Error{Code: model.ErrForbidden, Field: "columns",
			Message: "identifiable columns are unavailable: their reading cannot be audited"})
		return
	}
	if access.Scope != nil {
		ctx = db.WithScope(ctx, access.Scope)
	}
	if len(ident) > 0 && access.IdentifiableScope != nil {
		ctx = db.WithScope(ctx, access.IdentifiableScope)
	}
	x, err := h.d.PrepareExport(ctx, db.ExportQuery{
		Filter: req.filter, OrderBy: req.orderBy, Columns: req.columns,
		AllowIdentifiable: access.Identifiable, BatchSize: h.opts.BatchSize,
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	started := time.Now().UTC()
	if len(ident) > 0 {
		if err := h.audit(ctx, r, access, ident, x, started); err != nil {
			h.fail(w, r, err)
			return
		}
	}

	held := newHeldResponse(w, h.opts.HoldBytes, func(hdr http.Header) {
		hdr.Set("Content-Type", "text/csv; charset=utf-8")
		hdr.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="episodes-%s.csv"`, started.Format("20060102T150405Z")))
		hdr.Set("Cache-Control", "no-store")
		hdr.Set("X-Content-Type-Options", "nosniff")
	})
	out := newCSVStream(held, h.opts.FlushRows, h.opts.FlushInterval)
	rows, err := h.stream(ctx, x, out, held)
	took := time.Since(started)
	log := h.opts.Logger.With("rows", rows, "took", took, "subject", access.Subject)
	switch {
	case err == nil:
		log.InfoContext(ctx, "extract sent", "rows_per_second", int64(float64(rows)/max(took.Seconds(), 1e-9)))
	case ctx.Err() != nil || errors.Is(err, errClientGone):
		log.InfoContext(ctx, "extract abandoned by the client")
	case !held.committed:
		// Nothing has been sent: the caller gets a status and a coded error.
		h.fail(w, r, err)
	default:
		log.ErrorContext(ctx, "extract failed part way", "err", err)
		// The status line has gone; breaking the connection before the
		// chunked body's last chunk is the only way left to tell the
		// client that the file is incomplete.
		panic(http.ErrAbortHandler)
	}
}

// stream writes the extract's header and rows. The response stays held
// until the first batch has been read, so that a statement the database
// refuses is still answered with a coded error.
func (h *handler) stream(ctx context.Context, x *db.Export, out *csvStream, held *heldResponse) (int64, error) {
	if err := out.write(x.Header()); err != nil {
		return 0, err
	}
	rows, err := x.Run(ctx, out.row, func() error {
		if held.committed {
			return nil
		}
		if err := out.flush(); err != nil {
			return err
		}
		if err := held.commit(false); err != nil {
			return errClientGone
		}
		return out.flush()
	})
	if err != nil {
		return rows, err
	}
	if err := out.flush(); err != nil {
		return rows, err
	}
	if !held.committed {
		if err := held.commit(true); err != nil {
			return rows, errClientGone
		}
	}
	return rows, nil
}

// audit records an identifiable extract; the extract goes ahead only once
// the record is stored.
func (h *handler) audit(ctx context.Context, r *http.Request, access Access, cols []string, x *db.Export, at time.Time) error {
	patients, err := x.Patients(ctx)
	if err != nil {
		return fmt.Errorf("count the patients of an identifiable extract: %w", err)
	}
	rec := AuditRecord{Subject: access.Subject, Roles: access.Roles, Orgs: access.Orgs,
		Columns: cols, Query: r.URL.RawQuery, Patients: patients, At: at}
	if h.opts.RequestID != nil {
		rec.RequestID = h.opts.RequestID(ctx)
	}
	if err := h.opts.Audit(ctx, rec); err != nil {
		return fmt.Errorf("audit an identifiable extract: %w", err)
	}
	return nil
}

// authorize applies Options.Authorize, treating a missing one as public.
func (h *handler) authorize(r *http.Request) (Access, error) {
	if h.opts.Authorize == nil {
		return Access{}, nil
	}
	return h.opts.Authorize(r)
}

// fail answers with the GraphQL error shape, as /graphql presents errors: a
// *model.Error keeps its code and field, and its message names the field;
// anything else is logged and shown as "internal error".
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	var me *model.Error
	if !errors.As(err, &me) {
		h.opts.Logger.ErrorContext(r.Context(), "extract failed", "err", err)
		me = &model.Error{Code: model.ErrInternal, Message: "internal error"}
	}
	status := http.StatusInternalServerError
	switch me.Code {
	case model.ErrBadUserInput:
		status = http.StatusBadRequest
	case model.ErrUnauthenticated:
		status = http.StatusUnauthorized
		w.Header().Set("WWW-Authenticate", "Bearer")
	case model.ErrForbidden:
		status = http.StatusForbidden
	case model.ErrNotFound:
		status = http.StatusNotFound
	case model.ErrTooComplex:
		status = http.StatusUnprocessableEntity
	case model.ErrUnavailable:
		// Retryable: the database cannot be reached (API.md, Errors).
		h.opts.Logger.ErrorContext(r.Context(), "extract failed: database unavailable", "err", me.Err)
		status = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", strconv.Itoa(model.RetryAfterSeconds))
	}
	ext := map[string]any{"code": me.Code}
	if me.Field != "" {
		ext["field"] = me.Field
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{"message": me.Error(), "extensions": ext}},
	})
}

// errClientGone reports a failed write to the client.
var errClientGone = errors.New("client connection lost")

// csvStream writes CSV rows through a buffer, flushing it to the client
// every so many rows, or sooner when rows come slowly, so that the download
// makes steady progress while memory stays flat.
type csvStream struct {
	buf       *bufio.Writer
	csv       *csv.Writer
	out       *heldResponse
	rows      int
	interval  time.Duration
	pending   int
	lastFlush time.Time
	guarded   []string
}

func newCSVStream(w *heldResponse, rows int, interval time.Duration) *csvStream {
	buf := bufio.NewWriterSize(w, 64<<10)
	return &csvStream{buf: buf, csv: csv.NewWriter(buf), out: w,
		rows: rows, interval: interval, lastFlush: time.Now()}
}

// write writes one record as it is (the header) and flushes it (to the
// hold, while the response is held).
func (s *csvStream) write(rec []string) error {
	if err := s.csv.Write(rec); err != nil {
		return errClientGone
	}
	return s.flush()
}

// row writes one data row with formula-looking cells defused.
func (s *csvStream) row(cells []string) error {
	if cap(s.guarded) < len(cells) {
		s.guarded = make([]string, len(cells))
	}
	g := s.guarded[:len(cells)]
	for i, c := range cells {
		g[i] = guardCell(c)
	}
	if err := s.csv.Write(g); err != nil {
		return errClientGone
	}
	s.pending++
	if s.pending >= s.rows || time.Since(s.lastFlush) >= s.interval {
		return s.flush()
	}
	return nil
}

// flush sends everything written so far to the client.
func (s *csvStream) flush() error {
	s.pending, s.lastFlush = 0, time.Now()
	s.csv.Flush()
	if err := s.csv.Error(); err != nil {
		return errClientGone
	}
	if err := s.out.Flush(); err != nil {
		return errClientGone
	}
	return nil
}
