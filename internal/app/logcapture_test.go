package app_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// logCapture collects a server's JSON log lines for assertions.
type logCapture struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (c *logCapture) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.Write(p)
}

// logger logs everything from debug up into c.
func (c *logCapture) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(c, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// lines decodes every line logged so far.
func (c *logCapture) lines(tb testing.TB) []map[string]any {
	tb.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(c.buf.Bytes()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			tb.Fatalf("log line is not JSON: %v: %s", err, sc.Bytes())
		}
		out = append(out, m)
	}
	return out
}

// raw returns every line logged so far, undecoded.
func (c *logCapture) raw() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Split(strings.TrimSpace(c.buf.String()), "\n")
}

// where returns the lines with the given level and message.
func (c *logCapture) where(tb testing.TB, level, msg string) []map[string]any {
	tb.Helper()
	var out []map[string]any
	for _, l := range c.lines(tb) {
		if l["level"] == level && (msg == "" || l["msg"] == msg) {
			out = append(out, l)
		}
	}
	return out
}
