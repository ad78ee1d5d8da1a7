package bench

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/hesgql/hesgql/db/dbtest"
	"github.com/hesgql/hesgql/internal/apptest"
)

// bench --load runs all three phases on a small dataset and reports them;
// the floor stores as many episodes as the loader.
func TestRunLoad(t *testing.T) {
	d := dbtest.New(t)
	var out bytes.Buffer
	rep, err := RunLoad(context.Background(), d, Config{Episodes: 2000, Seed: 3, Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Episodes != 2000 || rep.Patients == 0 || rep.First <= 0 || rep.Refresh <= 0 || rep.Floor <= 0 {
		t.Errorf("report %+v", rep)
	}
	for _, want := range []string{"hesgql load, first (empty store)", "LOAD DATA LOCAL floor", "refresh (all upserts)", "first load ÷ floor"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	// It empties only databases that hold benchmark data.
	other := dbtest.New(t)
	apptest.LoadGenerated(t, other, 10, 1)
	if _, err := RunLoad(context.Background(), other, Config{Episodes: 10, Out: &out}); err == nil || !strings.Contains(err.Error(), "database of its own") {
		t.Errorf("RunLoad on a database with other data: %v", err)
	}
}
