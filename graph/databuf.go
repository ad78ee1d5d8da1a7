package graph

import "sync"

// A response's data is encoded into a buffer that gqlgen's executor
// (rewritten by graph/internal/rewrite) takes from dataBuffers rather than
// growing one from nothing: on a 20 kB listing the doublings allocated and
// copied about 40 kB per request. writeJSON gives the buffer back once the
// response is written, when nothing reads the data any more.
var dataBuffers sync.Pool

// maxPooledData bounds what a pooled buffer may hold, so that one very
// large response does not stay in memory for the next small ones.
const maxPooledData = 1 << 20

// dataBuffer returns an empty buffer for a response's data.
func dataBuffer() []byte {
	if p, ok := dataBuffers.Get().(*[]byte); ok {
		return (*p)[:0]
	}
	return make([]byte, 0, 16<<10)
}

// releaseData hands the buffer holding a written response's data back for
// the next response. The caller must not read data afterwards.
func releaseData(data []byte) {
	if cap(data) == 0 || cap(data) > maxPooledData {
		return
	}
	data = data[:0]
	dataBuffers.Put(&data)
}
