package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hesgql/hesgql/db/dbtest"
)

// hesgql load prints warnings by column and names the quality report;
// --strict rejects the rows instead.
func TestLoadCommandWarningsAndStrict(t *testing.T) {
	dsn := dbtest.NewDSN(t)
	env := envFunc(map[string]string{"HES_DSN": dsn, "HES_LOG_LEVEL": "warn"})
	dir := t.TempDir()
	extract := filepath.Join(dir, "two.txt")
	body := "EPIKEY|PSEUDO_HESID|FYEAR|EPISTART|STARTAGE|DIAG_4_01\n" +
		"100000000001|P1|0102|2001-04-01|30|L400\n" +
		"100000000002|P2|0102|2001-13-01|300|0000\n"
	if err := os.WriteFile(extract, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"load", extract}, env, &out, &errOut); err != nil {
		t.Fatalf("load: %v\n%s", err, errOut.String())
	}
	for _, want := range []string{
		"read 2, loaded 2, updated 0, rejected 0, warnings 3",
		"warnings by column (value not known or code left out): DIAG_4_01 1, EPISTART 1, STARTAGE 1",
		"quality report: " + extract + ".warnings.csv",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary %q lacks %q", out.String(), want)
		}
	}
	out.Reset()
	if err := run(context.Background(), []string{"load", "--strict", extract}, env, &out, &errOut); err != nil {
		t.Fatalf("load --strict: %v\n%s", err, errOut.String())
	}
	if want := "read 2, loaded 1, updated 1, rejected 1, warnings 0"; !strings.Contains(out.String(), want) {
		t.Errorf("strict summary %q lacks %q", out.String(), want)
	}
}
