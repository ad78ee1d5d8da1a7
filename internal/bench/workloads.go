package bench

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/hesgql/hesgql/db"
)

// workload is one request shape, ready to run.
type workload struct {
	name string
	note string
	req  request
}

// The generated data spans 2018-04-01 to 2024-03-31; W1 and W2 filter on
// all of it, so that the listing is deep enough for W2's depth.
const (
	listingFrom = "2018-04-01"
	listingTo   = "2024-03-31"
)

const listingFilter = `filter: {treatmentSpecialty: {in: ["330", "257"]}, episodeStart: {gte: $from, lte: $to}},
    orderBy: [{field: EPISODE_START, direction: DESC}]`

const w1Query = `query W1($from: Date!, $to: Date!, $after: String) {
  episodes(first: 50, after: $after, ` + listingFilter + `) {
    edges { cursor node { id episodeKey episodeStart treatmentSpecialty
      patient { sex birthYear }
      diagnoses { code description } } }
    pageInfo { hasNextPage endCursor }
  }
}`

// w6Query is W1 as ADMIN with the patients' NHS numbers: restricted
// reads, audited once per request.
const w6Query = `query W6($from: Date!, $to: Date!, $after: String) {
  episodes(first: 50, after: $after, ` + listingFilter + `) {
    edges { cursor node { id episodeKey episodeStart treatmentSpecialty
      patient { sex birthYear nhsNumber }
      diagnoses { code description } } }
    pageInfo { hasNextPage endCursor }
  }
}`

const countQuery = `query Count($from: Date!, $to: Date!) {
  episodes(first: 0, ` + listingFilter + `) { totalCount }
}`

const w3Query = `query W3($id: ID!) {
  patient(id: $id) { id pseudoId sex birthYear region
    episodes(first: 100) { nodes { id episodeKey episodeStart episodeEnd providerCode treatmentSpecialty
      diagnoses { position code description } procedures { position code description date } } }
  }
}`

const w4Query = `query W4 {
  episodes(first: 50, filter: {diagnosis: {startsWith: "L40"}, procedure: {startsWith: "S06"}}) {
    nodes { id episodeKey episodeStart diagnoses { position code } procedures { position code } }
    pageInfo { hasNextPage endCursor }
  }
}`

const w5Query = `query W5 {
  patients(first: 20) {
    nodes { id pseudoId sex birthYear
      episodes(first: 5) { nodes { id episodeKey episodeStart treatmentSpecialty diagnoses { code } } }
    }
  }
}`

// statsQuery is a HES free-table shape: no filter, two dimensions, served
// from the published tables (W7); W8 repeats it from the statistics cache.
const statsQuery = `query W7 {
  statistics(groupBy: [FINANCIAL_YEAR, SEX]) {
    rows { keys episodes { display } admissions { display } patients { display } }
  }
}`

// pickPatientQuery finds W3's patient: the one with most episodes among
// the first patients.
const pickPatientQuery = `query { patients(first: 100) { nodes { id episodes(first: 0) { totalCount } } } }`

// prepare builds the workloads, finding W2's page at depth once.
func prepare(ctx context.Context, cl *client, d *db.DB, episodes int64, adminToken string, cfg Config, progress io.Writer) ([]workload, int, error) {
	window := map[string]any{"from": listingFrom, "to": listingTo}

	var count struct{ Episodes struct{ TotalCount int } }
	if err := cl.query(ctx, newRequest("setup", countQuery, window), &count); err != nil {
		return nil, 0, fmt.Errorf("count the listing: %w", err)
	}
	total := count.Episodes.TotalCount
	depth := cfg.Depth
	if depth <= 0 {
		// Half the dataset, as deep as any listing of it reaches
		// halfway: 5M rows at 10M episodes.
		depth = int(episodes / 2)
	}
	depth = min(depth, total-100)
	var after any
	if depth > 0 && (len(cfg.Only) == 0 || slices.Contains(cfg.Only, "W2")) {
		fmt.Fprintf(progress, "bench: finding row %d of the listing's %d for W2\n", depth, total)
		cursor, err := cursorAtDepth(ctx, cl, d, depth)
		if err != nil {
			return nil, 0, fmt.Errorf("W2's page at depth %d: %w", depth, err)
		}
		after = cursor
	}

	var pick struct {
		Patients struct {
			Nodes []struct {
				ID       string
				Episodes struct{ TotalCount int }
			}
		}
	}
	if err := cl.query(ctx, newRequest("setup", pickPatientQuery, nil), &pick); err != nil {
		return nil, 0, fmt.Errorf("choose W3's patient: %w", err)
	}
	patient, most := "", -1
	for _, p := range pick.Patients.Nodes {
		if p.Episodes.TotalCount > most {
			patient, most = p.ID, p.Episodes.TotalCount
		}
	}
	if patient == "" {
		return nil, 0, fmt.Errorf("no patients")
	}

	// W8 measures the cached answer, so the cache holds it before W8's
	// first (traced) request.
	if _, err := cl.do(ctx, publicRequest(newRequest("W8-warm", statsQuery, nil)), false); err != nil {
		return nil, 0, fmt.Errorf("warm W8: %w", err)
	}
	w2vars := map[string]any{"from": listingFrom, "to": listingTo, "after": after}
	return []workload{
		{name: "W1 listing (50, filtered, sorted)", note: fmt.Sprintf("treatmentSpecialty in [330, 257], episodeStart %s..%s, EPISODE_START DESC; %d rows match", listingFrom, listingTo, count.Episodes.TotalCount),
			req: newRequest("W1", w1Query, window)},
		{name: "W2 same listing at depth", note: fmt.Sprintf("the W1 page after row %d", depth),
			req: newRequest("W2", w1Query, w2vars)},
		{name: "W3 patient with everything", note: fmt.Sprintf("patient with %d episodes, their diagnoses and procedures", most),
			req: newRequest("W3", w3Query, map[string]any{"id": patient})},
		{name: "W4 diagnosis L40 + procedure S06", note: "first 50 episodes with both",
			req: newRequest("W4", w4Query, nil)},
		{name: "W5 20 patients × 5 episodes", note: "patients page of 20, each with its first 5 episodes and their diagnoses",
			req: newRequest("W5", w5Query, nil)},
		{name: "W6 W1 as ADMIN with nhsNumber", note: "W1's page as ADMIN, also reading each patient's NHS number (audited)",
			req: withToken(newRequest("W6", w6Query, window), adminToken)},
		{name: "W7 public stats FYEAR × SEX", note: "public (no token), no filter: read from the published tables, statistics cache bypassed",
			req: publicRequest(uncached(newRequest("W7", statsQuery, nil)))},
		{name: "W8 W7 repeated (cached)", note: "the same public request again: answered from the statistics cache, no SQL",
			req: publicRequest(newRequest("W8", statsQuery, nil))},
	}, depth, nil
}

// publicRequest sends r without a token.
func publicRequest(r request) request {
	r.public = true
	return r
}

func withToken(r request, token string) request {
	r.token = token
	return r
}

// uncached marks r to bypass the statistics cache.
func uncached(r request) request {
	r.noCache = true
	return r
}
