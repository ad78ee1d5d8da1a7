package db

import (
	"database/sql"
	"testing"
	"time"
)

// The readmission rule's boundaries (docs/spells.md), on the derivation
// alone: the next spell's admission 0 to 30 days after this discharge, and
// only an emergency one.
func TestReadmissionRuleBoundaries(t *testing.T) {
	day := func(s string) sql.NullTime {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return sql.NullTime{Time: d, Valid: true}
	}
	str := func(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }
	ep := func(id int64, adm, dis, meth string) spellEpisode {
		e := spellEpisode{id: id, patientID: 1, procode3: str("RXX"), admidate: day(adm), admimeth: str(meth)}
		if dis != "" {
			e.disdate = day(dis)
		}
		return e
	}
	for _, c := range []struct {
		name string
		next spellEpisode
		want bool
	}{
		{"SameDay", ep(2, "2022-01-10", "2022-01-11", "21"), true},
		{"Day30", ep(2, "2022-02-09", "2022-02-10", "2D"), true},
		{"Day31", ep(2, "2022-02-10", "2022-02-11", "21"), false},
		{"Elective", ep(2, "2022-01-12", "2022-01-13", "11"), false},
		{"TransferInOther", ep(2, "2022-01-12", "2022-01-13", "81"), false},
		{"NoMethod", ep(2, "2022-01-12", "2022-01-13", ""), false},
		{"StartsBeforeDischarge", ep(2, "2022-01-09", "2022-01-12", "21"), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			spells := deriveSpells([]spellEpisode{c.next, ep(1, "2022-01-01", "2022-01-10", "11")})
			if len(spells) != 2 || spells[0].id != 1 {
				t.Fatalf("spells %+v", spells)
			}
			if got := spells[0].emergencyReadmitted; got != c.want {
				t.Errorf("readmitted %v, want %v", got, c.want)
			}
			if spells[1].emergencyReadmitted {
				t.Errorf("the last spell has no next spell, yet is readmitted")
			}
		})
	}
	t.Run("NotDischarged", func(t *testing.T) {
		spells := deriveSpells([]spellEpisode{ep(1, "2022-01-01", "", "11"), ep(2, "2022-01-05", "2022-01-06", "21")})
		if spells[0].emergencyReadmitted || spells[0].los.Valid || spells[0].discharging.Valid {
			t.Errorf("an open spell: %+v", spells[0])
		}
	})
	t.Run("OnlyTheNextSpell", func(t *testing.T) {
		spells := deriveSpells([]spellEpisode{ep(1, "2022-01-01", "2022-01-02", "11"),
			ep(2, "2022-01-05", "2022-01-06", "11"), ep(3, "2022-01-08", "2022-01-09", "21")})
		if spells[0].emergencyReadmitted || !spells[1].emergencyReadmitted {
			t.Errorf("readmitted: %v %v, want false true", spells[0].emergencyReadmitted, spells[1].emergencyReadmitted)
		}
	})
}
