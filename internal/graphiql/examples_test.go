package graphiql_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/hesgql/hesgql/internal/graphiql"
	"github.com/hesgql/hesgql/schema"
)

// TestExamplesValidate checks every example operation against the API's
// schema: it parses, validates, is one named operation, and its variables
// coerce. A schema change that breaks an example fails here, not in a
// newcomer's browser.
func TestExamplesValidate(t *testing.T) {
	schema := schema.Parsed()
	if len(graphiql.Examples) < 8 {
		t.Fatalf("only %d examples", len(graphiql.Examples))
	}
	titles := map[string]bool{}
	for _, ex := range graphiql.Examples {
		t.Run(ex.Title, func(t *testing.T) {
			if titles[ex.Title] {
				t.Fatalf("title %q used twice", ex.Title)
			}
			titles[ex.Title] = true
			if strings.TrimSpace(ex.About) == "" {
				t.Error("no About text")
			}
			doc, errs := gqlparser.LoadQuery(schema, ex.Query)
			if len(errs) > 0 {
				t.Fatalf("does not validate: %v\n%s", errs, ex.Query)
			}
			if len(doc.Operations) != 1 || doc.Operations[0].Name == "" {
				t.Fatalf("want one named operation (GraphiQL names the tab after it), got %d", len(doc.Operations))
			}
			vars := map[string]any{}
			if ex.Variables != "" {
				if err := json.Unmarshal([]byte(ex.Variables), &vars); err != nil {
					t.Fatalf("variables are not a JSON object: %v", err)
				}
			}
			if _, err := validator.VariableValues(schema, doc.Operations[0], vars); err != nil {
				t.Fatalf("variables do not coerce: %v", err)
			}
		})
	}
}
