// Package hes reads and writes Hospital Episode Statistics admitted patient
// care (APC) extracts: it turns HES field names, formats and null codes into
// clean Records, and generates synthetic extracts in the same format.
package hes

import (
	"database/sql"
	"time"
)

// Record is one cleaned HES APC episode row. HES null codes have already been
// turned into zero values: "" for strings, the zero time.Time for dates and
// Valid=false for integers. Placeholder diagnosis and procedure codes
// (R69X*, "-", "&", X998, X999) are not present in Diagnoses or Procedures.
type Record struct {
	Line int // 1-based line number of the row in its file (header is line 1)

	EpiKey   string // EPIKEY, digits only
	PseudoID string // PSEUDO_HESID / TOKEN_PERSON_ID / ENCRYPTED_HESID / HESID
	FYear    string // FYEAR, four digits such as "0102"

	// Patient attributes as recorded on this episode.
	Sex         string // SEX: "1", "2", "9", "0" ("X" from 2022-23 is stored as "0")
	Ethnicity   string // ETHNOS
	BirthYear   sql.NullInt64
	BirthMonth  sql.NullInt64 // from MYDOB (MMYYYY) or DOB
	DateOfBirth time.Time     // DOB (restricted)
	NHSNumber   string        // NEWNHSNO (restricted), 10 digits
	Postcode    string        // HOMEADD (restricted)
	Region      string        // RESGOR (region of residence)

	ProviderCode         string // PROCODE3
	SiteCode             string // SITETRET
	AdmissionDate        time.Time
	EpisodeStart         time.Time
	EpisodeEnd           time.Time
	DischargeDate        time.Time
	EpisodeOrder         sql.NullInt64 // EPIORDER
	EpisodeStatus        string        // EPISTAT
	EpisodeType          string        // EPITYPE
	PatientClass         string        // CLASSPAT
	AdmissionMethod      string        // ADMIMETH
	AdmissionSource      string        // ADMISORC
	DischargeMethod      string        // DISMETH
	DischargeDestination string        // DISDEST
	AdminCategory        string        // ADMINCAT
	TreatmentSpecialty   string        // TRETSPEF
	MainSpecialty        string        // MAINSPEF
	StartAge             sql.NullInt64 // STARTAGE as coded: years 0-120, or 7001-7007 for under one
	EpisodeDuration      sql.NullInt64 // EPIDUR, days
	SpellDuration        sql.NullInt64 // SPELDUR, days

	Diagnoses  []Diagnosis
	Procedures []Procedure

	// Warnings are the row's field-level problems; the values concerned
	// are not known in the Record. Always empty in strict mode.
	Warnings []Warning
}

// Diagnosis is one ICD-10 or ICD-9 code of an episode at its HES position
// (1 = primary).
type Diagnosis struct {
	Position int
	// Code is the HES form without the dot: for ICD-10 4 characters, X
	// padded ("L400", "L97X"); for ICD-9 3 or 4 ("799", "7999", "V270",
	// "E880").
	Code           string
	Classification Classification
}

// Procedure is one OPCS-4 code of an episode at its HES position (1 = main).
type Procedure struct {
	Position int
	Code     string    // 4 characters: "S068"
	Date     time.Time // OPDATE_nn, zero when absent or null-coded
}

// StartAgeYears converts a STARTAGE code to whole years: the under-one codes
// 7001-7007 become 0. ok is false when the age is unknown.
func StartAgeYears(code sql.NullInt64) (years int64, ok bool) {
	if !code.Valid {
		return 0, false
	}
	if code.Int64 >= 7001 && code.Int64 <= 7007 {
		return 0, true
	}
	return code.Int64, true
}
