package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hesgql/hesgql/db/dbtest"
	"github.com/hesgql/hesgql/internal/devdb"
)

// The shell blocks of the README and docs/ run as written against the demo
// server, in the order a reader meets them, with these substitutions only:
//
//   - the README's `go install ./cmd/hesgql` runs first, with GOBIN in a
//     temporary directory that is put on PATH (the README tells the reader
//     to put GOBIN on theirs);
//   - the README's `go run ./cmd/hesgql serve --demo` is the server the other
//     blocks talk to, started from that binary on a free port, on a test
//     database, with 2,000 demo episodes (HES_DEMO_EPISODES) instead of
//     50,000; 127.0.0.1:8080 in a block becomes its address;
//   - `go run ./cmd/hesgql` becomes `hesgql`, so nothing is compiled twice;
//   - curl fails on an HTTP error status, as a reader would notice the error
//     body.
//
// Each block runs in bash with set -euo pipefail, in an empty directory,
// with no HES_* variable but HES_DSN (the demo server's database) from
// outside. The few commands that cannot run here are listed in docsNotRun
// with the reason; they and every other line are still checked: each
// `hesgql` subcommand and flag exists, and each HES_* variable is a setting
// the command knows.

// docsNotRun lists, by their exact text without comment, the documented
// commands that the docs test does not run, and why.
var docsNotRun = map[string]string{
	"go test ./...":                                                             "the test suite itself",
	"go run ./cmd/hesgql devdb status":                                          "manages the checkout's private server; TestDevDBCommand runs the lifecycle",
	"go run ./cmd/hesgql devdb stop":                                            "manages the checkout's private server; TestDevDBCommand runs the lifecycle",
	"go run ./cmd/hesgql devdb start":                                           "manages the checkout's private server; TestDevDBCommand runs the lifecycle",
	"go run ./cmd/hesgql load --dry-run NIC12345_HES_APC_2324.txt":              "needs a real extract; TestCommandLine loads a generated one",
	"go run ./cmd/hesgql load NIC12345_HES_APC_2324.txt":                        "needs a real extract; TestCommandLine loads a generated one",
	"go run ./cmd/hesgql bench --episodes 1000000":                              "loads a million episodes and runs for minutes",
	"go run ./cmd/hesgql bench --load --episodes 1000000":                       "loads a million episodes three times and runs for minutes",
	"go run ./cmd/hesgql bench --episodes 10000000 --database hesgql_bench_10m": "loads ten million episodes and runs for hours",
	"HES_DSN='hes:secret@tcp(db-primary:3306)/hes' HES_REPLICA_DSN='hes_ro:secret@tcp(db-r1:3306)/,hes_ro:secret@tcp(db-r2:3306)/' HES_CURSOR_KEY=… HES_JWT_SECRET=… hesgql serve": "needs a primary with replicas; TestReadReplicaRoutingAndFailover serves from a real GTID replica",
}

const (
	docsInstall = "go install ./cmd/hesgql"
	docsServe   = "go run ./cmd/hesgql serve --demo"
)

// docBlock is one shell block of a Markdown file.
type docBlock struct {
	file  string
	line  int       // of the opening fence
	lines []docLine // logical command lines, continuations joined
}

// docLine is one logical line of a block.
type docLine struct {
	line    int    // where it starts in the file
	text    string // as written, continuations joined
	command string // without its comment, trimmed
}

func (b docBlock) String() string { return fmt.Sprintf("%s:%d", b.file, b.line) }

// TestDocsStatic checks every documented command line without running it:
// each hesgql subcommand, devdb action and flag exists, each HES_* variable is
// a known setting, docsNotRun has no stale entry, and the README says how to
// run the server and install the command, and warns of the first compile.
func TestDocsStatic(t *testing.T) {
	blocks := readDocBlocks(t)
	if len(blocks) == 0 {
		t.Fatal("no shell blocks found in README.md and docs/*.md")
	}
	subs, vars := commandLineSurface(t)
	seen := map[string]bool{}
	for _, b := range blocks {
		for _, l := range b.lines {
			seen[l.command] = true
			for _, problem := range checkDocLine(l.command, subs, vars) {
				t.Errorf("%s:%d: %s\n\t%s", b.file, l.line, problem, l.text)
			}
		}
	}
	for cmd := range docsNotRun {
		if !seen[cmd] {
			t.Errorf("docsNotRun lists %q, which no document has any more", cmd)
		}
	}
	// On a fresh machine the first command compiles for minutes without
	// a line of output; a reader must be told before running it.
	readme, err := os.ReadFile(filepath.Join(moduleRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	before, _, _ := strings.Cut(string(readme), "```sh")
	if !regexp.MustCompile(`compiles[^.]*minutes`).MatchString(strings.Join(strings.Fields(before), " ")) {
		t.Errorf("README does not say, before its first command, that the first run compiles for minutes")
	}
	for _, want := range []string{docsInstall, docsServe} {
		if !seen[want] {
			t.Errorf("README has no shell line %q: it must say how to run the server and put hesgql on PATH", want)
		}
	}
}

// TestDocsCommands runs the blocks, as described at the top of this file.
func TestDocsCommands(t *testing.T) {
	blocks := readDocBlocks(t)
	for _, want := range []string{docsInstall, docsServe} {
		if !slices.ContainsFunc(blocks, func(b docBlock) bool {
			return slices.ContainsFunc(b.lines, func(l docLine) bool { return l.command == want })
		}) {
			t.Fatalf("no documented %q to run", want)
		}
	}
	requireTools(t, "bash", "curl", "jq")
	root := moduleRoot(t)
	work := t.TempDir()
	bin := filepath.Join(work, "bin")
	env := docsEnv(bin, dbtest.NewDSN(t))
	runScript := func(t *testing.T, dir, script string, timeout time.Duration) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, "bash", "-c", docsPrelude+script)
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("block failed: %v\n--- script ---\n%s\n--- output ---\n%s", err, script, out)
		}
	}

	runScript(t, root, docsInstall, 5*time.Minute)
	if _, err := os.Stat(filepath.Join(bin, "hesgql")); t.Failed() || err != nil {
		t.Fatalf("%s installed no hesgql to run the blocks with: %v", docsInstall, err)
	}
	addr := startDocsServer(t, env)

	for _, b := range blocks {
		var script []string
		for _, l := range b.lines {
			if _, skip := docsNotRun[l.command]; skip || l.command == docsInstall || l.command == docsServe {
				continue
			}
			s := strings.ReplaceAll(l.text, "go run ./cmd/hesgql", "hesgql")
			script = append(script, strings.ReplaceAll(s, "127.0.0.1:8080", addr))
		}
		if len(script) == 0 {
			continue
		}
		t.Run(b.String(), func(t *testing.T) {
			runScript(t, t.TempDir(), strings.Join(script, "\n"), 2*time.Minute)
		})
	}
}

// docsPrelude makes the shell stop at the first failing command and curl
// fail on an error status.
const docsPrelude = "set -euo pipefail\ncurl() { command curl --silent --show-error --fail-with-body \"$@\"; }\n"

// docsEnv is the environment of every block: the caller's, without HES_*
// settings, with GOBIN first on PATH and HES_DSN the demo database.
func docsEnv(bin, dsn string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "HES_") || strings.HasPrefix(kv, "GOBIN=") || strings.HasPrefix(kv, "PATH=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "GOBIN="+bin, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "HES_DSN="+dsn)
}

// startDocsServer runs the README's demo server from the installed binary
// and returns its address once it is ready.
func startDocsServer(t *testing.T, env []string) string {
	t.Helper()
	args := strings.Fields(strings.TrimPrefix(docsServe, "go run ./cmd/hesgql "))
	cmd := exec.Command(filepath.Join(envValue(env, "GOBIN"), "hesgql"), args...)
	cmd.Env = append(env, "HES_ADDR=127.0.0.1:0", "HES_DEMO_EPISODES=2000", "HES_LOG_LEVEL=info")
	var logs lockedBuffer
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = io.MultiWriter(pw, &logs), io.MultiWriter(pw, &logs)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); pw.Close() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("demo server did not stop on SIGTERM\n%s", logs.String())
		}
	})
	found := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`(?:http://|addr=)(127\.0\.0\.1:\d+)`)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
	}()
	select {
	case addr := <-found:
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
			resp, err := http.Get("http://" + addr + "/readyz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return addr
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("demo server at %s not ready: %v\n%s", addr, err, logs.String())
			}
		}
	case err := <-exited:
		t.Fatalf("demo server exited: %v\n%s", err, logs.String())
	case <-time.After(3 * time.Minute):
		t.Fatalf("demo server printed no address\n%s", logs.String())
	}
	return ""
}

// checkDocLine returns what is wrong with one documented command line: an
// unknown hesgql subcommand, devdb action or flag, or an unknown HES_*
// variable.
func checkDocLine(line string, subs map[string]map[string]bool, vars map[string]bool) []string {
	var problems []string
	for _, v := range regexp.MustCompile(`\bHES_[A-Z0-9_]+`).FindAllString(line, -1) {
		if !vars[v] {
			problems = append(problems, fmt.Sprintf("%s is not a setting hesgql knows", v))
		}
	}
	// In command position: at the start, after $( or a separator, after
	// variable assignments.
	invocation := regexp.MustCompile(`(?:^|\$\(|[;|&]\s*)(?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)*(?:go run \./cmd/hesgql|hesgql)(?:\s|$)((?:\s*[^\s;&|()<>]+)*)`)
	for _, m := range invocation.FindAllStringSubmatch(line, -1) {
		args := strings.Fields(m[1])
		if len(args) == 0 {
			problems = append(problems, "hesgql without a subcommand")
			continue
		}
		flags, ok := subs[args[0]]
		if !ok {
			problems = append(problems, fmt.Sprintf("hesgql has no subcommand %q", args[0]))
			continue
		}
		positional, value := 0, false
		for _, a := range args[1:] {
			if value {
				value = false
				continue
			}
			if !strings.HasPrefix(a, "-") {
				if args[0] == "devdb" && positional == 0 && !slices.Contains(devdbActions, a) {
					problems = append(problems, fmt.Sprintf("hesgql devdb has no action %q", a))
				}
				positional++
				continue
			}
			name, _, inline := strings.Cut(strings.TrimLeft(a, "-"), "=")
			takesValue, ok := flags[name]
			if !ok {
				problems = append(problems, fmt.Sprintf("hesgql %s has no flag -%s", args[0], name))
			}
			value = takesValue && !inline
		}
	}
	return problems
}

// commandLineSurface asks every subcommand for its -h and returns the flags
// of each (true for those taking a value, which -h shows with a type name)
// and every HES_* variable any of them mentions.
func commandLineSurface(t *testing.T) (map[string]map[string]bool, map[string]bool) {
	t.Helper()
	subs := map[string]map[string]bool{}
	// Read by the tests (db/dbtest), not by the command.
	vars := map[string]bool{"HES_TEST_DSN": true}
	flagLine := regexp.MustCompile(`(?m)^ {2}-([A-Za-z0-9-]+)( \S+)?`)
	for _, c := range commands() {
		var out, errOut bytes.Buffer
		err := run(context.Background(), []string{c.name, "-h"}, envFunc(nil), &out, &errOut)
		if !errors.Is(err, flag.ErrHelp) {
			t.Fatalf("hesgql %s -h = %v, want flag.ErrHelp\n%s", c.name, err, errOut.String())
		}
		help := errOut.String()
		subs[c.name] = map[string]bool{"h": false, "help": false}
		for _, m := range flagLine.FindAllStringSubmatch(help, -1) {
			subs[c.name][m[1]] = m[2] != ""
		}
		for _, v := range regexp.MustCompile(`\bHES_[A-Z0-9_]+`).FindAllString(help, -1) {
			vars[v] = true
		}
	}
	return subs, vars
}

// readDocBlocks returns the shell blocks of README.md and docs/*.md, in
// reading order. A fence may be indented (a block inside a list item).
func readDocBlocks(t *testing.T) []docBlock {
	t.Helper()
	root := moduleRoot(t)
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	var blocks []docBlock
	for _, path := range append([]string{filepath.Join(root, "README.md")}, docs...) {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, path)
		blocks = append(blocks, shellBlocks(rel, string(src))...)
	}
	return blocks
}

// shellBlocks parses the ```sh (also bash, shell) blocks of one file.
func shellBlocks(file, src string) []docBlock {
	var blocks []docBlock
	var cur *docBlock
	var pending strings.Builder
	pendingLine := 0
	for i, raw := range strings.Split(src, "\n") {
		line := strings.TrimSpace(raw)
		if cur == nil {
			if lang, ok := strings.CutPrefix(line, "```"); ok && slices.Contains([]string{"sh", "bash", "shell"}, strings.TrimSpace(lang)) {
				cur = &docBlock{file: file, line: i + 1}
			}
			continue
		}
		if line == "```" {
			blocks = append(blocks, *cur)
			cur = nil
			continue
		}
		if pending.Len() == 0 {
			pendingLine = i + 1
		}
		if cont, ok := strings.CutSuffix(line, "\\"); ok {
			pending.WriteString(cont)
			continue
		}
		pending.WriteString(line)
		text := pending.String()
		pending.Reset()
		if cmd := strings.TrimSpace(stripComment(text)); cmd != "" {
			cur.lines = append(cur.lines, docLine{line: pendingLine, text: text, command: cmd})
		}
	}
	return blocks
}

// stripComment cuts a shell comment: a # starting a word outside quotes.
func stripComment(s string) string {
	var quote rune
	for i, c := range s {
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '#' && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t'):
			return s[:i]
		}
	}
	return s
}

// moduleRoot is two levels above this package.
func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func envValue(env []string, name string) string {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, name+"="); ok {
			return v
		}
	}
	return ""
}

// The static check catches what a reader would trip over, and only that.
func TestCheckDocLine(t *testing.T) {
	subs, vars := commandLineSurface(t)
	cases := map[string]int{
		"hesgql token --dev --role ADMIN --ttl=2h":                                     0,
		`curl -H "Authorization: Bearer $(hesgql token --dev --role ADMIN)" http://x/`: 0,
		"HES_LOG_LEVEL=debug go run ./cmd/hesgql serve --demo":                         0,
		"go run ./cmd/hesgql devdb --data-dir /tmp/d status":                           0,
		"go build -o hesgql ./cmd/hesgql && ./hesgql -h":                               0,
		"psql hesgql_bench":                            0,
		"hesgql token --role ADMIN --secret x":         1,
		"go run ./cmd/hesgql serve --demo --port 8080": 1,
		"HES_JWT=abc hesgql serve":                     1,
		"hesgql devdb restart":                         1,
		"TOKEN=$(hesgql mint --role ADMIN)":            1,
		"export HES_SECRET=x; hesgql frob --x":         2,
	}
	for line, want := range cases {
		if got := checkDocLine(line, subs, vars); len(got) != want {
			t.Errorf("checkDocLine(%q) = %q, want %d problems", line, got, want)
		}
	}
}

// requireTools installs the Debian packages of the tools the examples use
// when they are missing (as the private MariaDB is installed), and fails
// the test naming them where that is impossible.
func requireTools(t *testing.T, tools ...string) {
	t.Helper()
	var missing []string
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) == 0 {
		return
	}
	t.Logf("installing %v for the documented examples", missing)
	if err := devdb.AptInstall(t.Context(), slog.Default(), missing...); err != nil {
		t.Fatalf("the documented examples use %v, which are not installed: %v", missing, err)
	}
}
