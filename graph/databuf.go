package graph

import (
	"context"
	"sync"

	"github.com/hesgql/hesgql/graph/model"
)

// A response's data is encoded into a buffer that gqlgen's executor
// (rewritten by graph/internal/rewrite) takes from dataBuffers rather than
// growing one from nothing: on a 20 kB listing the doublings allocated and
// copied about 40 kB per request. writeJSON gives the buffer back once the
// response is written, when nothing reads the data any more.
var dataBuffers sync.Pool

// maxPooledData bounds what a pooled buffer may hold, so that one very
// large response does not stay in memory for the next small ones.
const maxPooledData = 1 << 20

// dataBuffer returns empty storage for a response's data.
func dataBuffer() []byte {
	if p, ok := dataBuffers.Get().(*[]byte); ok {
		return (*p)[:0]
	}
	return make([]byte, 0, 16<<10)
}

// newDataBuffer is the buffer the executor marshals a response's data into.
func newDataBuffer() *model.DataBuffer { return model.NewDataBuffer(dataBuffer()) }

// releaseData hands the buffer holding a written response's data back for
// the next response. The caller must not read data afterwards.
func releaseData(data []byte) {
	if cap(data) == 0 || cap(data) > maxPooledData {
		return
	}
	data = data[:0]
	dataBuffers.Put(&data)
}

// unchangedData is where the executor notes, for the transport writing the
// response, that encoding/json would leave the data it marshalled as it is
// (model.DataBuffer). The note is of those very bytes: data that a
// response interceptor replaced is checked as any other.
type unchangedData struct {
	start *byte
	n     int
}

type unchangedDataKey struct{}

// withUnchangedData gives the executor run under ctx a place for its note.
func withUnchangedData(ctx context.Context) (context.Context, *unchangedData) {
	u := new(unchangedData)
	return context.WithValue(ctx, unchangedDataKey{}, u), u
}

// dataOf returns what buf holds, noting whether it is unchanged.
func dataOf(ctx context.Context, buf *model.DataBuffer) []byte {
	data := buf.Bytes()
	if u, ok := ctx.Value(unchangedDataKey{}).(*unchangedData); ok && buf.Unchanged() && len(data) > 0 {
		u.start, u.n = &data[0], len(data)
	}
	return data
}

// vouches reports whether data is what the executor noted as unchanged.
func (u *unchangedData) vouches(data []byte) bool {
	return u != nil && len(data) > 0 && u.start == &data[0] && u.n == len(data)
}
