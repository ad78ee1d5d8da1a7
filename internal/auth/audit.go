package auth

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hesgql/hesgql/db"
)

// Collector gathers, during one request, which restricted fields were read
// and for which patients. Field resolvers run concurrently, so it locks.
type Collector struct {
	mu       sync.Mutex
	fields   map[string]struct{}
	patients map[int64]struct{}
}

// NewCollector returns an empty collector.
func NewCollector() *Collector {
	return &Collector{fields: map[string]struct{}{}, patients: map[int64]struct{}{}}
}

// Note records a read of field (Type.field) of patient; a patient of 0 means
// the row could not be tied to a patient and is not counted.
func (c *Collector) Note(field string, patient int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fields[field] = struct{}{}
	if patient != 0 {
		c.patients[patient] = struct{}{}
	}
}

// Empty reports whether nothing restricted was read.
func (c *Collector) Empty() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.fields) == 0
}

// Fields returns the restricted fields read, sorted.
func (c *Collector) Fields() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, 0, len(c.fields))
	for f := range c.fields {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// Patients returns how many distinct patients were read.
func (c *Collector) Patients() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.patients)
}

// AuditStore is where audit records end up (db.DB).
type AuditStore interface {
	InsertAuditRecords(ctx context.Context, recs []db.AuditRecord) error
}

// WriterOptions tune the audit writer; zero values take the defaults.
type WriterOptions struct {
	// QueueSize bounds the events waiting to be written (default 4096).
	QueueSize int
	// BatchSize is the most events written by one INSERT (default 200).
	BatchSize int
	// FlushEvery is the longest an event waits in a partial batch (default 200ms).
	FlushEvery time.Duration
	// EnqueueWait is how long a request waits for room in a full queue
	// before writing its event itself (default 2s): backpressure, not loss.
	EnqueueWait time.Duration
	// Synchronous writes every event on the request's goroutine, with no
	// background worker; for callers that cannot close the writer.
	Synchronous bool
	Logger      *slog.Logger
	// Registerer receives the writer's metrics (nil: none).
	Registerer prometheus.Registerer
}

// Writer writes audit records off the request path. It never drops an
// event silently: a full queue makes requests wait, then write themselves;
// failed writes are retried; only an event that still cannot be written
// when the writer is forced to stop is given up, and then it is logged in
// full and counted.
type Writer struct {
	store AuditStore
	opts  WriterOptions
	log   *slog.Logger

	queue    chan db.AuditRecord
	flushReq chan chan struct{}
	stop     chan struct{}
	abort    chan struct{}
	done     chan struct{}

	mu        sync.RWMutex // held for reading while enqueuing; Close takes it to stop intake
	closed    bool
	closeOnce sync.Once
	abortOnce sync.Once

	written, failures, lost, direct prometheus.Counter
}

// NewWriter starts a writer over store.
func NewWriter(store AuditStore, opts WriterOptions) *Writer {
	if opts.QueueSize <= 0 {
		opts.QueueSize = 4096
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 200
	}
	if opts.FlushEvery <= 0 {
		opts.FlushEvery = 200 * time.Millisecond
	}
	if opts.EnqueueWait <= 0 {
		opts.EnqueueWait = 2 * time.Second
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	w := &Writer{
		store: store, opts: opts, log: log,
		queue:    make(chan db.AuditRecord, opts.QueueSize),
		flushReq: make(chan chan struct{}),
		stop:     make(chan struct{}),
		abort:    make(chan struct{}),
		done:     make(chan struct{}),
		written: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hesgql_audit_events_written_total", Help: "Audit events written to audit_log.",
		}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hesgql_audit_write_failures_total", Help: "Failed attempts to write audit events (queued events are retried; a synchronous write is refused to its caller).",
		}),
		lost: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hesgql_audit_events_lost_total", Help: "Audit events that could not be written and were logged instead.",
		}),
		direct: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hesgql_audit_events_direct_total", Help: "Audit events written by the request itself because the queue was full or closed.",
		}),
	}
	if opts.Registerer != nil {
		opts.Registerer.MustRegister(w.written, w.failures, w.lost, w.direct,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "hesgql_audit_queue_length", Help: "Audit events waiting to be written.",
			}, func() float64 { return float64(len(w.queue)) }))
	}
	if opts.Synchronous {
		close(w.done)
	} else {
		go w.run()
	}
	return w
}

// Enqueue hands rec to the writer. It returns once the event is queued or,
// when the queue stays full or the writer is closed, written.
func (w *Writer) Enqueue(rec db.AuditRecord) {
	if rec.EventID == "" {
		var b [16]byte
		_, _ = rand.Read(b[:])
		rec.EventID = hex.EncodeToString(b[:])
	}
	if w.opts.Synchronous {
		w.writeDirect(rec)
		return
	}
	w.mu.RLock()
	if !w.closed {
		select {
		case w.queue <- rec:
			w.mu.RUnlock()
			return
		default:
		}
		t := time.NewTimer(w.opts.EnqueueWait)
		select {
		case w.queue <- rec:
			t.Stop()
			w.mu.RUnlock()
			return
		case <-t.C:
			w.log.Warn("audit queue full: the request writes its own event", "queue", cap(w.queue))
		}
	}
	w.mu.RUnlock()
	w.writeDirect(rec)
}

// writeDirect writes one event from the caller's goroutine.
func (w *Writer) writeDirect(rec db.AuditRecord) {
	w.direct.Inc()
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if attempt > 0 {
			time.Sleep(time.Duration(attempt) * 200 * time.Millisecond)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = w.store.InsertAuditRecords(ctx, []db.AuditRecord{rec})
		cancel()
		if err == nil {
			w.written.Inc()
			return
		}
		w.failures.Inc()
	}
	w.giveUp([]db.AuditRecord{rec}, err)
}

// InsertAuditRecords writes recs at once, on the caller's goroutine, for a
// caller that must know its record is stored before it goes on (the CSV
// extract sends no row before), and counts them with the queued events.
// It does not retry: the caller refuses what it could not record.
func (w *Writer) InsertAuditRecords(ctx context.Context, recs []db.AuditRecord) error {
	if err := w.store.InsertAuditRecords(ctx, recs); err != nil {
		w.failures.Inc()
		return err
	}
	w.written.Add(float64(len(recs)))
	return nil
}

// Flush returns once every event enqueued before the call is written.
func (w *Writer) Flush(ctx context.Context) error {
	if w.opts.Synchronous {
		return nil
	}
	ack := make(chan struct{})
	select {
	case w.flushReq <- ack:
	case <-w.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-ack:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops intake, writes everything queued and stops the worker. If ctx
// ends first, retrying stops: what is still unwritten is logged and counted
// as lost, and Close returns ctx's error. Events enqueued after Close are
// written directly.
func (w *Writer) Close(ctx context.Context) error {
	w.closeOnce.Do(func() {
		w.mu.Lock()
		w.closed = true
		w.mu.Unlock()
		if !w.opts.Synchronous {
			close(w.stop)
		}
	})
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		w.abortOnce.Do(func() { close(w.abort) })
		<-w.done
		return ctx.Err()
	}
}

func (w *Writer) run() {
	defer close(w.done)
	tick := time.NewTicker(w.opts.FlushEvery)
	defer tick.Stop()
	batch := make([]db.AuditRecord, 0, w.opts.BatchSize)
	for {
		select {
		case rec := <-w.queue:
			batch = append(batch, rec)
			if len(batch) >= w.opts.BatchSize {
				batch = w.write(batch)
			}
		case <-tick.C:
			batch = w.write(batch)
		case ack := <-w.flushReq:
			batch = w.write(w.drain(batch))
			close(ack)
		case <-w.stop:
			w.write(w.drain(batch))
			return
		}
	}
}

// drain moves everything queued into batch, writing full batches.
func (w *Writer) drain(batch []db.AuditRecord) []db.AuditRecord {
	for {
		select {
		case rec := <-w.queue:
			batch = append(batch, rec)
			if len(batch) >= w.opts.BatchSize {
				batch = w.write(batch)
			}
		default:
			return batch
		}
	}
}

// write inserts batch, retrying with backoff until it succeeds or Close
// gives up, and returns the emptied batch for reuse.
func (w *Writer) write(batch []db.AuditRecord) []db.AuditRecord {
	if len(batch) == 0 {
		return batch
	}
	backoff := 100 * time.Millisecond
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := w.store.InsertAuditRecords(ctx, batch)
		cancel()
		if err == nil {
			w.written.Add(float64(len(batch)))
			return batch[:0]
		}
		w.failures.Inc()
		w.log.Error("cannot write audit events; retrying", "events", len(batch), "err", err, "retry_in", backoff)
		select {
		case <-w.abort:
			w.giveUp(batch, err)
			return batch[:0]
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

// giveUp records events that could not be stored in the log, where they
// can still be recovered, and counts them.
func (w *Writer) giveUp(recs []db.AuditRecord, err error) {
	w.lost.Add(float64(len(recs)))
	for _, r := range recs {
		w.log.Error("AUDIT EVENT NOT STORED", "err", err,
			"event_id", r.EventID, "at", r.At, "subject", r.Subject, "roles", r.Roles, "orgs", r.Orgs,
			"operation", r.OperationName, "query_sha256", r.QueryHash, "fields", r.Fields,
			"patients", r.Patients, "request_id", r.RequestID)
	}
}
