package graph

import (
	"testing"

	"github.com/hesgql/hesgql/graph/model"
)

// Restricted values are cleared from model objects for callers who may not
// read them, whichever shape a field resolved to; the set of fields comes
// from the schema's @identifiable marks.
func TestScrubIdentifiable(t *testing.T) {
	s := func(v string) *string { return &v }
	p := func() *model.Patient {
		return &model.Patient{RowID: 7, PseudoID: "P7", NhsNumber: s("9990000018"), Postcode: s("LS1 4AB"),
			DateOfBirth: &model.Date{}, Region: s("E12000003")}
	}
	check := func(name string, got *model.Patient) {
		t.Helper()
		if got.NhsNumber != nil || got.Postcode != nil || got.DateOfBirth != nil {
			t.Errorf("%s: restricted values left: %+v", name, got)
		}
		if got.PseudoID != "P7" || got.Region == nil || got.RowID != 7 {
			t.Errorf("%s: other values lost: %+v", name, got)
		}
	}
	one := p()
	check("pointer", scrubIdentifiable(one).(*model.Patient))
	if one.NhsNumber == nil {
		t.Error("the shared original was modified")
	}
	list := scrubIdentifiable([]*model.Patient{p(), nil, p()}).([]*model.Patient)
	check("list[0]", list[0])
	check("list[2]", list[2])
	if list[1] != nil {
		t.Error("nil element replaced")
	}
	var node model.Node = p()
	check("interface", scrubIdentifiable(node).(model.Node).(*model.Patient))

	e := &model.Episode{RowID: 1, PatientID: 7, EpisodeKey: "E1", ProviderCode: s("RTD")}
	if got := scrubIdentifiable(e); got != e {
		t.Errorf("episode without restricted fields copied or changed: %+v", got)
	}
	eps := []*model.Episode{e}
	if got := scrubIdentifiable(eps).([]*model.Episode); &got[0] != &eps[0] {
		t.Error("list of episodes copied needlessly")
	}
	if scrubIdentifiable(nil) != nil || scrubIdentifiable(42) != 42 {
		t.Error("non-model values changed")
	}

	want := map[string]bool{"nhsNumber": true, "dateOfBirth": true, "postcode": true}
	got := 0
	for _, f := range parsedSchema.Types["Patient"].Fields {
		if f.Directives.ForName("identifiable") != nil {
			got++
			if !want[f.Name] {
				t.Errorf("unexpected @identifiable Patient.%s: make sure it is cleared", f.Name)
			}
		}
	}
	if got != len(identifiableFields()["Patient"]) {
		t.Errorf("%d @identifiable Patient fields, %d cleared", got, len(identifiableFields()["Patient"]))
	}
	for _, idx := range identifiableFields()["Patient"] {
		if idx == nil {
			t.Error("an @identifiable Patient field has no struct field to clear")
		}
	}
}
