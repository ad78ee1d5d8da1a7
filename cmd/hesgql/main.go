// Command hesgql serves Hospital Episode Statistics over GraphQL and loads,
// generates and migrates the data behind it.
//
//	hesgql serve [--demo]        run the API (GraphiQL at /)
//	hesgql load FILE...          load HES APC extracts (pipe or comma separated)
//	hesgql generate --episodes N write a synthetic extract
//	hesgql migrate               apply schema migrations
//	hesgql token --role ROLE     mint a development token
//	hesgql devdb status|stop     manage the private MariaDB
//
// Configuration comes from the environment (HES_*) and flags override it;
// see the README for the full table.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "hesgql:", err)
		os.Exit(1)
	}
}

// command is one subcommand.
type command struct {
	name, summary string
	run           func(ctx context.Context, env *environment, args []string) error
}

// environment is what a subcommand may touch of the outside world; tests
// pass their own.
type environment struct {
	getenv         func(string) string
	stdout, stderr io.Writer
}

func commands() []command {
	return []command{
		{"serve", "run the GraphQL API server", runServe},
		{"load", "load HES APC extract files", runLoad},
		{"generate", "write a synthetic HES APC extract", runGenerate},
		{"migrate", "apply database migrations", runMigrate},
		{"token", "mint a development JWT", runToken},
		{"bench", "measure the API against the raw-SQL floor", runBench},
		{"devdb", "start, show or stop the private MariaDB", runDevDB},
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	env := &environment{getenv: getenv, stdout: stdout, stderr: stderr}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return errors.New("no command given")
		}
		return nil
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, env, args[1:])
		}
	}
	usage(stderr)
	return fmt.Errorf("unknown command %q", args[0])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: hesgql COMMAND [flags]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'hesgql COMMAND -h' for a command's flags.")
}
