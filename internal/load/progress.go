package load

import (
	"fmt"
	"io"
	"time"
)

// progress reports rows, rate and an estimate of time left, as one redrawn
// line on a terminal and as occasional plain lines elsewhere (logs, CI).
type progress struct {
	w        io.Writer
	terminal bool
	size     int64
	start    time.Time
	last     time.Time
}

func newProgress(w io.Writer, terminal bool, size int64) *progress {
	now := time.Now()
	return &progress{w: w, terminal: terminal, size: size, start: now, last: now}
}

func (p *progress) report(rows int, bytes int64) {
	if p.w == nil {
		return
	}
	every := 5 * time.Second
	if p.terminal {
		every = 200 * time.Millisecond
	}
	if time.Since(p.last) < every {
		return
	}
	p.last = time.Now()
	p.print(rows, bytes, false)
}

func (p *progress) done(rows int, bytes int64) {
	if p.w != nil {
		p.print(rows, bytes, true)
	}
}

func (p *progress) print(rows int, bytes int64, final bool) {
	elapsed := time.Since(p.start)
	rate := float64(rows) / max(elapsed.Seconds(), 1e-9)
	line := fmt.Sprintf("%d rows, %.0f rows/s", rows, rate)
	if p.size > 0 && !final {
		frac := float64(bytes) / float64(p.size)
		eta := time.Duration(0)
		if frac > 0 {
			eta = time.Duration(float64(elapsed)/frac - float64(elapsed)).Round(time.Second)
		}
		line = fmt.Sprintf("%5.1f%%  %s  ETA %s", 100*frac, line, eta)
	}
	if final {
		line += fmt.Sprintf(" in %s", elapsed.Round(time.Millisecond))
	}
	if p.terminal {
		end := ""
		if final {
			end = "\n"
		}
		fmt.Fprintf(p.w, "\r\033[K%s%s", line, end)
		return
	}
	fmt.Fprintln(p.w, line)
}
