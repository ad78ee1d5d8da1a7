package devdb

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// Status describes the private server of a data root, for `hesgql devdb
// status`.
type Status struct {
	// DataDir is the server's data directory.
	DataDir string
	// Running is true when the server named by the state file is alive and
	// working in DataDir as it exists now.
	Running bool
	// PID, Port, Version and DSN describe the running server (zero when
	// not running).
	PID     int
	Port    int
	Version string
	DSN     string
	// Orphans are other live servers started on DataDir's path: typically
	// one whose data directory was deleted while it ran. Ensure and Stop
	// shut them down.
	Orphans []int
}

// Inspect reports the state of the private server without starting,
// stopping or creating anything.
func Inspect(ctx context.Context, opts Options) (Status, error) {
	l, err := newLayout(opts.Dir)
	if err != nil {
		return Status{}, err
	}
	s := Status{DataDir: l.data}
	st, err := readState(l)
	if err != nil {
		return s, err
	}
	if st != nil && st.DataDir == l.data && serving(st.PID, l.data) {
		s.Running, s.PID, s.Port, s.Version, s.DSN = true, st.PID, st.Port, st.Version, dsnFor(st.Port)
	}
	for _, pid := range serversOn(l.data) {
		if pid != s.PID {
			s.Orphans = append(s.Orphans, pid)
		}
	}
	return s, ctx.Err()
}

// Stop shuts the private server down cleanly, waiting for it to exit, and
// with it any orphan on the same datadir path. The data directory is kept.
// Stopping a server that is not running is not an error.
func Stop(ctx context.Context, opts Options) error {
	l, err := newLayout(opts.Dir)
	if err != nil {
		return err
	}
	log := logger(opts)
	if _, err := os.Stat(l.root); errors.Is(err, fs.ErrNotExist) {
		// Deleted by hand, perhaps while the server ran: there is no
		// state to protect with the lock, and taking it would create the
		// directory again.
		return stopOrphans(ctx, l, log)
	}
	unlock, err := lock(ctx, l)
	if err != nil {
		return err
	}
	defer unlock()

	st, err := readState(l)
	if err != nil {
		return err
	}
	if st != nil && processAlive(st.PID, l.data) {
		log.Info("devdb: stopping private server", "pid", st.PID, "port", st.Port)
		if err := terminate(ctx, st.PID, l.data); err != nil {
			return err
		}
	}
	if err := stopOrphans(ctx, l, log); err != nil {
		return err
	}
	if err := os.Remove(l.state); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("devdb: %w", err)
	}
	return nil
}

// stopOrphans shuts down every server on l.data's path. Without
// /proc (macOS) only the pid file can name one, and it is gone with a
// deleted directory.
func stopOrphans(ctx context.Context, l layout, log *slog.Logger) error {
	pids := serversOn(l.data)
	if pid := readPID(l.pid); processAlive(pid, l.data) && !contains(pids, pid) {
		pids = append(pids, pid)
	}
	for _, pid := range pids {
		reason := "no state file names it"
		if !serving(pid, l.data) {
			reason = "its data directory was deleted while it ran"
		}
		log.Info("devdb: stopping orphaned private server", "pid", pid, "reason", reason)
		if err := terminate(ctx, pid, l.data); err != nil {
			return err
		}
	}
	return nil
}

// serversOn lists the live processes started with --datadir=datadir, found
// through /proc (none where there is no /proc).
func serversOn(datadir string) []int {
	procs, _ := filepath.Glob("/proc/[0-9]*")
	var pids []int
	for _, p := range procs {
		pid, err := strconv.Atoi(filepath.Base(p))
		if err == nil && pid != os.Getpid() && processAlive(pid, datadir) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// serving reports whether pid is a live server for datadir that works in
// the directory of that name as it exists now. The server changes into its
// datadir at start, so on Linux /proc/PID/cwd is that directory even after
// it was deleted (and perhaps created anew), which the path alone cannot
// tell.
func serving(pid int, datadir string) bool {
	if !processAlive(pid, datadir) {
		return false
	}
	cwd, err := os.Stat("/proc/" + strconv.Itoa(pid) + "/cwd")
	if err != nil {
		// No /proc, or not ours to inspect: trust the command line.
		return !errors.Is(err, fs.ErrNotExist) || !procExists()
	}
	dir, err := os.Stat(datadir)
	return err == nil && os.SameFile(cwd, dir)
}

func procExists() bool {
	_, err := os.Stat("/proc/self")
	return err == nil
}

func contains(pids []int, pid int) bool {
	for _, p := range pids {
		if p == pid {
			return true
		}
	}
	return false
}

// terminate sends SIGTERM, which mariadbd and mysqld treat as a clean
// shutdown, and escalates to SIGKILL if the server ignores it.
func terminate(ctx context.Context, pid int, datadir string) error {
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("devdb: stop server pid %d: %w", pid, err)
	}
	deadline := time.Now().Add(stopTimeout)
	for processAlive(pid, datadir) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			deadline = time.Now().Add(5 * time.Second)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("devdb: waiting for server pid %d to stop: %w", pid, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}
