//go:build ha

package devdb

import (
	"context"
	"testing"
	"time"
)

// A three-node cluster replicates synchronously, and a killed node rejoins
// with what was written while it was down.
func TestStartGalera(t *testing.T) {
	ctx := context.Background()
	begun := time.Now()
	g, err := StartGalera(ctx, GaleraDir(t), 3, Options{Install: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	t.Logf("cluster up in %s", time.Since(begun))
	n1, n3 := openDSN(t, g.Nodes[0].DSN("")), openDSN(t, g.Nodes[2].DSN(""))
	for _, s := range []string{"CREATE DATABASE rt", "CREATE TABLE rt.x (id INT PRIMARY KEY)", "INSERT INTO rt.x VALUES (1)"} {
		if _, err := n1.ExecContext(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	waitRows(t, n3, 1)
	if err := g.Nodes[1].Kill(); err != nil {
		t.Fatal(err)
	}
	if _, err := n1.ExecContext(ctx, "INSERT INTO rt.x VALUES (2)"); err != nil {
		t.Fatal(err)
	}
	rejoin := time.Now()
	if err := g.Rejoin(ctx, g.Nodes[1]); err != nil {
		t.Fatal(err)
	}
	t.Logf("node 2 rejoined in %s", time.Since(rejoin))
	waitRows(t, openDSN(t, g.Nodes[1].DSN("")), 2)
}
