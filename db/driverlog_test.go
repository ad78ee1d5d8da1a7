package db

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
)

// The driver's report of a socket that pinOn closed, to stop a departed
// caller's statement, is logged at debug; anything else it says stays a
// warning.
func TestDriverLogLevels(t *testing.T) {
	var buf bytes.Buffer
	l := newDriverLog(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	closed := &net.OpError{Op: "read", Net: "tcp", Err: net.ErrClosed}
	l.Print("closing connection:", closed)
	l.Print(fmt.Errorf("wrapped: %w", closed))
	l.Print(errors.New("unexpected EOF"))
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("log:\n%s", buf.String())
	}
	for i, want := range []string{"level=DEBUG", "level=DEBUG", "level=WARN"} {
		if !strings.Contains(lines[i], want) {
			t.Errorf("line %d = %s, want %s", i, lines[i], want)
		}
	}
}
