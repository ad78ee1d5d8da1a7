package devdb

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// helperDirEnv switches TestHelperProcess into a child that calls Ensure, so
// the lock can be exercised across processes as `go test ./...` does.
const helperDirEnv = "DEVDB_TEST_HELPER_DIR"

// newOptions returns options for a private server in a fresh temp dir, shut
// down when the test ends so no server outlives its deleted datadir.
// Install is on so a fresh root machine installs the server rather than
// failing, matching what `serve --demo` does.
func newOptions(t *testing.T) Options {
	t.Helper()
	opts := Options{
		Dir:     t.TempDir(),
		Logger:  slog.New(slog.NewTextHandler(t.Output(), nil)),
		Install: true,
	}
	// Registered after TempDir, so it runs before the directory is removed.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := Stop(ctx, opts); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return opts
}

func mustEnsure(t *testing.T, opts Options) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	dsn, err := Ensure(ctx, opts)
	if err != nil {
		t.Fatalf("Ensure: %v", err)
	}
	t.Logf("Ensure took %v: %s", time.Since(start).Round(time.Millisecond), dsn)
	return dsn
}

func mustOpen(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatalf("open %q: %v", dsn, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestEnsure(t *testing.T) {
	opts := newOptions(t)
	dsn := mustEnsure(t, opts)

	t.Run("OK", func(t *testing.T) {
		cfg, err := mysql.ParseDSN(dsn)
		if err != nil {
			t.Fatalf("ParseDSN(%q): %v", dsn, err)
		}
		if !strings.HasPrefix(cfg.Addr, "127.0.0.1:") || cfg.Net != "tcp" {
			t.Errorf("addr = %s(%s), want tcp(127.0.0.1:port)", cfg.Net, cfg.Addr)
		}
		if !cfg.ParseTime {
			t.Error("parseTime is off, want on")
		}
		var version string
		if err := mustOpen(t, dsn).QueryRow("SELECT VERSION()").Scan(&version); err != nil {
			t.Fatalf("SELECT VERSION(): %v", err)
		}
		t.Logf("server version %s", version)
	})

	t.Run("Settings", func(t *testing.T) {
		db := mustOpen(t, dsn)
		var charset, mode, bind string
		err := db.QueryRow("SELECT @@character_set_server, @@sql_mode, @@bind_address").Scan(&charset, &mode, &bind)
		if err != nil {
			t.Fatal(err)
		}
		if charset != "utf8mb4" {
			t.Errorf("character_set_server = %q, want utf8mb4", charset)
		}
		if !strings.Contains(mode, "STRICT_TRANS_TABLES") {
			t.Errorf("sql_mode = %q, want STRICT_TRANS_TABLES in it", mode)
		}
		if bind != "127.0.0.1" {
			t.Errorf("bind_address = %q, want 127.0.0.1", bind)
		}
	})

	t.Run("Reuse", func(t *testing.T) {
		if got := mustEnsure(t, opts); got != dsn {
			t.Errorf("second Ensure = %q, want %q", got, dsn)
		}
	})

	t.Run("InspectAndStop", func(t *testing.T) {
		ctx := context.Background()
		st, err := Inspect(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		if !st.Running || st.PID <= 0 || st.DSN != dsn || st.Version == "" || len(st.Orphans) != 0 {
			t.Fatalf("Inspect = %+v, want running with DSN %s, a pid and a version, no orphans", st, dsn)
		}
		if cfg, _ := mysql.ParseDSN(dsn); !strings.HasSuffix(cfg.Addr, fmt.Sprintf(":%d", st.Port)) {
			t.Errorf("Inspect port %d, DSN address %s", st.Port, cfg.Addr)
		}
		if err := Stop(ctx, opts); err != nil {
			t.Fatal(err)
		}
		if processAlive(st.PID, st.DataDir) {
			t.Errorf("server pid %d still running after Stop", st.PID)
		}
		if st, err := Inspect(ctx, opts); err != nil || st.Running || len(st.Orphans) != 0 {
			t.Errorf("Inspect after Stop = %+v, %v; want not running", st, err)
		}
	})
}

// TestEnsure_Restart covers a server that died without Stop (a crash, a
// reboot): the state file then names a dead pid, Ensure must start a new
// server, and the data must still be there.
func TestEnsure_Restart(t *testing.T) {
	opts := newOptions(t)
	dsn := mustEnsure(t, opts)
	if _, err := mustOpen(t, dsn).Exec("CREATE DATABASE survivor"); err != nil {
		t.Fatal(err)
	}

	l, err := newLayout(opts.Dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := readState(l)
	if err != nil || st == nil {
		t.Fatalf("readState = %v, %v; want a state", st, err)
	}
	if err := syscall.Kill(st.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); processAlive(st.PID, l.data); {
		if time.Now().After(deadline) {
			t.Fatalf("server pid %d still alive after SIGKILL", st.PID)
		}
		time.Sleep(20 * time.Millisecond)
	}

	dsn2 := mustEnsure(t, opts)
	var n int
	err = mustOpen(t, dsn2).QueryRow(
		"SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = 'survivor'").Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("database survivor missing after restart")
	}
	if st2, _ := readState(l); st2 == nil || st2.PID == st.PID {
		t.Errorf("state after restart = %+v, want a new pid", st2)
	}
}

func TestEnsure_Concurrent(t *testing.T) {
	opts := newOptions(t)

	t.Run("Goroutines", func(t *testing.T) {
		const n = 8
		dsns := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
				defer cancel()
				dsns[i], errs[i] = Ensure(ctx, opts)
			})
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("Ensure #%d: %v", i, errs[i])
			}
			if dsns[i] != dsns[0] {
				t.Errorf("Ensure #%d = %q, want %q like #0", i, dsns[i], dsns[0])
			}
		}
		assertOneServer(t, opts)
	})

	// Separate processes, as `go test ./...` runs packages, each calling
	// Ensure on the same (by now running) server; Stop first so they race
	// to start it.
	t.Run("Processes", func(t *testing.T) {
		if err := Stop(context.Background(), opts); err != nil {
			t.Fatal(err)
		}
		const n = 4
		outs := make([]bytes.Buffer, n)
		cmds := make([]*exec.Cmd, n)
		for i := range n {
			cmds[i] = exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
			cmds[i].Env = append(os.Environ(), helperDirEnv+"="+opts.Dir)
			cmds[i].Stdout = &outs[i]
			cmds[i].Stderr = &outs[i]
			if err := cmds[i].Start(); err != nil {
				t.Fatal(err)
			}
		}
		var dsns []string
		for i := range n {
			if err := cmds[i].Wait(); err != nil {
				t.Fatalf("helper %d: %v\n%s", i, err, outs[i].String())
			}
			_, after, ok := strings.Cut(outs[i].String(), "DSN=")
			if !ok {
				t.Fatalf("helper %d printed no DSN:\n%s", i, outs[i].String())
			}
			dsn, _, _ := strings.Cut(after, "\n")
			dsns = append(dsns, dsn)
		}
		for i, d := range dsns {
			if d != dsns[0] {
				t.Errorf("helper %d DSN = %q, want %q like helper 0", i, d, dsns[0])
			}
		}
		assertOneServer(t, opts)
	})
}

// TestHelperProcess is the child of TestEnsure_Concurrent/Processes; run
// normally it does nothing.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv(helperDirEnv)
	if dir == "" {
		return
	}
	dsn, err := Ensure(context.Background(), Options{Dir: dir, Logger: slog.New(slog.NewTextHandler(os.Stderr, nil))})
	if err != nil {
		t.Fatalf("Ensure: %v", err)
	}
	fmt.Printf("DSN=%s\n", dsn)
}

// assertOneServer counts live server processes using this test's datadir.
func assertOneServer(t *testing.T, opts Options) {
	t.Helper()
	l, err := newLayout(opts.Dir)
	if err != nil {
		t.Fatal(err)
	}
	procs, err := filepath.Glob("/proc/[0-9]*/cmdline")
	if err != nil || len(procs) == 0 {
		t.Logf("no /proc; not counting server processes")
		return
	}
	want := []byte("--datadir=" + l.data + "\x00")
	count := 0
	for _, p := range procs {
		if b, err := os.ReadFile(p); err == nil && bytes.Contains(b, want) {
			count++
		}
	}
	if count != 1 {
		t.Errorf("%d servers running on %s, want 1", count, l.data)
	}
}

func TestEnsure_NoServer(t *testing.T) {
	empty := t.TempDir()
	orig := binDirs
	binDirs = func() []string { return []string{empty} }
	t.Cleanup(func() { binDirs = orig })

	_, err := Ensure(context.Background(), Options{Dir: t.TempDir(), Install: false})
	if err == nil {
		t.Fatal("Ensure succeeded without a server binary, want an error")
	}
	for _, want := range []string{"mariadb-server", "HES_DSN", "mariadbd"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

// TestEnsure_DefaultDir uses the shared server of the checkout, which is
// what every other package's tests use; it is left running on purpose.
func TestEnsure_DefaultDir(t *testing.T) {
	opts := Options{Logger: slog.New(slog.NewTextHandler(t.Output(), nil)), Install: true}
	dsn := mustEnsure(t, opts)

	// Tests run in the package directory, two levels below the module root.
	want, err := filepath.Abs(filepath.Join("..", "..", ".data", subdir, stateName))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(want); err != nil {
		t.Errorf("state file not at module root: %v", err)
	}
	var one int
	if err := mustOpen(t, dsn).QueryRow("SELECT 1").Scan(&one); err != nil {
		t.Fatal(err)
	}
}

func TestSocketPath(t *testing.T) {
	short := "/tmp/x/devdb"
	if got, want := socketPath(short), short+"/mysqld.sock"; got != want {
		t.Errorf("socketPath(%q) = %q, want %q", short, got, want)
	}
	long := "/tmp/" + strings.Repeat("d", 120) + "/devdb"
	got := socketPath(long)
	if len(got) > sunPathMax || !strings.HasPrefix(got, "/tmp/hesgql-devdb-") {
		t.Errorf("socketPath(long) = %q, want a short /tmp path", got)
	}
	if other := socketPath(long + "2"); other == got {
		t.Errorf("two long dirs share socket %q", got)
	}
}

// TestEnsure_StartFailure checks that a server that will not start is
// reported promptly with its log, using stand-in scripts for the binaries.
func TestEnsure_StartFailure(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	scripts := map[string]string{
		"mariadbd": `#!/bin/sh
case "$*" in *--version*) echo "mariadbd  Ver 10.11.0-MariaDB fake"; exit 0;; esac
echo "[ERROR] fake: unknown variable 'innodb-buffer-pool-size=512M'" >&2
exit 1
`,
		"mariadb-install-db": "#!/bin/sh\nexit 0\n",
	}
	for name, body := range scripts {
		if err := os.WriteFile(filepath.Join(bin, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	orig := binDirs
	binDirs = func() []string { return []string{bin} }
	t.Cleanup(func() { binDirs = orig })

	start := time.Now()
	_, err := Ensure(context.Background(), Options{Dir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(t.Output(), nil))})
	if err == nil {
		t.Fatal("Ensure succeeded with a server that exits at once, want an error")
	}
	if !strings.Contains(err.Error(), "unknown variable") {
		t.Errorf("error does not quote the server log:\n%v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("failure took %v to report, want prompt", d)
	}
}
