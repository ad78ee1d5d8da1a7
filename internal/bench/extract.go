package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/hesgql/hesgql/db"
)

// extractColumns are the five columns of the extract shape.
const extractColumns = "episodeKey,financialYear,providerCode,episodeStart,startAge"

// extract is what the CSV extract of every row measured.
type extract struct {
	rows      int
	took      time.Duration
	peakRSS   int64 // bytes: the process's high-water mark over the extract
	floorRows int
	floor     time.Duration // the extract's own statements replayed
	floorErr  error
}

func (e extract) rate() float64      { return float64(e.rows) / e.took.Seconds() }
func (e extract) floorRate() float64 { return float64(e.floorRows) / e.floor.Seconds() }

// measureExtract streams GET /export/episodes.csv of every row over
// loopback, counting rows as the client reads them, with the process's peak
// resident set size reset before and read after. Client and server share
// the process, so the peak is an upper bound on the server's.
func measureExtract(ctx context.Context, base, token string, rec *recorder, d *db.DB) (extract, error) {
	var e extract
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/export/episodes.csv?columns="+extractColumns, nil)
	if err != nil {
		return e, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set(workloadHeader, "extract")
	req.Header.Set(traceHeader, "1")
	runtime.GC()
	resetPeakRSS()
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return e, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		return e, fmt.Errorf("extract: status %d: %s", resp.StatusCode, b)
	}
	lines, err := countLines(resp.Body)
	e.took = time.Since(start)
	e.peakRSS = peakRSS()
	if err != nil {
		return e, fmt.Errorf("extract: %w", err)
	}
	e.rows = lines - 1 // the header
	start = time.Now()
	e.floorRows, e.floorErr = d.Replay(ctx, rec.lastTrace())
	e.floor = time.Since(start)
	return e, nil
}

func countLines(r io.Reader) (int, error) {
	buf := make([]byte, 256<<10)
	n := 0
	for {
		k, err := r.Read(buf)
		n += bytes.Count(buf[:k], []byte{'\n'})
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// resetPeakRSS sets the process's VmHWM back to its current resident set
// size (Linux: writing 5 to /proc/self/clear_refs).
func resetPeakRSS() {
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// peakRSS reads VmHWM from /proc/self/status; 0 where there is none.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
