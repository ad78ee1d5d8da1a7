package model

// Episode is one HES APC episode row. Diagnoses, procedures and the patient
// are resolved separately through per-request batch loaders.
type Episode struct {
	RowID                  int64
	PatientID              int64
	EpisodeKey             string
	FinancialYear          string
	ProviderCode           *string
	SiteCode               *string
	AdmissionDate          *Date
	EpisodeStart           *Date
	EpisodeEnd             *Date
	DischargeDate          *Date
	EpisodeOrder           *int
	EpisodeStatus          *string
	EpisodeType            *string
	PatientClassification  *string
	AdmissionMethod        *string
	AdmissionSource        *string
	DischargeMethod        *string
	DischargeDestination   *string
	AdministrativeCategory *string
	TreatmentSpecialty     *string
	MainSpecialty          *string
	StartAge               *int
	EpisodeDuration        *int
	SpellDuration          *int
}

// ID returns the episode's opaque global ID.
func (e *Episode) ID() string { return GlobalID(TypeEpisode, e.RowID) }

// GlobalIDParts are the type and key of ID, for writing it without
// building the string (graph's idAt).
func (e *Episode) GlobalIDParts() (string, int64) { return TypeEpisode, e.RowID }

// IsNode marks Episode as a Node.
func (*Episode) IsNode() {}

// GetID returns the global ID for the Node interface.
func (e *Episode) GetID() string { return e.ID() }

// Diagnosis is an ICD-10 or ICD-9 code at a position of an episode.
type Diagnosis struct {
	EpisodeID      int64
	Position       int
	Code           string
	Classification DiagnosisClassification
	Description    *string
	Chapter        *string
}

// Procedure is an OPCS-4 code at a position of an episode.
type Procedure struct {
	EpisodeID   int64
	Position    int
	Code        string
	Description *string
	Date        *Date
}
