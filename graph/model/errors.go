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

// Error is an error meant for the API caller: its Code becomes
// extensions.code and its Message is shown as is. Any other error is
// internal and is shown only as "internal error".
type Error struct {
	Code    string
	Message string
	// Field optionally names the input path at fault, e.g. "filter.startAge.gt".
	Field string
}

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
