package server

import (
	"context"
	"errors"
	"net/http"
)

// statusClientClosed is what the request log and the latency metric record
// for a request whose client disconnected before the answer was complete
// (nginx's 499, "client closed request"); no response carries it.
const statusClientClosed = 499

// clientWentAway reports whether the request's client disconnected while
// it was served: net/http cancels the request context when the connection
// closes under a running handler.
func clientWentAway(r *http.Request) bool {
	return errors.Is(r.Context().Err(), context.Canceled)
}
