package hes

import (
	"bytes"
	"strings"
)

// Warning is a field-level problem in a row that was loaded all the same:
// the value is stored as not known (NULL) and a code that is not a code of
// its classification is not stored at all. Warnings go to the quality report
// so that a user can see and cite what was lost.
type Warning struct {
	Line   int    // 1-based line where the row starts
	EpiKey string // EPIKEY of the row
	Column string // the HES column, as named in the header
	Rule   string // the rule the value broke, such as "invalid date"
	// Value is the value as found, trimmed and shortened; it is always ""
	// for a restricted column (NEWNHSNO, DOB, MYDOB, HOMEADD), whose values
	// must not reach a report.
	Value string
}

// problem is one thing wrong with a row: a warning, or, for the columns
// without which a row is not an episode, a reason to reject it.
type problem struct {
	column, rule, value string
	// key marks EPIKEY, the patient identifier and FYEAR: without a usable
	// value the row cannot be stored as an episode.
	key bool
	// reason is the problem as written in the rejects file.
	reason string
}

// problems collects what is wrong with the current row.
type problems []problem

// add records a problem with column. value is kept only when the column is
// not restricted; reason is the text for the rejects file, which names a
// restricted column without its value.
func (p *problems) add(column, rule string, value []byte, restricted bool, reason string) {
	v := ""
	if !restricted {
		v = truncate(string(bytes.TrimSpace(value)), 40)
	}
	*p = append(*p, problem{column: column, rule: rule, value: v, reason: reason})
}

// addKey records a problem with a column the row cannot do without.
func (p *problems) addKey(column, rule string, value []byte, reason string) {
	p.add(column, rule, value, false, reason)
	(*p)[len(*p)-1].key = true
}

// fatal reports whether any problem stops the row being an episode.
func (p problems) fatal() bool {
	for _, x := range p {
		if x.key {
			return true
		}
	}
	return false
}

// reason joins the problems for the rejects file.
func (p problems) reason() string {
	s := make([]string, len(p))
	for i, x := range p {
		s[i] = x.reason
	}
	return strings.Join(s, "; ")
}
