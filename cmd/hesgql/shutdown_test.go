package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/hesgql/hesgql/db/dbtest"
)

func (s *syncBuffer) find(msg string) map[string]any {
	for _, l := range s.jsonLines() {
		if l["msg"] == msg {
			return l
		}
	}
	return nil
}

// A shutdown whose grace period runs out with a request still in flight
// logs the request it abandons and still ends the command successfully:
// SIGTERM asked for it, so a supervisor must not see a crash.
func TestServeShutdownAbandonsSlowRequests(t *testing.T) {
	env := envFunc(map[string]string{"HES_DSN": dbtest.NewDSN(t), "HES_DEV": "true", "HES_LOG_FORMAT": "json",
		"HES_SHUTDOWN_GRACE": "300ms"})
	var logs syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, env, &bytes.Buffer{}, &logs) }()

	var addr string
	for deadline := time.Now().Add(60 * time.Second); addr == ""; time.Sleep(20 * time.Millisecond) {
		if l := logs.find("serving"); l != nil {
			addr, _ = l["addr"].(string)
		}
		select {
		case err := <-done:
			t.Fatalf("serve exited early: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("serve did not start")
		}
	}

	// A client that sends half of its body and stalls keeps its request in
	// flight (the handler waits for the rest) past any grace period.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /graphql HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 200\r\n"+
		"Expect: 100-continue\r\nX-Request-Id: slow-request-1\r\n\r\n", addr)
	// net/http answers 100 Continue when the handler starts reading the
	// body: from then on the request is in flight.
	_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	status, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || !strings.Contains(status, "100") {
		t.Fatalf("no 100 Continue: %q %v", status, err)
	}
	fmt.Fprint(conn, `{"query":`)

	cancel() // what SIGTERM does through signal.NotifyContext
	start := time.Now()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v after a requested shutdown; want success (exit 0)", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("shutdown took %v with a 300ms grace period", took)
	}
	l := logs.find("shutdown: request abandoned")
	if l == nil {
		t.Fatalf("no abandoned request logged; log:\n%v", logs.jsonLines())
	}
	if l["method"] != "POST" || l["path"] != "/graphql" || l["request_id"] != "slow-request-1" || l["level"] != "WARN" {
		t.Errorf("abandoned request line = %v", l)
	}
	age, _ := l["age"].(float64) // nanoseconds in slog's JSON
	if time.Duration(age) < 300*time.Millisecond {
		t.Errorf("abandoned request age = %v, want at least the grace period", time.Duration(age))
	}
	if s := logs.find("shutdown grace period ended: connections of the requests still running are cut"); s == nil || s["abandoned"] != float64(1) {
		t.Errorf("summary line = %v, want abandoned=1", s)
	}
	for _, l := range logs.jsonLines() {
		if l["level"] == "ERROR" {
			t.Errorf("ERROR logged by a requested shutdown: %v", l)
		}
		if msg, _ := l["msg"].(string); strings.Contains(msg, "deadline") {
			t.Errorf("bare deadline error logged: %v", l)
		}
	}
}
