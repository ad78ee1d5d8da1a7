package graphiql

// Example is one example operation offered in GraphiQL's Examples panel.
// Each is checked against the schema (it parses and validates) by the
// package tests, and run against a server with data by the browser test.
type Example struct {
	// Title names the example in the panel.
	Title string `json:"title"`
	// About says in a sentence what the example shows and who may run it.
	About string `json:"about"`
	// Query is the GraphQL document, one operation.
	Query string `json:"query"`
	// Variables is the variables editor's JSON, or "" for none.
	Variables string `json:"variables,omitempty"`
}

// Examples are the operations of the Examples panel, in the order shown:
// the README's queries first, then the other things a newcomer asks for.
// They run as written with the development token (RESEARCHER); those that
// also work with no token say so.
var Examples = []Example{
	{
		Title: "First episodes",
		About: "The README's first query: five episodes with their diagnoses.",
		Query: `query FirstEpisodes {
  episodes(first: 5) {
    edges {
      node {
        episodeKey
        diagnoses {
          code
          description
        }
      }
    }
  }
}
`,
	},
	{
		Title: "Psoriasis in dermatology, 2023-24",
		About: "Filter by financial year, treatment specialty and diagnosis prefix; newest first, with the cursor for the next page.",
		Query: `query DermatologyPsoriasis {
  episodes(
    first: 20
    filter: {
      financialYear: { eq: "2324" }
      treatmentSpecialty: { in: ["330", "257"] }
      diagnosis: { startsWith: "L40" }
    }
    orderBy: [{ field: EPISODE_START, direction: DESC }]
  ) {
    totalCount
    edges {
      cursor
      node {
        episodeKey
        episodeStart
        providerCode
        startAge
        patient { sex birthYear }
        primaryDiagnosis { code description }
        procedures { code date }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
`,
	},
	{
		Title: "Patients with a skin excision",
		About: "Patients filtered by something in any of their episodes (OPCS-4 S06), with their first episodes.",
		Query: `query SkinExcisionPatients {
  patients(first: 10, filter: { hasEpisode: { procedure: { startsWith: "S06" } } }) {
    nodes {
      pseudoId
      sex
      birthYear
      episodes(first: 3) {
        nodes { episodeStart treatmentSpecialty }
      }
    }
  }
}
`,
	},
	{
		Title: "A patient, nested",
		About: "One patient with labelled demographics and every episode's dates, codes with labels, diagnoses and procedures.",
		Query: `query NestedPatient {
  patients(first: 1, orderBy: [{ field: PSEUDO_ID }]) {
    nodes {
      id
      pseudoId
      sex
      sexLabel
      birthYear
      ethnicity
      ethnicityLabel
      region
      regionLabel
      episodes(first: 10, orderBy: [{ field: EPISODE_START }]) {
        totalCount
        nodes {
          episodeKey
          admissionDate
          episodeStart
          episodeEnd
          dischargeDate
          admissionMethod
          admissionMethodLabel
          admissionMethodGroup
          treatmentSpecialty
          treatmentSpecialtyLabel
          primaryDiagnosis { code description chapter }
          diagnoses { position code description }
          procedures { code date }
        }
      }
    }
  }
}
`,
	},
	{
		Title: "Statistics by year and age band",
		About: "Disclosure-controlled counts, safe to publish; runs with no token too.",
		Query: `query DermatologyByYearAndAge {
  statistics(
    groupBy: [FINANCIAL_YEAR, AGE_BAND]
    filter: { treatmentSpecialty: { eq: "330" } }
  ) {
    disclosureControl
    note
    rows {
      keys
      labels
      episodes { display }
      admissions { display }
      patients { display }
    }
  }
}
`,
	},
	{
		Title: "Code search",
		About: "Look up ICD-10 diagnosis and OPCS-4 procedure codes by code prefix or words of the description; public.",
		Query: `query CodeSearch($search: String = "psoriasis") {
  diagnosisCodes(search: $search, first: 10) {
    totalCount
    nodes { code description chapter }
  }
  procedureCodes(search: "S06", first: 10) {
    nodes { code description }
  }
}
`,
		Variables: `{ "search": "psoriasis" }`,
	},
	{
		Title: "Code labels for a drop-down",
		About: "Every valid admission method with its label and group, from the HES data dictionary; public.",
		Query: `query AdmissionMethods {
  codeList(field: ADMISSION_METHOD) { code label period group }
}
`,
	},
	{
		Title: "Paginated walk",
		About: "Ten episodes a page: run it, copy pageInfo.endCursor into the variable after, run again; stop when hasNextPage is false.",
		Query: `query EpisodePages($after: String) {
  episodes(first: 10, after: $after, orderBy: [{ field: EPISODE_START }]) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { episodeKey episodeStart providerCode }
  }
}
`,
		Variables: `{ "after": null }`,
	},
	{
		Title: "Who am I?",
		About: "The role and organisations of the token in the headers editor; without a token, the public role.",
		Query: `query WhoAmI {
  viewer { subject roles orgs authenticated }
}
`,
	},
	{
		Title: "Emergency spells and readmissions",
		About: "Hospital spells (admission to discharge) admitted as emergencies, longest stay first, with their episodes and whether an emergency readmission followed within 30 days.",
		Query: `query EmergencySpells {
  spells(
    first: 10
    filter: { admissionMethodGroup: [EMERGENCY] }
    orderBy: [{ field: LENGTH_OF_STAY, direction: DESC }]
  ) {
    totalCount
    nodes {
      providerCode
      admissionDate
      dischargeDate
      lengthOfStay
      admissionMethodLabel
      emergencyReadmissionWithin30Days
      episodes {
        episodeKey
        primaryDiagnosis {
          code
          description
        }
      }
    }
  }
}
`,
	},
}
