package devdb

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"slices"
	"testing"
	"time"
)

// TestEnsure_Orphan deletes the data root while its server runs, as
// `rm -rf .data` does. The server keeps running on the deleted directory and
// its port; Inspect must name it an orphan, the next Ensure must stop it
// rather than start a second server beside it, and Stop must stop a server
// whose directory is gone without creating the directory again.
func TestEnsure_Orphan(t *testing.T) {
	opts := newOptions(t)
	mustEnsure(t, opts)
	l, err := newLayout(opts.Dir)
	if err != nil {
		t.Fatal(err)
	}
	first, err := readState(l)
	if err != nil || first == nil {
		t.Fatalf("readState = %v, %v; want a state", first, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	if err := os.RemoveAll(l.root); err != nil {
		t.Fatal(err)
	}
	st, err := Inspect(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if st.Running || !slices.Equal(st.Orphans, []int{first.PID}) {
		t.Errorf("Inspect after deleting the data root = %+v, want not running with orphan %d", st, first.PID)
	}

	dsn := mustEnsure(t, opts)
	if processAlive(first.PID, l.data) {
		t.Errorf("orphan pid %d still running after the next Ensure", first.PID)
	}
	assertOneServer(t, opts)
	st, err = Inspect(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Running || st.PID == first.PID || st.DSN != dsn || st.DataDir != l.data || len(st.Orphans) != 0 {
		t.Errorf("Inspect after restart = %+v, want running with a new pid, DSN %s, datadir %s and no orphans", st, dsn, l.data)
	}

	if err := os.RemoveAll(l.root); err != nil {
		t.Fatal(err)
	}
	if err := Stop(ctx, opts); err != nil {
		t.Fatalf("Stop after deleting the data root: %v", err)
	}
	if processAlive(st.PID, l.data) {
		t.Errorf("server pid %d still running after Stop", st.PID)
	}
	if _, err := os.Stat(l.root); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Stop created %s again (stat: %v)", l.root, err)
	}
}

// The buffer pool follows the machine's memory within its bounds, in whole
// 128 MB chunks.
func TestBufferPoolBytes(t *testing.T) {
	for _, c := range []struct{ mem, want int64 }{
		{0, 512 << 20}, {2 << 30, 512 << 20}, {24 << 30, 3 << 30}, {25_000_000_000, 23 << 27}, {128 << 30, 4 << 30},
	} {
		if got := bufferPoolBytes(c.mem); got != c.want {
			t.Errorf("bufferPoolBytes(%d) = %d, want %d", c.mem, got, c.want)
		}
	}
}
