package graph_test

import (
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/hesgql/hesgql/graph"
)

const describeSDL = `
enum Role { RESEARCHER CLINICIAN ADMIN }
directive @hasRole(roles: [Role!]!) on FIELD_DEFINITION | OBJECT
directive @identifiable on FIELD_DEFINITION
type Query {
  "All secrets."
  secrets: [Secret!]! @hasRole(roles: [ADMIN])
  "One secret."
  secret: Secret
  "Public."
  open: String
}
"A secret."
type Secret @hasRole(roles: [RESEARCHER, CLINICIAN, ADMIN]) {
  "Name."
  name: String
  "Number."
  number: String @identifiable
}`

func TestDescribeAccess(t *testing.T) {
	s := gqlparser.MustLoadSchema(&ast.Source{Name: "t.graphqls", Input: describeSDL})
	graph.DescribeAccess(s)
	graph.DescribeAccess(s) // twice: the sentences are not repeated
	for _, tt := range []struct{ desc, want string }{
		{s.Types["Query"].Fields.ForName("secrets").Description, "All secrets.\n\n" + graph.RoleAccess("field", []string{"ADMIN"})},
		{s.Types["Query"].Fields.ForName("secret").Description, "One secret.\n\n" + graph.ReturnsAccess("Secret", []string{"RESEARCHER", "CLINICIAN", "ADMIN"})},
		{s.Types["Query"].Fields.ForName("open").Description, "Public."},
		{s.Types["Secret"].Description, "A secret.\n\n" + graph.RoleAccess("type", []string{"RESEARCHER", "CLINICIAN", "ADMIN"})},
		{s.Types["Secret"].Fields.ForName("name").Description, "Name."},
		{s.Types["Secret"].Fields.ForName("number").Description, "Number.\n\n" + graph.IdentifiableAccess},
	} {
		if tt.desc != tt.want {
			t.Errorf("description %q; want %q", tt.desc, tt.want)
		}
	}
	if got := graph.RoleAccess("type", []string{"RESEARCHER", "CLINICIAN", "ADMIN"}); !strings.Contains(got, "RESEARCHER, CLINICIAN or ADMIN") {
		t.Errorf("RoleAccess = %q", got)
	}
}

// TestDescribeAccessOnTheSchema checks the served schema itself: the
// directive-derived sentences are in place once the package is loaded.
func TestDescribeAccessOnTheSchema(t *testing.T) {
	s := graph.NewExecutableSchema(graph.Config{}).Schema()
	nhs := s.Types["Patient"].Fields.ForName("nhsNumber").Description
	if !strings.HasSuffix(nhs, graph.IdentifiableAccess) {
		t.Errorf("Patient.nhsNumber: %q", nhs)
	}
	if d := s.Types["Query"].Fields.ForName("auditEvents").Description; !strings.HasSuffix(d, graph.RoleAccess("field", []string{"ADMIN"})) {
		t.Errorf("Query.auditEvents: %q", d)
	}
}
