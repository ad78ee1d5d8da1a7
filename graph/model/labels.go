package model

import "github.com/hesgql/hesgql/internal/hes/dictionary"

// The <field>Label fields of Episode and Patient are methods rather than
// resolvers: a label is a map lookup on a value already loaded, so gqlgen
// calls them inline instead of scheduling a resolver per field and row.

// codeLabel is the data dictionary label of a code, nil when the code is
// null or not in the dictionary.
func codeLabel(f dictionary.Field, code *string) *string {
	if code == nil {
		return nil
	}
	l, ok := dictionary.Label(f, *code)
	if !ok {
		return nil
	}
	return &l
}

// SexLabel is the label of the patient's SEX code.
func (p *Patient) SexLabel() *string {
	if p.Sex == nil {
		return nil
	}
	c := p.Sex.HESCode()
	return codeLabel(dictionary.Sex, &c)
}

// EthnicityLabel is the label of the patient's ETHNOS code.
func (p *Patient) EthnicityLabel() *string { return codeLabel(dictionary.EthnicCategory, p.Ethnicity) }

// RegionLabel is the label of the patient's RESGOR code.
func (p *Patient) RegionLabel() *string { return codeLabel(dictionary.Region, p.Region) }

// EpisodeStatusLabel is the label of EPISTAT.
func (e *Episode) EpisodeStatusLabel() *string {
	return codeLabel(dictionary.EpisodeStatus, e.EpisodeStatus)
}

// EpisodeTypeLabel is the label of EPITYPE.
func (e *Episode) EpisodeTypeLabel() *string { return codeLabel(dictionary.EpisodeType, e.EpisodeType) }

// PatientClassificationLabel is the label of CLASSPAT.
func (e *Episode) PatientClassificationLabel() *string {
	return codeLabel(dictionary.PatientClassification, e.PatientClassification)
}

// AdmissionMethodLabel is the label of ADMIMETH.
func (e *Episode) AdmissionMethodLabel() *string {
	return codeLabel(dictionary.AdmissionMethod, e.AdmissionMethod)
}

// AdmissionMethodGroup is the key of the ADMIMETH group (ELECTIVE, ...).
func (e *Episode) AdmissionMethodGroup() *string {
	if g, ok := e.admissionMethodGroup(); ok {
		return &g.Key
	}
	return nil
}

// AdmissionMethodGroupLabel is the label of the ADMIMETH group.
func (e *Episode) AdmissionMethodGroupLabel() *string {
	if g, ok := e.admissionMethodGroup(); ok {
		return &g.Label
	}
	return nil
}

// admissionMethodGroup groups the episode's admission method; an episode
// with none recorded is UNKNOWN, as in the statistics dimension.
func (e *Episode) admissionMethodGroup() (dictionary.Group, bool) {
	if e.AdmissionMethod == nil {
		return dictionary.GroupByKey("UNKNOWN")
	}
	return dictionary.AdmissionMethodGroup(*e.AdmissionMethod)
}

// AdmissionSourceLabel is the label of ADMISORC.
func (e *Episode) AdmissionSourceLabel() *string {
	return codeLabel(dictionary.AdmissionSource, e.AdmissionSource)
}

// DischargeMethodLabel is the label of DISMETH.
func (e *Episode) DischargeMethodLabel() *string {
	return codeLabel(dictionary.DischargeMethod, e.DischargeMethod)
}

// DischargeDestinationLabel is the label of DISDEST.
func (e *Episode) DischargeDestinationLabel() *string {
	return codeLabel(dictionary.DischargeDestination, e.DischargeDestination)
}

// AdministrativeCategoryLabel is the label of ADMINCAT.
func (e *Episode) AdministrativeCategoryLabel() *string {
	return codeLabel(dictionary.AdministrativeCategory, e.AdministrativeCategory)
}

// TreatmentSpecialtyLabel is the label of TRETSPEF.
func (e *Episode) TreatmentSpecialtyLabel() *string {
	return codeLabel(dictionary.TreatmentSpecialty, e.TreatmentSpecialty)
}

// MainSpecialtyLabel is the label of MAINSPEF.
func (e *Episode) MainSpecialtyLabel() *string {
	return codeLabel(dictionary.MainSpecialty, e.MainSpecialty)
}
