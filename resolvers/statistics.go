package resolvers

import (
	"context"
	"strconv"

	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/auth"
)

// Disclosure control (HES rule since September 2018, API.md Statistics):
// below national level a count of 1 to 7 is suppressed and every other
// count is rounded to the nearest 5. It applies to every caller but ADMIN
// and to every count the API returns; the API returns no totals or margins,
// which a caller could otherwise subtract cells from.

// Smallest count shown, and the rounding base, under disclosure control.
const (
	smallestShownCount = 8
	roundingBase       = 5
)

const (
	controlledNote = "Disclosure control applied (HES rule): counts of 1 to 7 are suppressed and shown as \"*\"; " +
		"every other count is rounded to the nearest 5 (0 stays 0). No totals or margins are returned, " +
		"and summing rounded cells does not give a total. Episodes are finished consultant episodes " +
		"(EPISTAT 3, excluding regular attenders, CLASSPAT 3 and 4); admissions are those of them with " +
		"EPIORDER 1; patients are distinct patients among those episodes; spells are distinct hospital spells " +
		"of those episodes."
	exactNote = "Exact counts without disclosure control (ADMIN): apply the HES disclosure rule " +
		"(suppress 1 to 7, round to the nearest 5) before publishing any of them. Episodes are finished " +
		"consultant episodes (EPISTAT 3, excluding regular attenders, CLASSPAT 3 and 4); admissions are " +
		"those of them with EPIORDER 1; patients are distinct patients among those episodes; spells are " +
		"distinct hospital spells of those episodes."
)

// disclosedCount presents a count, under disclosure control when control
// is set.
func disclosedCount(n int64, control bool) *model.Count {
	if control && n > 0 && n < smallestShownCount {
		return &model.Count{Value: nil, Display: "*", Suppressed: true}
	}
	if control {
		n = (n + roundingBase/2) / roundingBase * roundingBase
	}
	v := int(n)
	return &model.Count{Value: &v, Display: strconv.FormatInt(n, 10)}
}

// tabulate answers the statistics field: the counts come from one grouped
// statement and are then controlled cell by cell for every caller but ADMIN.
func (r *Resolver) tabulate(ctx context.Context, filter *model.EpisodeFilter, groupBy []model.Dimension) (*model.Tabulation, error) {
	rows, err := r.DB.Tabulate(ctx, filter, groupBy, tabulationOptions(ctx)...)
	if err != nil {
		return nil, err
	}
	control := !callerSeesExactCounts(ctx)
	t := &model.Tabulation{Rows: make([]*model.TabulationRow, 0, len(rows)), DisclosureControl: control}
	note := exactNote
	if control {
		note = controlledNote
	}
	t.Note = &note
	for _, row := range rows {
		t.Rows = append(t.Rows, &model.TabulationRow{
			Keys:       row.Keys,
			Labels:     keyLabels(groupBy, row.Keys),
			Episodes:   disclosedCount(row.Episodes, control),
			Admissions: disclosedCount(row.Admissions, control),
			Patients:   disclosedCount(row.Patients, control),
			Spells:     disclosedCount(row.Spells, control),
		})
	}
	return t, nil
}

// callerSeesExactCounts reports whether the caller may read statistics
// without disclosure control: ADMIN only. With no viewer in the request
// context the caller is public.
func callerSeesExactCounts(ctx context.Context) bool {
	return auth.FromContext(ctx).Has(model.RoleAdmin)
}
