package resolvers

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"github.com/hesgql/hesgql/db"
)

// tabulationOptions asks the store for the spell count only when a row's
// spells field is selected: counting spells joins every counted episode to
// its spell.
func tabulationOptions(ctx context.Context) []db.TabulateOption {
	if !graphql.HasOperationContext(ctx) {
		return []db.TabulateOption{db.WithSpellCount()}
	}
	oc, fc := graphql.GetOperationContext(ctx), graphql.GetFieldContext(ctx)
	if fc == nil {
		return []db.TabulateOption{db.WithSpellCount()}
	}
	for _, f := range graphql.CollectFields(oc, fc.Field.Selections, nil) {
		if f.Name != "rows" {
			continue
		}
		for _, g := range graphql.CollectFields(oc, f.Selections, nil) {
			if g.Name == "spells" {
				return []db.TabulateOption{db.WithSpellCount()}
			}
		}
	}
	return nil
}

// lengthOfStayBandLabel words a LENGTH_OF_STAY_BAND key for headings.
func lengthOfStayBandLabel(band string) (string, bool) {
	switch {
	case band == "0":
		return "Discharged the day of admission", true
	case band == "1":
		return "1 day", true
	case strings.HasSuffix(band, "+"):
		return strings.TrimSuffix(band, "+") + " days and over", true
	case strings.Contains(band, "-"):
		return strings.Replace(band, "-", " to ", 1) + " days", true
	}
	return "", false
}
