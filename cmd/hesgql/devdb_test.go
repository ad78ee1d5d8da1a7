package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hesgql/hesgql/internal/devdb"
)

// `hesgql devdb start|status|stop` runs the whole lifecycle of a private
// server in a data directory of its own.
func TestDevDBCommand(t *testing.T) {
	dir := t.TempDir()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := devdb.Stop(ctx, devdb.Options{Dir: dir}); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	env := envFunc(map[string]string{"HES_DATA_DIR": dir})
	devdbRun := func(t *testing.T, args ...string) (string, string, error) {
		t.Helper()
		var out, errOut bytes.Buffer
		err := run(context.Background(), append([]string{"devdb"}, args...), env, &out, &errOut)
		return out.String(), errOut.String(), err
	}

	t.Run("StatusNotRunning", func(t *testing.T) {
		out, _, err := devdbRun(t, "status")
		if err != nil || !strings.Contains(out, "state:    not running") || !strings.Contains(out, "data dir: "+dir) {
			t.Errorf("status = %q, %v; want not running in %s", out, err, dir)
		}
	})

	t.Run("Lifecycle", func(t *testing.T) {
		out, logs, err := devdbRun(t, "start")
		if err != nil {
			t.Fatalf("start: %v\n%s", err, logs)
		}
		m := regexp.MustCompile(`HES_DSN='(root@tcp\(127\.0\.0\.1:(\d+)\)/[^']*)'`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("start printed %q, want the DSN", out)
		}
		// A first start says what it does while it does it.
		for _, want := range []string{"initialising data directory", "starting private server"} {
			if !strings.Contains(logs, want) {
				t.Errorf("start logged %q, want a line saying %q", logs, want)
			}
		}
		out, _, err = devdbRun(t, "--data-dir", dir, "status")
		for _, want := range []string{"state:    running", "port:     " + m[2], "dsn:      " + m[1], "pid:      "} {
			if err != nil || !strings.Contains(out, want) {
				t.Errorf("status = %q, %v; want %q in it", out, err, want)
			}
		}
		if out, _, err = devdbRun(t, "stop"); err != nil || !strings.Contains(out, "stopped") {
			t.Errorf("stop = %q, %v", out, err)
		}
		if out, _, err = devdbRun(t, "status"); err != nil || !strings.Contains(out, "not running") {
			t.Errorf("status after stop = %q, %v", out, err)
		}
		if out, _, err = devdbRun(t, "stop"); err != nil || !strings.Contains(out, "was not running") {
			t.Errorf("second stop = %q, %v", out, err)
		}
	})

	t.Run("ErrUsage", func(t *testing.T) {
		for _, args := range [][]string{{}, {"restart"}} {
			if _, _, err := devdbRun(t, args...); err == nil {
				t.Errorf("devdb %v succeeded, want an error", args)
			}
		}
	})
}
