// Package testtools provides the external programs some end-to-end tests
// drive (node and npm for the GraphQL-over-HTTP audit, chromium for the
// GraphiQL page test). A missing program is installed from Debian with
// apt-get when the test runs as root on Debian, as internal/devdb does for
// MariaDB; otherwise the test fails naming what to install. It never skips:
// a check that silently does not run is worse than a loud failure.
package testtools

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hesgql/hesgql/internal/devdb"
)

// aptMu serialises apt-get runs of the tests in one process: dpkg takes a
// lock and a second concurrent install would fail on it.
var aptMu sync.Mutex

// Require returns the path of each program in progs (program name → Debian
// package providing it), installing the missing ones with apt-get where
// that is possible, and fails the test otherwise.
func Require(tb testing.TB, progs map[string]string) map[string]string {
	tb.Helper()
	aptMu.Lock()
	defer aptMu.Unlock()
	paths := make(map[string]string, len(progs))
	var missing, pkgs []string
	for prog, pkg := range progs {
		if p, err := exec.LookPath(prog); err == nil {
			paths[prog] = p
			continue
		}
		missing = append(missing, prog)
		pkgs = append(pkgs, pkg)
	}
	if len(missing) == 0 {
		return paths
	}
	tb.Logf("missing %s; installing Debian packages %s", strings.Join(missing, ", "), strings.Join(pkgs, " "))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := devdb.AptInstall(ctx, slog.Default(), pkgs...); err != nil {
		tb.Fatalf("this test needs %s (Debian packages: %s): %v", strings.Join(missing, ", "), strings.Join(pkgs, " "), err)
	}
	for _, prog := range missing {
		p, err := exec.LookPath(prog)
		if err != nil {
			tb.Fatalf("installed the Debian packages %s but %s is still not on PATH", strings.Join(pkgs, " "), prog)
		}
		paths[prog] = p
	}
	return paths
}

// NpmCI installs the npm project in dir (its package.json, the
// package-lock.json that pins every version, and its scripts: every regular
// file in dir) with `npm ci` and returns the directory holding the installed
// copy, where the scripts can import the packages. The install is cached
// under the user cache directory, keyed by the files' content, so only the
// first run (or a changed file) reaches the registry.
func NpmCI(tb testing.TB, dir string) string {
	tb.Helper()
	tools := Require(tb, map[string]string{"node": "nodejs", "npm": "npm"})
	h := sha256.New()
	entries, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatalf("npm project: %v", err)
	}
	contents := make(map[string][]byte)
	for _, e := range entries { // sorted by name, so the key is stable
		if !e.Type().IsRegular() {
			continue
		}
		f := e.Name()
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			tb.Fatalf("npm project %s: %v", dir, err)
		}
		contents[f] = b
		fmt.Fprintf(h, "%s\x00%d\x00", f, len(b))
		h.Write(b)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	root := filepath.Join(cache, "hesgql", "npm")
	dest := filepath.Join(root, filepath.Base(dir)+"-"+hex.EncodeToString(h.Sum(nil))[:16])
	if _, err := os.Stat(filepath.Join(dest, "node_modules", ".package-lock.json")); err == nil {
		return dest
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		tb.Fatal(err)
	}
	// Install into a fresh directory and rename it into place, so that an
	// interrupted install or a concurrent test never sees half a tree.
	tmp, err := os.MkdirTemp(root, ".install-")
	if err != nil {
		tb.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	for f, b := range contents {
		if err := os.WriteFile(filepath.Join(tmp, f), b, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, tools["npm"], "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = tmp
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("npm ci in %s (copy of %s): %v\n%s", tmp, dir, err, out)
	}
	if err := os.Rename(tmp, dest); err != nil {
		// A concurrent run may have won the race; its tree is as good.
		if _, serr := os.Stat(filepath.Join(dest, "node_modules")); serr != nil {
			tb.Fatalf("move npm install into place: %v", err)
		}
	}
	return dest
}
