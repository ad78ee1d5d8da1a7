package db

import (
	sq "github.com/Masterminds/squirrel"

	"github.com/hesgql/hesgql/graph/model"
)

// Spells in tabulations: an episode reaches its spell through
// spell_episodes (primary key episode_id), joined only when the spells
// count or a spell dimension is asked for, so other tabulations read what
// they read before.

// Aliases of the spell tables joined into a tabulation; they cannot clash
// with the numbered aliases of filter subqueries.
const (
	statsSpellLinkAlias = "stx"
	statsSpellAlias     = "sts"
)

// TabulateOption adds to a tabulation.
type TabulateOption func(*tabulateOptions)

type tabulateOptions struct {
	spells    bool // count distinct spells
	joinSpell bool // a dimension reads the spell row
}

// WithSpellCount adds the count of distinct spells to each row.
func WithSpellCount() TabulateOption { return func(o *tabulateOptions) { o.spells = true } }

// joinSpells joins each episode's spell link (and the spell row when a
// dimension needs it). LEFT joins keep episodes without a spell: they count
// as episodes, and in no spell.
func joinSpells(q sq.SelectBuilder, spellRow bool) sq.SelectBuilder {
	q = q.LeftJoin("spell_episodes " + statsSpellLinkAlias + " ON " + statsSpellLinkAlias + ".episode_id = e.id")
	if spellRow {
		q = q.LeftJoin("spells " + statsSpellAlias + " ON " + statsSpellAlias + ".id = " + statsSpellLinkAlias + ".spell_id")
	}
	return q
}

// lengthOfStayBands label the LENGTH_OF_STAY_BAND groups by their lowest day.
var lengthOfStayBands = map[string]string{"0": "0", "1": "1", "2": "2-3", "4": "4-7", "8": "8-14", "15": "15-28", "29": "29+"}

func init() {
	los := statsSpellAlias + ".los"
	dimensions[model.DimensionLengthOfStayBand] = dimension{
		// The band's lowest day, which orders the bands.
		expr: "CASE WHEN " + los + " IS NULL THEN NULL WHEN " + los + " <= 1 THEN " + los +
			" WHEN " + los + " <= 3 THEN 2 WHEN " + los + " <= 7 THEN 4 WHEN " + los + " <= 14 THEN 8 WHEN " +
			los + " <= 28 THEN 15 ELSE 29 END",
		spell: true,
		label: func(v string) string { return lengthOfStayBands[v] },
	}
}
