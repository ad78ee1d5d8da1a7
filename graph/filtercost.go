package graph

// Relation filters weigh more in an operation's cost than plain ones. A
// plain value (financialYear: {eq: …}) is one predicate on the row being
// read; a relation (patient, hasEpisode, diagnosis, primaryDiagnosis,
// procedure) is a subquery over another table, evaluated for each row it
// is correlated with, and what is nested inside it runs once per row the
// relation reaches. On 200k episodes one public patient.hasEpisode level
// took 1.0–1.5 s and ten levels ran into the 10 s statement limit, so each
// level multiplies the cost of what it holds by RelationFilterWeight: with
// the default limit (50,000) four nested relation levels pass and six do not.

// RelationFilterWeight is the factor by which a relation filter multiplies
// the cost of its contents.
const RelationFilterWeight = 8

// relationFilters are the input fields whose value is a filter on another
// table (EpisodeFilter and PatientFilter, schema/filters.graphqls).
var relationFilters = map[string]bool{
	"patient": true, "hasEpisode": true, "diagnosis": true, "primaryDiagnosis": true, "procedure": true,
}

// filterCost is the cost of one input value: every object, list entry and
// field value counts one, as in CheckInput, and the value of a relation
// field counts RelationFilterWeight times its own cost.
func filterCost(v any) int {
	switch x := v.(type) {
	case map[string]any:
		n := 1
		for k, e := range x {
			c := filterCost(e)
			if relationFilters[k] {
				c = sat(c * RelationFilterWeight)
			}
			n = sat(n + c)
		}
		return n
	case []any:
		n := 1
		for _, e := range x {
			n = sat(n + filterCost(e))
		}
		return n
	}
	return 1
}
