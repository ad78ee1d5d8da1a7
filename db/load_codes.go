package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"sync"

	sq "github.com/Masterminds/squirrel"
)

// A bulk load into an empty store writes its diagnoses and procedures on a
// second connection, in a transaction of its own, while the load's own
// connection goes on with the next batch's patients and episodes: one
// connection leaves the server's second core mostly idle, since each
// statement waits for the one before it. The codes transaction commits
// first, then the load's. If the load's commit then fails, the codes are
// left without their episodes in a store that holds no episode; they are
// deleted at once, or by the next load into it (clearOrphanCodes) when no
// other load is writing its codes (codesLock). Nothing reads them
// meanwhile: every read of a code goes through its episode.

// codesLock is the named lock a load writing its codes on a second
// connection holds, on its own session, from Bulk until its connection is
// released: while it is held, codes without episodes may be a load's
// committed codes whose episodes are about to commit, not leftovers.
const codesLock = "hesgql.load.codes"

// lockCodes takes codesLock without waiting. Held by another load, or
// refused by the server (Galera does not offer named locks), the codes are
// written on the load's own connection.
func (l *Load) lockCodes(ctx context.Context) bool {
	var got sql.NullInt64
	if err := l.queryRow(ctx, sq.Expr("SELECT GET_LOCK(?, 0)", codesLock), &got); err != nil || !got.Valid || got.Int64 != 1 {
		return false
	}
	l.codesLocked = true
	return true
}

// unlockCodes releases codesLock on conn; a session that cannot release it
// is closed instead, which releases it, rather than going back to the pool
// still holding it.
func unlockCodes(conn *sql.Conn) {
	if _, err := conn.ExecContext(context.Background(), "DO RELEASE_LOCK(?)", codesLock); err != nil {
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	}
}

// codeBatch is one batch's writes to the code tables, in order: the codes
// of replaced episodes are deleted, then the new ones inserted.
type codeBatch struct {
	deleteEpisodes []int64
	diagnoses      [][]any
	procedures     [][]any
}

// codeWriter writes a load's code batches, one after another, on its own
// connection and transaction.
type codeWriter struct {
	l      *Load
	conn   *sql.Conn
	tx     *sql.Tx
	queue  chan codeBatch // closed by drain, once
	closed bool
	done   chan struct{}

	mu  sync.Mutex
	err error // the first write that failed; later batches are dropped
}

var (
	diagnosisWriteColumns = []string{"episode_id", "position", "code", "classification"}
	procedureWriteColumns = []string{"episode_id", "position", "code", "op_date"}
)

// startCodeWriter opens the second connection of a bulk load, in bulk
// insert mode like the first. A pool of one connection, which the load
// holds, has none to give: the codes are then written on the load's (nil).
func (l *Load) startCodeWriter(ctx context.Context) (_ *codeWriter, err error) {
	if limit := l.d.sql.Stats().MaxOpenConnections; limit > 0 && limit < 2 {
		return nil, nil
	}
	conn, err := l.d.sql.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, bulkChecksOff); err != nil {
		conn.Close()
		return nil, err
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		restoreChecks(conn)
		conn.Close()
		return nil, err
	}
	// Each queued batch holds a batch's code rows: one waiting while one
	// is written keeps the memory bounded.
	c := &codeWriter{l: l, conn: conn, tx: tx, queue: make(chan codeBatch, 1), done: make(chan struct{})}
	go c.run(ctx, c.queue)
	return c, nil
}

func (c *codeWriter) run(ctx context.Context, queue <-chan codeBatch) {
	defer close(c.done)
	for b := range queue {
		if c.failed() != nil {
			continue
		}
		if err := c.l.writeCodes(ctx, c.tx, b); err != nil {
			c.mu.Lock()
			c.err = err
			c.mu.Unlock()
		}
	}
}

func (c *codeWriter) failed() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// send queues b, or returns the error of an earlier batch.
func (c *codeWriter) send(ctx context.Context, b codeBatch) error {
	if err := c.failed(); err != nil {
		return err
	}
	select {
	case c.queue <- b:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// drain waits until every queued batch is written.
func (c *codeWriter) drain() error {
	if !c.closed {
		close(c.queue)
		c.closed = true
	}
	<-c.done
	return c.failed()
}

// commit writes what is queued and commits the codes.
func (c *codeWriter) commit() error {
	if err := c.drain(); err != nil {
		return err
	}
	err := c.tx.Commit()
	c.release()
	return err
}

// rollback abandons the codes written.
func (c *codeWriter) rollback() {
	c.drain()
	c.tx.Rollback()
	c.release()
}

func (c *codeWriter) release() {
	if c.conn == nil {
		return
	}
	restoreChecks(c.conn)
	c.conn.Close()
	c.conn = nil
}

// writeCodes runs one code batch on tx.
func (l *Load) writeCodes(ctx context.Context, tx *sql.Tx, b codeBatch) error {
	if len(b.deleteEpisodes) > 0 {
		for _, table := range []string{"diagnoses", "procedures"} {
			if _, err := l.writeOn(ctx, tx, builder.Delete(table).Where(sq.Eq{"episode_id": b.deleteEpisodes})); err != nil {
				return fmt.Errorf("replace %s: %w", table, err)
			}
		}
	}
	if len(b.diagnoses) > 0 {
		if _, err := l.bulkInsertOn(ctx, tx, "diagnoses", diagnosisWriteColumns, b.diagnoses); err != nil {
			return fmt.Errorf("write diagnoses: %w", err)
		}
	}
	if len(b.procedures) > 0 {
		if _, err := l.bulkInsertOn(ctx, tx, "procedures", procedureWriteColumns, b.procedures); err != nil {
			return fmt.Errorf("write procedures: %w", err)
		}
	}
	return nil
}

// clearOrphanCodes deletes the codes of a store without episodes: what a
// bulk load whose own commit failed after its codes' commit left behind.
// It runs before the load's transaction begins, which must find the code
// tables empty to insert in bulk.
func (d *DB) clearOrphanCodes(ctx context.Context) error {
	var episodes, codes int
	var writing sql.NullInt64 // the session holding codesLock: a load in flight
	err := d.sql.QueryRowContext(ctx, "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM episodes LIMIT 1) e), "+
		"(SELECT COUNT(*) FROM (SELECT 1 FROM diagnoses LIMIT 1) x) + (SELECT COUNT(*) FROM (SELECT 1 FROM procedures LIMIT 1) p), "+
		"IS_USED_LOCK(?)", codesLock).Scan(&episodes, &codes, &writing)
	if err != nil || episodes > 0 || codes == 0 || writing.Valid {
		return err
	}
	d.log.WarnContext(ctx, "deleting the codes an earlier failed load left without episodes")
	for _, table := range []string{"diagnoses", "procedures"} {
		if _, err := d.sql.ExecContext(ctx, "DELETE FROM "+table); err != nil {
			return fmt.Errorf("clear orphan %s: %w", table, err)
		}
	}
	return nil
}
