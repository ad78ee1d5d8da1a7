package db

import (
	"context"
	"database/sql"
	"strings"
	"unicode"

	sq "github.com/Masterminds/squirrel"

	"github.com/hesgql/hesgql/graph/model"
)

// Code lookups search the ICD-10 and OPCS-4 tables either by code prefix or
// by words of the description, and page through the matches in code order.

// CodeSystem selects a classification's lookup table.
type CodeSystem int

// The classifications with lookup tables.
const (
	ICD10 CodeSystem = iota
	OPCS4
)

func (s CodeSystem) table() string {
	if s == OPCS4 {
		return "opcs4_codes"
	}
	return "icd10_codes"
}

func (s CodeSystem) kind() codeKind {
	if s == OPCS4 {
		return opcs4Kind
	}
	return icd10Kind
}

// CodeQuery is a code lookup request.
type CodeQuery struct {
	System CodeSystem
	// Search is a code prefix ("L40", "l40.1") or words that must all start
	// a word of the description ("psoria vulg"); empty lists every code.
	Search string
	First  *int
	After  *string
}

// Limits of a description search.
const (
	maxSearchWords = 10
	// fulltextMinWord is the shortest word given to the FULLTEXT index.
	// InnoDB indexes words of innodb_ft_min_token_size (3 by default)
	// characters or more; a margin of one keeps servers configured with 4
	// correct. Shorter words are matched with a word-start expression.
	fulltextMinWord = 4
)

// fulltextStopwords are the words of InnoDB's default stopword list long
// enough to reach the FULLTEXT index; the index does not hold them, so a
// required term made of one would match nothing.
var fulltextStopwords = map[string]bool{
	"about": true, "from": true, "that": true, "this": true, "what": true,
	"when": true, "where": true, "will": true, "with": true,
}

// codeSearchCond translates a search into a condition on the lookup table
// alias c. It returns nil for an empty search.
func codeSearchCond(q CodeQuery) (sq.Sqlizer, error) {
	s := strings.TrimSpace(q.Search)
	if s == "" {
		return nil, nil
	}
	kind := q.System.kind()
	if code := normCode(s); kind.prefix.MatchString(code) {
		// Code-shaped input is a prefix, whatever words it might also spell.
		return sq.Like{"c.code": code + "%"}, nil
	}
	words := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	if len(words) == 0 {
		return nil, model.InputError("search", "give a code prefix such as L40 or words of a description")
	}
	if len(words) > maxSearchWords {
		return nil, model.InputError("search", "give at most %d words", maxSearchWords)
	}
	var terms []string
	var conds sq.And
	for _, w := range words {
		if len([]rune(w)) >= fulltextMinWord && !fulltextStopwords[w] {
			terms = append(terms, "+"+w+"*")
			continue
		}
		// Words are letters and digits only, so they need no escaping
		// inside the pattern; the column's case-insensitive collation
		// makes the match case-insensitive.
		conds = append(conds, sq.Expr("c.description REGEXP ?", "(^|[^[:alnum:]])"+w))
	}
	if len(terms) > 0 {
		conds = append(sq.And{sq.Expr("MATCH (c.description) AGAINST (? IN BOOLEAN MODE)", strings.Join(terms, " "))}, conds...)
	}
	return conds, nil
}

// codeOrdering is the keyset order of a lookup: by code, which is unique.
func codeOrdering(q CodeQuery) ordering {
	return ordering{
		keys:    []sortKey{{col: "c.code", kind: kindString}},
		idCol:   "c.code",
		binding: bindingOf("codes", q.System, strings.TrimSpace(q.Search)),
	}
}

// SearchCodes returns one page of codes matching q, in code order. The
// connection's TotalCount is left for CountCodes.
func (d *DB) SearchCodes(ctx context.Context, q CodeQuery) (*model.CodeConnection, error) {
	ord := codeOrdering(q)
	w, err := d.pageWindow(ord, model.Page{First: q.First, After: q.After})
	if err != nil {
		return nil, err
	}
	cond, err := codeSearchCond(q)
	if err != nil {
		return nil, err
	}
	conn := &model.CodeConnection{Edges: []*model.CodeEdge{}, Nodes: []*model.Code{}}
	if w.limit == 0 {
		conn.PageInfo = w.pageInfo(0, "", "")
		return conn, nil
	}
	sel := builder.Select("c.code", "c.description", "c.chapter").From(q.System.table() + " c")
	if cond != nil {
		sel = sel.Where(cond)
	}
	if w.after != nil {
		sel = sel.Where(sq.Gt{"c.code": w.after.Values[0]})
	}
	sel = sel.OrderBy("c.code").Limit(uint64(w.limit + 1))
	var codes []*model.Code
	err = d.scanAll(ctx, sel, func(rows *sql.Rows) error {
		var c model.Code
		var desc, chapter sql.NullString
		if err := rows.Scan(&c.Code, &desc, &chapter); err != nil {
			return err
		}
		c.Description, c.Chapter = strPtr(desc), strPtr(chapter)
		codes = append(codes, &c)
		return nil
	})
	if err != nil {
		return nil, err
	}
	codes, cursors, info := keysetPage(d, ord, w, codes, func(c *model.Code) position {
		return position{Values: []any{c.Code}}
	})
	for i, c := range codes {
		conn.Edges = append(conn.Edges, &model.CodeEdge{Cursor: cursors[i], Node: c})
		conn.Nodes = append(conn.Nodes, c)
	}
	conn.PageInfo = info
	return conn, nil
}

// CountCodes counts the codes matching q's search.
func (d *DB) CountCodes(ctx context.Context, q CodeQuery) (int, error) {
	cond, err := codeSearchCond(q)
	if err != nil {
		return 0, err
	}
	sel := builder.Select("COUNT(*)").From(q.System.table() + " c")
	if cond != nil {
		sel = sel.Where(cond)
	}
	var n int
	err = d.scanAll(ctx, sel, func(r *sql.Rows) error { return r.Scan(&n) })
	return n, err
}
