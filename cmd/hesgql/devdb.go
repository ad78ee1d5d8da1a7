package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"strings"

	"github.com/hesgql/hesgql/internal/devdb"
)

// devdbActions are the verbs of `hesgql devdb`, in the order usage lists them.
var devdbActions = []string{"start", "status", "stop"}

// runDevDB manages the private MariaDB that serve and the tests start when
// no DSN is configured: start it (printing what it installs and starts),
// show it, or shut it down.
func runDevDB(ctx context.Context, env *environment, args []string) error {
	fs := flag.NewFlagSet("devdb", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: hesgql devdb start|status|stop [--data-dir DIR]\n\n"+
			"  start   start the private MariaDB (installing mariadb-server when missing and root) and print its DSN\n"+
			"  status  show its pid, port, data directory and whether it runs, and any orphan left on a deleted directory\n"+
			"  stop    shut it down cleanly (and any orphan); the data is kept\n\nflags:")
		fs.PrintDefaults()
	}
	dataDir := fs.String("data-dir", env.getenv("HES_DATA_DIR"), "where the private MariaDB keeps its files (default .data at the module root) [HES_DATA_DIR]")
	// The verb may come before or after the flags.
	var action string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		action, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if action == "" && fs.NArg() > 0 {
		action = fs.Arg(0)
	}
	if action == "" {
		fs.Usage()
		return errors.New("devdb: give start, status or stop")
	}
	log := slog.New(slog.NewTextHandler(env.stderr, nil))
	opts := devdb.Options{Dir: *dataDir, Logger: log, Install: true}
	switch action {
	case "start":
		dsn, err := devdb.Ensure(ctx, opts)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "private MariaDB running: HES_DSN='%s'\n", dsn)
		return nil
	case "status":
		st, err := devdb.Inspect(ctx, opts)
		if err != nil {
			return err
		}
		printStatus(env, st)
		return nil
	case "stop":
		st, err := devdb.Inspect(ctx, opts)
		if err != nil {
			return err
		}
		if err := devdb.Stop(ctx, opts); err != nil {
			return err
		}
		if st.Running || len(st.Orphans) > 0 {
			fmt.Fprintln(env.stdout, "private MariaDB stopped")
		} else {
			fmt.Fprintln(env.stdout, "private MariaDB was not running")
		}
		return nil
	}
	fs.Usage()
	return fmt.Errorf("devdb: unknown action %q (want %s)", action, strings.Join(devdbActions, ", "))
}

func printStatus(env *environment, st devdb.Status) {
	w := env.stdout
	fmt.Fprintf(w, "data dir: %s\n", st.DataDir)
	if st.Running {
		fmt.Fprintln(w, "state:    running")
		fmt.Fprintf(w, "pid:      %d\nport:     %d\nserver:   %s\ndsn:      %s\n", st.PID, st.Port, st.Version, st.DSN)
	} else {
		fmt.Fprintln(w, "state:    not running")
	}
	for _, pid := range st.Orphans {
		fmt.Fprintf(w, "orphan:   pid %d runs on this data directory's path without a state file (deleted while it ran?); 'hesgql devdb stop' or the next start stops it\n", pid)
	}
}
