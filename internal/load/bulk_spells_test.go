package load_test

import (
	"context"
	"maps"
	"strings"
	"testing"
)

// spellRows crafts spells across batches of two rows: a spell whose
// episodes arrive in different batches and out of order, an emergency
// readmission, an episode without ADMIDATE, and an EPIKEY repeated in a
// later batch that moves its episode to another patient's spell.
const spellRows = "EPIKEY|PSEUDO_HESID|FYEAR|PROCODE3|ADMIDATE|EPISTART|EPIEND|DISDATE|EPIORDER|EPISTAT|ADMIMETH|DISMETH|DIAG_4_01\n" +
	"300000000002|SA|2021|RXX|2021-01-01|2021-01-03|2021-01-05|2021-01-05|2|3|11|1|L400\n" +
	"300000000003|SA|2021|RXX|2021-02-04|2021-02-04|2021-02-04|2021-02-04|1|3|21|1|L401\n" +
	"300000000004|SB|2021|RXX|2021-01-01|2021-01-01|2021-01-01|2021-01-01|1|3|2A|4|C443\n" +
	"300000000005|SA|2021|RYY||2021-04-01|2021-04-02||1|3|11|1|L400\n" +
	"300000000001|SA|2021|RXX|2021-01-01|2021-01-01|2021-01-03||1|3|11||L400\n" +
	"300000000006|SB|2021|RZZ|2021-06-01|2021-06-01|||1|1|99||L400\n" +
	"300000000004|SA|2021|RXX|2021-01-01|2021-01-04|2021-01-04||3|3|11||C443\n"

// A first bulk load writes its spells from the rows it wrote, beside the
// index build; they are exactly the spells derived from the stored
// episodes by a load that does not bulk load.
func TestBulkLoadWritesSpellsFromRows(t *testing.T) {
	plain, _, sum := loadFresh(t, spellRows, false, nil)
	if sum.Phases.SpellsFromRows {
		t.Error("a load that keeps its indexes wrote its spells from the rows")
	}
	bulk, d, sum := loadFresh(t, spellRows, true, nil)
	if !sum.Phases.SpellsFromRows {
		t.Error("a first bulk load derived its spells from the store")
	}
	want := sameData(t, plain, bulk)
	// SA RXX 2021-01-01 (01, 02 and the moved 04), SA RXX 2021-02-04 and
	// SB RZZ 2021-06-01; 05 has no admission date.
	if !strings.HasPrefix(want["spells"], "3 rows,") || !strings.HasPrefix(want["spell episodes"], "5 rows,") {
		t.Errorf("crafted rows: spells %s, links %s; want 3 spells of 5 episodes", want["spells"], want["spell episodes"])
	}
	// Nothing is left to do: a rebuild from the store changes nothing.
	got := fingerprint(t, bulk)
	if err := d.RebuildSpells(context.Background()); err != nil {
		t.Fatal(err)
	}
	if again := fingerprint(t, bulk); !maps.Equal(again, got) {
		t.Errorf("a rebuild changed the spells:\nbefore %v\nafter  %v", got, again)
	}
}

// Should the spells not be writable from the loaded rows (here: the spell
// tables already hold a row, of no patient of the load), the load derives
// them from the stored episodes once its indexes are built, with the same
// result.
func TestBulkLoadSpellsFallBackToTheStore(t *testing.T) {
	plain, _, _ := loadFresh(t, spellRows, false, nil)
	var progress strings.Builder
	bulk, _, sum := loadFresh(t, spellRows, true, &progress,
		"INSERT INTO spells (id, patient_id, procode3, admidate, admimeth_group, first_episode_id, episode_count, emergency_readmission_30d) "+
			"VALUES (999999999, 999999, 'RZZ', '2001-01-01', 5, 999999999, 0, 0)")
	if sum.Phases.SpellsFromRows || !strings.Contains(progress.String(), "deriving them from the stored episodes") {
		t.Errorf("spells from rows %t; progress %q", sum.Phases.SpellsFromRows, progress.String())
	}
	sameData(t, plain, bulk)
}
