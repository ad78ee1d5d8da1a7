package devdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Replicated is a MariaDB primary and one GTID replica, for tests of read
// replicas: two servers on loopback ports with their own data directories,
// the replica following the primary with MASTER_USE_GTID=slave_pos. Unlike
// the shared private server they belong to the caller, who must Close
// them.
type Replicated struct {
	Primary, Replica *Instance
}

// Instance is one server of a Replicated pair.
type Instance struct {
	l    layout
	srv  *server
	port int
	id   int // server_id
	pid  int
	log  *slog.Logger
	// extra, when set, replaces the replication options of args (galera.go).
	extra func() []string
}

// StartReplicated starts a primary and a replica under dir (each in a
// directory of its own) and waits until the replica replicates. Only
// MariaDB is supported. The replica's datadir is a copy of the primary's
// freshly initialised one, which saves a second mariadb-install-db and
// means replication starts from an empty binary log.
func StartReplicated(ctx context.Context, dir string, opts Options) (*Replicated, error) {
	log := logger(opts)
	srv, err := findServer(ctx, opts, log)
	if err != nil {
		return nil, err
	}
	if !srv.mariadb {
		return nil, fmt.Errorf("devdb: replication pairs need MariaDB, found %s", srv.version)
	}
	var insts [2]*Instance
	for i, name := range []string{"primary", "replica"} {
		l, err := newLayout(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Join(l.root, "tmp"), 0o755); err != nil {
			return nil, fmt.Errorf("devdb: %w", err)
		}
		insts[i] = &Instance{l: l, srv: srv, id: i + 1, log: log}
	}
	primary, replica := insts[0], insts[1]
	if err := initDataDir(ctx, primary.l, srv, log); err != nil {
		return nil, err
	}
	if out, err := exec.CommandContext(ctx, "cp", "-a", primary.l.data, replica.l.data).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("devdb: copy the datadir: %w: %s", err, out)
	}
	r := &Replicated{Primary: primary, Replica: replica}
	for _, in := range insts {
		if in.port, err = freePort(0); err != nil {
			return nil, err
		}
		if err := in.Start(ctx); err != nil {
			r.Close()
			return nil, err
		}
	}
	if err := r.follow(ctx); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// follow points the replica at the primary and waits for both replication
// threads to run.
func (r *Replicated) follow(ctx context.Context) error {
	db, err := r.Replica.open()
	if err != nil {
		return err
	}
	defer db.Close()
	for _, stmt := range []string{
		fmt.Sprintf("CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=%d, MASTER_USER='root', MASTER_PASSWORD='', "+
			"MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1", r.Primary.port),
		"START SLAVE",
	} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("devdb: replica: %s: %w", stmt, err)
		}
	}
	return r.Replica.WaitReplicating(ctx)
}

// WaitReplicating waits until the instance's replication threads both run.
func (in *Instance) WaitReplicating(ctx context.Context) error {
	db, err := in.open()
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	for {
		io, sqlThread, lastErr, err := replicaThreads(ctx, db)
		if err == nil && io == "Yes" && sqlThread == "Yes" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("devdb: replica not replicating (IO %q, SQL %q, %s, %v): %w", io, sqlThread, lastErr, err, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func replicaThreads(ctx context.Context, db *sql.DB) (io, sqlThread, lastErr string, err error) {
	rows, err := db.QueryContext(ctx, "SHOW SLAVE STATUS")
	if err != nil {
		return "", "", "", err
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	if !rows.Next() {
		return "", "", "", errors.New("no replication configured")
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return "", "", "", err
	}
	for i, c := range cols {
		switch c {
		case "Slave_IO_Running":
			io = vals[i].String
		case "Slave_SQL_Running":
			sqlThread = vals[i].String
		case "Last_IO_Error", "Last_SQL_Error":
			if vals[i].String != "" {
				lastErr += vals[i].String + "; "
			}
		}
	}
	return io, sqlThread, lastErr, rows.Err()
}

// args is the private server's command line with binary logging on, as
// replication needs, a server id of its own and a small buffer pool: two
// test servers share the machine with everything else.
func (in *Instance) args() []string {
	var out []string
	for _, a := range serverArgs(in.l, in.srv, in.port) {
		switch {
		case a == "--skip-log-bin", strings.HasPrefix(a, "--innodb-buffer-pool-size="), strings.HasPrefix(a, "--max-connections="):
			continue
		}
		out = append(out, a)
	}
	out = append(out, "--innodb-buffer-pool-size=128M", "--max-connections=200")
	if in.extra != nil {
		return append(out, in.extra()...)
	}
	return append(out,
		"--server-id="+strconv.Itoa(in.id),
		"--log-bin="+filepath.Join(in.l.root, "binlog"),
		"--binlog-format=ROW",
		"--log-slave-updates",
		"--gtid-strict-mode=1",
		"--sync-binlog=0",
		// Restarted replicas reconnect within a second, not a minute.
		"--slave-net-timeout=5",
	)
}

// Start starts the server (again, on the same port after Stop).
func (in *Instance) Start(ctx context.Context) error {
	pid, err := launchWith(ctx, in.l, in.srv, in.port, in.args(), in.log)
	if err != nil {
		return err
	}
	in.pid = pid
	return nil
}

// Stop shuts the server down cleanly and waits for it to exit.
func (in *Instance) Stop(ctx context.Context) error {
	if in.pid == 0 {
		return nil
	}
	err := terminate(ctx, in.pid, in.l.data)
	in.pid = 0
	return err
}

// DSN is the server's DSN with database name selected ("" for none).
func (in *Instance) DSN(database string) string {
	cfg, _ := mysql.ParseDSN(dsnFor(in.port))
	cfg.DBName = database
	return cfg.FormatDSN()
}

func (in *Instance) open() (*sql.DB, error) {
	cfg, err := mysql.ParseDSN(dsnFor(in.port))
	if err != nil {
		return nil, err
	}
	cfg.Logger = &mysql.NopLogger{}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(conn), nil
}

// Close stops both servers; their directories stay for the caller to
// remove (a test's TempDir does).
func (r *Replicated) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	return errors.Join(r.Replica.Stop(ctx), r.Primary.Stop(ctx))
}
