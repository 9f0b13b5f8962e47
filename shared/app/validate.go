package app

import (
	"strings"
	// Lambda's provided.al2023 image has no zoneinfo; customers' timezones
	// must resolve everywhere the code runs.
	_ "time/tzdata"
)

// Validator checks request values against their `validate` tags. The
// core calls it on every input from outside; shared/validation has the
// implementation. It is a port, not built in, because the validator
// library looks up methods by name through reflect, which makes the
// linker keep every exported method in any binary that links it: only
// the functions that take untrusted input carry it.
type Validator interface {
	// Struct returns nil if v is valid, otherwise an Invalid *Error
	// naming every bad field.
	Struct(v any) error
}

// errNoValidator is returned, instead of skipping validation, by a method
// that needs a Validator in a function not set up with one.
var errNoValidator = &Error{Code: Internal, Message: "this function is not set up to validate input"}

// check validates in with the injected Validator, refusing it if there
// is none: validation is never skipped.
func (a *App) check(in any) error {
	if a.validate == nil {
		return errNoValidator
	}
	return a.validate.Struct(in)
}

// ValidID reports whether s can be an id: 1–128 printable ASCII characters
// other than space, '/', '?', '#' and '%', so it is safe in keys and paths.
func ValidID(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("/?#%\\\"", c) >= 0 {
			return false
		}
	}
	return true
}
