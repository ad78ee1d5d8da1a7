package export

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"
)

// heldResponse keeps the start of an extract in memory, status line
// included, until the first batch has been read. An error up to that point
// (the database refusing the statement, a time limit, a failed scan) can
// then still be answered with a coded JSON error and a fitting status
// instead of a 200 and a cut connection. The hold is bounded: past limit
// bytes the status goes out and the rest streams, so memory stays flat. An
// extract that ends while still held goes out whole, with Content-Length.
type heldResponse struct {
	w         http.ResponseWriter
	rc        *http.ResponseController
	limit     int
	chunks    [][]byte
	size      int
	committed bool
	// header sets the headers of a successful extract before its status.
	header func(http.Header)
}

func newHeldResponse(w http.ResponseWriter, limit int, header func(http.Header)) *heldResponse {
	return &heldResponse{w: w, rc: http.NewResponseController(w), limit: limit, header: header}
}

// Write holds p while the response is held and there is room, else sends.
func (h *heldResponse) Write(p []byte) (int, error) {
	if !h.committed {
		if h.size+len(p) <= h.limit {
			h.chunks = append(h.chunks, bytes.Clone(p))
			h.size += len(p)
			return len(p), nil
		}
		if err := h.commit(false); err != nil {
			return 0, err
		}
	}
	return h.w.Write(p)
}

// Flush sends what has been written, unless the response is still held
// (flushing would send the status line).
func (h *heldResponse) Flush() error {
	if !h.committed {
		return nil
	}
	if err := h.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	return nil
}

// commit sends the status line, the headers and everything held. complete
// says the held bytes are the whole response, whose length is then known.
func (h *heldResponse) commit(complete bool) error {
	if h.committed {
		return nil
	}
	h.committed = true
	h.header(h.w.Header())
	if complete {
		h.w.Header().Set("Content-Length", strconv.Itoa(h.size))
	}
	h.w.WriteHeader(http.StatusOK)
	for _, c := range h.chunks {
		if _, err := h.w.Write(c); err != nil {
			return err
		}
	}
	h.chunks = nil
	return nil
}
