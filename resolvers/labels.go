package resolvers

import (
	"strconv"
	"strings"

	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/hes"
	"github.com/hesgql/hesgql/internal/hes/dictionary"
)

// codedFields maps the CodedField enum onto the data dictionary's fields;
// ADMISSION_METHOD_GROUP is answered from the groups instead.
var codedFields = map[model.CodedField]dictionary.Field{
	model.CodedFieldSex:                    dictionary.Sex,
	model.CodedFieldEthnicity:              dictionary.EthnicCategory,
	model.CodedFieldRegion:                 dictionary.Region,
	model.CodedFieldEpisodeStatus:          dictionary.EpisodeStatus,
	model.CodedFieldEpisodeType:            dictionary.EpisodeType,
	model.CodedFieldPatientClassification:  dictionary.PatientClassification,
	model.CodedFieldAdmissionMethod:        dictionary.AdmissionMethod,
	model.CodedFieldAdmissionSource:        dictionary.AdmissionSource,
	model.CodedFieldDischargeMethod:        dictionary.DischargeMethod,
	model.CodedFieldDischargeDestination:   dictionary.DischargeDestination,
	model.CodedFieldAdministrativeCategory: dictionary.AdministrativeCategory,
	model.CodedFieldTreatmentSpecialty:     dictionary.TreatmentSpecialty,
	model.CodedFieldMainSpecialty:          dictionary.MainSpecialty,
}

// codeList answers the codeList field from the generated dictionary lookup.
func codeList(field model.CodedField) ([]*model.CodedValue, error) {
	if field == model.CodedFieldAdmissionMethodGroup {
		groups := dictionary.AdmissionMethodGroups()
		out := make([]*model.CodedValue, len(groups))
		for i, g := range groups {
			out[i] = &model.CodedValue{Code: g.Key, Label: g.Label}
		}
		return out, nil
	}
	f, ok := codedFields[field]
	if !ok {
		return nil, model.InputError("field", "unknown coded field %q", field)
	}
	vals := dictionary.Values(f)
	out := make([]*model.CodedValue, len(vals))
	for i, v := range vals {
		out[i] = &model.CodedValue{Code: v.Code, Label: v.Label,
			Description: nonEmpty(v.Description), Period: nonEmpty(v.Period), Group: nonEmpty(v.Group)}
	}
	return out, nil
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// keyLabels labels the keys of a tabulation row, dimension by dimension;
// a key without a meaning beyond itself, or a null key, has a null label.
func keyLabels(groupBy []model.Dimension, keys []*string) []*string {
	out := make([]*string, len(keys))
	for i, k := range keys {
		if k == nil || i >= len(groupBy) {
			continue
		}
		if l, ok := keyLabel(groupBy[i], *k); ok {
			out[i] = &l
		}
	}
	return out
}

// sexCodes are the HES SEX codes of the Sex enum values the SEX dimension
// shows as keys.
var sexCodes = map[string]string{"MALE": "1", "FEMALE": "2", "NOT_SPECIFIED": "9", "NOT_KNOWN": "0"}

func keyLabel(d model.Dimension, key string) (string, bool) {
	switch d {
	case model.DimensionTreatmentSpecialty:
		return dictionary.Label(dictionary.TreatmentSpecialty, key)
	case model.DimensionSex:
		return dictionary.Label(dictionary.Sex, sexCodes[key])
	case model.DimensionAdmissionMethodGroup:
		g, ok := dictionary.GroupByKey(key)
		return g.Label, ok
	case model.DimensionPrimaryDiagnosisChapter:
		return hes.ICD10ChapterTitle(key)
	case model.DimensionFinancialYear:
		return financialYearLabel(key)
	case model.DimensionLengthOfStayBand:
		return lengthOfStayBandLabel(key)
	case model.DimensionAgeBand:
		return ageBandLabel(key)
	}
	return "", false
}

// financialYearLabel writes FYEAR 0102 as 2001-02. HES years run from
// 1989-90; a two-digit start year below 89 is in the 2000s.
func financialYearLabel(fy string) (string, bool) {
	if len(fy) != 4 {
		return "", false
	}
	start, err := strconv.Atoi(fy[:2])
	if err != nil {
		return "", false
	}
	century := 2000
	if start >= 89 {
		century = 1900
	}
	return strconv.Itoa(century+start) + "-" + fy[2:], true
}

// ageBandLabel words an AGE_BAND key ("0", "1-4", "90+").
func ageBandLabel(band string) (string, bool) {
	switch {
	case band == "0":
		return "Under 1 year", true
	case strings.HasSuffix(band, "+"):
		return "Aged " + strings.TrimSuffix(band, "+") + " and over", true
	case strings.Contains(band, "-"):
		lo, hi, _ := strings.Cut(band, "-")
		return "Aged " + lo + " to " + hi, true
	}
	return "", false
}
