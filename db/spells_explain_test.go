package db_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/graph/model"
)

// Every spell listing shape has a plan without a full scan of spells, and
// orders an index serves are read in index order, not sorted.
func TestExplainSpellPlans(t *testing.T) { spellPlans(t, loadedSize) }

// spellPlans checks the spell plans with the optimiser's statistics at
// scale (planChecks runs it at 10M too).
func spellPlans(t *testing.T, scale planScale) {
	ctx := context.Background()
	dsn, conn := explainFixture(t, 5, scale)
	var patientID int64
	if err := conn.QueryRow(`SELECT patient_id FROM spells GROUP BY patient_id ORDER BY COUNT(*) DESC, patient_id LIMIT 1`).Scan(&patientID); err != nil {
		t.Fatal(err)
	}
	pagePatients := firstPatientIDs(t, conn, 20)
	tap, tapped := newStatementTap(t, dsn)
	d := openExplainDB(t, tapped)

	list := func(q model.SpellQuery, seek bool) func() error {
		return func() error {
			q.Page = model.Page{First: ptr(20)}
			first, err := d.ListSpells(ctx, q)
			if err != nil || !seek {
				return err
			}
			if first.PageInfo.EndCursor == nil {
				return fmt.Errorf("the first page is empty")
			}
			tap.take()
			q.Page.After = first.PageInfo.EndCursor
			_, err = d.ListSpells(ctx, q)
			return err
		}
	}
	emergency := []model.AdmissionMethodGroup{model.AdmissionMethodGroupEmergency}
	shapes := []planShape{
		{name: "default order", main: "s", indexOrder: true, run: func(*db.DB) error { return list(model.SpellQuery{}, false)() }},
		{name: "default order, after", main: "s", indexOrder: true, run: func(*db.DB) error { return list(model.SpellQuery{}, true)() }},
		{name: "emergency spells by admission date", main: "s", indexOrder: true, run: func(*db.DB) error {
			return list(model.SpellQuery{Filter: &model.SpellFilter{AdmissionMethodGroup: emergency}}, true)()
		}},
		{name: "diagnosis L40 in any episode", main: "s", run: func(*db.DB) error {
			return list(model.SpellQuery{Filter: &model.SpellFilter{Diagnosis: &model.CodeFilter{StartsWith: ptr("L40")}}}, false)()
		}},
		{name: "one patient's spells", main: "s", indexOrder: true, run: func(*db.DB) error {
			return list(model.SpellQuery{PatientID: patientID}, false)()
		}},
		{name: "patient.spells for a page of patients", main: "s", run: func(*db.DB) error {
			_, err := d.ListSpellsForPatients(ctx, pagePatients, model.SpellQuery{Page: model.Page{First: ptr(5)}})
			return err
		}},
		{name: "count emergency", main: "s", run: func(*db.DB) error {
			_, err := d.CountSpells(ctx, model.SpellQuery{Filter: &model.SpellFilter{AdmissionMethodGroup: emergency}})
			return err
		}},
	}
	for _, f := range model.AllSpellSortField {
		for _, dir := range model.AllSortDirection {
			q := model.SpellQuery{OrderBy: []*model.SpellOrder{{Field: f, Direction: &dir}}}
			shapes = append(shapes,
				planShape{name: fmt.Sprintf("%s %s", f, dir), main: "s", indexOrder: true, run: func(*db.DB) error { return list(q, false)() }},
				planShape{name: fmt.Sprintf("%s %s, after", f, dir), main: "s", indexOrder: true, run: func(*db.DB) error { return list(q, true)() }})
		}
	}
	for _, s := range shapes {
		t.Run(s.name, func(t *testing.T) {
			plan := explainOnly(t, tap, conn, func() error { return s.run(d) })
			found := false
			for _, r := range plan {
				if r["table"] != s.main {
					continue
				}
				found = true
				if r["type"] == "ALL" {
					t.Errorf("full scan of spells")
				}
				if s.indexOrder && (strings.Contains(r["extra"], "filesort") || strings.Contains(r["extra"], "temporary")) {
					t.Errorf("an index serves this order, but the plan sorts: %s", r["extra"])
				}
			}
			if !found {
				t.Errorf("the plan has no row for spells")
			}
		})
	}
}
