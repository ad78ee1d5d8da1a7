package main

import (
	"fmt"
	"io"
	"net"
)

// announce tells the person who started `serve` where to point a client.
// GraphiQL is named only when it is served: in production it is off, and a
// line sending people to a page that answers 404 would mislead them.
func announce(w io.Writer, addr net.Addr, graphiql bool) {
	msg := fmt.Sprintf("hesgql: GraphQL API at http://%s/graphql\n", addr)
	if graphiql {
		msg += fmt.Sprintf("hesgql: GraphiQL at http://%s/\n", addr)
	}
	// One write, so that a reader never sees half the announcement.
	_, _ = io.WriteString(w, msg)
}
