package export_test

import (
	"context"
	"encoding/csv"
	"errors"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hesgql/hesgql/db/dbtest"
	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/apptest"
	"github.com/hesgql/hesgql/internal/export"
)

// largeExtract is the number of episodes of the streaming tests: enough
// that buffering the extract anywhere would show in the heap.
const largeExtract = 200_000

// heapHeadroom is how far the heap may grow above its level before an
// extract starts. The CSV of 200k episodes is about 60 MiB, and its rows as
// Go values several times that, so holding them would break the bound.
const heapHeadroom = 64 << 20

// heapSampler records the largest HeapInuse seen until stopped.
type heapSampler struct {
	stop chan struct{}
	done sync.WaitGroup
	max  uint64
}

func sampleHeap(every time.Duration) *heapSampler {
	s := &heapSampler{stop: make(chan struct{})}
	s.done.Add(1)
	go func() {
		defer s.done.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			s.max = max(s.max, m.HeapInuse)
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *heapSampler) Stop() uint64 {
	close(s.stop)
	s.done.Wait()
	return s.max
}

func TestExportLarge(t *testing.T) {
	dsn := dbtest.NewDSN(t)
	d := dbtest.Open(t, dsn)
	started := time.Now()
	apptest.LoadGenerated(t, d, largeExtract, 21)
	t.Logf("generated and loaded %d episodes in %v", largeExtract, time.Since(started).Round(time.Millisecond))
	conn := sqlConn(t, dsn)
	tok := token(t, "res", []model.Role{model.RoleResearcher})

	t.Run("streams the listing in order with flat memory", func(t *testing.T) {
		s := newExportServer(t, d, export.Options{})
		want := sqlStrings(t, conn, "SELECT epikey FROM episodes ORDER BY epistart DESC, id DESC")
		if len(want) != largeExtract {
			t.Fatalf("the store holds %d episodes, want %d", len(want), largeExtract)
		}
		runtime.GC()
		var base runtime.MemStats
		runtime.ReadMemStats(&base)
		sampler := sampleHeap(5 * time.Millisecond)

		start := time.Now()
		resp := s.request(context.Background(), t, tok, url.Values{"orderBy": {`[{"field":"EPISODE_START","direction":"DESC"}]`}})
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
		r := csv.NewReader(resp.Body)
		r.ReuseRecord = true
		header, err := r.Read()
		if err != nil {
			t.Fatal(err)
		}
		key := slices.Index(header, "episodeKey")
		rows := 0
		for {
			rec, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("row %d: %v", rows, err)
			}
			if rows < len(want) && rec[key] != want[rows] {
				t.Fatalf("row %d is episode %s, the ordered listing has %s", rows, rec[key], want[rows])
			}
			rows++
		}
		took := time.Since(start)
		peak := sampler.Stop()
		if rows != len(want) {
			t.Errorf("extract has %d rows, want %d", rows, len(want))
		}
		grew := int64(peak) - int64(base.HeapInuse)
		t.Logf("%d rows in %v (%.0f rows/s); heap in use %d MiB before, peak %d MiB (+%d MiB)",
			rows, took.Round(time.Millisecond), float64(rows)/took.Seconds(), base.HeapInuse>>20, peak>>20, grew>>20)
		if grew > heapHeadroom {
			t.Errorf("heap grew by %d MiB while streaming, bound %d MiB", grew>>20, heapHeadroom>>20)
		}
	})

	t.Run("a client that goes away stops the query", func(t *testing.T) {
		// One statement for the whole extract, so that it is certainly
		// still running on the server when the client leaves.
		s := newExportServer(t, d, export.Options{BatchSize: 1 << 30})
		running := func() int {
			return sqlInt(t, conn, `SELECT COUNT(*) FROM information_schema.PROCESSLIST
				WHERE DB = DATABASE() AND ID <> CONNECTION_ID() AND INFO LIKE 'SELECT %FROM episodes e%'`)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		resp := s.request(ctx, t, tok, url.Values{"orderBy": {`[{"field":"PROVIDER_CODE"},{"field":"START_AGE"}]`}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
		if _, err := io.CopyN(io.Discard, resp.Body, 64<<10); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for running() == 0 {
			if time.Now().After(deadline) {
				t.Fatal("the extract's statement never showed in the process list")
			}
			time.Sleep(20 * time.Millisecond)
		}

		left := time.Now()
		cancel()
		resp.Body.Close()
		select {
		case <-s.returned:
		case <-time.After(5 * time.Second):
			t.Fatal("the handler did not return within 5s of the client leaving")
		}
		returned := time.Since(left)
		for running() != 0 {
			if time.Since(left) > 5*time.Second {
				t.Fatal("the extract's statement still runs 5s after the client left")
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Logf("handler returned %v and the statement was gone %v after the client left",
			returned.Round(time.Millisecond), time.Since(left).Round(time.Millisecond))
		if returned > 2*time.Second {
			t.Errorf("the handler took %v to notice the client had gone", returned)
		}
	})
}
