package db_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/db/dbtest"
	"github.com/hesgql/hesgql/internal/hes"
)

// A bulk load turns unique and foreign key checks off for its own
// sessions only: the load's connection and, where the pool has one to
// spare, the one writing its codes go back to the pool with them on, after
// a commit and after a rollback.
func TestBulkLoadRestoresSessionChecks(t *testing.T) {
	ctx := context.Background()
	rec := hes.Record{EpiKey: "100000000001", PseudoID: "P1", FYear: "0102", EpisodeStart: time.Date(2001, 4, 1, 0, 0, 0, 0, time.UTC),
		Diagnoses: []hes.Diagnosis{{Position: 1, Code: "L400"}}, Procedures: []hes.Procedure{{Position: 1, Code: "S061"}}}
	for _, conns := range []int{1, 2} {
		d := poolOf(t, conns)
		for _, commit := range []bool{false, true} {
			ld, err := d.BeginLoad(ctx, "bulk.txt")
			if err != nil {
				t.Fatal(err)
			}
			if err := ld.Bulk(ctx); err != nil {
				t.Fatal(err)
			}
			if got := ld.CodesOnOwnConnectionForTest(); got != (conns > 1) {
				t.Errorf("pool of %d: codes on a connection of their own %t", conns, got)
			}
			if _, err := ld.Write(ctx, []hes.Record{rec}); err != nil {
				t.Fatal(err)
			}
			if commit {
				err = ld.Commit(ctx, db.ReleaseSummary{FileName: "bulk.txt", Checksum: "x", Read: 1, Loaded: 1})
			} else {
				err = ld.Rollback()
			}
			if err != nil {
				t.Fatal(err)
			}
			u, fk, err := d.EverySessionChecksForTest(ctx, conns)
			if err != nil {
				t.Fatal(err)
			}
			for i := range u {
				if u[i] != 1 || fk[i] != 1 {
					t.Errorf("pool of %d, after the bulk load (commit %v): connection %d has unique_checks %d, foreign_key_checks %d", conns, commit, i, u[i], fk[i])
				}
			}
			// The rolled back load left no code behind; the committed one
			// stored its episode's.
			want := 0
			if commit {
				want = 2
			}
			if n, err := d.CodeCountForTest(ctx); err != nil || n != want {
				t.Errorf("pool of %d, commit %v: %d codes stored, want %d (%v)", conns, commit, n, want, err)
			}
		}
		if n, err := d.EpisodeCount(ctx); err != nil || n != 1 {
			t.Errorf("%d episodes, %v", n, err)
		}
	}
}

// A derivation into empty spell tables bulk-inserts on a connection of its
// own, which goes back to the pool with the checks on.
func TestSpellBulkDerivationRestoresSessionChecks(t *testing.T) {
	ctx := context.Background()
	d := poolOf(t, 1)
	day := time.Date(2001, 4, 1, 0, 0, 0, 0, time.UTC)
	ld, err := d.BeginLoad(ctx, "spells.txt")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ld.Write(ctx, []hes.Record{{EpiKey: "100000000001", PseudoID: "P1", FYear: "0102", ProviderCode: "RXX",
		AdmissionDate: day, EpisodeStart: day, Diagnoses: []hes.Diagnosis{{Position: 1, Code: "L400"}}}}); err != nil {
		t.Fatal(err)
	}
	if err := ld.Commit(ctx, db.ReleaseSummary{FileName: "spells.txt", Checksum: "x", Read: 1, Loaded: 1}); err != nil {
		t.Fatal(err)
	}
	if err := d.RebuildSpells(ctx); err != nil {
		t.Fatal(err)
	}
	if u, fk, err := d.SessionChecksForTest(ctx); err != nil || u != 1 || fk != 1 {
		t.Errorf("after the spells derivation: unique_checks %d, foreign_key_checks %d, %v", u, fk, err)
	}
	if n, err := d.SpellCountForTest(ctx); err != nil || n != 1 {
		t.Errorf("%d spells, %v", n, err)
	}
}

// poolOf opens a migrated database whose pool holds n connections: with
// one, a session setting left behind by one statement is seen by the next.
func poolOf(t *testing.T, n int) *db.DB {
	t.Helper()
	dsn := dbtest.NewDSN(t)
	dbtest.Open(t, dsn) // migrate
	d, err := db.Open(context.Background(), dsn, db.Options{MaxOpenConns: n, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// Codes without episodes are cleared by the next load only when no load
// is writing its codes on a second connection: while one is, they may be
// its committed codes whose episodes are about to commit.
func TestOrphanCodesKeptWhileALoadWritesCodes(t *testing.T) {
	ctx := context.Background()
	dsn := dbtest.NewDSN(t)
	d := dbtest.Open(t, dsn)
	plantOrphan := func() {
		dbtest.ExecUnchecked(t, dsn, "INSERT INTO diagnoses (episode_id, position, code, classification) VALUES (1, 1, 'Z999', 'ICD10')")
	}
	// begin starts a load and returns it with the codes then stored.
	begin := func(name string) (*db.Load, int) {
		t.Helper()
		ld, err := d.BeginLoad(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		n, err := d.CodeCountForTest(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return ld, n
	}
	bulk := func(ld *db.Load) bool {
		t.Helper()
		if err := ld.Bulk(ctx); err != nil {
			t.Fatal(err)
		}
		return ld.CodesOnOwnConnectionForTest()
	}
	plantOrphan()
	// The first load clears them, then holds the lock while writing.
	a, left := begin("a.txt")
	if left != 0 {
		t.Fatalf("a load into a store without episodes left %d orphan codes", left)
	}
	if !bulk(a) {
		t.Fatal("the first bulk load writes its codes on its own connection")
	}
	plantOrphan()
	b, left := begin("b.txt")
	if left != 1 {
		t.Errorf("with a load writing its codes, %d codes remain, want the 1 kept", left)
	}
	if bulk(b) {
		t.Error("a second bulk load took the codes lock the first holds")
	}
	b.Rollback()
	a.Rollback()
	// With no load in flight, the next one clears them.
	c, left := begin("c.txt")
	defer c.Rollback()
	if left != 0 {
		t.Errorf("after the loads ended, %d orphan codes remain", left)
	}
}
