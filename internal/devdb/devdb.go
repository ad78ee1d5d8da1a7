// Package devdb runs a private MariaDB (or MySQL) server for development and
// tests, so that `hesgql serve --demo` and `go test ./...` work on a machine
// where nobody has configured a database.
//
// The server is an ordinary mariadbd/mysqld from the system, started with its
// own data directory, socket and loopback port under the project's .data
// folder; it never touches a system instance or its my.cnf. It is started
// detached in its own process group and deliberately left running when the
// starting process exits: the next `go test` or `serve` finds it through a
// state file and reuses it, which turns a multi-second start into a
// millisecond check. Stop shuts it down; the data directory persists.
// Inspect reports it. A server still running after its data directory was
// deleted (rm -rf .data) is an orphan, found through /proc by its --datadir;
// Ensure and Stop shut orphans down rather than leave one running beside a
// new server.
//
// There is no embedded SQL engine here on purpose: the product runs on
// MariaDB/MySQL, and tests must exercise the same planner and dialect.
package devdb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Options configures where the private server lives and what Ensure may do
// to get one running.
type Options struct {
	// Dir is the data root. The server keeps everything in Dir/devdb. When
	// empty it is ".data" at the module root (the nearest directory above the
	// working directory holding go.mod), so that test binaries, which run in
	// their package directories, all share one server.
	Dir string
	// Logger receives progress: server starts, data directory
	// initialisation and apt-get output. Nil means slog.Default().
	Logger *slog.Logger
	// Install allows `apt-get install mariadb-server` when no server binary
	// is found. It only happens when running as root on Debian or a
	// derivative; otherwise Ensure reports what to install instead.
	Install bool
}

// DSNEnv is the environment variable users set to point hesgql at an existing
// server instead of a private one; errors mention it so the way out is clear.
const DSNEnv = "HES_DSN"

const (
	subdir    = "devdb"
	lockName  = "devdb.lock"
	stateName = "state.json"
	// startTimeout bounds waiting for a freshly started (or recovering)
	// server to accept connections; crash recovery of a large buffer pool
	// can take a while, a healthy start takes about a second.
	startTimeout = 60 * time.Second
	// stopTimeout bounds a clean shutdown before Stop resorts to SIGKILL.
	stopTimeout = 60 * time.Second
)

// state is what a running server leaves behind for the next caller.
type state struct {
	PID     int    `json:"pid"`
	Port    int    `json:"port"`
	Socket  string `json:"socket"`
	DataDir string `json:"datadir"`
	Binary  string `json:"binary"`
	Version string `json:"version"`
}

// Ensure returns a DSN in go-sql-driver format (no database selected, root
// with an empty password over TCP to 127.0.0.1) for a running private server,
// starting one if needed. It is safe to call concurrently from goroutines and
// processes alike: `go test ./...` runs packages in parallel, and a file lock
// makes exactly one of them start the server while the rest wait and reuse
// it. Callers wanting a database parse the DSN with mysql.ParseDSN and set
// DBName.
func Ensure(ctx context.Context, opts Options) (string, error) {
	l, err := newLayout(opts.Dir)
	if err != nil {
		return "", err
	}
	log := logger(opts)

	unlock, err := lock(ctx, l)
	if err != nil {
		return "", err
	}
	defer unlock()

	prev, err := readState(l)
	if err != nil {
		return "", err
	}
	if prev != nil && prev.DataDir == l.data && serving(prev.PID, l.data) {
		// A live server may still be recovering after a crash or be
		// started by a process that died half-way; give it the same
		// grace a fresh start gets rather than starting a second server
		// that would fight over the InnoDB lock.
		dsn := dsnFor(prev.Port)
		if err := waitReady(ctx, dsn, l.data, nil); err != nil {
			return "", fmt.Errorf("devdb: server pid %d on port %d is running but not answering; kill it and retry: %w%s",
				prev.PID, prev.Port, err, logTail(l.errLog))
		}
		log.Debug("devdb: reusing private server", "port", prev.Port, "pid", prev.PID)
		return dsn, nil
	}

	// Any other server on this datadir path is an orphan: one whose .data
	// was deleted while it ran (it keeps running on the deleted files and
	// its port), or one left without a state file. Either would outlive the
	// server started next, or fight it over the InnoDB lock.
	if err := stopOrphans(ctx, l, log); err != nil {
		return "", err
	}

	st, err := start(ctx, l, opts, log, prev)
	if err != nil {
		return "", err
	}
	if err := writeState(l, st); err != nil {
		return "", err
	}
	return dsnFor(st.Port), nil
}

// layout names every path the private server uses.
type layout struct {
	root   string // Dir/devdb
	data   string // the server's datadir
	lock   string
	state  string
	pid    string
	errLog string
	socket string
	inited string // marker written once the datadir is fully initialised
}

func newLayout(dir string) (layout, error) {
	if dir == "" {
		var err error
		if dir, err = defaultDir(); err != nil {
			return layout{}, err
		}
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return layout{}, fmt.Errorf("devdb: %w", err)
	}
	root := filepath.Join(dir, subdir)
	l := layout{
		root:   root,
		data:   filepath.Join(root, "data"),
		lock:   filepath.Join(root, lockName),
		state:  filepath.Join(root, stateName),
		pid:    filepath.Join(root, "mysqld.pid"),
		errLog: filepath.Join(root, "error.log"),
		socket: socketPath(root),
		inited: filepath.Join(root, "initialised"),
	}
	return l, nil
}

// sunPathMax is the longest Unix socket path the kernel accepts (108 bytes
// of sun_path including the terminating NUL); the server refuses to start
// with a longer --socket.
const sunPathMax = 107

// socketPath keeps the socket beside the data when the path fits, which is
// the common case, and otherwise falls back to a short name in /tmp derived
// from the directory so that two checkouts never share one.
func socketPath(root string) string {
	p := filepath.Join(root, "mysqld.sock")
	if len(p) <= sunPathMax {
		return p
	}
	h := fnv.New32a()
	h.Write([]byte(root))
	return fmt.Sprintf("/tmp/hesgql-devdb-%08x.sock", h.Sum32())
}

// defaultDir finds .data at the module root, falling back to the working
// directory when hesgql runs outside a source checkout.
func defaultDir() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("devdb: %w", err)
	}
	for d := wd; ; {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(d, ".data"), nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return filepath.Join(wd, ".data"), nil
		}
		d = parent
	}
}

func logger(opts Options) *slog.Logger {
	if opts.Logger != nil {
		return opts.Logger
	}
	return slog.Default()
}

// lock takes an exclusive flock on the lock file. It polls with LOCK_NB
// rather than blocking so that a cancelled context (a test timing out while
// another process installs packages) is honoured.
func lock(ctx context.Context, l layout) (unlock func(), err error) {
	if err := os.MkdirAll(l.root, 0o755); err != nil {
		return nil, fmt.Errorf("devdb: %w", err)
	}
	// Go opens files close-on-exec, so the server we spawn does not inherit
	// the lock and keep it held after we return.
	f, err := os.OpenFile(l.lock, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("devdb: %w", err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("devdb: lock %s: %w", l.lock, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("devdb: waiting for %s: %w", l.lock, ctx.Err())
		case <-time.After(25 * time.Millisecond):
		}
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

func readState(l layout) (*state, error) {
	b, err := os.ReadFile(l.state)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("devdb: %w", err)
	}
	var st state
	if err := json.Unmarshal(b, &st); err != nil {
		// A torn or hand-edited file only costs a restart.
		return nil, nil
	}
	return &st, nil
}

// writeState replaces the state file atomically so a reader never sees half
// a record.
func writeState(l layout, st *state) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("devdb: %w", err)
	}
	tmp := l.state + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("devdb: %w", err)
	}
	if err := os.Rename(tmp, l.state); err != nil {
		return fmt.Errorf("devdb: %w", err)
	}
	return nil
}

// processAlive reports whether pid is a live server for datadir. On Linux
// the command line is checked too, because after a reboot the recorded pid
// may belong to an unrelated process; a zombie has an empty command line and
// so counts as dead.
func processAlive(pid int, datadir string) bool {
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		// No /proc (macOS): trust the signal probe.
		_, statErr := os.Stat("/proc/self")
		return statErr != nil
	}
	want := "--datadir=" + datadir
	for _, arg := range splitNUL(cmdline) {
		if arg == want {
			return true
		}
	}
	return false
}

// readPID reads a server pid file, returning 0 when there is none.
func readPID(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

func splitNUL(b []byte) []string {
	var out []string
	start := 0
	for i, c := range b {
		if c == 0 {
			out = append(out, string(b[start:i]))
			start = i + 1
		}
	}
	if start < len(b) {
		out = append(out, string(b[start:]))
	}
	return out
}

// dsnFor formats the DSN handed to callers. parseTime is on because every
// caller scans DATE/DATETIME columns into time.Time.
func dsnFor(port int) string {
	cfg := mysql.NewConfig()
	cfg.User = "root"
	cfg.Net = "tcp"
	cfg.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	cfg.ParseTime = true
	return cfg.FormatDSN()
}

// ping connects once and checks that the server answering is ours, by its
// datadir: a stale state file could otherwise lead us to a different server
// that happens to have taken the port.
func ping(ctx context.Context, dsn, datadir string) error {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return err
	}
	cfg.Timeout = 2 * time.Second
	// The driver logs connection noise while the server is still starting;
	// the caller reports the final error itself.
	cfg.Logger = &mysql.NopLogger{}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return err
	}
	db := sql.OpenDB(conn)
	defer db.Close()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var got string
	if err := db.QueryRowContext(ctx, "SELECT @@datadir").Scan(&got); err != nil {
		return err
	}
	if !sameDir(got, datadir) {
		return fmt.Errorf("port belongs to another server (datadir %s)", got)
	}
	return nil
}

func sameDir(a, b string) bool {
	ra, err := filepath.EvalSymlinks(a)
	if err != nil {
		ra = a
	}
	rb, err := filepath.EvalSymlinks(b)
	if err != nil {
		rb = b
	}
	return filepath.Clean(ra) == filepath.Clean(rb)
}
