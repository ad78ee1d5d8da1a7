package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	sq "github.com/Masterminds/squirrel"
	"github.com/go-sql-driver/mysql"
)

// Read replicas. The API's reads (listings, lookups, statistics, extracts)
// all take their connection through pin, which asks readBackend for a
// server: a replica in rotation, round robin, or else the primary. Writes
// (loads, migrations, code lists, audit events) use d.sql, the primary's
// pool, directly; the reads of the audit log and the load's own reads of
// schema and store state (deferred.go) go to the primary too (scanPrimary). A background checker
// asks each replica every ReplicaCheckInterval whether it replicates, how
// far behind it is, and which data release it has applied. A replica is in
// rotation only while it answers, both replication threads run,
// Seconds_Behind_Master is within ReplicaMaxLag and it holds the primary's
// latest data release, so that a researcher citing a release never reads
// from a replica without it.

// Defaults of the replica options.
const (
	DefaultReplicaMaxLag        = 30 * time.Second
	DefaultReplicaCheckInterval = time.Second
)

// BackendState is what /readyz and /metrics show of one database server.
type BackendState struct {
	Name string // "primary", "replica1", …
	Addr string // host:port
	// InRotation: the primary always; a replica while it may serve reads.
	InRotation bool
	// Reason says why a replica is out of rotation.
	Reason string
	// Lag is Seconds_Behind_Master (replicas; -1 when unknown).
	Lag time.Duration
	// Release is the latest data release id applied on the server.
	Release int64
	// Reads counts the connections taken from it for reads.
	Reads uint64
	// Checked is when it was last checked (zero: not yet).
	Checked time.Time
}

// backend is one server reads can go to.
type backend struct {
	name, addr   string
	pool, killer *sql.DB
	reads        atomic.Uint64

	mu      sync.Mutex
	up      bool // replicas: in rotation
	reason  string
	lag     time.Duration
	release int64
	checked time.Time
}

// replicaSet holds the replicas and their checker.
type replicaSet struct {
	d        *DB
	all      []*backend
	maxLag   time.Duration
	interval time.Duration
	// primaryRelease is the primary's latest data release, as last checked
	// or as committed by a load in this process.
	primaryRelease atomic.Int64
	next           atomic.Uint64
	wake           chan struct{}
	stop           context.CancelFunc
	done           chan struct{}
}

// openReplicas opens a pool per replica DSN, with the primary's session
// settings, and starts the checker. Replicas are not required to answer
// yet: one that does not is out of rotation until it does.
func openReplicas(d *DB, primary *mysql.Config, opts Options) (*replicaSet, error) {
	rs := &replicaSet{d: d, maxLag: opts.ReplicaMaxLag, interval: opts.ReplicaCheckInterval,
		wake: make(chan struct{}, 1), done: make(chan struct{})}
	if rs.maxLag <= 0 {
		rs.maxLag = DefaultReplicaMaxLag
	}
	if rs.interval <= 0 {
		rs.interval = DefaultReplicaCheckInterval
	}
	for i, dsn := range opts.Replicas {
		cfg, err := mysql.ParseDSN(dsn)
		if err != nil {
			rs.closePools()
			return nil, fmt.Errorf("replica %d: parse DSN: %w", i+1, err)
		}
		if cfg.DBName == "" {
			cfg.DBName = primary.DBName
		}
		own := cfg.Params
		cfg.Logger, cfg.ParseTime, cfg.Loc = primary.Logger, primary.ParseTime, primary.Loc
		cfg.InterpolateParams, cfg.MultiStatements = primary.InterpolateParams, primary.MultiStatements
		cfg.Params = maps.Clone(primary.Params)
		maps.Copy(cfg.Params, own)
		pool, conn, err := openPool(cfg, opts.MaxOpenConns)
		if err != nil {
			rs.closePools()
			return nil, fmt.Errorf("replica %d: %w", i+1, err)
		}
		rs.all = append(rs.all, &backend{name: "replica" + strconv.Itoa(i+1), addr: cfg.Addr, pool: pool,
			killer: newKiller(conn), lag: -1, reason: "not checked yet"})
	}
	ctx, cancel := context.WithCancel(context.Background())
	rs.stop = cancel
	// The first check runs before Open returns, so that a process serves
	// from healthy replicas from its first request.
	rs.checkAll(ctx)
	go rs.run(ctx)
	return rs, nil
}

func (rs *replicaSet) run(ctx context.Context) {
	defer close(rs.done)
	t := time.NewTicker(rs.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-rs.wake:
		}
		rs.checkAll(ctx)
	}
}

// checkAll checks the primary's release, then every replica, in parallel.
func (rs *replicaSet) checkAll(ctx context.Context) {
	cctx, cancel := context.WithTimeout(ctx, rs.checkTimeout())
	defer cancel()
	if rel, err := latestRelease(cctx, rs.d.sql); err == nil {
		rs.noteRelease(rel)
		rs.d.primary.mu.Lock()
		rs.d.primary.release, rs.d.primary.checked = rel, time.Now()
		rs.d.primary.mu.Unlock()
	}
	var wg sync.WaitGroup
	for _, b := range rs.all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rs.check(cctx, b)
		}()
	}
	wg.Wait()
}

func (rs *replicaSet) checkTimeout() time.Duration {
	return max(rs.interval, 2*time.Second)
}

// check asks one replica for its replication state and release.
func (rs *replicaSet) check(ctx context.Context, b *backend) {
	lag, err := replicationLag(ctx, b.pool)
	var rel int64
	if err == nil {
		rel, err = latestRelease(ctx, b.pool)
	}
	want := rs.primaryRelease.Load()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.checked = time.Now()
	wasUp := b.up
	switch {
	case err != nil:
		b.up, b.reason, b.lag = false, err.Error(), -1
	case lag > rs.maxLag:
		b.up, b.reason, b.lag, b.release = false, fmt.Sprintf("lag %s exceeds %s", lag, rs.maxLag), lag, rel
	case rel < want:
		b.up, b.reason, b.lag, b.release = false, fmt.Sprintf("has data release %d, the primary %d", rel, want), lag, rel
	default:
		b.up, b.reason, b.lag, b.release = true, "", lag, rel
	}
	if wasUp != b.up {
		if b.up {
			rs.d.log.Info("replica back in rotation", "replica", b.name, "addr", b.addr, "lag", b.lag)
		} else {
			rs.d.log.Warn("replica out of rotation", "replica", b.name, "addr", b.addr, "reason", b.reason)
		}
	}
}

// replicationLag reads Seconds_Behind_Master from SHOW REPLICA STATUS (or
// SHOW SLAVE STATUS on servers older than MariaDB 10.5 / MySQL 8.0.22). A
// server that is not a replica, or whose replication threads stopped, is
// an error: its data would silently stop moving.
func replicationLag(ctx context.Context, pool *sql.DB) (time.Duration, error) {
	rows, err := pool.QueryContext(ctx, "SHOW REPLICA STATUS")
	if err != nil {
		var me *mysql.MySQLError
		if !errors.As(err, &me) {
			return 0, err
		}
		if rows, err = pool.QueryContext(ctx, "SHOW SLAVE STATUS"); err != nil {
			return 0, err
		}
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return 0, err
		}
		rows.Close()
		return galeraState(ctx, pool)
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return 0, err
	}
	col := func(names ...string) sql.NullString {
		for i, c := range cols {
			for _, n := range names {
				if strings.EqualFold(c, n) {
					return vals[i]
				}
			}
		}
		return sql.NullString{}
	}
	for _, thread := range [][]string{{"Slave_IO_Running", "Replica_IO_Running"}, {"Slave_SQL_Running", "Replica_SQL_Running"}} {
		if v := col(thread...); v.String != "Yes" {
			return 0, fmt.Errorf("replication stopped: %s is %q (%s)", thread[0], v.String,
				col("Last_IO_Error", "Last_SQL_Error").String)
		}
	}
	behind := col("Seconds_Behind_Master", "Seconds_Behind_Source")
	if !behind.Valid {
		return 0, errors.New("replication lag unknown: Seconds_Behind_Master is NULL")
	}
	s, err := strconv.ParseInt(behind.String, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("Seconds_Behind_Master %q: %w", behind.String, err)
	}
	return time.Duration(s) * time.Second, nil
}

// galeraState accepts a MariaDB Galera Cluster node, which replicates
// synchronously and has no SHOW REPLICA STATUS, while it is a synced member
// of the primary component (lag 0). Any other server with no replication
// is refused.
func galeraState(ctx context.Context, pool *sql.DB) (time.Duration, error) {
	rows, err := pool.QueryContext(ctx, "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_ready', 'wsrep_local_state_comment', 'wsrep_cluster_status')")
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	st := map[string]string{}
	for rows.Next() {
		var name, value string
		if err := rows.Scan(&name, &value); err != nil {
			return 0, err
		}
		st[strings.ToLower(name)] = value
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if c := st["wsrep_cluster_status"]; c == "" || c == "Disconnected" {
		return 0, errors.New("not a replica: SHOW REPLICA STATUS is empty and the server is no Galera node")
	}
	if st["wsrep_ready"] != "ON" || st["wsrep_local_state_comment"] != "Synced" || st["wsrep_cluster_status"] != "Primary" {
		return 0, fmt.Errorf("Galera node not serving: ready %q, state %q, cluster %q",
			st["wsrep_ready"], st["wsrep_local_state_comment"], st["wsrep_cluster_status"])
	}
	return 0, nil
}

// latestRelease is the id of the newest committed data release (0: none).
func latestRelease(ctx context.Context, q *sql.DB) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0) FROM data_releases WHERE checksum <> ''").Scan(&id)
	return id, err
}

// noteRelease raises the release replicas must have to serve reads.
func (rs *replicaSet) noteRelease(id int64) {
	for {
		cur := rs.primaryRelease.Load()
		if id <= cur || rs.primaryRelease.CompareAndSwap(cur, id) {
			return
		}
	}
}

// releaseCommitted is called when a load commits release id on the
// primary: replicas that have not applied it leave rotation at once,
// rather than at their next check.
func (d *DB) releaseCommitted(id int64) {
	if d.replicas == nil {
		return
	}
	d.replicas.noteRelease(id)
	for _, b := range d.replicas.all {
		b.mu.Lock()
		if b.up && b.release < id {
			b.up, b.reason = false, fmt.Sprintf("has data release %d, the primary %d", b.release, id)
		}
		b.mu.Unlock()
	}
	d.replicas.recheck()
}

// recheck asks the checker for a check now.
func (rs *replicaSet) recheck() {
	select {
	case rs.wake <- struct{}{}:
	default:
	}
}

// markDown takes a replica out of rotation after a failed connection or
// statement; the checker puts it back once it answers again.
func (d *DB) markDown(b *backend, err error) {
	// The coded UNAVAILABLE error says only "retry"; the state shows why.
	if cause := errors.Unwrap(err); cause != nil {
		err = cause
	}
	b.mu.Lock()
	wasUp := b.up
	b.up, b.reason, b.lag = false, "connection failed: "+err.Error(), -1
	b.mu.Unlock()
	if wasUp {
		d.log.Warn("replica out of rotation", "replica", b.name, "addr", b.addr, "reason", b.reason)
	}
	d.replicas.recheck()
}

// scanRead is scanAll on the server readBackend chooses. When a replica
// fails before it delivered a row (it was stopped, or the network to it
// went), the replica leaves rotation and the statement is run again on the
// primary: only a statement that had begun streaming rows fails.
func (d *DB) scanRead(ctx context.Context, q sq.Sqlizer, scan func(*sql.Rows) error) error {
	ctx = withDoneOnce(ctx)
	b := d.readBackend()
	delivered := false
	err := d.pinnedOn(ctx, b, func(c *pinnedConn) error {
		return d.scanWith(ctx, c, q, func(r *sql.Rows) error {
			delivered = true
			return scan(r)
		})
	})
	if err == nil || b == d.primary || delivered || ctx.Err() != nil || !unreachable(err) {
		return err
	}
	d.markDown(b, err)
	return d.pinnedOn(ctx, d.primary, func(c *pinnedConn) error { return d.scanWith(ctx, c, q, scan) })
}

func (b *backend) inRotation(want int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.up && b.release >= want
}

// readBackend chooses the server for a read: the next replica in rotation,
// or the primary when there is none.
func (d *DB) readBackend() *backend {
	rs := d.replicas
	if rs == nil {
		return d.primary
	}
	want := rs.primaryRelease.Load()
	n := uint64(len(rs.all))
	start := rs.next.Add(1)
	for i := range n {
		if b := rs.all[(start+i)%n]; b.inRotation(want) {
			return b
		}
	}
	return d.primary
}

// Backends reports the state of the primary and of each replica.
func (d *DB) Backends() []BackendState {
	out := []BackendState{d.primary.state(true)}
	if d.replicas != nil {
		for _, b := range d.replicas.all {
			out = append(out, b.state(false))
		}
	}
	return out
}

func (b *backend) state(primary bool) BackendState {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := BackendState{Name: b.name, Addr: b.addr, InRotation: primary || b.up, Reason: b.reason,
		Lag: b.lag, Release: b.release, Reads: b.reads.Load(), Checked: b.checked}
	if primary {
		s.Reason, s.Lag = "", 0
	}
	return s
}

// closePools closes the replicas' pools.
func (rs *replicaSet) closePools() error {
	var errs []error
	for _, b := range rs.all {
		errs = append(errs, b.pool.Close(), b.killer.Close())
	}
	return errors.Join(errs...)
}

// close stops the checker and closes the replicas' pools.
func (rs *replicaSet) close() error {
	rs.stop()
	<-rs.done
	return rs.closePools()
}
