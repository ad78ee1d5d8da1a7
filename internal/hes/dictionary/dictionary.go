// Package dictionary labels the coded values of HES APC fields (sex, ethnic
// category, admission method, specialties, ...) with their meanings from the
// NHS Digital HES data dictionary. The lookup is generated from the
// dictionary's Values column (values_gen.go, see README.md) so that labels
// are the dictionary's own and are refreshed by replacing its CSV.
package dictionary

// Field is a coded HES APC field, named as in the dictionary.
type Field string

// The fields the lookup labels.
const (
	Sex                    Field = "SEX"
	EthnicCategory         Field = "ETHNOS"
	Region                 Field = "RESGOR"
	EpisodeStatus          Field = "EPISTAT"
	EpisodeType            Field = "EPITYPE"
	PatientClassification  Field = "CLASSPAT"
	AdmissionMethod        Field = "ADMIMETH"
	AdmissionSource        Field = "ADMISORC"
	DischargeMethod        Field = "DISMETH"
	DischargeDestination   Field = "DISDEST"
	AdministrativeCategory Field = "ADMINCAT"
	TreatmentSpecialty     Field = "TRETSPEF"
	MainSpecialty          Field = "MAINSPEF"
)

// Value is one code of a field and its meaning.
type Value struct {
	Code string
	// Label is the short meaning, for drop-downs and table headings.
	Label string
	// Description is the dictionary's whole text for the code.
	Description string
	// Period tells when the code was in use, when the dictionary says so
	// ("From 1 April 2004", "From 1995-96 to 2000-01").
	Period string
	// Group is the admission method group key (ADMIMETH only).
	Group string
}

// Group is an admission method group: ELECTIVE, EMERGENCY, MATERNITY,
// OTHER or UNKNOWN.
type Group struct{ Key, Label string }

// borrow names, per field, the field sharing its national code list whose
// labels stand in for codes the field's own list no longer shows: retired
// treatment functions (610, 620, ...) are main specialty codes, and both
// admission source and discharge destination are location classes.
var borrow = map[Field]Field{TreatmentSpecialty: MainSpecialty, DischargeDestination: AdmissionSource}

// index maps field and code to the value's position in values.
var index = func() map[Field]map[string]int {
	m := make(map[Field]map[string]int, len(values))
	for f, vs := range values {
		m[f] = make(map[string]int, len(vs))
		for i, v := range vs {
			m[f][v.Code] = i
		}
	}
	return m
}()

// Fields lists the labelled fields.
func Fields() []Field {
	return []Field{Sex, EthnicCategory, Region, EpisodeStatus, EpisodeType, PatientClassification,
		AdmissionMethod, AdmissionSource, DischargeMethod, DischargeDestination, AdministrativeCategory,
		TreatmentSpecialty, MainSpecialty}
}

// Name returns the dictionary's name of the field ("Method of Admission").
func Name(f Field) string { return fieldNames[f] }

// Values lists the field's own codes in dictionary order. The slice is
// shared: do not modify it.
func Values(f Field) []Value { return values[f] }

// Lookup returns the value of a code of the field, borrowing from the field
// that shares its code list when the field's own list lacks the code.
func Lookup(f Field, code string) (Value, bool) {
	if i, ok := index[f][code]; ok {
		return values[f][i], true
	}
	if b, ok := borrow[f]; ok {
		if i, ok := index[b][code]; ok {
			return values[b][i], true
		}
	}
	return Value{}, false
}

// Label returns the label of a code of the field; ok is false for a code
// the dictionary does not list.
func Label(f Field, code string) (label string, ok bool) {
	v, ok := Lookup(f, code)
	return v.Label, ok
}

// AdmissionMethodGroups lists the admission method groups in order.
func AdmissionMethodGroups() []Group { return admissionMethodGroups }

// AdmissionMethodGroup returns the group of an ADMIMETH code, grouping as
// the ADMISSION_METHOD_GROUP statistics dimension does: a code the
// dictionary does not list is OTHER, except 26 and 27, emergency codes of
// older years. ok is false only for an empty code (not recorded: UNKNOWN is
// the caller's choice).
func AdmissionMethodGroup(code string) (Group, bool) {
	if code == "" {
		return Group{}, false
	}
	key := "OTHER"
	if v, ok := Lookup(AdmissionMethod, code); ok && v.Group != "" {
		key = v.Group
	} else if code == "26" || code == "27" {
		key = "EMERGENCY"
	}
	return GroupByKey(key)
}

// GroupByKey returns the admission method group of a key such as EMERGENCY.
func GroupByKey(key string) (Group, bool) {
	for _, g := range admissionMethodGroups {
		if g.Key == key {
			return g, true
		}
	}
	return Group{}, false
}
