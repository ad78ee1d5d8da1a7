package db_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/db/dbtest"
)

// A "replica" that does not replicate (here the primary's own server, as a
// mistyped HES_REPLICA_DSN would give) never serves reads: its data would
// silently stop moving. Reads go to the primary and the state says why.
func TestReplicaThatDoesNotReplicateIsRefused(t *testing.T) {
	dsn := dbtest.NewDSN(t)
	dbtest.Open(t, dsn) // migrated
	d, err := db.Open(context.Background(), dsn, db.Options{
		Logger:   slog.New(slog.DiscardHandler),
		Replicas: []string{dsn}, ReplicaCheckInterval: 50 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.DataReleases(context.Background()); err != nil {
		t.Fatal(err)
	}
	bs := d.Backends()
	if len(bs) != 2 {
		t.Fatalf("backends = %+v", bs)
	}
	if bs[1].InRotation || !strings.Contains(bs[1].Reason, "not a replica") {
		t.Errorf("replica state = %+v, want out of rotation as not a replica", bs[1])
	}
	if bs[0].Reads == 0 || bs[1].Reads != 0 {
		t.Errorf("reads: primary %d, replica %d; want all on the primary", bs[0].Reads, bs[1].Reads)
	}
}
