package db

// runs groups a statement's rows by a key into one slice, each key's rows
// a run of it, for rows that arrive ordered by the key: a slice per key
// would take an allocation or more each, on a page's hundred episodes.
// Rows out of order are still kept, their run appended to the key's.
type runs[T any] struct {
	all   []T
	start int // where the current run begins in all
	key   int64
	out   map[int64][]T
}

// newRuns expects about rows rows of keys keys.
func newRuns[T any](keys, rows int) *runs[T] {
	return &runs[T]{all: make([]T, 0, rows), out: make(map[int64][]T, keys)}
}

// add appends v to key's rows.
func (r *runs[T]) add(key int64, v T) {
	if len(r.all) > r.start && key != r.key {
		r.flush()
	}
	r.key = key
	r.all = append(r.all, v)
}

// flush closes the current run. Its capacity ends with it, so that an
// append to one key's rows cannot overwrite the next key's.
func (r *runs[T]) flush() {
	n := len(r.all)
	if n == r.start {
		return
	}
	run := r.all[r.start:n:n]
	if prev, ok := r.out[r.key]; ok {
		run = append(prev, run...)
	}
	r.out[r.key] = run
	r.start = n
}

// grouped returns every key's rows.
func (r *runs[T]) grouped() map[int64][]T {
	r.flush()
	return r.out
}
