package model

import "sync"

// MaxPageSize is the largest first/last (API.md, Root fields). The GraphQL
// handler refuses more before any resolver runs; the store refuses it too,
// for callers that do not come through GraphQL.
const MaxPageSize = 100

// Page is the Relay pagination window requested by a caller.
type Page struct {
	First  *int
	After  *string
	Last   *int
	Before *string
}

// EpisodeQuery is a validated episode listing request: which episodes, in
// which order, which window. PatientID narrows it to one patient's episodes.
type EpisodeQuery struct {
	Filter    *EpisodeFilter
	OrderBy   []*EpisodeOrder
	PatientID int64
	Page      Page
	// Fields names the Episode fields the caller selected, so that only
	// their columns are read; nil reads every column.
	Fields map[string]bool
	// Total says totalCount is selected; a batch of nested listings then
	// counts alongside the page instead of once per parent.
	Total bool
	// KnownTotal is the listing's size when it was already counted.
	KnownTotal *int
	// NoCursors says neither edges nor pageInfo is selected: nobody reads
	// a cursor, so none is signed (the edges' cursors stay empty).
	NoCursors bool
}

// PatientQuery is a validated patient listing request.
type PatientQuery struct {
	Filter  *PatientFilter
	OrderBy []*PatientOrder
	Page    Page
	// NoCursors: as EpisodeQuery's.
	NoCursors bool
}

// EpisodeConnection is a page of episodes. TotalCount is resolved lazily
// from Query so that the COUNT runs only when selected.
type EpisodeConnection struct {
	Edges    []*EpisodeEdge
	Nodes    []*Episode
	PageInfo *PageInfo
	Query    EpisodeQuery
	// Shared holds work shared by the page's nodes, such as their own
	// nested listings fetched in one batch.
	Shared Memo
}

// EpisodeEdge is one episode with its cursor.
type EpisodeEdge struct {
	Cursor string
	Node   *Episode
}

// PatientConnection is a page of patients; TotalCount is lazy as for episodes.
type PatientConnection struct {
	Edges    []*PatientEdge
	Nodes    []*Patient
	PageInfo *PageInfo
	Query    PatientQuery
	// Shared holds work shared by the page's nodes (see EpisodeConnection).
	Shared Memo
}

// PatientEdge is one patient with its cursor.
type PatientEdge struct {
	Cursor string
	Node   *Patient
}

// Memo runs a piece of work once per key and hands every caller its
// result. Sibling fields resolve concurrently; the first to ask does the
// work for all of them while the others wait. The zero Memo is ready to use.
type Memo struct {
	mu sync.Mutex
	m  map[string]*memoEntry
}

type memoEntry struct {
	once sync.Once
	v    any
}

// Do returns the result of f for key, running f only for the first caller.
func (m *Memo) Do(key string, f func() any) any {
	m.mu.Lock()
	if m.m == nil {
		m.m = map[string]*memoEntry{}
	}
	e := m.m[key]
	if e == nil {
		e = &memoEntry{}
		m.m[key] = e
	}
	m.mu.Unlock()
	e.once.Do(func() { e.v = f() })
	return e.v
}
