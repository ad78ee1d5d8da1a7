package model

// Patient is a person identified by a pseudonymised HES id. Restricted
// fields are loaded only when selected and allowed.
type Patient struct {
	RowID       int64
	PseudoID    string
	Sex         *Sex
	Ethnicity   *string
	BirthYear   *int
	NhsNumber   *string
	DateOfBirth *Date
	Postcode    *string
	Region      *string
}

// ID returns the patient's opaque global ID.
func (p *Patient) ID() string { return GlobalID(TypePatient, p.RowID) }

// GlobalIDParts are the type and key of ID, for writing it without
// building the string (graph's idAt).
func (p *Patient) GlobalIDParts() (string, int64) { return TypePatient, p.RowID }

// IsNode marks Patient as a Node.
func (*Patient) IsNode() {}

// GetID returns the global ID for the Node interface.
func (p *Patient) GetID() string { return p.ID() }

// SexFromCode maps a HES SEX code to the API enum; unknown codes give nil.
func SexFromCode(code string) *Sex {
	var s Sex
	switch code {
	case "1":
		s = SexMale
	case "2":
		s = SexFemale
	case "9":
		s = SexNotSpecified
	case "0", "X":
		s = SexNotKnown
	default:
		return nil
	}
	return &s
}

// HESCode returns the HES SEX code of the enum value.
func (s Sex) HESCode() string {
	switch s {
	case SexMale:
		return "1"
	case SexFemale:
		return "2"
	case SexNotSpecified:
		return "9"
	default:
		return "0"
	}
}
