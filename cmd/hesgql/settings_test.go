package main

import (
	"context"
	"flag"
	"io"
	"slices"
	"strings"
	"testing"
)

// closedDSN points at a port nothing listens on: a run that gets past its
// configuration fails there, with a connection error.
const closedDSN = "nobody@tcp(127.0.0.1:1)/none"

// badValues are texts each kind of setting must refuse.
var badValues = map[string][]string{
	kindDuration.name: {"10", "ten seconds", "-1s"},
	kindInt.name:      {"ten", "1e3", "-3", "1,000"},
	kindBool.name:     {"yes", "on", "enabled"},
	"choice":          {"loud", "verbose"},
}

// Every typed serve setting, from the environment or as a flag, refuses a
// value that does not parse, naming the variable (or flag) and the forms it
// accepts, before the server touches the database.
func TestServeRefusesUnparsableSettings(t *testing.T) {
	var cfg serveConfig
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	s := cfg.registerAll(fs, &environment{getenv: envFunc(nil), stdout: io.Discard, stderr: io.Discard})
	var envs []string
	for _, ts := range s.typed {
		envs = append(envs, ts.Env)
	}
	// The walk below covers whatever is registered; this list proves the
	// registration is the one serve uses, so the walk cannot be empty.
	for _, want := range []string{"HES_STATEMENT_TIMEOUT", "HES_LOG_LEVEL", "HES_LOG_FORMAT", "HES_DEV", "HES_GRAPHIQL",
		"HES_INTROSPECTION", "HES_MAX_DEPTH", "HES_MAX_ALIASES", "HES_MAX_ROOT_FIELDS", "HES_MAX_COMPLEXITY",
		"HES_MAX_QUERY_BYTES", "HES_DEMO", "HES_DEMO_EPISODES", "HES_SHUTDOWN_GRACE"} {
		if !slices.Contains(envs, want) {
			t.Errorf("serve registers no typed setting %s (has %v)", want, envs)
		}
	}
	for _, ts := range s.typed {
		bad := badValues[ts.kind.name]
		if len(bad) == 0 {
			t.Fatalf("no bad values for kind %q of %s", ts.kind.name, ts.Env)
		}
		for _, v := range bad {
			t.Run(ts.Env+"="+v, func(t *testing.T) {
				err := run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0"},
					envFunc(map[string]string{"HES_DSN": closedDSN, ts.Env: v}), io.Discard, io.Discard)
				wantRefusal(t, err, ts.Env, ts.kind)
			})
			t.Run("--"+ts.Flag+"="+v, func(t *testing.T) {
				err := run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--" + ts.Flag + "=" + v},
					envFunc(map[string]string{"HES_DSN": closedDSN}), io.Discard, io.Discard)
				wantRefusal(t, err, "-"+ts.Flag, ts.kind)
			})
		}
	}
	// Accepted forms get past the configuration to the database.
	t.Run("OK", func(t *testing.T) {
		err := run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--graphiql", "--max-depth=8"},
			envFunc(map[string]string{"HES_DSN": closedDSN, "HES_STATEMENT_TIMEOUT": "10s", "HES_DEV": "1",
				"HES_LOG_LEVEL": "WARN", "HES_INTROSPECTION": "false", "HES_SHUTDOWN_GRACE": "2s"}), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
			t.Errorf("err = %v, want a connection failure after the configuration was accepted", err)
		}
	})
}

// The other commands refuse unparsable values the same way.
func TestCommandsRefuseUnparsableSettings(t *testing.T) {
	for _, c := range []struct {
		args []string
		env  map[string]string
		name string
		kind kind
	}{
		{[]string{"migrate"}, map[string]string{"HES_STATEMENT_TIMEOUT": "10"}, "HES_STATEMENT_TIMEOUT", kindDuration},
		{[]string{"load", "--dry-run=maybe", "x.txt"}, nil, "-dry-run", kindBool},
		{[]string{"load", "x.txt"}, map[string]string{"HES_LOG_LEVEL": "chatty"}, "HES_LOG_LEVEL", kind{"choice", "one of debug, info, warn, error"}},
		{[]string{"generate", "--episodes=lots"}, nil, "-episodes", kindInt},
		{[]string{"generate", "--seed=-1"}, nil, "-seed", kindInt},
		{[]string{"token", "--role", "ADMIN", "--ttl", "60"}, map[string]string{"HES_JWT_SECRET": strings.Repeat("s", 40)}, "-ttl", kindDuration},
		{[]string{"token", "--role", "ADMIN"}, map[string]string{"HES_DEV": "yes"}, "HES_DEV", kindBool},
		{[]string{"bench", "--duration=5"}, nil, "-duration", kindDuration},
		{[]string{"bench", "--sql=please"}, nil, "-sql", kindBool},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			env := map[string]string{"HES_DSN": closedDSN}
			for k, v := range c.env {
				env[k] = v
			}
			err := run(context.Background(), c.args, envFunc(env), io.Discard, io.Discard)
			wantRefusal(t, err, c.name, c.kind)
		})
	}
}

func wantRefusal(t *testing.T, err error, name string, k kind) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted; want a refusal naming %s", name)
	}
	msg := err.Error()
	if !strings.Contains(msg, name) || !strings.Contains(msg, k.accepts) {
		t.Errorf("err = %q, want it to name %s and say %q", msg, name, k.accepts)
	}
}
