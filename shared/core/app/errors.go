package app

import (
	"errors"
	"fmt"
)

// Code classifies an error for whoever called; the HTTP edge maps each code
// to a status in one place.
type Code string

// Error codes.
const (
	Invalid      Code = "invalid"      // bad input: nothing was changed
	NotFound     Code = "not_found"    // unknown id or an invalid link
	Conflict     Code = "conflict"     // the request clashes with the current state
	Unauthorized Code = "unauthorized" // missing or wrong credentials
	Forbidden    Code = "forbidden"    // valid credentials without the right to do this
	Internal     Code = "internal"     // everything else: detail is logged, never shown
)

// Error is a domain error with a code and a message safe to show.
type Error struct {
	Code    Code
	Message string
	Fields  map[string]string // field → what is wrong with it
	Err     error             // the cause, for logs
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an Error with code and a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError is an Invalid error about one field.
func FieldError(field, problem string) *Error {
	return &Error{Code: Invalid, Message: "the request has invalid fields", Fields: map[string]string{field: problem}}
}

// CodeOf returns the code of err: Internal unless it carries one.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}
