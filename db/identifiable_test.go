package db_test

import (
	"context"
	"testing"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/db/dbtest"
	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/apptest"
)

// A caller who may read no restricted field never receives those columns
// from the database, by id or in a listing.
func TestWithoutIdentifiableReadsNoRestrictedColumns(t *testing.T) {
	d := dbtest.New(t)
	apptest.LoadGenerated(t, d, 300, 11)
	ctx := context.Background()
	first := 100

	all, err := d.ListPatients(ctx, model.PatientQuery{Page: model.Page{First: &first}})
	if err != nil {
		t.Fatal(err)
	}
	withNHS := 0
	ids := make([]int64, 0, len(all.Nodes))
	for _, p := range all.Nodes {
		ids = append(ids, p.RowID)
		if p.NhsNumber != nil && p.DateOfBirth != nil && p.Postcode != nil {
			withNHS++
		}
	}
	if withNHS == 0 {
		t.Fatal("generated patients carry no restricted fields; the test would prove nothing")
	}

	restricted := db.WithoutIdentifiable(ctx)
	listed, err := d.ListPatients(restricted, model.PatientQuery{Page: model.Page{First: &first}})
	if err != nil {
		t.Fatal(err)
	}
	byID, err := d.PatientsByID(restricted, ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(listed.Nodes) != len(all.Nodes) || len(byID) != len(ids) {
		t.Fatalf("restricted reads returned %d and %d patients, want %d", len(listed.Nodes), len(byID), len(ids))
	}
	for _, p := range append(listed.Nodes, byID...) {
		if p.NhsNumber != nil || p.DateOfBirth != nil || p.Postcode != nil {
			t.Fatalf("patient %s: restricted values read: %v %v %v", p.PseudoID, p.NhsNumber, p.DateOfBirth, p.Postcode)
		}
		if p.PseudoID == "" {
			t.Fatalf("patient %d lost its other fields", p.RowID)
		}
	}
}
