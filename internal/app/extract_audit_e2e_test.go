package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hesgql/hesgql/db/dbtest"
	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/app"
	"github.com/hesgql/hesgql/internal/apptest"
)

// counterValue reads a counter from reg (0 when it has not been registered).
func counterValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatalf("no counter %s", name)
	return 0
}

// An identifiable extract's audit record counts in the audit metrics like
// any other, and lists its fields sorted, as the schema says of
// AuditEvent.fields, whatever the order of the columns asked for.
func TestExtractAuditRecord(t *testing.T) {
	reg := prometheus.NewRegistry()
	s := apptest.Start(t, dbtest.New(t), app.Options{Logger: quietLogger(), Registry: reg})
	apptest.LoadGenerated(t, s.DB, 40, 8)
	admin := s.Token(t, []model.Role{model.RoleAdmin})
	if err := s.App.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	before := counterValue(t, reg, "hesgql_audit_events_written_total")

	q := url.Values{"columns": {"episodeKey,patient.postcode,patient.nhsNumber,patient.dateOfBirth"}}
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/export/episodes.csv?"+q.Encode(), nil)
	req.Header.Set("Authorization", "Bearer "+admin)
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("extract status %d", resp.StatusCode)
	}
	if got := counterValue(t, reg, "hesgql_audit_events_written_total") - before; got != 1 {
		t.Errorf("hesgql_audit_events_written_total rose by %v for one audited extract, want 1", got)
	}

	var out struct {
		AuditEvents struct {
			Nodes []struct {
				OperationName string
				Fields        []string
			}
		}
	}
	resp2 := s.Do(t, apptest.Request{Query: `{ auditEvents(first: 1) { nodes { operationName fields } } }`, Token: admin})
	if len(resp2.Errors) > 0 {
		t.Fatalf("auditEvents: %+v", resp2.Errors)
	}
	if err := json.Unmarshal(resp2.Data, &out); err != nil {
		t.Fatal(err)
	}
	if len(out.AuditEvents.Nodes) != 1 || out.AuditEvents.Nodes[0].OperationName != "GET /export/episodes.csv" {
		t.Fatalf("latest audit event %+v, want the extract's", out.AuditEvents.Nodes)
	}
	want := []string{"Patient.dateOfBirth", "Patient.nhsNumber", "Patient.postcode"}
	if got := out.AuditEvents.Nodes[0].Fields; len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("fields %v, want %v (sorted)", got, want)
	}
}
