// Command gen reads the Values column of the HES APC data dictionary (TOS
// CSV) and writes the Go lookup of the coded fields the API labels. Run by
// go generate in internal/hes/dictionary; see its README for the reading
// rules.
package main

import (
	"bytes"
	"encoding/csv"
	"flag"
	"fmt"
	"go/format"
	"io"
	"log"
	"os"
	"regexp"
	"strings"
)

// fields are the dictionary fields the lookup holds, in output order.
var fields = []string{
	"SEX", "ETHNOS", "RESGOR",
	"EPISTAT", "EPITYPE", "CLASSPAT",
	"ADMIMETH", "ADMISORC", "DISMETH", "DISDEST", "ADMINCAT",
	"TRETSPEF", "MAINSPEF",
}

// value is one code of a field as the generated file holds it.
type value struct {
	Code, Label, Description, Period, Group string
}

// group is an admission method group.
type group struct{ Key, Label string }

// field is one dictionary field with its values in dictionary order.
type field struct {
	Name   string // the dictionary's field name, e.g. "Method of Admission"
	Values []value
}

func main() {
	in := flag.String("in", "", "dictionary CSV")
	out := flag.String("out", "", "Go file to write")
	flag.Parse()
	if *in == "" || *out == "" {
		log.Fatal("gen: -in and -out are required")
	}
	f, err := os.Open(*in)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	parsed, groups, err := parse(f)
	if err != nil {
		log.Fatalf("gen: %s: %v", *in, err)
	}
	src, err := render(*in, parsed, groups)
	if err != nil {
		log.Fatalf("gen: %v", err)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		log.Fatal(err)
	}
}

// parse reads the dictionary and returns the wanted fields and the
// admission method groups.
func parse(r io.Reader) (map[string]field, []group, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // the title row is shorter than the others
	records, err := cr.ReadAll()
	if err != nil {
		return nil, nil, err
	}
	col := -1
	var header int
	for i, rec := range records {
		for j, name := range rec {
			if strings.TrimSpace(name) == "Values" && strings.TrimSpace(rec[0]) == "Field" {
				col, header = j, i
			}
		}
		if col >= 0 {
			break
		}
	}
	if col < 0 {
		return nil, nil, fmt.Errorf("no header row with Field and Values columns")
	}
	want := map[string]bool{}
	for _, name := range fields {
		want[name] = true
	}
	out := map[string]field{}
	var groups []group
	for _, rec := range records[header+1:] {
		name := strings.TrimSpace(rec[0])
		if !want[name] || len(rec) <= col {
			continue
		}
		vals, gs := parseValues(name, rec[col])
		if len(vals) == 0 {
			return nil, nil, fmt.Errorf("field %s: no codes in its Values column", name)
		}
		out[name] = field{Name: clean(rec[1]), Values: vals}
		if name == "ADMIMETH" {
			groups = gs
		}
	}
	for _, name := range fields {
		if _, ok := out[name]; !ok {
			return nil, nil, fmt.Errorf("field %s is not in the dictionary", name)
		}
	}
	if len(groups) == 0 {
		return nil, nil, fmt.Errorf("ADMIMETH: no group headings")
	}
	return out, groups, nil
}

var (
	codeLine = regexp.MustCompile(`^([0-9A-Z&]{1,3}|Null)\s*=\s*(.*)$`)
	// An availability note closing a label: "(From 1 April 2004)",
	// "(retired in 2022-23)", "(1999-00 to 2006-07)", "(2013 onwards)".
	periodNote = regexp.MustCompile(`\s*\(((?i:from|until|available|retired|introduced|prior)[^()]*|[0-9]{4}[^()]*)\)\s*$`)
	// Where a label's explanation starts.
	explanation = regexp.MustCompile(`(?:,|:)\s+(?:for example|one who|one for whom|unless|including|examples|after|i\.e\.)`)
	sentenceEnd = regexp.MustCompile(`\.\s+[A-Z]`)
	space       = regexp.MustCompile(`\s+`)
)

// unknownGroup holds the admission methods that record no method: the
// project's statistics group them apart from "other" admissions.
var unknownGroup = group{Key: "UNKNOWN", Label: "Not applicable or not known"}

// parseValues reads one Values cell: code lines, continuation lines and,
// for ADMIMETH, the group headings.
func parseValues(name, cell string) ([]value, []group) {
	var (
		vals      []value
		groups    []group
		heading   string // the last heading line, without its colon
		curGroup  string
		seen      = map[string]int{} // code → index in vals
		eras      = map[string]map[string]bool{}
		lastValue = -1
	)
	for _, line := range strings.Split(cell, "\n") {
		line = clean(line)
		if line == "" {
			continue
		}
		m := codeLine.FindStringSubmatch(line)
		if m == nil {
			if strings.HasPrefix(line, "-") && lastValue >= 0 {
				vals[lastValue].Description += " " + line
				continue
			}
			if strings.HasSuffix(line, ":") {
				heading = strings.TrimSuffix(line, ":")
				if name == "ADMIMETH" {
					curGroup = ""
					if word, _, ok := strings.Cut(heading, " "); ok && strings.HasPrefix(strings.ToLower(strings.TrimPrefix(heading, word+" ")), "admission") {
						key := strings.ToUpper(word)
						curGroup = key
						label := heading
						if i := strings.IndexAny(label, ",:"); i > 0 {
							label = label[:i]
						}
						if strings.HasPrefix(label, "Other Admission") {
							label = "Other Admission"
						}
						groups = append(groups, group{Key: key, Label: sentenceCase(label)})
					}
				}
			}
			lastValue = -1
			continue
		}
		code, text := m[1], m[2]
		if code == "Null" || code == "&" && (name == "TRETSPEF" || name == "MAINSPEF") {
			lastValue = -1
			continue
		}
		if eras[code] == nil {
			eras[code] = map[string]bool{}
		}
		eras[code][heading] = true
		if _, dup := seen[code]; dup {
			lastValue = -1 // an older era's meaning: the first, newest one stands
			continue
		}
		v := value{Code: code, Description: text}
		v.Label, v.Period = label(text)
		if name == "ADMIMETH" {
			v.Group = curGroup
			if code == "98" || code == "99" {
				v.Group = unknownGroup.Key
			}
		}
		seen[code] = len(vals)
		lastValue = len(vals)
		vals = append(vals, v)
	}
	// A code listed under one era heading only carries that era.
	for i, v := range vals {
		if v.Period != "" || len(eras[v.Code]) != 1 {
			continue
		}
		for h := range eras[v.Code] {
			if isEra(h) {
				vals[i].Period = h
			}
		}
	}
	if name == "ADMIMETH" {
		groups = append(groups, unknownGroup)
	}
	return vals, groups
}

// isEra reports whether a heading names years rather than a group.
func isEra(h string) bool {
	l := strings.ToLower(h)
	return strings.HasPrefix(l, "from ") || strings.HasPrefix(l, "prior to ") || strings.HasPrefix(l, "until ")
}

// label derives a short label and its availability note from a value text.
func label(text string) (lbl, period string) {
	lbl = text
	if loc := sentenceEnd.FindStringIndex(lbl); loc != nil {
		lbl = lbl[:loc[0]]
	}
	if loc := explanation.FindStringIndex(lbl); loc != nil {
		lbl = lbl[:loc[0]]
	}
	lbl = strings.TrimSpace(strings.TrimRight(lbl, ".:"))
	if m := periodNote.FindStringSubmatchIndex(lbl); m != nil {
		period = lbl[m[2]:m[3]]
		lbl = strings.TrimSpace(lbl[:m[0]])
	}
	lbl = strings.TrimRight(lbl, " .:")
	return lbl, period
}

// sentenceCase lower-cases every word but the first: "Elective Admission"
// becomes "Elective admission".
func sentenceCase(s string) string {
	words := strings.Fields(s)
	for i := 1; i < len(words); i++ {
		words[i] = strings.ToLower(words[i])
	}
	return strings.Join(words, " ")
}

// clean folds the dictionary's spacing: non-breaking spaces, runs of spaces,
// stray quotes.
func clean(s string) string {
	s = strings.ReplaceAll(s, "\u00a0", " ")
	s = strings.TrimRight(s, "\"")
	return strings.TrimSpace(space.ReplaceAllString(s, " "))
}

// render writes the generated Go file.
func render(source string, parsed map[string]field, groups []group) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by internal/gen from %s; DO NOT EDIT.\n\n", source)
	b.WriteString("package dictionary\n\n")
	fmt.Fprintf(&b, "// Source is the data dictionary the lookup was generated from.\nconst Source = %q\n\n", source)
	b.WriteString("var fieldNames = map[Field]string{\n")
	for _, name := range fields {
		fmt.Fprintf(&b, "%q: %q,\n", name, parsed[name].Name)
	}
	b.WriteString("}\n\n")
	b.WriteString("var admissionMethodGroups = []Group{\n")
	for _, g := range groups {
		fmt.Fprintf(&b, "{Key: %q, Label: %q},\n", g.Key, g.Label)
	}
	b.WriteString("}\n\n")
	b.WriteString("var values = map[Field][]Value{\n")
	for _, name := range fields {
		fmt.Fprintf(&b, "%q: {\n", name)
		for _, v := range parsed[name].Values {
			fmt.Fprintf(&b, "{Code: %q, Label: %q, Description: %q", v.Code, v.Label, v.Description)
			if v.Period != "" {
				fmt.Fprintf(&b, ", Period: %q", v.Period)
			}
			if v.Group != "" {
				fmt.Fprintf(&b, ", Group: %q", v.Group)
			}
			b.WriteString("},\n")
		}
		b.WriteString("},\n")
	}
	b.WriteString("}\n")
	return format.Source(b.Bytes())
}
