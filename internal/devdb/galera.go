package devdb

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Galera is a MariaDB Galera Cluster of private servers on loopback, for
// the high-availability test (not the default test run): Debian's
// galera-4 provider, rsync state transfers, every node with its own data
// directory and ports under one directory of the caller's.
type Galera struct {
	Nodes []*Instance
}

// galeraProvider is where Debian's galera-4 package puts the provider.
const galeraProvider = "/usr/lib/galera/libgalera_smm.so"

// galeraPorts are a node's ports besides the SQL one.
type galeraPorts struct{ group, ist, sst int }

// StartGalera starts an n-node cluster: the first node bootstraps it, the
// others join it by state transfer. With opts.Install it installs galera-4
// and rsync when they are missing. dir and its ancestors must be
// traversable by every user (see below); a directory made in /tmp and
// given mode 0755 is.
func StartGalera(ctx context.Context, dir string, n int, opts Options) (*Galera, error) {
	log := logger(opts)
	if n < 1 {
		return nil, errors.New("devdb: a cluster needs a node")
	}
	srv, err := findServer(ctx, opts, log)
	if err != nil {
		return nil, err
	}
	if !srv.mariadb {
		return nil, fmt.Errorf("devdb: Galera needs MariaDB, found %s", srv.version)
	}
	if err := galeraTools(ctx, opts); err != nil {
		return nil, err
	}
	g := &Galera{}
	ports := make([]galeraPorts, n)
	var members []string
	for i := range n {
		l, err := newLayout(filepath.Join(dir, "node"+strconv.Itoa(i+1)))
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Join(l.root, "tmp"), 0o755); err != nil {
			return nil, fmt.Errorf("devdb: %w", err)
		}
		in := &Instance{l: l, srv: srv, id: i + 1, log: log}
		for _, p := range []*int{&in.port, &ports[i].group, &ports[i].ist, &ports[i].sst} {
			if *p, err = freePort(0); err != nil {
				return nil, err
			}
		}
		members = append(members, "127.0.0.1:"+strconv.Itoa(ports[i].group))
		g.Nodes = append(g.Nodes, in)
	}
	if err := initDataDir(ctx, g.Nodes[0].l, srv, log); err != nil {
		return nil, err
	}
	// Copies of the fresh datadir, made before the first node starts: once
	// it runs, its datadir holds its cluster identity (gvwstate.dat). The
	// joiners still take a full state transfer (rsync) on first start; the
	// copy only spares mariadb-install-db runs.
	for _, in := range g.Nodes[1:] {
		if out, err := exec.CommandContext(ctx, "cp", "-a", g.Nodes[0].l.data, in.l.data).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("devdb: copy the datadir: %w: %s", err, out)
		}
	}
	// rsync's daemon, which receives every state transfer (even the marker
	// that ends an IST), drops to nobody when started by root: it must be
	// able to reach and write the joiners' datadirs. dir's own ancestors
	// must let it through too; /tmp does.
	for _, p := range []string{dir} {
		if err := os.Chmod(p, 0o755); err != nil {
			return nil, fmt.Errorf("devdb: %w", err)
		}
	}
	for _, in := range g.Nodes {
		if err := os.Chmod(in.l.root, 0o755); err != nil {
			return nil, fmt.Errorf("devdb: %w", err)
		}
		if out, err := exec.CommandContext(ctx, "chmod", "-R", "a+rwX", in.l.data).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("devdb: open the datadir to the state transfer: %w: %s", err, out)
		}
	}
	for i, in := range g.Nodes {
		p, name := ports[i], "node"+strconv.Itoa(i+1)
		bootstrap := i == 0
		in.extra = func() []string {
			args := []string{
				"--wsrep-on=ON",
				"--wsrep-provider=" + galeraProvider,
				"--wsrep-cluster-name=hesgql-ha",
				"--wsrep-cluster-address=gcomm://" + strings.Join(members, ","),
				"--wsrep-node-name=" + name,
				"--wsrep-node-address=127.0.0.1:" + strconv.Itoa(p.group),
				"--wsrep-provider-options=base_host=127.0.0.1;base_port=" + strconv.Itoa(p.group) +
					";ist.recv_addr=127.0.0.1:" + strconv.Itoa(p.ist) + ";gcache.size=128M",
				"--wsrep-sst-method=rsync",
				"--wsrep-sst-receive-address=127.0.0.1:" + strconv.Itoa(p.sst),
				"--binlog-format=ROW",
				"--innodb-autoinc-lock-mode=2",
				"--default-storage-engine=InnoDB",
			}
			if bootstrap {
				args = append(args, "--wsrep-new-cluster")
			}
			return args
		}
		if err := in.Start(ctx); err != nil {
			g.Close()
			if i > 0 {
				err = fmt.Errorf("%w\n--- donor ---\n%s", err, sstLines(g.Nodes[0].l.errLog))
			}
			return nil, err
		}
		// Only the very first start bootstraps; a restarted first node
		// joins the others like any node.
		bootstrap = false
		if err := in.WaitSynced(ctx); err != nil {
			g.Close()
			if i > 0 {
				// A failed state transfer is explained on the donor's side.
				err = fmt.Errorf("%w\n--- donor ---\n%s", err, sstLines(g.Nodes[0].l.errLog))
			}
			return nil, err
		}
	}
	return g, nil
}

// galeraTools installs the provider and rsync (the state transfer) when
// missing and allowed.
func galeraTools(ctx context.Context, opts Options) error {
	var missing []string
	if _, err := os.Stat(galeraProvider); err != nil {
		missing = append(missing, "galera-4")
	}
	if _, err := exec.LookPath("rsync"); err != nil {
		missing = append(missing, "rsync")
	}
	if len(missing) == 0 {
		return nil
	}
	if !opts.Install {
		return fmt.Errorf("devdb: Galera needs %s: apt-get install %s", strings.Join(missing, " and "), strings.Join(missing, " "))
	}
	return AptInstall(ctx, logger(opts), missing...)
}

// WaitSynced waits until the node is a synced member of the cluster.
func (in *Instance) WaitSynced(ctx context.Context) error {
	db, err := in.open()
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	for {
		var name, state string
		err := db.QueryRowContext(ctx, "SHOW GLOBAL STATUS LIKE 'wsrep_local_state_comment'").Scan(&name, &state)
		if err == nil && state == "Synced" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("devdb: node %d not synced (state %q, %v): %w%s", in.id, state, err, ctx.Err(), logTail(in.l.errLog))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Kill stops the node abruptly (SIGKILL), as a crash would.
func (in *Instance) Kill() error {
	if in.pid == 0 {
		return nil
	}
	p, err := os.FindProcess(in.pid)
	if err != nil {
		return err
	}
	if err := p.Kill(); err != nil {
		return err
	}
	for deadline := time.Now().Add(10 * time.Second); processAlive(in.pid, in.l.data); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			return fmt.Errorf("devdb: node %d survived SIGKILL", in.id)
		}
	}
	in.pid = 0
	return nil
}

// Close stops every node.
func (g *Galera) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	var errs []error
	for i := len(g.Nodes) - 1; i >= 0; i-- {
		errs = append(errs, g.Nodes[i].Stop(ctx))
	}
	return errors.Join(errs...)
}

// sstLines are the state-transfer lines of a node's error log.
func sstLines(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, "SST") || strings.Contains(l, "rsync") {
			out = append(out, l)
		}
	}
	return tail([]byte(strings.Join(out, "\n")), 30)
}

// GaleraDir makes a directory for StartGalera in the system's temporary
// directory, removed when the test ends (a test's TempDir is private to
// root, which the state transfer's rsync daemon cannot enter).
func GaleraDir(tb interface {
	Helper()
	Fatal(...any)
	Cleanup(func())
}) string {
	tb.Helper()
	dir, err := os.MkdirTemp("", "hesgql-galera-")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// Rejoin starts a stopped or killed node again. Like Debian's
// galera_recovery, it first asks the server for the last position its
// storage holds (--wsrep-recover), which a crash leaves out of
// grastate.dat, so that the node catches up by incremental transfer from a
// member's cache rather than by a full copy.
func (g *Galera) Rejoin(ctx context.Context, in *Instance) error {
	if out, err := exec.CommandContext(ctx, "chmod", "-R", "a+rwX", in.l.data).CombinedOutput(); err != nil {
		return fmt.Errorf("devdb: open the datadir to the state transfer: %w: %s", err, out)
	}
	logPath := filepath.Join(in.l.root, "recover.log")
	_ = os.Remove(logPath)
	var args []string
	for _, a := range in.args() {
		if !strings.HasPrefix(a, "--log-error=") && !strings.HasPrefix(a, "--wsrep-start-position=") {
			args = append(args, a)
		}
	}
	args = append(args, "--wsrep-recover", "--log-error="+logPath)
	if out, err := exec.CommandContext(ctx, in.srv.bin, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("devdb: recover node %d's position: %w: %s%s", in.id, err, out, logTail(logPath))
	}
	b, err := os.ReadFile(logPath)
	if err != nil {
		return fmt.Errorf("devdb: %w", err)
	}
	const marker = "WSREP: Recovered position: "
	pos := ""
	for _, l := range strings.Split(string(b), "\n") {
		if i := strings.Index(l, marker); i >= 0 {
			pos = strings.TrimSpace(l[i+len(marker):])
		}
	}
	base := in.extra
	in.extra = func() []string {
		if pos == "" {
			return base()
		}
		return append(base(), "--wsrep-start-position="+pos)
	}
	defer func() { in.extra = base }()
	if err := in.Start(ctx); err != nil {
		return err
	}
	return in.WaitSynced(ctx)
}
