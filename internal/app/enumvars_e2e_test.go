package app_test

import (
	"strings"
	"testing"

	"github.com/hesgql/hesgql/graph"
	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/apptest"
)

// An enum value in a variable spelled in another case is the caller's
// error, refused before anything runs with the variable's path and the
// enum's values, for every enum a caller can send, public or signed in.
func TestEnumVariablesAreCaseSensitive(t *testing.T) {
	s := apptest.New(t)
	apptest.LoadGenerated(t, s.DB, 30, 8)
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	const stats = `{ rows { keys episodes { display } } }`
	cases := []struct {
		name, query string
		token       string
		enum        string
		vars        map[string]any
		field       string // the path the error must name
		fixed       map[string]any
	}{
		{"Dimension/Public", `query($g: [Dimension!]!) { statistics(groupBy: $g) ` + stats + ` }`, apptest.NoToken, "Dimension",
			map[string]any{"g": []any{"SEX", "sex"}}, "$g[1]", map[string]any{"g": []any{"SEX", "AGE_BAND"}}},
		{"Dimension/SingleValueForList", `query($g: [Dimension!]!) { statistics(groupBy: $g) ` + stats + ` }`, apptest.NoToken, "Dimension",
			map[string]any{"g": "financial_year"}, "$g[0]", map[string]any{"g": "FINANCIAL_YEAR"}},
		{"Sex/Public/InFilter", `query($f: EpisodeFilter) { statistics(filter: $f, groupBy: [SEX]) ` + stats + ` }`, apptest.NoToken, "Sex",
			map[string]any{"f": map[string]any{"patient": map[string]any{"sex": []any{"male"}}}}, "$f.patient.sex[0]",
			map[string]any{"f": map[string]any{"patient": map[string]any{"sex": []any{"MALE"}}}}},
		{"Sex/Public/Variable", `query($x: Sex!) { statistics(filter: {patient: {sex: [$x]}}, groupBy: [SEX]) ` + stats + ` }`, apptest.NoToken, "Sex",
			map[string]any{"x": "Female"}, "$x", map[string]any{"x": "FEMALE"}},
		{"Sex/Token/Nested", `query($f: EpisodeFilter) { episodes(first: 2, filter: $f) { totalCount } }`, "", "Sex",
			map[string]any{"f": map[string]any{"and": []any{map[string]any{"patient": map[string]any{"hasEpisode": map[string]any{"patient": map[string]any{"sex": []any{"NOT_KNOWN", "not_specified"}}}}}}}},
			"$f.and[0].patient.hasEpisode.patient.sex[1]",
			map[string]any{"f": map[string]any{"and": []any{map[string]any{"patient": map[string]any{"hasEpisode": map[string]any{"patient": map[string]any{"sex": []any{"NOT_KNOWN", "NOT_SPECIFIED"}}}}}}}}},
		{"EpisodeSortField/Token", `query($o: [EpisodeOrder!]) { episodes(first: 2, orderBy: $o) { totalCount } }`, "", "EpisodeSortField",
			map[string]any{"o": []any{map[string]any{"field": "episode_start"}}}, "$o[0].field",
			map[string]any{"o": []any{map[string]any{"field": "EPISODE_START"}}}},
		{"SortDirection/Token", `query($o: [EpisodeOrder!]) { episodes(first: 2, orderBy: $o) { totalCount } }`, "", "SortDirection",
			map[string]any{"o": []any{map[string]any{"field": "EPISODE_START", "direction": "desc"}}}, "$o[0].direction",
			map[string]any{"o": []any{map[string]any{"field": "EPISODE_START", "direction": "DESC"}}}},
		{"PatientSortField/Token", `query($o: [PatientOrder!]) { patients(first: 2, orderBy: $o) { totalCount } }`, "", "PatientSortField",
			map[string]any{"o": []any{map[string]any{"field": "Birth_Year", "direction": "ASC"}}}, "$o[0].field",
			map[string]any{"o": []any{map[string]any{"field": "BIRTH_YEAR", "direction": "ASC"}}}},
		{"Sex/Token/PatientFilter", `query($f: PatientFilter) { patients(first: 2, filter: $f) { totalCount } }`, "", "Sex",
			map[string]any{"f": map[string]any{"sex": "female"}}, "$f.sex[0]",
			map[string]any{"f": map[string]any{"sex": "FEMALE"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			token := c.token
			if token == "" {
				token = s.Token(t, []model.Role{model.RoleResearcher})
			}
			before := s.DB.StatementsTotal()
			resp := s.Do(t, apptest.Request{Query: c.query, Variables: c.vars, Token: token})
			if n := s.DB.StatementsTotal() - before; n != 0 {
				t.Errorf("%d statements ran for a refused variable", n)
			}
			if resp.Status != 200 || len(resp.Errors) != 1 {
				t.Fatalf("HTTP %d, want 200 and one error: %s", resp.Status, resp.Body)
			}
			e := resp.Errors[0]
			if e.Code() != model.ErrBadUserInput || e.Extensions["field"] != c.field || !strings.HasPrefix(e.Message, c.field+": ") {
				t.Errorf("error %q (code %s, field %v), want BAD_USER_INPUT at %s", e.Message, e.Code(), e.Extensions["field"], c.field)
			}
			for _, v := range schema.Types[c.enum].EnumValues {
				if !strings.Contains(e.Message, v.Name) {
					t.Errorf("message %q does not list %s", e.Message, v.Name)
				}
			}
			if d := string(resp.Data); d != "" && d != "null" {
				t.Errorf("data = %s, want none", d)
			}
			if fixed := s.Do(t, apptest.Request{Query: c.query, Variables: c.fixed, Token: token}); len(fixed.Errors) > 0 {
				t.Errorf("correctly spelled value refused: %s", fixed.Body)
			}
		})
	}
}
