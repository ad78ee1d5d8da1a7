package model

import "github.com/hesgql/hesgql/internal/hes/dictionary"

// TypeSpell is the global ID type name of spells.
const TypeSpell = "Spell"

// Spell is one hospital provider spell, derived from episodes at load time
// (db/spells_derive.go). The patient and episodes are resolved through
// per-request batch loaders.
type Spell struct {
	RowID           int64
	PatientID       int64
	ProviderCode    string
	AdmissionDate   Date
	DischargeDate   *Date
	AdmissionMethod *string
	// Group is the ADMIMETH group number: 1 elective, 2 emergency,
	// 3 maternity, 4 other, 5 unknown.
	Group                            int
	DischargeMethod                  *string
	LengthOfStay                     *int
	EpisodeCount                     int
	DischargingEpisodeID             *int64
	EmergencyReadmissionWithin30Days bool
}

// ID returns the spell's opaque global ID.
func (s *Spell) ID() string { return GlobalID(TypeSpell, s.RowID) }

// GlobalIDParts are the type and key of ID, for writing it without
// building the string (graph's idAt).
func (s *Spell) GlobalIDParts() (string, int64) { return TypeSpell, s.RowID }

// IsNode marks Spell as a Node.
func (*Spell) IsNode() {}

// GetID returns the global ID for the Node interface.
func (s *Spell) GetID() string { return s.ID() }

// SpellQuery is a validated spell listing request. PatientID narrows it to
// one patient's spells.
type SpellQuery struct {
	Filter    *SpellFilter
	OrderBy   []*SpellOrder
	PatientID int64
	Page      Page
	// KnownTotal is the listing's size when it was already counted.
	KnownTotal *int
	// Total says totalCount is selected, so a batch of nested listings
	// counts alongside the page.
	Total bool
}

// SpellConnection is a page of spells; TotalCount is resolved lazily from
// Query so that the COUNT runs only when selected.
type SpellConnection struct {
	Edges    []*SpellEdge
	Nodes    []*Spell
	PageInfo *PageInfo
	Query    SpellQuery
}

// SpellEdge is one spell with its cursor.
type SpellEdge struct {
	Cursor string
	Node   *Spell
}

// AdmissionMethodLabel is the label of the spell's ADMIMETH.
func (s *Spell) AdmissionMethodLabel() *string {
	return codeLabel(dictionary.AdmissionMethod, s.AdmissionMethod)
}

// DischargeMethodLabel is the label of the spell's DISMETH.
func (s *Spell) DischargeMethodLabel() *string {
	return codeLabel(dictionary.DischargeMethod, s.DischargeMethod)
}
