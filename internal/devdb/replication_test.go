package devdb

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// A replicated pair replicates, and a replica stopped and started again
// catches up with what the primary wrote meanwhile.
func TestStartReplicated(t *testing.T) {
	ctx := context.Background()
	begun := time.Now()
	r, err := StartReplicated(ctx, t.TempDir(), Options{Install: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	t.Logf("pair started in %s", time.Since(begun))
	primary, replica := openDSN(t, r.Primary.DSN("")), openDSN(t, r.Replica.DSN(""))
	for _, s := range []string{"CREATE DATABASE rt", "CREATE TABLE rt.x (id INT PRIMARY KEY)", "INSERT INTO rt.x VALUES (1)"} {
		if _, err := primary.ExecContext(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	waitRows(t, replica, 1)
	if err := r.Replica.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := primary.ExecContext(ctx, "INSERT INTO rt.x VALUES (2)"); err != nil {
		t.Fatal(err)
	}
	if err := r.Replica.Start(ctx); err != nil {
		t.Fatal(err)
	}
	waitRows(t, replica, 2)
	t.Logf("done in %s", time.Since(begun))
}

func openDSN(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(conn)
	t.Cleanup(func() { db.Close() })
	return db
}

func waitRows(t *testing.T, db *sql.DB, want int) {
	t.Helper()
	var n int
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if err := db.QueryRow("SELECT COUNT(*) FROM rt.x").Scan(&n); err == nil && n == want {
			return
		}
	}
	t.Fatalf("replica has %d rows, want %d", n, want)
}
