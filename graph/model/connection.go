package model

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
}

// PatientQuery is a validated patient listing request.
type PatientQuery struct {
	Filter  *PatientFilter
	OrderBy []*PatientOrder
	Page    Page
}

// EpisodeConnection is a page of episodes. TotalCount is resolved lazily
// from Query so that the COUNT runs only when selected.
type EpisodeConnection struct {
	Edges    []*EpisodeEdge
	Nodes    []*Episode
	PageInfo *PageInfo
	Query    EpisodeQuery
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
}

// PatientEdge is one patient with its cursor.
type PatientEdge struct {
	Cursor string
	Node   *Patient
}
