package export_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/db/dbtest"
	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/apptest"
	"github.com/hesgql/hesgql/internal/export"
)

// deepNot is a filter nested n `not`s deep.
func deepNot(n int) string {
	return strings.Repeat(`{"not":`, n) + `{"startAge":{"gte":65}}` + strings.Repeat("}", n)
}

// An extract the database refuses is answered with a status and a coded
// error while nothing has been sent; once rows have gone, a failure breaks
// the chunked body so the client cannot mistake the file for complete.
func TestExportFailure(t *testing.T) {
	dsn := dbtest.NewDSN(t)
	d := dbtest.Open(t, dsn)
	apptest.LoadGenerated(t, d, 400, 9)
	conn := sqlConn(t, dsn)
	const batch = 50
	s := newExportServer(t, d, export.Options{BatchSize: batch})
	tok := token(t, "res", []model.Role{model.RoleResearcher})
	q := cols("episodeKey", "patient.pseudoId")

	t.Run("OK", func(t *testing.T) {
		// In one batch the extract is held whole, and its length is known;
		// in several it streams from the second batch on, chunked.
		one := newExportServer(t, d, export.Options{})
		for _, tc := range []struct {
			s      *exportServer
			length bool
		}{{one, true}, {s, false}} {
			resp := tc.s.request(context.Background(), t, tok, q)
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || err != nil {
				t.Fatalf("status %d, read error %v", resp.StatusCode, err)
			}
			if got := resp.ContentLength == int64(len(body)); got != tc.length {
				t.Errorf("Content-Length %d, body %d bytes, want it known: %v", resp.ContentLength, len(body), tc.length)
			}
			if n := strings.Count(string(body), "\n"); n != 401 {
				t.Errorf("%d lines, want the header and 400 rows", n)
			}
		}
	})

	// The database refuses the statement itself.
	t.Run("ErrDeepFilter", func(t *testing.T) {
		resp := s.request(context.Background(), t, tok, url.Values{"filter": {deepNot(1000)}})
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		var e apiError
		if resp.StatusCode < 400 || json.Unmarshal(body, &e) != nil || len(e.Errors) != 1 || e.Errors[0].Extensions.Code == "" {
			t.Fatalf("1,000-deep not: status %d, body %.100q: want an error status and one coded JSON error", resp.StatusCode, body)
		}
	})

	// A patient row that fails to read (a subquery of more than one row,
	// through a view) stands for any error the database reports for a
	// statement it has accepted.
	if _, err := conn.Exec("RENAME TABLE patients TO patients_stored"); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		"CREATE TABLE failing_patients (id BIGINT UNSIGNED PRIMARY KEY)",
		"CREATE TABLE slow_patients (id BIGINT UNSIGNED PRIMARY KEY)",
		`CREATE VIEW patients AS SELECT id,
			IF(id IN (SELECT id FROM failing_patients), (SELECT 'x' UNION ALL SELECT 'y'),
				IF(id IN (SELECT id FROM slow_patients) AND SLEEP(1) = 0, pseudo_id, pseudo_id)) AS pseudo_id,
			sex, ethnicity, birth_year, birth_month, nhs_number, date_of_birth, postcode, region FROM patients_stored`,
	} {
		if _, err := conn.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	fail := func(t *testing.T, patientID int64) {
		t.Helper()
		if _, err := conn.Exec("DELETE FROM failing_patients"); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec("INSERT INTO failing_patients VALUES (?)", patientID); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("ErrFirstBatch", func(t *testing.T) {
		fail(t, int64(sqlInt(t, conn, "SELECT patient_id FROM episodes ORDER BY id LIMIT 1")))
		resp := s.request(context.Background(), t, tok, q)
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		var e apiError
		if resp.StatusCode != http.StatusInternalServerError || json.Unmarshal(body, &e) != nil || len(e.Errors) != 1 ||
			e.Errors[0].Extensions.Code != model.ErrInternal {
			t.Fatalf("first batch fails: status %d, body %.100q: want 500 and one INTERNAL JSON error", resp.StatusCode, body)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type %q", ct)
		}
	})

	// A first batch stopped by the statement time limit is the caller's
	// to narrow, as in GraphQL.
	t.Run("ErrStatementTime", func(t *testing.T) {
		if _, err := conn.Exec("DELETE FROM failing_patients"); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec("INSERT INTO slow_patients SELECT patient_id FROM episodes ORDER BY id LIMIT 1"); err != nil {
			t.Fatal(err)
		}
		defer conn.Exec("DELETE FROM slow_patients")
		limited, err := db.Open(context.Background(), dsn, db.Options{Logger: quietLogger(), CursorKey: []byte("k"), StatementTimeout: 200 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		defer limited.Close()
		resp := newExportServer(t, limited, export.Options{BatchSize: batch}).request(context.Background(), t, tok, q)
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		var e apiError
		if resp.StatusCode != http.StatusUnprocessableEntity || json.Unmarshal(body, &e) != nil || len(e.Errors) != 1 ||
			e.Errors[0].Extensions.Code != model.ErrTooComplex {
			t.Fatalf("first batch over the time limit: status %d, body %.150q: want 422 and one QUERY_TOO_COMPLEX", resp.StatusCode, body)
		}
	})

	t.Run("ErrLaterBatch", func(t *testing.T) {
		// The patient whose first episode comes last in load order.
		var patient int64
		var before int
		if err := conn.QueryRow(`SELECT patient_id, (SELECT COUNT(*) FROM episodes x WHERE x.id < MIN(e.id))
			FROM episodes e GROUP BY patient_id ORDER BY MIN(e.id) DESC LIMIT 1`).Scan(&patient, &before); err != nil {
			t.Fatal(err)
		}
		if before < 2*batch {
			t.Fatalf("only %d rows before the failing one: no later batch to fail", before)
		}
		fail(t, patient)
		resp := s.request(context.Background(), t, tok, q)
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d, want 200 (the first batch succeeds)", resp.StatusCode)
		}
		r := csv.NewReader(resp.Body)
		rows := -1 // the header
		var err error
		for ; err == nil; rows++ {
			_, err = r.Read()
		}
		rows--
		if errors.Is(err, io.EOF) {
			t.Fatalf("the body ended cleanly after %d rows: a cut file looks complete", rows)
		}
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("read error %v, want an unexpected EOF (the chunked body broken off)", err)
		}
		if rows < batch || rows > before {
			t.Errorf("%d rows before the break, want between %d and %d", rows, batch, before)
		}
		t.Logf("body broken off after %d rows with %v", rows, err)
	})
}
