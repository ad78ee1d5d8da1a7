package db_test

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/db/dbtest"
	"github.com/hesgql/hesgql/graph/model"
)

func TestAuditRecords(t *testing.T) {
	d := dbtest.New(t)
	ctx := context.Background()
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var recs []db.AuditRecord
	for i := 0; i < 7; i++ {
		subject := "alice"
		if i%2 == 1 {
			subject = "bob"
		}
		recs = append(recs, db.AuditRecord{
			EventID: strings.Repeat(string(rune('a'+i)), 32), At: base.Add(time.Duration(i) * time.Minute),
			Subject: subject, Roles: []string{"ADMIN"}, Orgs: []string{"RTD", "RX1"}, OperationName: "Q",
			QueryHash: strings.Repeat("0", 64), Fields: []string{"Patient.nhsNumber", "Patient.postcode"}, Patients: i,
		})
	}
	if err := d.InsertAuditRecords(ctx, recs); err != nil {
		t.Fatal(err)
	}
	// A retried batch (same event ids) writes nothing twice.
	if err := d.InsertAuditRecords(ctx, recs[:3]); err != nil {
		t.Fatal(err)
	}

	t.Run("NewestFirstAcrossPages", func(t *testing.T) {
		var got []int
		var after *string
		for pages := 0; ; pages++ {
			first := 3
			conn, err := d.ListAuditEvents(ctx, db.AuditQuery{Page: model.Page{First: &first, After: after}, Count: true})
			if err != nil {
				t.Fatal(err)
			}
			if conn.TotalCount != 7 {
				t.Fatalf("totalCount = %d, want 7 (a retried insert must not duplicate)", conn.TotalCount)
			}
			for _, e := range conn.Nodes {
				got = append(got, e.PatientCount)
			}
			if !conn.PageInfo.HasNextPage {
				break
			}
			after = conn.PageInfo.EndCursor
			if pages > 5 {
				t.Fatal("paging does not end")
			}
		}
		if want := []int{6, 5, 4, 3, 2, 1, 0}; !equal(got, want) {
			t.Errorf("order = %v, want %v", got, want)
		}
	})
	t.Run("Filter", func(t *testing.T) {
		sub := "bob"
		from, to := base.Add(2*time.Minute), base.Add(6*time.Minute)
		conn, err := d.ListAuditEvents(ctx, db.AuditQuery{Filter: &model.AuditEventFilter{Subject: &sub, From: &from, To: &to}, Count: true})
		if err != nil {
			t.Fatal(err)
		}
		var got []int
		for _, e := range conn.Nodes {
			got = append(got, e.PatientCount)
			if e.Subject != "bob" || strings.Join(e.Fields, ",") != "Patient.nhsNumber,Patient.postcode" ||
				strings.Join(e.Orgs, ",") != "RTD,RX1" || len(e.Roles) != 1 || e.Roles[0] != model.RoleAdmin {
				t.Errorf("event = %+v", e)
			}
		}
		if want := []int{5, 3}; !equal(got, want) || conn.TotalCount != 2 {
			t.Errorf("bob between 12:02 and 12:06 = %v (total %d), want %v", got, conn.TotalCount, want)
		}
		// The subject is matched exactly: "bob " is somebody else.
		padded := "bob "
		conn, err = d.ListAuditEvents(ctx, db.AuditQuery{Filter: &model.AuditEventFilter{Subject: &padded}, Count: true})
		if err != nil {
			t.Fatal(err)
		}
		if conn.TotalCount != 0 {
			t.Errorf("subject %q matched %d events of bob", padded, conn.TotalCount)
		}
	})
	t.Run("ErrCursorOfAnotherFilter", func(t *testing.T) {
		first := 1
		conn, err := d.ListAuditEvents(ctx, db.AuditQuery{Page: model.Page{First: &first}})
		if err != nil {
			t.Fatal(err)
		}
		sub := "alice"
		_, err = d.ListAuditEvents(ctx, db.AuditQuery{Filter: &model.AuditEventFilter{Subject: &sub}, Page: model.Page{First: &first, After: conn.PageInfo.EndCursor}})
		if model.ErrorCode(err) != model.ErrBadUserInput {
			t.Errorf("err = %v, want BAD_USER_INPUT", err)
		}
	})
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// The per-statement limit (max_statement_time on MariaDB) stops a long
// statement on the server, and a cancelled context stops waiting for one.
func TestStatementLimits(t *testing.T) {
	dsn := dbtest.NewDSN(t)
	dbtest.Open(t, dsn) // migrate
	ctx := context.Background()
	d, err := db.Open(ctx, dsn, db.Options{StatementTimeout: 300 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	t.Run("StatementTimeout", func(t *testing.T) {
		start := time.Now()
		err := d.SleepForTest(ctx, 5)
		took := time.Since(start)
		if took > 3*time.Second {
			t.Fatalf("SLEEP(5) ran %v under a 300ms statement limit", took)
		}
		var me *mysql.MySQLError
		switch {
		case d.Flavor() == db.FlavorMariaDB && errors.As(err, &me) && me.Number == 1969:
		case d.Flavor() == db.FlavorMySQL && took < 3*time.Second:
			// MySQL's max_execution_time applies to SELECT; SLEEP returns 1.
		default:
			t.Fatalf("err = %v after %v, want the statement time limit (1969)", err, took)
		}
	})

	// A cancelled context releases the caller at once. The server does not
	// notice a closed connection while it executes (measured: a heavy join
	// ran on for 20s after its client went away), so what bounds orphaned
	// work there is the statement limit: the statement is gone within it.
	t.Run("ContextCancel", func(t *testing.T) {
		cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		err := d.SleepForTest(cctx, 30)
		if took := time.Since(start); took > time.Second {
			t.Fatalf("cancelled statement held the caller for %v", took)
		}
		if err == nil {
			t.Fatal("cancelled SLEEP(30) reported success")
		}
		admin, err := sql.Open("mysql", dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer admin.Close()
		deadline := time.Now().Add(3 * time.Second)
		for {
			var n int
			if err := admin.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(30%'").Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the cancelled statement still runs on the server 3s later, beyond its 300ms limit")
			}
			time.Sleep(50 * time.Millisecond)
		}
		// The pool recovers: the next statement works.
		if err := d.SleepForTest(ctx, 0); err != nil {
			t.Fatalf("statement after a cancellation: %v", err)
		}
	})
}
