package main

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// settings registers the typed settings of one subcommand: each is read
// from its environment variable (when it has one) and the same-named flag
// overrides it. A value that does not parse is an error naming the variable
// or flag and the forms it accepts, never a silent fall back to the
// default: HES_STATEMENT_TIMEOUT=10 or HES_DEV=yes must stop the server,
// not run it with a limit or a mode the operator did not ask for.
type settings struct {
	fs    *flag.FlagSet
	env   *environment
	errs  []error
	typed []typedSetting
}

// typedSetting describes one registered setting that must parse; tests walk
// them to prove every one refuses a bad value.
type typedSetting struct {
	Flag, Env string
	kind      kind
}

// kind is how a setting's text becomes a value, and what to tell the
// operator when it does not.
type kind struct {
	name    string
	accepts string
}

var (
	kindDuration = kind{"duration", "a number with a unit, such as 500ms, 10s, 2m or 1h30m (no negative values)"}
	kindInt      = kind{"integer", "a whole number, 0 or more, without separators"}
	kindBool     = kind{"boolean", "true or false (also 1/0, t/f)"}
)

func newSettings(fs *flag.FlagSet, env *environment) *settings {
	return &settings{fs: fs, env: env}
}

// parse parses args and reports every setting that did not parse.
func (s *settings) parse(args []string) error {
	if err := s.fs.Parse(args); err != nil {
		return err
	}
	return errors.Join(s.errs...)
}

// fromEnv parses the environment variable name, if set, into the flag's
// value, recording a refusal when it does not parse.
func (s *settings) fromEnv(name string, v flag.Value, k kind, flagName string) {
	s.typed = append(s.typed, typedSetting{Flag: flagName, Env: name, kind: k})
	if name == "" {
		return
	}
	raw := s.env.getenv(name)
	if raw == "" {
		return
	}
	if err := v.Set(raw); err != nil {
		s.errs = append(s.errs, fmt.Errorf("%s=%q (or --%s): %w", name, raw, flagName, err))
	}
}

// Duration registers a duration setting; envName may be empty for a
// flag-only setting.
func (s *settings) Duration(p *time.Duration, flagName, envName string, def time.Duration, usage string) {
	*p = def
	v := durationValue{p}
	s.fromEnv(envName, v, kindDuration, flagName)
	s.fs.Var(v, flagName, usage)
}

// Int registers an integer setting.
func (s *settings) Int(p *int, flagName, envName string, def int, usage string) {
	*p = def
	v := intValue{p}
	s.fromEnv(envName, v, kindInt, flagName)
	s.fs.Var(v, flagName, usage)
}

// Int64 registers a 64-bit integer setting (seeds).
func (s *settings) Int64(p *int64, flagName, envName string, def int64, usage string) {
	*p = def
	v := int64Value{p}
	s.fromEnv(envName, v, kindInt, flagName)
	s.fs.Var(v, flagName, usage)
}

// Bool registers a boolean setting; the flag alone (--dev) means true.
func (s *settings) Bool(p *bool, flagName, envName string, def bool, usage string) {
	*p = def
	v := boolValue{p}
	s.fromEnv(envName, v, kindBool, flagName)
	s.fs.Var(v, flagName, usage)
}

// OptionalBool registers a boolean whose default depends on other settings:
// it stays unset until given in the environment or on the command line.
func (s *settings) OptionalBool(flagName, envName, usage string) *triBool {
	t := &triBool{}
	s.fromEnv(envName, t, kindBool, flagName)
	s.fs.Var(t, flagName, usage)
	return t
}

// Choice registers a string setting limited to the given values (compared
// without regard to case); the value kept is the listed spelling.
func (s *settings) Choice(p *string, flagName, envName, def string, values []string, usage string) {
	*p = def
	v := choiceValue{p, values}
	s.fromEnv(envName, v, kind{"choice", "one of " + strings.Join(values, ", ")}, flagName)
	s.fs.Var(v, flagName, usage)
}

func parseErr(k kind) error { return fmt.Errorf("not a valid %s: give %s", k.name, k.accepts) }

type durationValue struct{ p *time.Duration }

func (v durationValue) Set(s string) error {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil || d < 0 {
		return parseErr(kindDuration)
	}
	*v.p = d
	return nil
}

func (v durationValue) String() string {
	if v.p == nil {
		return "0s"
	}
	return v.p.String()
}

type intValue struct{ p *int }

func (v intValue) Set(s string) error {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 {
		return parseErr(kindInt)
	}
	*v.p = n
	return nil
}

func (v intValue) String() string {
	if v.p == nil {
		return "0"
	}
	return strconv.Itoa(*v.p)
}

type int64Value struct{ p *int64 }

func (v int64Value) Set(s string) error {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < 0 {
		return parseErr(kindInt)
	}
	*v.p = n
	return nil
}

func (v int64Value) String() string {
	if v.p == nil {
		return "0"
	}
	return strconv.FormatInt(*v.p, 10)
}

type boolValue struct{ p *bool }

func (v boolValue) Set(s string) error {
	b, err := strconv.ParseBool(strings.TrimSpace(s))
	if err != nil {
		return parseErr(kindBool)
	}
	*v.p = b
	return nil
}

func (v boolValue) String() string {
	if v.p == nil {
		return "false"
	}
	return strconv.FormatBool(*v.p)
}

// IsBoolFlag lets --dev stand for --dev=true.
func (v boolValue) IsBoolFlag() bool { return true }

type choiceValue struct {
	p      *string
	values []string
}

func (v choiceValue) Set(s string) error {
	for _, c := range v.values {
		if strings.EqualFold(strings.TrimSpace(s), c) {
			*v.p = c
			return nil
		}
	}
	return fmt.Errorf("not a valid choice: give one of %s", strings.Join(v.values, ", "))
}

func (v choiceValue) String() string {
	if v.p == nil {
		return ""
	}
	return *v.p
}

// triBool is a boolean setting whose default depends on other settings:
// unset until given on the command line or in the environment.
type triBool struct{ v *bool }

func (t *triBool) Set(s string) error {
	b, err := strconv.ParseBool(strings.TrimSpace(s))
	if err != nil {
		return parseErr(kindBool)
	}
	t.v = &b
	return nil
}

func (t *triBool) String() string {
	if t == nil || t.v == nil {
		return ""
	}
	return strconv.FormatBool(*t.v)
}

// IsBoolFlag lets --graphiql stand for --graphiql=true.
func (t *triBool) IsBoolFlag() bool { return true }

func (t *triBool) or(def bool) bool {
	if t.v == nil {
		return def
	}
	return *t.v
}
