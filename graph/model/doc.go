// Package model holds the API's domain types: the hand-written entities,
// queries and errors, and gqlgen's generated inputs and enums
// (models_gen.go). It imports nothing else of the project.
package model
