package app_test

import (
	"encoding/json"
	"fmt"
	"strconv"
	"testing"

	"github.com/hesgql/hesgql/db/dbtest"
	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/app"
	"github.com/hesgql/hesgql/internal/apptest"
)

// A public table served from the published tables carries the same
// disclosure-controlled counts as the base tables give, and its repeat
// runs no SQL.
func TestPublishedStatisticsOverHTTP(t *testing.T) {
	d := dbtest.New(t)
	s := apptest.Start(t, d, app.Options{Logger: quietLogger()})
	apptest.LoadGenerated(t, d, 1200, 21)
	const q = `{ statistics(groupBy: [AGE_BAND, SEX]) { disclosureControl rows { keys episodes { display } admissions { display } patients { display } } } }`
	// The base tables' exact counts: ADMIN, with a filter every episode
	// passes (the financial year is always recorded), which the published
	// tables do not serve.
	const exact = `{ statistics(groupBy: [AGE_BAND, SEX], filter: {financialYear: {isNull: false}}) { rows { keys episodes { value } admissions { value } patients { value } } } }`
	var base struct {
		Statistics struct {
			Rows []struct {
				Keys                           []*string
				Episodes, Admissions, Patients struct{ Value int64 }
			}
		}
	}
	respBase := s.Do(t, apptest.Request{Query: exact, Token: s.Token(t, []model.Role{model.RoleAdmin})})
	if len(respBase.Errors) != 0 {
		t.Fatalf("%+v", respBase.Errors)
	}
	if err := json.Unmarshal(respBase.Data, &base); err != nil {
		t.Fatal(err)
	}
	want := base.Statistics.Rows
	type count struct{ Display string }
	var out struct {
		Statistics struct {
			DisclosureControl bool
			Rows              []struct {
				Keys                           []*string
				Episodes, Admissions, Patients count
			}
		}
	}
	resp := s.Do(t, apptest.Request{Query: q, Token: apptest.NoToken})
	if len(resp.Errors) != 0 {
		t.Fatalf("%+v", resp.Errors)
	}
	if err := json.Unmarshal(resp.Data, &out); err != nil {
		t.Fatal(err)
	}
	controlled := func(n int64) string {
		if n > 0 && n < 8 {
			return "*"
		}
		return strconv.FormatInt((n+2)/5*5, 10)
	}
	if !out.Statistics.DisclosureControl || len(out.Statistics.Rows) != len(want) {
		t.Fatalf("control %v, %d rows, want control and %d rows", out.Statistics.DisclosureControl, len(out.Statistics.Rows), len(want))
	}
	for i, r := range out.Statistics.Rows {
		w := want[i]
		if fmt.Sprint(deref(r.Keys)) != fmt.Sprint(deref(w.Keys)) {
			t.Errorf("row %d: keys %v, want %v", i, deref(r.Keys), deref(w.Keys))
		}
		if r.Episodes.Display != controlled(w.Episodes.Value) || r.Admissions.Display != controlled(w.Admissions.Value) || r.Patients.Display != controlled(w.Patients.Value) {
			t.Errorf("row %d: %s/%s/%s, want %s/%s/%s (from %d/%d/%d)", i, r.Episodes.Display, r.Admissions.Display, r.Patients.Display,
				controlled(w.Episodes.Value), controlled(w.Admissions.Value), controlled(w.Patients.Value), w.Episodes.Value, w.Admissions.Value, w.Patients.Value)
		}
	}
	before := d.StatementsTotal()
	if resp := s.Do(t, apptest.Request{Query: q, Token: apptest.NoToken}); len(resp.Errors) != 0 {
		t.Fatalf("%+v", resp.Errors)
	}
	// At most the data release check, when 5 s have passed on a busy machine.
	if n := d.StatementsTotal() - before; n > 1 {
		t.Errorf("the repeat ran %d statements", n)
	}
}

func deref(keys []*string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		if k == nil {
			out[i] = "<null>"
		} else {
			out[i] = *k
		}
	}
	return out
}
