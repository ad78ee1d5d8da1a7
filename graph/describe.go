package graph

import (
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// Who may read a guarded field is decided by the @hasRole and @identifiable
// directives, and introspection does not show directives. So that GraphiQL
// and generated clients still tell readers the rules, every guarded type and
// field gets a sentence derived from its directives appended to its
// description when the package starts: the text cannot drift from the rules
// it describes, because it is made from them.

func init() { DescribeAccess(parsedSchema) }

// accessMark starts every generated access sentence; DescribeAccess skips a
// description that already has one, so it may run more than once.
const accessMark = "Access: "

// IdentifiableAccess is the sentence added to every @identifiable field.
const IdentifiableAccess = accessMark + "HES restricted (identifiable) field: readable by ADMIN, and by CLINICIAN " +
	"for patients with an episode at one of the token's organisations; for anyone else it is null with a " +
	"FORBIDDEN error. Every read is audited (who, when, which fields, how many patients: see auditEvents)."

// RoleAccess is the sentence added to a type or field guarded by
// @hasRole(roles: roles); what is "type" or "field".
func RoleAccess(what string, roles []string) string {
	return accessMark + "only callers holding the role " + roleWords(roles) + " may read this " + what +
		"; anyone else gets null with a FORBIDDEN error (UNAUTHENTICATED without a token)."
}

// ReturnsAccess is the sentence added to an unguarded field of an unguarded
// type that returns a guarded object type.
func ReturnsAccess(typeName string, roles []string) string {
	return accessMark + "returns " + typeName + ", which only callers holding the role " + roleWords(roles) + " may read."
}

// DescribeAccess appends the access sentences to the descriptions of the
// guarded types and fields of s.
func DescribeAccess(s *ast.Schema) {
	for _, def := range s.Types {
		if def.BuiltIn || strings.HasPrefix(def.Name, "__") {
			continue
		}
		typeRoles := hasRoleArgs(def.Directives)
		if typeRoles != nil {
			def.Description = appendAccess(def.Description, RoleAccess("type", typeRoles))
		}
		for _, f := range def.Fields {
			switch {
			case f.Directives.ForName("identifiable") != nil:
				f.Description = appendAccess(f.Description, IdentifiableAccess)
			case hasRoleArgs(f.Directives) != nil:
				f.Description = appendAccess(f.Description, RoleAccess("field", hasRoleArgs(f.Directives)))
			case typeRoles == nil:
				name := namedType(f.Type)
				if t := s.Types[name]; t != nil && !strings.HasPrefix(name, "__") {
					if roles := hasRoleArgs(t.Directives); roles != nil {
						f.Description = appendAccess(f.Description, ReturnsAccess(name, roles))
					}
				}
			}
		}
	}
}

// hasRoleArgs returns the roles of a @hasRole directive, nil without one.
func hasRoleArgs(ds ast.DirectiveList) []string {
	d := ds.ForName("hasRole")
	if d == nil {
		return nil
	}
	arg := d.Arguments.ForName("roles")
	if arg == nil || arg.Value == nil {
		return []string{}
	}
	roles := []string{}
	for _, c := range arg.Value.Children {
		roles = append(roles, c.Value.Raw)
	}
	if len(roles) == 0 && arg.Value.Raw != "" { // a single role written without brackets
		roles = append(roles, arg.Value.Raw)
	}
	return roles
}

func namedType(t *ast.Type) string {
	for t.Elem != nil {
		t = t.Elem
	}
	return t.NamedType
}

// roleWords lists roles for a sentence: "ADMIN", "CLINICIAN or ADMIN",
// "RESEARCHER, CLINICIAN or ADMIN".
func roleWords(roles []string) string {
	switch len(roles) {
	case 0:
		return "(none)"
	case 1:
		return roles[0]
	}
	return strings.Join(roles[:len(roles)-1], ", ") + " or " + roles[len(roles)-1]
}

func appendAccess(desc, sentence string) string {
	if strings.Contains(desc, accessMark) {
		return desc
	}
	if desc == "" {
		return sentence
	}
	return strings.TrimRight(desc, " \n") + "\n\n" + sentence
}
