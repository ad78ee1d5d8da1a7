// Package resolvers implements the GraphQL schema. Resolvers stay thin: they
// turn arguments into model queries, call db and hand back its results;
// per-request loaders batch what nested fields ask for.
package resolvers

import (
	"log/slog"

	"github.com/hesgql/hesgql/db"
)

// Resolver carries the dependencies every resolver needs.
type Resolver struct {
	DB  *db.DB
	Log *slog.Logger
}
