package model

import (
	"errors"
	"fmt"
)

// Error codes carried in a GraphQL error's extensions.code (API.md, Errors).
const (
	ErrBadUserInput    = "BAD_USER_INPUT"
	ErrUnauthenticated = "UNAUTHENTICATED"
	ErrForbidden       = "FORBIDDEN"
	ErrNotFound        = "NOT_FOUND"
	ErrTooComplex      = "QUERY_TOO_COMPLEX"
	ErrInternal        = "INTERNAL"
)

// ErrUnavailable is the code of a request that could not reach the
// database (down or restarting): the caller should retry, and gets HTTP 503
// with Retry-After when nothing could be answered.
const ErrUnavailable = "UNAVAILABLE"

// ErrRateLimited is the code of a request refused because its caller (token
// subject, or client address for the public) sent more, or more at once,
// than the configured limits allow: HTTP 429 with Retry-After.
const ErrRateLimited = "RATE_LIMITED"

// RetryAfterSeconds is how long a caller that got UNAVAILABLE is asked to
// wait (Retry-After): the server recovers within a fraction of a second of
// the database returning, so a short wait costs little and keeps clients
// from hammering a restarting server.
const RetryAfterSeconds = 5

// Error is an error meant for the API caller: its Code becomes
// extensions.code and its Message is shown as is. Any other error is
// internal and is shown only as "internal error".
type Error struct {
	Code    string
	Message string
	// Field optionally names the input path at fault, e.g. "filter.startAge.gt".
	Field string
	// Err is the underlying cause, for the server log only; it is never
	// shown to the caller.
	Err error
}

// Unwrap returns the cause, so that errors.Is and errors.As see through.
func (e *Error) Unwrap() error { return e.Err }

func (e *Error) Error() string {
	if e.Field != "" {
		return e.Field + ": " + e.Message
	}
	return e.Message
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// InputError returns a BAD_USER_INPUT error naming the offending input path.
func InputError(field, format string, args ...any) *Error {
	return &Error{Code: ErrBadUserInput, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err if it wraps an *Error, else ErrInternal.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ErrInternal
}
