package auth_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/internal/auth"
)

// memStore is an audit store that can be slow or failing on demand.
type memStore struct {
	mu      sync.Mutex
	byID    map[string]db.AuditRecord
	calls   int
	fail    int // fail this many calls from now
	failAll bool
	delay   time.Duration
}

func (m *memStore) InsertAuditRecords(_ context.Context, recs []db.AuditRecord) error {
	m.mu.Lock()
	delay := m.delay
	m.calls++
	if m.failAll || m.fail > 0 {
		m.fail--
		m.mu.Unlock()
		return errors.New("database unavailable")
	}
	m.mu.Unlock()
	time.Sleep(delay)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.byID == nil {
		m.byID = map[string]db.AuditRecord{}
	}
	for _, r := range recs {
		m.byID[r.EventID] = r
	}
	return nil
}

func (m *memStore) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.byID)
}

func rec(i int) db.AuditRecord {
	return db.AuditRecord{At: time.Now(), Subject: fmt.Sprint("user", i), Fields: []string{"Patient.nhsNumber"}, Patients: 1}
}

func TestWriterFlushAndClose(t *testing.T) {
	store := &memStore{}
	w := auth.NewWriter(store, auth.WriterOptions{FlushEvery: time.Hour, BatchSize: 7})
	for i := 0; i < 20; i++ {
		w.Enqueue(rec(i))
	}
	if err := w.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := store.count(); n != 20 {
		t.Fatalf("after Flush %d events written, want 20", n)
	}
	for i := 20; i < 30; i++ {
		w.Enqueue(rec(i))
	}
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := store.count(); n != 30 {
		t.Fatalf("after Close %d events written, want 30", n)
	}
	w.Enqueue(rec(30)) // after Close: written directly
	if n := store.count(); n != 31 {
		t.Fatalf("event enqueued after Close: %d written, want 31", n)
	}
}

// A full queue slows requests down instead of dropping their events.
func TestWriterBackpressure(t *testing.T) {
	store := &memStore{delay: 20 * time.Millisecond}
	w := auth.NewWriter(store, auth.WriterOptions{QueueSize: 2, BatchSize: 2, EnqueueWait: 50 * time.Millisecond})
	var wg sync.WaitGroup
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); w.Enqueue(rec(i)) }()
	}
	wg.Wait()
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := store.count(); n != 100 {
		t.Fatalf("%d of 100 events written", n)
	}
}

// Failed writes are retried until they succeed.
func TestWriterRetries(t *testing.T) {
	store := &memStore{fail: 3}
	w := auth.NewWriter(store, auth.WriterOptions{FlushEvery: 10 * time.Millisecond})
	for i := 0; i < 5; i++ {
		w.Enqueue(rec(i))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if n := store.count(); n != 5 {
		t.Fatalf("%d of 5 events written after retries", n)
	}
}

// When the database never comes back, Close gives up at its deadline and
// every unwritten event is logged in full rather than vanishing.
func TestWriterGivesUpLoudly(t *testing.T) {
	store := &memStore{failAll: true}
	var logs bytes.Buffer
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, nil))
	w := auth.NewWriter(store, auth.WriterOptions{FlushEvery: 10 * time.Millisecond, Logger: log})
	for i := 0; i < 3; i++ {
		w.Enqueue(rec(i))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if err := w.Close(ctx); err == nil {
		t.Fatal("Close reported success with the store failing")
	}
	mu.Lock()
	defer mu.Unlock()
	for i := 0; i < 3; i++ {
		if !strings.Contains(logs.String(), fmt.Sprintf("subject=user%d", i)) {
			t.Errorf("event of user%d neither written nor logged", i)
		}
	}
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestCollector(t *testing.T) {
	c := auth.NewCollector()
	if !c.Empty() {
		t.Fatal("new collector not empty")
	}
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Note("Patient.postcode", int64(i%10+1))
			c.Note("Patient.nhsNumber", int64(i%10+1))
		}()
	}
	wg.Wait()
	if got := strings.Join(c.Fields(), ","); got != "Patient.nhsNumber,Patient.postcode" {
		t.Errorf("fields = %s", got)
	}
	if c.Patients() != 10 {
		t.Errorf("patients = %d, want 10", c.Patients())
	}
}
