package graph

import (
	"io"
	"strconv"

	"github.com/99designs/gqlgen/graphql"

	"github.com/hesgql/hesgql/graph/model"
)

// The marshallers below stand, in the fast path of fields that need no
// field context (graph/internal/rewrite), for gqlgen's of an ID or an Int,
// which box the value into a closure: an allocation per field, and for an
// ID another for the string it is built into. Each is one pointer into
// the object, boxed without an allocation, and writes what gqlgen writes
// from a stack buffer (model.WriteBytes).

// nodeID is a model type whose ID is model.GlobalID of its parts.
type nodeID[T any] interface {
	*T
	GlobalIDParts() (typ string, key int64)
}

// idAt writes a node's ID, as the ID() method would give it.
type idAt[T any, P nodeID[T]] struct{ p P }

// newIDAt is idAt for the generated code, which names only the object.
func newIDAt[T any, P nodeID[T]](p P) graphql.Marshaler { return idAt[T, P]{p} }

func (i idAt[T, P]) MarshalGQL(w io.Writer) {
	typ, key := i.p.GlobalIDParts()
	var buf [80]byte
	b := append(buf[:0], '"')
	b = model.AppendGlobalID(b, typ, key) // base64url: nothing to escape
	model.WriteBytes(w, append(b, '"'))
}

// intAt writes an Int of the object.
type intAt struct{ n *int }

func (i intAt) MarshalGQL(w io.Writer) {
	var buf [24]byte
	model.WriteBytes(w, strconv.AppendInt(buf[:0], int64(*i.n), 10))
}
