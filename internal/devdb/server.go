package devdb

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// binDirs lists where to look for server binaries: PATH first, then the
// places packages put them that a non-root PATH often lacks (Debian installs
// mariadbd in /usr/sbin; MySQL and MariaDB tarballs in /usr/local/mysql).
// It is a variable so tests can simulate a machine without a server.
var binDirs = func() []string {
	dirs := filepath.SplitList(os.Getenv("PATH"))
	return append(dirs, "/usr/sbin", "/usr/local/sbin", "/usr/local/mysql/bin")
}

// serverPackage is what we install, and what errors tell users to install.
const serverPackage = "mariadb-server"

// server describes the binary found on this machine.
type server struct {
	bin     string // path to mariadbd or mysqld
	version string // first line of --version
	mariadb bool   // MariaDB rather than Oracle MySQL
}

// findExecutable returns the first executable named one of names in dirs,
// trying every directory for each name so mariadbd wins over mysqld (on
// Debian mysqld is a compatibility symlink to mariadbd anyway).
func findExecutable(dirs []string, names ...string) string {
	for _, name := range names {
		for _, d := range dirs {
			// Like exec.LookPath, ignore relative PATH entries: a
			// "mariadbd" in the working directory is not trusted.
			if !filepath.IsAbs(d) {
				continue
			}
			p := filepath.Join(d, name)
			if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
				return p
			}
		}
	}
	return ""
}

// findServer locates mariadbd or mysqld, installing the package when allowed
// and possible.
func findServer(ctx context.Context, opts Options, log *slog.Logger) (*server, error) {
	bin := findExecutable(binDirs(), "mariadbd", "mysqld")
	if bin == "" {
		if !opts.Install {
			return nil, missingServerError("")
		}
		if reason := cannotInstall(); reason != "" {
			return nil, missingServerError(reason)
		}
		log.Info("devdb: no database server found; installing " + serverPackage + " with apt-get")
		if err := AptInstall(ctx, log, serverPackage); err != nil {
			return nil, fmt.Errorf("%w, or set %s", err, DSNEnv)
		}
		if bin = findExecutable(binDirs(), "mariadbd", "mysqld"); bin == "" {
			return nil, missingServerError("apt-get installed " + serverPackage + " but no mariadbd was found afterwards")
		}
	}
	out, err := exec.CommandContext(ctx, bin, "--no-defaults", "--version").CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("devdb: %s --version: %w: %s", bin, err, bytes.TrimSpace(out))
	}
	v := strings.TrimSpace(string(out))
	if i := strings.IndexByte(v, '\n'); i >= 0 {
		v = v[:i]
	}
	// "/usr/sbin/mariadbd  Ver 10.11.19-MariaDB-0+deb12u1 for ..." -> from the number on.
	if _, after, ok := strings.Cut(v, " Ver "); ok {
		v = after
	}
	return &server{bin: bin, version: v, mariadb: strings.Contains(v, "MariaDB")}, nil
}

func missingServerError(reason string) error {
	msg := "devdb: no MariaDB or MySQL server binary (mariadbd or mysqld) found in PATH, /usr/sbin or /usr/local/mysql/bin; " +
		"install the " + serverPackage + " package (sudo apt-get install " + serverPackage + ") " +
		"or set " + DSNEnv + " to an existing server, e.g. " + DSNEnv + "='user:pass@tcp(127.0.0.1:3306)/hes?parseTime=true'"
	if reason != "" {
		msg += " (not installing automatically: " + reason + ")"
	}
	return errors.New(msg)
}

// cannotInstall explains why apt-get cannot be used here, or returns "".
// Installing needs root because we will not prompt for a sudo password from
// inside a test run or a server start.
func cannotInstall() string {
	if os.Geteuid() != 0 {
		return "not running as root"
	}
	if _, err := os.Stat("/etc/debian_version"); err != nil {
		return "not a Debian-based system"
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		return "apt-get not found"
	}
	return ""
}

// AptInstall installs Debian packages with apt-get, streaming apt's output
// line by line to log: it can take minutes on a fresh machine and a silent
// pause that long looks like a hang. It refuses, saying why, where apt-get
// cannot be used without a password prompt (not root, not Debian).
func AptInstall(ctx context.Context, log *slog.Logger, packages ...string) error {
	if reason := cannotInstall(); reason != "" {
		return fmt.Errorf("cannot install %s: %s", strings.Join(packages, " "), reason)
	}
	steps := [][]string{
		{"apt-get", "update"},
		append([]string{"apt-get", "install", "-y", "--no-install-recommends"}, packages...),
	}
	for _, args := range steps {
		cmd := exec.CommandContext(ctx, args[0], args[1:]...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		pr, pw := io.Pipe()
		cmd.Stdout, cmd.Stderr = pw, pw
		done := make(chan struct{})
		go func() {
			defer close(done)
			sc := bufio.NewScanner(pr)
			for sc.Scan() {
				log.Info("devdb: "+args[0]+" "+args[1], "out", sc.Text())
			}
			_, _ = io.Copy(io.Discard, pr)
		}()
		err := cmd.Run()
		pw.Close()
		<-done
		if err != nil {
			return fmt.Errorf("devdb: %s failed: %w; install %s yourself",
				strings.Join(args, " "), err, strings.Join(packages, " "))
		}
	}
	return nil
}

// runUser is the account passed as --user. mariadbd refuses to run as root
// unless told --user=root explicitly, and naming the current user otherwise
// is a no-op that keeps the two cases alike.
func runUser() string {
	if os.Geteuid() == 0 {
		return "root"
	}
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return ""
}

// initDataDir creates the system tables on first start. A marker file, not
// the datadir's existence, says it is done: an interrupted initialisation
// leaves a datadir that neither tool will accept, so it is wiped and redone.
func initDataDir(ctx context.Context, l layout, srv *server, log *slog.Logger) error {
	// The marker outlives a datadir deleted on its own (rm -r .data/devdb/data),
	// so the system schema is checked too.
	if _, err := os.Stat(l.inited); err == nil {
		if _, err := os.Stat(filepath.Join(l.data, "mysql")); err == nil {
			return nil
		}
	}
	if err := os.RemoveAll(l.data); err != nil {
		return fmt.Errorf("devdb: clear half-initialised datadir: %w", err)
	}
	log.Info("devdb: initialising data directory", "datadir", l.data, "server", srv.version)
	u := runUser()

	var cmd *exec.Cmd
	if srv.mariadb {
		script, basedir, err := installScript(srv)
		if err != nil {
			return err
		}
		// --no-defaults must come first for the script to honour it.
		// --force skips the script's host name check, which fails on
		// minimal systems without a localhost entry; the server binds to
		// 127.0.0.1 and resolves no names anyway.
		// Its own --tmpdir, as the server gets (serverArgs): the bootstrap's
		// temporary tables in a shared /tmp have been swept away mid-run.
		args := []string{"--no-defaults", "--datadir=" + l.data,
			"--auth-root-authentication-method=normal", "--skip-test-db",
			"--skip-name-resolve", "--force", "--tmpdir=" + filepath.Join(l.root, "tmp")}
		if basedir != "" {
			args = append(args, "--basedir="+basedir)
		}
		if u != "" {
			args = append(args, "--user="+u)
		}
		cmd = exec.CommandContext(ctx, script, args...)
	} else {
		if err := os.MkdirAll(l.root, 0o755); err != nil {
			return fmt.Errorf("devdb: %w", err)
		}
		// MySQL 8 creates only root@localhost, which a TCP connection
		// from 127.0.0.1 does not match under --skip-name-resolve; the
		// init file adds the loopback account the DSN uses.
		initSQL := filepath.Join(l.root, "init.sql")
		const stmts = "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '';\n" +
			"GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;\n"
		if err := os.WriteFile(initSQL, []byte(stmts), 0o644); err != nil {
			return fmt.Errorf("devdb: %w", err)
		}
		args := []string{"--no-defaults", "--initialize-insecure", "--datadir=" + l.data,
			"--init-file=" + initSQL, "--log-error=" + l.errLog}
		if u != "" {
			args = append(args, "--user="+u)
		}
		cmd = exec.CommandContext(ctx, srv.bin, args...)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("devdb: initialise datadir with %s: %w\n%s%s",
			cmd.Path, err, tail(out, 40), logTail(l.errLog))
	}
	log.Debug("devdb: datadir initialised", "output", string(out))
	if err := os.WriteFile(l.inited, []byte(srv.version+"\n"), 0o644); err != nil {
		return fmt.Errorf("devdb: %w", err)
	}
	return nil
}

// installScript finds mariadb-install-db next to the server or in PATH. When
// the server is not the distribution's /usr one, the script needs --basedir
// to find the server and its SQL files.
func installScript(srv *server) (script, basedir string, err error) {
	resolved, err := filepath.EvalSymlinks(srv.bin)
	if err != nil {
		resolved = srv.bin
	}
	base := filepath.Dir(filepath.Dir(resolved))
	dirs := append([]string{filepath.Join(base, "bin"), filepath.Join(base, "scripts")}, binDirs()...)
	script = findExecutable(dirs, "mariadb-install-db", "mysql_install_db")
	if script == "" {
		return "", "", fmt.Errorf("devdb: found %s but not mariadb-install-db to initialise its data directory; install the %s package",
			srv.bin, serverPackage)
	}
	if base != "/usr" {
		basedir = base
	}
	return script, basedir, nil
}

// sqlMode is MySQL 8's default: strict, and ONLY_FULL_GROUP_BY so a query
// that MariaDB would let through but MySQL rejects fails in development.
const sqlMode = "ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE," +
	"ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION"

// serverArgs builds the command line. --no-defaults keeps the system my.cnf
// (written for the system instance on 3306) out of it; the rest trades
// durability for speed, which suits a disposable development database.
func serverArgs(l layout, srv *server, port int) []string {
	args := []string{
		"--no-defaults",
		"--datadir=" + l.data,
		"--socket=" + l.socket,
		"--port=" + strconv.Itoa(port),
		"--bind-address=127.0.0.1",
		"--pid-file=" + l.pid,
		"--log-error=" + l.errLog,
		// Its own temporary directory: files in a shared /tmp can be swept
		// away by other programs while a query's temporary table is in use.
		"--tmpdir=" + filepath.Join(l.root, "tmp"),
		"--skip-name-resolve",
		"--innodb-buffer-pool-size=" + strconv.FormatInt(bufferPoolBytes(memTotal())>>20, 10) + "M",
		"--innodb-flush-log-at-trx-commit=2",
		"--skip-log-bin",
		"--max-connections=500",
		"--local-infile=1",
		"--character-set-server=utf8mb4",
		"--collation-server=utf8mb4_unicode_ci",
		"--sql-mode=" + sqlMode,
		// UTC so NOW() and TIMESTAMP columns agree with the driver's
		// default loc=UTC whatever the machine's zone.
		"--default-time-zone=+00:00",
	}
	if !srv.mariadb {
		// MySQL's X plugin would otherwise listen on 33060 on all
		// interfaces and clash with a system instance.
		args = append(args, "--mysqlx=OFF")
	}
	if u := runUser(); u != "" {
		args = append(args, "--user="+u)
	}
	return args
}

// start finds (or installs) the server binary, initialises the datadir if
// needed and launches the server, retrying on another port if the chosen
// one was taken between picking and binding.
func start(ctx context.Context, l layout, opts Options, log *slog.Logger, prev *state) (*state, error) {
	srv, err := findServer(ctx, opts, log)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(l.root, "tmp"), 0o755); err != nil {
		return nil, fmt.Errorf("devdb: %w", err)
	}
	if err := initDataDir(ctx, l, srv, log); err != nil {
		return nil, err
	}

	// Reusing the previous port keeps the DSN stable across restarts, which
	// is friendlier for anyone who pasted it into a client.
	preferred := 0
	if prev != nil {
		preferred = prev.Port
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort(preferred)
		if err != nil {
			return nil, err
		}
		preferred = 0
		pid, err := launch(ctx, l, srv, port, log)
		if err == nil {
			return &state{PID: pid, Port: port, Socket: l.socket, DataDir: l.data, Binary: srv.bin, Version: srv.version}, nil
		}
		lastErr = err
		if !errors.Is(err, errPortInUse) {
			break
		}
	}
	return nil, lastErr
}

var errPortInUse = errors.New("port already in use")

// launch starts the server detached and waits until it accepts connections.
func launch(ctx context.Context, l layout, srv *server, port int, log *slog.Logger) (int, error) {
	return launchWith(ctx, l, srv, port, append(serverArgs(l, srv, port), bulkArgs...), log)
}

// bulkArgs size the private server for first loads of millions of rows:
// a redo log that a load's bulk writes do not fill between checkpoints,
// and the largest sort buffer for the index builds of a bulk insert or
// ALTER TABLE. Replicas (replication.go) do without them.
var bulkArgs = []string{"--innodb-log-file-size=1G", "--innodb-sort-buffer-size=64M"}

// bufferPoolBytes is the private server's buffer pool for a machine with
// mem bytes of memory (0 = unknown): an eighth of it, so that the working
// set of a generated million-episode store fits while other programs keep
// most of the machine, between 512 MB and 4 GB.
func bufferPoolBytes(mem int64) int64 {
	const lo, hi = 512 << 20, 4 << 30
	return min(max(mem/8, lo), hi) &^ (128<<20 - 1)
}

// memTotal is the machine's memory in bytes from /proc/meminfo, 0 when
// unknown.
func memTotal() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// launchWith is launch with a command line of the caller's (replication.go
// adds binary logging and server ids).
func launchWith(ctx context.Context, l layout, srv *server, port int, args []string, log *slog.Logger) (int, error) {
	// Remember where this start's log begins, so errors quote this attempt
	// and not an older failure.
	var logStart int64
	if fi, err := os.Stat(l.errLog); err == nil {
		logStart = fi.Size()
	}
	// Early failures (a bad option) are printed to stderr before the
	// server switches to --log-error, so both go to the same file. A file,
	// not a pipe: `go test` would otherwise wait for the detached server
	// to close its end.
	logf, err := os.OpenFile(l.errLog, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return 0, fmt.Errorf("devdb: %w", err)
	}
	defer logf.Close()

	// A stale socket or pid file from a crashed server makes the new one
	// refuse to start or confuse clients; nothing is listening on them.
	_ = os.Remove(l.socket)
	_ = os.Remove(l.pid)

	// Not CommandContext: the server must outlive ctx and this process.
	cmd := exec.Command(srv.bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own process group keeps Ctrl-C in the terminal that ran
	// `hesgql serve` or `go test` from reaching the shared server.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	log.Info("devdb: starting private server", "server", srv.version, "port", port, "datadir", l.data)
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("devdb: start %s: %w", srv.bin, err)
	}
	exited := make(chan error, 1)
	// Reap the child if it dies while we are still alive, and learn about
	// an early exit at once rather than after the start timeout.
	go func() { exited <- cmd.Wait() }()

	if err := waitReady(ctx, dsnFor(port), l.data, exited); err != nil {
		select {
		case <-exited:
		default:
			// Alive but never ready (or the caller gave up): do not
			// leave it holding the datadir for the next attempt.
			_ = terminate(context.Background(), cmd.Process.Pid, l.data)
		}
		msg := logSince(l.errLog, logStart)
		if strings.Contains(msg, "Address already in use") {
			return 0, fmt.Errorf("devdb: port %d: %w", port, errPortInUse)
		}
		return 0, fmt.Errorf("devdb: %s did not start: %w\n--- %s ---\n%s", srv.bin, err, l.errLog, msg)
	}
	return cmd.Process.Pid, nil
}

// waitReady polls until the server answers, the server exits (when exited is
// given), startTimeout passes or ctx is done.
func waitReady(ctx context.Context, dsn, datadir string, exited <-chan error) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		err := ping(ctx, dsn, datadir)
		if err == nil {
			return nil
		}
		select {
		case werr := <-exited:
			if werr == nil {
				werr = errors.New("exit status 0")
			}
			return fmt.Errorf("server exited: %w", werr)
		case <-ctx.Done():
			return fmt.Errorf("%w (last error: %v)", ctx.Err(), err)
		case <-tick.C:
		}
	}
}

// freePort returns preferred if it can be bound on loopback, else a port the
// kernel picks. The listener is closed before the server binds, so there is
// a small race, which launch handles by retrying.
func freePort(preferred int) (int, error) {
	if preferred > 0 {
		if ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(preferred))); err == nil {
			ln.Close()
			return preferred, nil
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("devdb: pick a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// logTail returns the end of the error log formatted for appending to an
// error message, or "" when there is none.
func logTail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil || len(b) == 0 {
		return ""
	}
	return "\n--- " + path + " ---\n" + tail(b, 30)
}

// logSince returns what was logged after offset, at most its last lines.
func logSince(path string, offset int64) string {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "(no error log written)"
	}
	if err != nil {
		return err.Error()
	}
	if offset <= int64(len(b)) {
		b = b[offset:]
	}
	return tail(b, 30)
}

// tail returns the last n lines of b.
func tail(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
