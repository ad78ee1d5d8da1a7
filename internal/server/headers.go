package server

import (
	"fmt"
	"net/http"
)

// maxHeaderBytes bounds the request line and headers a request may carry.
//
// Go's HTTP server refuses headers beyond its own limit (http.Server's
// MaxHeaderBytes, 1 MiB by default) with a plain-text 431 written before
// any handler runs, so that answer cannot carry the API's JSON error. This
// lower limit is checked in a handler, so that a request over it (a
// runaway token or cookie, say) gets the coded JSON error instead; only
// headers beyond Go's limit still get Go's plain answer.
const maxHeaderBytes = 64 << 10

// limitHeaders answers 431 with a coded error to a request whose request
// line and headers, as sent, exceed n bytes.
func limitHeaders(n int, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if headerSize(r) > n {
			writeJSONError(w, http.StatusRequestHeaderFieldsTooLarge, "BAD_USER_INPUT",
				fmt.Sprintf("the request line and headers are larger than %d bytes", n))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// headerSize is about the size of r's request line and header lines on the
// wire (HTTP/1.1 framing: "Name: value\r\n").
func headerSize(r *http.Request) int {
	size := len(r.Method) + len(r.RequestURI) + len(r.Proto) + 4 + len("Host: \r\n") + len(r.Host)
	for name, values := range r.Header {
		for _, v := range values {
			size += len(name) + len(v) + 4
		}
	}
	return size
}
