package app_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/db/dbtest"
	"github.com/hesgql/hesgql/graph"
	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/app"
	"github.com/hesgql/hesgql/internal/apptest"
	"github.com/hesgql/hesgql/internal/auth"
	"github.com/hesgql/hesgql/internal/hes"
	"github.com/hesgql/hesgql/internal/load"
)

// Role names of the authorisation matrix.
const (
	rolePublic     = "public"
	roleResearcher = "RESEARCHER"
	roleClinIn     = "CLINICIAN-in-scope"
	roleClinOut    = "CLINICIAN-out-of-scope"
	roleAdmin      = "ADMIN"
)

var matrixRoles = []string{rolePublic, roleResearcher, roleClinIn, roleClinOut, roleAdmin}

// patientRec is a patient as ADMIN sees it, with its episodes' providers.
type patientRec struct {
	ID, NHS, DOB, Postcode string
	Episodes               []episodeRec
}

type episodeRec struct{ ID, Provider string }

// govFixture is an API over a generated extract, with a target patient and
// tokens for every role of the matrix.
type govFixture struct {
	s        *apptest.Server
	extract  []byte
	patients []patientRec
	target   patientRec // has every restricted value, and an episode at inOrg
	episode  string     // one of target's episodes
	spell    string     // one of target's spells
	inOrg    string     // an org of target
	outOrg   string     // an org target has no episode at
	tokens   map[string]string
}

func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
}

func newGovFixture(t *testing.T, opts app.Options) *govFixture {
	t.Helper()
	d := dbtest.New(t)
	var buf bytes.Buffer
	if err := hes.Generate(&buf, hes.GenerateOptions{Seed: 23, Episodes: 700}); err != nil {
		t.Fatal(err)
	}
	extract := bytes.Clone(buf.Bytes())
	if _, err := load.Stream(context.Background(), d, "governance.txt", &buf, 0, load.Options{}); err != nil {
		t.Fatal(err)
	}
	if opts.Logger == nil {
		opts.Logger = quietLogger()
	}
	f := &govFixture{s: apptest.Start(t, d, opts), extract: extract}
	admin := f.s.TokenFor(t, auth.TokenSpec{Subject: "fixture-admin", Roles: []model.Role{model.RoleAdmin}})
	f.patients = allPatients(t, f.s, admin)

	orgs := map[string]bool{}
	for _, p := range f.patients {
		for _, e := range p.Episodes {
			if e.Provider != "" {
				orgs[e.Provider] = true
			}
		}
	}
	for _, p := range f.patients {
		if p.NHS == "" || p.DOB == "" || p.Postcode == "" || len(p.Episodes) == 0 || p.Episodes[0].Provider == "" {
			continue
		}
		mine := map[string]bool{}
		for _, e := range p.Episodes {
			mine[e.Provider] = true
		}
		for o := range orgs {
			if !mine[o] && (f.outOrg == "" || o < f.outOrg) {
				f.outOrg = o
			}
		}
		f.target, f.episode, f.inOrg = p, p.Episodes[0].ID, p.Episodes[0].Provider
		break
	}
	if f.target.ID == "" || f.outOrg == "" {
		t.Fatal("the generated extract has no patient with every restricted field and a spare org")
	}
	var spells struct {
		Patient struct {
			Spells struct{ Nodes []struct{ ID string } }
		}
	}
	f.s.Query(t, `query($id: ID!) { patient(id: $id) { spells(first: 1) { nodes { id } } } }`, map[string]any{"id": f.target.ID}, &spells)
	if len(spells.Patient.Spells.Nodes) == 0 {
		t.Fatal("the target patient has no spell")
	}
	f.spell = spells.Patient.Spells.Nodes[0].ID
	// The values guarded below are the real ones from the extract, not
	// something the API made up.
	if !bytes.Contains(extract, []byte(f.target.NHS)) {
		t.Fatalf("NHS number %s of the target is not in the extract", f.target.NHS)
	}
	f.tokens = map[string]string{
		rolePublic:     apptest.NoToken,
		roleResearcher: f.s.TokenFor(t, auth.TokenSpec{Subject: "researcher", Roles: []model.Role{model.RoleResearcher}}),
		roleClinIn:     f.s.TokenFor(t, auth.TokenSpec{Subject: "clinician-in", Roles: []model.Role{model.RoleClinician}, Orgs: []string{f.inOrg}}),
		roleClinOut:    f.s.TokenFor(t, auth.TokenSpec{Subject: "clinician-out", Roles: []model.Role{model.RoleClinician}, Orgs: []string{f.outOrg}}),
		roleAdmin:      f.s.TokenFor(t, auth.TokenSpec{Subject: "admin", Roles: []model.Role{model.RoleAdmin}}),
	}
	return f
}

// allPatients pages through every patient as token (an ADMIN).
func allPatients(t *testing.T, s *apptest.Server, token string) []patientRec {
	t.Helper()
	const q = `query All($after: String) {
  patients(first: 100, after: $after) {
    nodes { id nhsNumber dateOfBirth postcode episodes(first: 100) { nodes { id providerCode } } }
    pageInfo { hasNextPage endCursor }
  }
}`
	var out []patientRec
	var after any
	for {
		resp := s.Do(t, apptest.Request{Query: q, Variables: map[string]any{"after": after}, Token: token})
		if len(resp.Errors) > 0 {
			t.Fatalf("list patients: %+v", resp.Errors)
		}
		var page struct {
			Patients struct {
				Nodes []struct {
					ID, NhsNumber, DateOfBirth, Postcode *string
					Episodes                             struct {
						Nodes []struct{ ID, ProviderCode *string }
					}
				}
				PageInfo struct {
					HasNextPage bool
					EndCursor   *string
				}
			}
		}
		if err := json.Unmarshal(resp.Data, &page); err != nil {
			t.Fatal(err)
		}
		for _, n := range page.Patients.Nodes {
			p := patientRec{ID: str(n.ID), NHS: str(n.NhsNumber), DOB: str(n.DateOfBirth), Postcode: str(n.Postcode)}
			for _, e := range n.Episodes.Nodes {
				p.Episodes = append(p.Episodes, episodeRec{ID: str(e.ID), Provider: str(e.ProviderCode)})
			}
			out = append(out, p)
		}
		if !page.Patients.PageInfo.HasNextPage {
			return out
		}
		after = *page.Patients.PageInfo.EndCursor
	}
}

func str(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// --- The authorisation matrix, derived from the schema. ---

// guarded is one schema field that some directive protects.
type guarded struct {
	owner, field string
	def          *ast.FieldDefinition
}

func hasRoleRoles(dl ast.DirectiveList) []model.Role {
	d := dl.ForName("hasRole")
	if d == nil {
		return nil
	}
	var out []model.Role
	for _, c := range d.Arguments.ForName("roles").Value.Children {
		out = append(out, model.Role(c.Value.Raw))
	}
	return out
}

// roleSets lists the role sets a field needs, each of which the caller must
// meet: the field's own @hasRole, its owner's and its result type's (gqlgen
// applies an object's directive on every field returning the object).
func roleSets(schema *ast.Schema, owner string, f *ast.FieldDefinition) [][]model.Role {
	var sets [][]model.Role
	for _, dl := range []ast.DirectiveList{f.Directives, schema.Types[owner].Directives, schema.Types[f.Type.Name()].Directives} {
		if r := hasRoleRoles(dl); r != nil {
			sets = append(sets, r)
		}
	}
	return sets
}

// guardedFields walks the schema for every field carrying @hasRole or
// @identifiable, every field of an object carrying @hasRole and every field
// returning such an object. A field marked in the SDL tomorrow is covered
// without touching this test.
func guardedFields(schema *ast.Schema) []guarded {
	var out []guarded
	for name, def := range schema.Types {
		if def.Kind != ast.Object || strings.HasPrefix(name, "__") {
			continue
		}
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			if len(roleSets(schema, name, f)) > 0 || f.Directives.ForName("identifiable") != nil {
				out = append(out, guarded{owner: name, field: f.Name, def: f})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].owner+"."+out[i].field < out[j].owner+"."+out[j].field })
	return out
}

// hop is one field on the way from Query to a type.
type hop struct {
	owner string
	def   *ast.FieldDefinition
}

// onlyIDArgs reports whether every required argument of f is an id we can
// supply.
func onlyIDArgs(f *ast.FieldDefinition) bool {
	for _, a := range f.Arguments {
		if a.Type.NonNull && a.DefaultValue == nil && a.Name != "id" {
			return false
		}
	}
	return true
}

// pathTo finds the shortest chain of fields from Query to typ.
func pathTo(schema *ast.Schema, typ string) []hop {
	type item struct {
		typ  string
		path []hop
	}
	seen := map[string]bool{"Query": true}
	queue := []item{{typ: "Query"}}
	for len(queue) > 0 {
		it := queue[0]
		queue = queue[1:]
		if it.typ == typ {
			return it.path
		}
		for _, f := range schema.Types[it.typ].Fields {
			next := f.Type.Name()
			if strings.HasPrefix(f.Name, "__") || seen[next] || !onlyIDArgs(f) || schema.Types[next].Kind != ast.Object {
				continue
			}
			seen[next] = true
			queue = append(queue, item{next, append(slices.Clone(it.path), hop{it.typ, f})})
		}
	}
	return nil
}

// selection picks every argument-free leaf of a composite result type.
func selection(schema *ast.Schema, t *ast.Type) string {
	def := schema.Types[t.Name()]
	if def.Kind == ast.Scalar || def.Kind == ast.Enum {
		return ""
	}
	parts := []string{"__typename"}
	for _, f := range def.Fields {
		k := schema.Types[f.Type.Name()].Kind
		if !strings.HasPrefix(f.Name, "__") && len(f.Arguments) == 0 && (k == ast.Scalar || k == ast.Enum) {
			parts = append(parts, f.Name)
		}
	}
	return " { " + strings.Join(parts, " ") + " }"
}

// matrixQuery builds a query reaching target through path, with ids of
// the fixture's target records.
func (f *govFixture) matrixQuery(schema *ast.Schema, path []hop, target guarded) string {
	call := f.call
	var b strings.Builder
	b.WriteString("query Matrix { ")
	for _, h := range path {
		b.WriteString(call(h.def) + " { __typename ")
	}
	b.WriteString(call(target.def) + selection(schema, target.def.Type))
	for range path {
		b.WriteString(" }")
	}
	b.WriteString(" }")
	return b.String()
}

// call is fd's name with its required id argument, if any: the target
// patient's or episode's.
func (f *govFixture) call(fd *ast.FieldDefinition) string {
	for _, a := range fd.Arguments {
		if a.Name == "id" && a.Type.NonNull {
			id := f.target.ID
			switch fd.Type.Name() {
			case "Episode":
				id = f.episode
			case "Spell":
				id = f.spell
			}
			return fmt.Sprintf("%s(id: %q)", fd.Name, id)
		}
	}
	return fd.Name
}

// lookup follows path names through decoded JSON, flattening lists.
func lookup(v any, names []string) []any {
	if len(names) == 0 {
		if l, ok := v.([]any); ok {
			return l
		}
		return []any{v}
	}
	switch x := v.(type) {
	case map[string]any:
		return lookup(x[names[0]], names[1:])
	case []any:
		var out []any
		for _, e := range x {
			out = append(out, lookup(e, names)...)
		}
		return out
	}
	return nil
}

// namesOf is an error path without list indexes.
func namesOf(path []any) []string {
	var out []string
	for _, p := range path {
		if s, ok := p.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func isPrefix(prefix, of []string) bool {
	return len(prefix) > 0 && len(prefix) <= len(of) && slices.Equal(prefix, of[:len(prefix)])
}

// expectation is what a role should get for a guarded field.
func expectation(schema *ast.Schema, role string, path []hop, target guarded) (allowed bool, code string, exactPath bool) {
	held := map[string][]model.Role{
		rolePublic: nil, roleResearcher: {model.RoleResearcher}, roleClinIn: {model.RoleClinician},
		roleClinOut: {model.RoleClinician}, roleAdmin: {model.RoleAdmin},
	}[role]
	for _, h := range append(slices.Clone(path), hop{target.owner, target.def}) {
		for _, set := range roleSets(schema, h.owner, h.def) {
			if !slices.ContainsFunc(set, func(r model.Role) bool { return slices.Contains(held, r) }) {
				if role == rolePublic {
					return false, model.ErrUnauthenticated, false
				}
				return false, model.ErrForbidden, false
			}
		}
	}
	byID := false
	for _, h := range append(slices.Clone(path), hop{target.owner, target.def}) {
		if h.owner == "Query" && h.def.Arguments.ForName("id") != nil {
			byID = true
		}
	}
	if role == roleClinOut && byID {
		return false, model.ErrNotFound, false // out of scope is indistinguishable from absent
	}
	if target.def.Directives.ForName("identifiable") != nil && role != roleAdmin && role != roleClinIn {
		return false, model.ErrForbidden, true
	}
	return true, "", false
}

// TestAuthorisationMatrix tries every guarded field of the schema as every
// role and checks the outcome, and that a denied value never appears
// anywhere in the response.
func TestAuthorisationMatrix(t *testing.T) {
	f := newGovFixture(t, app.Options{})
	if err := f.s.App.Flush(context.Background()); err != nil { // audit rows for AuditEvent fields
		t.Fatal(err)
	}
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	fields := guardedFields(schema)
	var identifiable []string
	for _, g := range fields {
		if g.def.Directives.ForName("identifiable") != nil {
			identifiable = append(identifiable, g.owner+"."+g.field)
		}
	}
	for _, want := range []string{"Patient.nhsNumber", "Patient.dateOfBirth", "Patient.postcode"} {
		if !slices.Contains(identifiable, want) {
			t.Errorf("%s is not @identifiable in the schema", want)
		}
	}
	secrets := []string{f.target.NHS, f.target.DOB, f.target.Postcode}

	for _, g := range fields {
		path := pathTo(schema, g.owner)
		if g.owner != "Query" && path == nil {
			t.Errorf("%s.%s: no way to reach %s from Query", g.owner, g.field, g.owner)
			continue
		}
		query := f.matrixQuery(schema, path, g)
		names := []string{}
		for _, h := range path {
			names = append(names, h.def.Name)
		}
		names = append(names, g.field)

		adminResp := f.s.Do(t, apptest.Request{Query: query, Token: f.tokens[roleAdmin]})
		var adminData any
		_ = json.Unmarshal(adminResp.Data, &adminData)
		adminVals := lookup(adminData, names)

		for _, role := range matrixRoles {
			t.Run(g.owner+"."+g.field+"/"+role, func(t *testing.T) {
				allowed, code, exact := expectation(schema, role, path, g)
				resp := f.s.Do(t, apptest.Request{Query: query, Token: f.tokens[role]})
				if resp.Status != http.StatusOK {
					t.Fatalf("status %d: %s", resp.Status, resp.Body)
				}
				var data any
				_ = json.Unmarshal(resp.Data, &data)
				vals := lookup(data, names)
				if allowed {
					for _, e := range resp.Errors {
						if isPrefix(namesOf(e.Path), names) {
							t.Fatalf("allowed read failed: %+v\nquery: %s", e, query)
						}
					}
					if len(adminVals) > 0 && adminVals[0] != nil && len(vals) == 0 {
						t.Errorf("allowed read returned nothing\nquery: %s\nbody: %s", query, resp.Body)
					}
					if (g.owner == "Patient" || g.owner == "Episode") && role == roleClinIn {
						a, _ := json.Marshal(adminVals)
						b, _ := json.Marshal(vals)
						if !bytes.Equal(a, b) {
							t.Errorf("in-scope clinician read %s, ADMIN %s", b, a)
						}
					}
					return
				}
				var found bool
				for _, e := range resp.Errors {
					p := namesOf(e.Path)
					if e.Code() == code && (isPrefix(p, names) && (!exact || slices.Equal(p, names))) {
						found = true
					}
				}
				if !found {
					t.Errorf("want a %s error on (a prefix of) %v, got %+v\nquery: %s", code, names, resp.Errors, query)
				}
				for _, v := range vals {
					if v != nil {
						t.Errorf("denied field has value %v", v)
					}
				}
				for _, v := range adminVals {
					// An id the query itself named may be echoed in a NOT_FOUND message.
					if s, ok := v.(string); ok && len(s) >= 6 && !strings.Contains(query, s) && bytes.Contains(resp.Body, []byte(s)) {
						t.Errorf("denied value %q appears in the response", s)
					}
				}
				if exact {
					// The rest of the response is intact: the record is there.
					if parents := lookup(data, names[:len(names)-1]); len(parents) == 0 || parents[0] == nil {
						t.Errorf("denying %s nulled its parent too: %s", g.field, resp.Body)
					}
				}
			})
		}
		// Whatever the field, callers not entitled to the target's restricted
		// values never receive them.
		for _, role := range []string{rolePublic, roleResearcher, roleClinOut} {
			resp := f.s.Do(t, apptest.Request{Query: query, Token: f.tokens[role]})
			for _, s := range secrets {
				if bytes.Contains(resp.Body, []byte(s)) {
					t.Errorf("%s as %s: restricted value %q in the response", query, role, s)
				}
			}
		}
	}
}

// Restricted values are cleared from the objects a non-entitled caller
// loads, so even a path that forgot its directive could not disclose them.
func TestRestrictedValuesNeverSerialised(t *testing.T) {
	f := newGovFixture(t, app.Options{})
	q := `query($id: ID!) {
  patient(id: $id) { id pseudoId nhsNumber dateOfBirth postcode episodes { nodes { patient { nhsNumber postcode } } } }
  node(id: $id) { ... on Patient { nhsNumber dateOfBirth postcode } }
  patients(first: 100) { nodes { nhsNumber dateOfBirth postcode } edges { node { nhsNumber } } }
  episodes(first: 100) { nodes { patient { nhsNumber dateOfBirth postcode } } }
}`
	for _, role := range []string{rolePublic, roleResearcher, roleClinOut} {
		resp := f.s.Do(t, apptest.Request{Query: q, Variables: map[string]any{"id": f.target.ID}, Token: f.tokens[role]})
		// Values of the out-of-scope clinician's own patients are theirs to
		// see (synthetic postcodes repeat, so compare values, not patients).
		own := map[string]bool{}
		for _, p := range f.patients {
			if role == roleClinOut && slices.ContainsFunc(p.Episodes, func(e episodeRec) bool { return e.Provider == f.outOrg }) {
				own[p.NHS], own[p.Postcode] = true, true
			}
		}
		for _, p := range f.patients {
			for _, s := range []string{p.NHS, p.Postcode} {
				if s != "" && !own[s] && bytes.Contains(resp.Body, []byte(s)) {
					t.Fatalf("%s: restricted value %q of patient %s in the response", role, s, p.ID)
				}
			}
		}
		if role == roleResearcher && !bytes.Contains(resp.Body, []byte(`"pseudoId"`)) {
			t.Errorf("researcher lost the pseudonymised data too: %s", resp.Body)
		}
	}
}

// A clinician who also holds RESEARCHER sees every row, but restricted
// fields only of patients of their organisations: the explicit per-patient
// check, not the row scope, decides.
func TestIdentifiableCheckedPerPatient(t *testing.T) {
	f := newGovFixture(t, app.Options{})
	tok := f.s.TokenFor(t, auth.TokenSpec{Subject: "dual", Roles: []model.Role{model.RoleClinician, model.RoleResearcher}, Orgs: []string{f.inOrg}})
	const q = `{ patients(first: 100) { nodes { id nhsNumber } } }`
	if err := f.s.App.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	before := f.s.DB.StatementsTotal()
	resp := f.s.Do(t, apptest.Request{Query: q, Token: tok})
	if err := f.s.App.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The page, one batched scope check for its 100 patients, the audit row.
	if n := f.s.DB.StatementsTotal() - before; n != 3 {
		t.Errorf("%d statements for a page of restricted fields, want 3 (the scope check is batched)", n)
	}
	var data struct {
		Patients struct {
			Nodes []struct{ ID, NhsNumber *string }
		}
	}
	_ = json.Unmarshal(resp.Data, &data)
	inScope := map[string]bool{}
	for _, p := range f.patients {
		for _, e := range p.Episodes {
			if e.Provider == f.inOrg {
				inScope[p.ID] = true
			}
		}
	}
	forbidden := 0
	for _, e := range resp.Errors {
		if e.Code() == model.ErrForbidden {
			forbidden++
		}
	}
	var saw, hidden int
	for _, n := range data.Patients.Nodes {
		switch {
		case inScope[*n.ID] && n.NhsNumber == nil && patientNHS(f, *n.ID) != "":
			t.Errorf("in-scope patient %s: NHS number withheld", *n.ID)
		case !inScope[*n.ID] && n.NhsNumber != nil:
			t.Errorf("out-of-scope patient %s: NHS number disclosed", *n.ID)
		case inScope[*n.ID]:
			saw++
		default:
			hidden++
		}
	}
	if saw == 0 || hidden == 0 || forbidden != hidden {
		t.Errorf("saw %d, hidden %d, FORBIDDEN errors %d; want some of each and one error per hidden value", saw, hidden, forbidden)
	}
}

func patientNHS(f *govFixture, id string) string {
	for _, p := range f.patients {
		if p.ID == id {
			return p.NHS
		}
	}
	return ""
}

// --- Clinician scope through every entry point. ---

func TestClinicianScope(t *testing.T) {
	f := newGovFixture(t, app.Options{})
	clin := f.tokens[roleClinIn]
	inPatients := map[string]bool{}
	inEpisodes := map[string]bool{}
	var outPatient patientRec
	for _, p := range f.patients {
		in := false
		for _, e := range p.Episodes {
			in = in || e.Provider == f.inOrg
		}
		if in {
			inPatients[p.ID] = true
			for _, e := range p.Episodes {
				inEpisodes[e.ID] = true
			}
		} else if outPatient.ID == "" && len(p.Episodes) > 0 {
			outPatient = p
		}
	}
	if len(inPatients) == 0 || outPatient.ID == "" {
		t.Fatal("fixture has no in- and out-of-scope patients")
	}
	do := func(q string, vars map[string]any) apptest.Response {
		return f.s.Do(t, apptest.Request{Query: q, Variables: vars, Token: clin})
	}
	collect := func(root string) (map[string]bool, int) {
		q := fmt.Sprintf(`query($after: String) { %s(first: 100, after: $after) { totalCount nodes { id } pageInfo { hasNextPage endCursor } } }`, root)
		got := map[string]bool{}
		total := -1
		var after any
		for {
			resp := do(q, map[string]any{"after": after})
			if len(resp.Errors) > 0 {
				t.Fatalf("%s: %+v", root, resp.Errors)
			}
			var page map[string]struct {
				TotalCount int
				Nodes      []struct{ ID string }
				PageInfo   struct {
					HasNextPage bool
					EndCursor   *string
				}
			}
			_ = json.Unmarshal(resp.Data, &page)
			c := page[root]
			total = c.TotalCount
			for _, n := range c.Nodes {
				got[n.ID] = true
			}
			if !c.PageInfo.HasNextPage {
				return got, total
			}
			after = *c.PageInfo.EndCursor
		}
	}

	t.Run("PatientsListingAndTotalCount", func(t *testing.T) {
		got, total := collect("patients")
		if !mapsEqual(got, inPatients) || total != len(inPatients) {
			t.Errorf("listed %d patients (totalCount %d), want exactly the %d in scope", len(got), total, len(inPatients))
		}
	})
	t.Run("EpisodesListingAndTotalCount", func(t *testing.T) {
		got, total := collect("episodes")
		if !mapsEqual(got, inEpisodes) || total != len(inEpisodes) {
			t.Errorf("listed %d episodes (totalCount %d), want exactly the %d of in-scope patients", len(got), total, len(inEpisodes))
		}
	})
	absentPatient := model.GlobalID(model.TypePatient, 1<<40)
	absentEpisode := model.GlobalID(model.TypeEpisode, 1<<40)
	lookups := []struct {
		name, q         string
		in, out, absent string
	}{
		{"Patient", `query($id: ID!) { patient(id: $id) { id } }`, f.target.ID, outPatient.ID, absentPatient},
		{"Episode", `query($id: ID!) { episode(id: $id) { id } }`, f.episode, outPatient.Episodes[0].ID, absentEpisode},
		{"NodePatient", `query($id: ID!) { node(id: $id) { id } }`, f.target.ID, outPatient.ID, absentPatient},
		{"NodeEpisode", `query($id: ID!) { node(id: $id) { id } }`, f.episode, outPatient.Episodes[0].ID, absentEpisode},
	}
	for _, l := range lookups {
		t.Run(l.name, func(t *testing.T) {
			if resp := do(l.q, map[string]any{"id": l.in}); len(resp.Errors) > 0 || !strings.Contains(string(resp.Data), l.in) {
				t.Errorf("in scope: %s %+v", resp.Data, resp.Errors)
			}
			out := do(l.q, map[string]any{"id": l.out})
			absent := do(l.q, map[string]any{"id": l.absent})
			for name, r := range map[string]apptest.Response{"out of scope": out, "absent": absent} {
				if len(r.Errors) != 1 || r.Errors[0].Code() != model.ErrNotFound || strings.Contains(string(r.Data), `"id"`) {
					t.Errorf("%s: %s %+v, want null and NOT_FOUND", name, r.Data, r.Errors)
				}
			}
			// Indistinguishable: the same shape and message bar the id itself.
			if len(out.Errors) == 1 && len(absent.Errors) == 1 &&
				strings.ReplaceAll(out.Errors[0].Message, l.out, "ID") != strings.ReplaceAll(absent.Errors[0].Message, l.absent, "ID") {
				t.Errorf("out-of-scope and absent differ: %q vs %q", out.Errors[0].Message, absent.Errors[0].Message)
			}
		})
	}
	t.Run("NestedPatientEpisodes", func(t *testing.T) {
		resp := do(`query($id: ID!) { patient(id: $id) { episodes(first: 100) { totalCount nodes { id patient { id } } } } }`, map[string]any{"id": f.target.ID})
		if len(resp.Errors) > 0 {
			t.Fatal(resp.Errors)
		}
		var data struct {
			Patient struct {
				Episodes struct {
					TotalCount int
					Nodes      []struct {
						ID      string
						Patient struct{ ID string }
					}
				}
			}
		}
		_ = json.Unmarshal(resp.Data, &data)
		if data.Patient.Episodes.TotalCount != len(f.target.Episodes) || len(data.Patient.Episodes.Nodes) != len(f.target.Episodes) {
			t.Errorf("nested episodes %d (totalCount %d), want all %d of the in-scope patient",
				len(data.Patient.Episodes.Nodes), data.Patient.Episodes.TotalCount, len(f.target.Episodes))
		}
		for _, e := range data.Patient.Episodes.Nodes {
			if e.Patient.ID != f.target.ID {
				t.Errorf("episode %s points at patient %s", e.ID, e.Patient.ID)
			}
		}
	})
	t.Run("NoOrgsSeesNothing", func(t *testing.T) {
		tok := f.s.TokenFor(t, auth.TokenSpec{Subject: "orphan", Roles: []model.Role{model.RoleClinician}})
		resp := f.s.Do(t, apptest.Request{Query: `{ patients { totalCount } episodes { totalCount } }`, Token: tok})
		if string(resp.Data) != `{"patients":{"totalCount":0},"episodes":{"totalCount":0}}` {
			t.Errorf("clinician without orgs: %s %+v", resp.Data, resp.Errors)
		}
	})
}

func mapsEqual(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

// --- Audit. ---

type auditPage struct {
	AuditEvents struct {
		TotalCount int
		Nodes      []struct {
			ID, Subject, QueryHash string
			At                     time.Time
			Roles, Orgs, Fields    []string
			OperationName          *string
			PatientCount           int
			RequestID              *string
		}
		PageInfo struct {
			HasNextPage bool
			EndCursor   *string
		}
	}
}

const auditQuery = `query($filter: AuditEventFilter, $first: Int, $after: String) {
  auditEvents(filter: $filter, first: $first, after: $after) {
    totalCount
    nodes { id at subject roles orgs operationName queryHash fields patientCount requestId }
    pageInfo { hasNextPage endCursor }
  }
}`

func (f *govFixture) audit(t *testing.T, vars map[string]any) auditPage {
	t.Helper()
	if err := f.s.App.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	resp := f.s.Do(t, apptest.Request{Query: auditQuery, Variables: vars, Token: f.tokens[roleAdmin]})
	if len(resp.Errors) > 0 {
		t.Fatalf("auditEvents: %+v", resp.Errors)
	}
	var p auditPage
	if err := json.Unmarshal(resp.Data, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAudit(t *testing.T) {
	f := newGovFixture(t, app.Options{})
	count := func() int { return f.audit(t, nil).AuditEvents.TotalCount }
	start := count()

	t.Run("NotForOtherReads", func(t *testing.T) {
		for _, r := range []struct{ role, q string }{
			{roleResearcher, `{ patients(first: 5) { nodes { pseudoId nhsNumber } } }`}, // denied: nothing read
			{roleClinIn, `{ patients(first: 5) { nodes { pseudoId birthYear } } }`},
			{roleAdmin, `{ episodes(first: 5) { nodes { episodeKey patient { pseudoId } } } }`},
			{rolePublic, `{ dataReleases { id } viewer { authenticated } }`},
		} {
			f.s.Do(t, apptest.Request{Query: r.q, Token: f.tokens[r.role]})
		}
		if n := count(); n != start {
			t.Errorf("%d audit rows for requests that read no restricted field", n-start)
		}
	})

	const adminRead = `query ReadThree { patients(first: 3) { nodes { nhsNumber postcode } } }`
	t.Run("AdminRead", func(t *testing.T) {
		before := time.Now().Add(-time.Second)
		resp := f.s.Do(t, apptest.Request{Query: adminRead, Token: f.tokens[roleAdmin]})
		if len(resp.Errors) > 0 {
			t.Fatal(resp.Errors)
		}
		p := f.audit(t, map[string]any{"first": 1})
		if p.AuditEvents.TotalCount != start+1 {
			t.Fatalf("%d new audit rows, want 1", p.AuditEvents.TotalCount-start)
		}
		e := p.AuditEvents.Nodes[0]
		sum := sha256.Sum256([]byte(adminRead))
		if e.Subject != "admin" || strings.Join(e.Roles, ",") != "ADMIN" || str(e.OperationName) != "ReadThree" ||
			e.QueryHash != hex.EncodeToString(sum[:]) || strings.Join(e.Fields, ",") != "Patient.nhsNumber,Patient.postcode" ||
			e.PatientCount != 3 || e.At.Before(before) || e.At.After(time.Now().Add(time.Second)) || str(e.RequestID) == "" {
			t.Errorf("audit event = %+v", e)
		}
	})
	t.Run("ClinicianRead", func(t *testing.T) {
		q := `query($id: ID!) { patient(id: $id) { dateOfBirth } }`
		resp := f.s.Do(t, apptest.Request{Query: q, Variables: map[string]any{"id": f.target.ID}, Token: f.tokens[roleClinIn]})
		if len(resp.Errors) > 0 {
			t.Fatal(resp.Errors)
		}
		e := f.audit(t, map[string]any{"first": 1}).AuditEvents.Nodes[0]
		if e.Subject != "clinician-in" || strings.Join(e.Orgs, ",") != f.inOrg || strings.Join(e.Fields, ",") != "Patient.dateOfBirth" || e.PatientCount != 1 {
			t.Errorf("audit event = %+v", e)
		}
	})
	t.Run("FilterAndPages", func(t *testing.T) {
		for i := 0; i < 4; i++ {
			f.s.Do(t, apptest.Request{Query: adminRead, Token: f.tokens[roleAdmin]})
		}
		all := f.audit(t, map[string]any{"first": 100}).AuditEvents
		var seen []string
		var after any
		for {
			p := f.audit(t, map[string]any{"first": 2, "after": after}).AuditEvents
			for _, n := range p.Nodes {
				seen = append(seen, n.ID)
			}
			if !p.PageInfo.HasNextPage {
				break
			}
			after = *p.PageInfo.EndCursor
		}
		var want []string
		for i, n := range all.Nodes {
			want = append(want, n.ID)
			if i > 0 && n.At.After(all.Nodes[i-1].At) {
				t.Errorf("not newest first at %d: %v after %v", i, n.At, all.Nodes[i-1].At)
			}
		}
		if !slices.Equal(seen, want) {
			t.Errorf("pages of 2 gave %v, one page %v", seen, want)
		}
		bySubject := f.audit(t, map[string]any{"filter": map[string]any{"subject": "clinician-in"}}).AuditEvents
		if bySubject.TotalCount != 1 {
			t.Errorf("events of clinician-in = %d, want 1", bySubject.TotalCount)
		}
		future := time.Now().Add(time.Hour).Format(time.RFC3339)
		if n := f.audit(t, map[string]any{"filter": map[string]any{"from": future}}).AuditEvents.TotalCount; n != 0 {
			t.Errorf("events from the future = %d", n)
		}
		if n := f.audit(t, map[string]any{"filter": map[string]any{"to": future}}).AuditEvents.TotalCount; n != all.TotalCount {
			t.Errorf("events before the future = %d, want %d", n, all.TotalCount)
		}
	})
	t.Run("ErrNotAdmin", func(t *testing.T) {
		for role, code := range map[string]string{rolePublic: model.ErrUnauthenticated, roleResearcher: model.ErrForbidden, roleClinIn: model.ErrForbidden} {
			resp := f.s.Do(t, apptest.Request{Query: auditQuery, Token: f.tokens[role]})
			if len(resp.Errors) == 0 || resp.Errors[0].Code() != code || string(resp.Data) != `{"auditEvents":null}` {
				t.Errorf("%s: %s %+v, want %s", role, resp.Data, resp.Errors, code)
			}
		}
	})
}

// Many concurrent restricted reads, with the API shut down while they are
// still arriving: every request that was answered has its audit row.
func TestAuditShutdownUnderLoad(t *testing.T) {
	d := dbtest.New(t)
	apptest.LoadGenerated(t, d, 200, 5)
	v, err := auth.NewVerifier(context.Background(), auth.Config{Secret: apptest.TestSecret})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	// A tiny queue and slow batches make requests meet a full queue.
	a, err := app.New(d, app.Options{Auth: v, Logger: quietLogger(),
		Audit: auth.WriterOptions{QueueSize: 4, BatchSize: 3, EnqueueWait: 20 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a)
	defer srv.Close()
	s := &apptest.Server{Server: srv, DB: d, App: a, Secret: apptest.TestSecret}
	tok := s.TokenFor(t, auth.TokenSpec{Subject: "load", Roles: []model.Role{model.RoleAdmin}})

	const requests, workers = 300, 24
	var answered atomic.Int64
	var closeOnce sync.Once
	closed := make(chan error, 1)
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				resp := s.Do(t, apptest.Request{Query: fmt.Sprintf(`query Load%d { patients(first: 2) { nodes { nhsNumber } } }`, i), Token: tok})
				if len(resp.Errors) > 0 {
					t.Errorf("request %d: %+v", i, resp.Errors)
					continue
				}
				if answered.Add(1) == requests/2 {
					closeOnce.Do(func() { go func() { closed <- a.Close(context.Background()) }() })
				}
			}
		}()
	}
	for i := 0; i < requests; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	_ = a.Close(context.Background()) // idempotent; late events were written directly
	sub := "load"
	conn, err := d.ListAuditEvents(context.Background(), db.AuditQuery{Filter: &model.AuditEventFilter{Subject: &sub}, Count: true})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := conn.TotalCount, int(answered.Load()); got != want || want != requests {
		t.Errorf("%d audit rows for %d answered requests (of %d)", got, want, requests)
	}
}

// --- Query limits. ---

// nested builds a query exactly depth fields deep, following
// patients > nodes > episodes > nodes > patient > episodes > ..., with
// connections asking for first rows.
func nested(depth, first int) string {
	chain := []string{"patients", "nodes"}
	for len(chain) < depth-1 {
		chain = append(chain, "episodes", "nodes", "patient")
	}
	chain = chain[:depth-1]
	leaf := map[string]string{"patients": "totalCount", "episodes": "totalCount", "nodes": "id", "patient": "id"}
	var b strings.Builder
	b.WriteString("{ ")
	for _, f := range chain {
		if f == "patients" || f == "episodes" {
			fmt.Fprintf(&b, "%s(first: %d) { ", f, first)
		} else {
			b.WriteString(f + " { ")
		}
	}
	b.WriteString(leaf[chain[len(chain)-1]])
	b.WriteString(strings.Repeat(" }", len(chain)+1))
	return b.String()
}

func TestQueryLimits(t *testing.T) {
	s := apptest.Start(t, dbtest.New(t), app.Options{Logger: quietLogger()})
	apptest.LoadGenerated(t, s.DB, 100, 3)
	admin := s.Token(t, []model.Role{model.RoleAdmin})

	var aliases strings.Builder
	aliases.WriteString("{ patients(first: 1) { nodes { ")
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&aliases, "a%d: pseudoId ", i)
	}
	aliases.WriteString("} } }")
	var roots strings.Builder
	roots.WriteString("{ ")
	for i := 0; i < 11; i++ {
		fmt.Fprintf(&roots, "r%d: dataReleases { id } ", i)
	}
	roots.WriteString("}")
	var frags strings.Builder
	frags.WriteString("query { ...F20 }\nfragment F0 on Query { patients { totalCount } }\n")
	for i := 1; i <= 20; i++ {
		fmt.Fprintf(&frags, "fragment F%d on Query { ...F%d ...F%d }\n", i, i-1, i-1)
	}
	megabyte := "{ patients { nodes { " + strings.Repeat("pseudoId ", 1_000_000/9) + "} } }"

	cases := map[string]struct {
		query string
		limit string
	}{
		"Depth50":         {nested(50, 1), "depth"},
		"Depth13":         {nested(13, 1), "depth"},
		"Aliases1000":     {aliases.String(), "aliases"},
		"RootFields11":    {roots.String(), "rootFields"},
		"First100x4":      {`{ patients(first: 100) { nodes { episodes(first: 100) { nodes { patient { episodes(first: 100) { nodes { id } } } } } } } }`, "complexity"},
		"FragmentBomb":    {frags.String(), "fields"},
		"Tokens":          {"{ patients { nodes { " + strings.Repeat("id ", 12_000) + "} } }", "tokens"},
		"OneMegabyte":     {megabyte, "queryBytes"},
		"ComplexityByVar": {`query($n: Int) { patients(first: $n) { nodes { episodes(first: $n) { nodes { diagnoses { code description } procedures { code description } } } } } }`, "complexity"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if err := s.App.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			before := s.DB.StatementsTotal()
			start := time.Now()
			resp := s.Do(t, apptest.Request{Query: c.query, Variables: map[string]any{"n": 100}, Token: admin})
			took := time.Since(start)
			if len(resp.Errors) != 1 || resp.Errors[0].Code() != model.ErrTooComplex || resp.Errors[0].Extensions["limit"] != c.limit {
				t.Fatalf("status %d, errors %+v; want one QUERY_TOO_COMPLEX (%s)", resp.Status, resp.Errors, c.limit)
			}
			if string(resp.Data) != "" && string(resp.Data) != "null" {
				t.Errorf("data = %s", resp.Data)
			}
			if n := s.DB.StatementsTotal() - before; n != 0 {
				t.Errorf("%d SQL statements ran for a rejected query", n)
			}
			if took > 2*time.Second {
				t.Errorf("rejection took %v", took)
			}
		})
	}
	t.Run("WithinLimitsRuns", func(t *testing.T) {
		resp := s.Do(t, apptest.Request{Query: nested(12, 1), Token: admin})
		if len(resp.Errors) > 0 {
			t.Errorf("depth 12: %+v", resp.Errors)
		}
		resp = s.Do(t, apptest.Request{Query: `{ episodes(first: 100) { nodes { episodeKey diagnoses { code description } procedures { code } patient { pseudoId sex } } } }`, Token: admin})
		if len(resp.Errors) > 0 {
			t.Errorf("a full page: %+v", resp.Errors)
		}
	})
	t.Run("BodyTooLarge", func(t *testing.T) {
		big := bytes.Repeat([]byte(" "), 2<<20)
		body := append(append([]byte(`{"query": "{ viewer { authenticated } }`), big...), []byte(`"}`)...)
		for name, length := range map[string]int64{"WithLength": int64(len(body)), "Chunked": -1} {
			before := s.DB.StatementsTotal()
			req, _ := http.NewRequest(http.MethodPost, s.URL+"/graphql", io.MultiReader(bytes.NewReader(body)))
			req.ContentLength = length
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+admin)
			resp, err := s.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var out apptest.Response
			if err := json.Unmarshal(raw, &out); err != nil || resp.StatusCode != http.StatusRequestEntityTooLarge ||
				len(out.Errors) != 1 || out.Errors[0].Code() != model.ErrTooComplex {
				t.Errorf("%s: status %d, body %.200s", name, resp.StatusCode, raw)
			}
			if n := s.DB.StatementsTotal() - before; n != 0 {
				t.Errorf("%s: %d SQL statements ran", name, n)
			}
		}
	})
}

// Production settings: no introspection or field suggestions, persisted
// queries, and the allow-list mode.
func TestProductionSurface(t *testing.T) {
	d := dbtest.New(t)
	apptest.LoadGenerated(t, d, 50, 9)
	prod := apptest.Start(t, d, app.Options{Logger: quietLogger()})
	dev := apptest.Start(t, d, app.Options{Logger: quietLogger(), Introspection: true, FieldSuggestions: true})
	tok := prod.Token(t, []model.Role{model.RoleResearcher})

	t.Run("IntrospectionOff", func(t *testing.T) {
		resp := prod.Do(t, apptest.Request{Query: `{ __schema { types { name } } }`, Token: tok})
		if len(resp.Errors) != 1 || resp.Errors[0].Code() != model.ErrForbidden || strings.Contains(string(resp.Body), `"Patient"`) {
			t.Errorf("introspection answered in production: %.300s", resp.Body)
		}
		if resp := dev.Do(t, apptest.Request{Query: `{ __schema { types { name } } }`, Token: tok}); len(resp.Errors) > 0 {
			t.Errorf("introspection refused in development: %+v", resp.Errors)
		}
	})
	t.Run("NoSuggestions", func(t *testing.T) {
		q := `{ patients { nodes { pseudoI } } }`
		if resp := prod.Do(t, apptest.Request{Query: q, Token: tok}); len(resp.Errors) == 0 || strings.Contains(resp.Errors[0].Message, "pseudoId") {
			t.Errorf("production suggests field names: %+v", resp.Errors)
		}
		if resp := dev.Do(t, apptest.Request{Query: q, Token: tok}); len(resp.Errors) == 0 || !strings.Contains(resp.Errors[0].Message, "pseudoId") {
			t.Errorf("development gives no suggestion: %+v", resp.Errors)
		}
	})
	t.Run("PersistedQueries", func(t *testing.T) {
		q := `{ patients(first: 1) { totalCount } }`
		sum := sha256.Sum256([]byte(q))
		ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}
		if out := postRaw(t, prod, tok, map[string]any{"extensions": ext}); len(out.Errors) != 1 || out.Errors[0].Code() != "PERSISTED_QUERY_NOT_FOUND" {
			t.Fatalf("unknown hash: %+v", out.Errors)
		}
		if out := postRaw(t, prod, tok, map[string]any{"query": q, "extensions": ext}); len(out.Errors) > 0 {
			t.Fatalf("register: %+v", out.Errors)
		}
		if out := postRaw(t, prod, tok, map[string]any{"extensions": ext}); len(out.Errors) > 0 || !strings.Contains(string(out.Data), "totalCount") {
			t.Fatalf("by hash: %s %+v", out.Data, out.Errors)
		}
	})
	t.Run("AllowList", func(t *testing.T) {
		q := `query Registered { patients(first: 2) { nodes { pseudoId } } }`
		sum := sha256.Sum256([]byte(q))
		hash := hex.EncodeToString(sum[:])
		file := filepath.Join(t.TempDir(), "allow.json")
		raw, _ := json.Marshal(map[string]string{hash: q})
		if err := os.WriteFile(file, raw, 0o600); err != nil {
			t.Fatal(err)
		}
		allow, err := graph.LoadAllowList(file)
		if err != nil {
			t.Fatal(err)
		}
		s := apptest.Start(t, d, app.Options{Logger: quietLogger(), AllowList: allow})
		tok := s.Token(t, []model.Role{model.RoleResearcher})
		if out := postRaw(t, s, tok, map[string]any{"query": q}); len(out.Errors) > 0 {
			t.Errorf("registered text refused: %+v", out.Errors)
		}
		ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}
		if out := postRaw(t, s, tok, map[string]any{"extensions": ext}); len(out.Errors) > 0 || !strings.Contains(string(out.Data), "pseudoId") {
			t.Errorf("registered hash refused: %s %+v", out.Data, out.Errors)
		}
		before := s.DB.StatementsTotal()
		for _, body := range []map[string]any{
			{"query": q + " "}, // not the exact text
			{"query": `{ patients(first: 100) { nodes { pseudoId } } }`},
			{"query": `{ patients { totalCount } }`, "extensions": map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}},
		} {
			if out := postRaw(t, s, tok, body); len(out.Errors) != 1 || out.Errors[0].Code() != model.ErrForbidden {
				t.Errorf("unregistered %v: %s %+v", body["query"], out.Data, out.Errors)
			}
		}
		if n := s.DB.StatementsTotal() - before; n != 0 {
			t.Errorf("%d statements ran for refused queries", n)
		}
		bad := filepath.Join(t.TempDir(), "bad.json")
		_ = os.WriteFile(bad, []byte(`{"0000": "{ viewer { authenticated } }"}`), 0o600)
		if _, err := graph.LoadAllowList(bad); err == nil {
			t.Error("allow-list with a wrong hash loaded")
		}
	})
	t.Run("UnauthenticatedIs401", func(t *testing.T) {
		notYet := prod.TokenFor(t, auth.TokenSpec{Subject: "x", Roles: []model.Role{model.RoleAdmin}, NotBefore: time.Now().Add(time.Hour)})
		resp := prod.Do(t, apptest.Request{Query: `{ viewer { authenticated } }`, Token: notYet})
		if resp.Status != http.StatusUnauthorized || len(resp.Errors) != 1 || resp.Errors[0].Code() != model.ErrUnauthenticated {
			t.Errorf("status %d %+v", resp.Status, resp.Errors)
		}
		q := fmt.Sprintf(`{ viewer { authenticated roles } patient(id: %q) { id } }`, model.GlobalID(model.TypePatient, 1))
		resp = prod.Do(t, apptest.Request{Query: q, Token: apptest.NoToken})
		if resp.Status != http.StatusOK || !strings.Contains(string(resp.Data), `"viewer":{"authenticated":false,"roles":[]}`) ||
			len(resp.Errors) != 1 || resp.Errors[0].Code() != model.ErrUnauthenticated || !slices.Equal(namesOf(resp.Errors[0].Path), []string{"patient"}) {
			t.Errorf("public: %d %s %+v", resp.Status, resp.Data, resp.Errors)
		}
	})
}

func postRaw(t *testing.T, s *apptest.Server, token string, body map[string]any) apptest.Response {
	t.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/graphql", bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	out := apptest.Response{Status: resp.StatusCode, Body: b}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return out
}
