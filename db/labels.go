package db

// episodeLabelFields maps the Episode fields derived from a coded column
// (labels from the HES data dictionary, the admission method group) to the
// field of that column, so that selecting a label reads its code column
// only, not every column.
var episodeLabelFields = map[string]string{
	"episodeStatusLabel":          "episodeStatus",
	"episodeTypeLabel":            "episodeType",
	"patientClassificationLabel":  "patientClassification",
	"admissionMethodLabel":        "admissionMethod",
	"admissionMethodGroup":        "admissionMethod",
	"admissionMethodGroupLabel":   "admissionMethod",
	"admissionSourceLabel":        "admissionSource",
	"dischargeMethodLabel":        "dischargeMethod",
	"dischargeDestinationLabel":   "dischargeDestination",
	"administrativeCategoryLabel": "administrativeCategory",
	"treatmentSpecialtyLabel":     "treatmentSpecialty",
	"mainSpecialtyLabel":          "mainSpecialty",
}

// withLabelCodes returns the selected fields with each label replaced by
// the code field it is derived from. It copies only when there is a label.
func withLabelCodes(fields map[string]bool) map[string]bool {
	var out map[string]bool
	for f := range fields {
		code, ok := episodeLabelFields[f]
		if !ok {
			continue
		}
		if out == nil {
			out = make(map[string]bool, len(fields))
			for g := range fields {
				if _, label := episodeLabelFields[g]; !label {
					out[g] = true
				}
			}
		}
		out[code] = true
	}
	if out == nil {
		return fields
	}
	return out
}
