package app_test

import (
	"context"
	"testing"

	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/app"
	"github.com/hesgql/hesgql/internal/apptest"
	"github.com/hesgql/hesgql/internal/auth"
)

// A clinician's right to each patient's restricted fields is asked for the
// whole response in one statement, however the response reaches the
// patients: a page's nodes, its edges, or the patients of a page of
// episodes. Lists are marshalled one element after another, so a check per
// patient would be a statement per patient.
func TestScopeCheckBatchedOnEveryPath(t *testing.T) {
	f := newGovFixture(t, app.Options{})
	tok := f.s.TokenFor(t, auth.TokenSpec{Subject: "dual", Roles: []model.Role{model.RoleClinician, model.RoleResearcher}, Orgs: []string{f.inOrg}})
	cases := map[string]string{
		"nodes":            `{ patients(first: 50) { nodes { id nhsNumber } } }`,
		"edges":            `{ patients(first: 50) { edges { node { id nhsNumber } } } }`,
		"episode patients": `{ episodes(first: 50) { edges { node { patient { id postcode } } } } }`,
	}
	for name, q := range cases {
		t.Run(name, func(t *testing.T) {
			if err := f.s.App.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			before := f.s.DB.StatementsTotal()
			resp := f.s.Do(t, apptest.Request{Query: q, Token: tok})
			if err := f.s.App.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			forbidden := 0
			for _, e := range resp.Errors {
				if e.Code() != model.ErrForbidden {
					t.Fatalf("unexpected error %+v", e)
				}
				forbidden++
			}
			if forbidden == 0 {
				t.Fatalf("no out-of-scope patient on the page: the case proves nothing: %s", resp.Body)
			}
			// The listing (and the patients of episodes), one scope check,
			// the audit row.
			want := int64(3)
			if name == "episode patients" {
				want = 4
			}
			if n := f.s.DB.StatementsTotal() - before; n != want {
				t.Errorf("%d statements, want %d (the scope check is one statement)", n, want)
			}
		})
	}
}
