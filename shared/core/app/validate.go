package app

import (
	"strings"
	"time"
	"unicode"
	// Lambda's provided.al2023 image has no zoneinfo; customers' timezones
	// must resolve everywhere the code runs.
	_ "time/tzdata"
)

// Validator checks request values against their `validate` tags. The
// core calls it on every input from outside; shared/platform/validation has the
// implementation. It is a port, not built in, because the validator
// library looks up methods by name through reflect, which makes the
// linker keep every exported method in any binary that links it: only
// the functions that take untrusted input carry it.
//
// Besides the tags, every string field of a validated value is refused if
// it holds a control character other than a tab or a line break (see
// StrayControl): no text from outside is stored with a NUL or an escape
// sequence in it.
type Validator interface {
	// Struct returns nil if v is valid, otherwise an Invalid *Error
	// naming every bad field.
	Struct(v any) error
	// Locale returns a BCP 47 tag in its canonical form ("en_GB" and
	// "EN-gb" are "en-GB"), or false if s is not one; the `locale` tag
	// holds a field to the same rule. (It is here, not in the core, for
	// the same reason: the tables it needs stay out of the functions
	// that take no input.)
	Locale(s string) (string, bool)
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

// MaxIDLen is the longest id: far below DynamoDB's 2,048-byte partition
// key, which an id shares with a prefix.
const MaxIDLen = 128

// IDRule says what an id is, as an error message about a field.
const IDRule = `must be 1-128 printable ASCII characters other than space, '/', '?', '#', '%', '\' and '"', and not "." or ".."`

// ValidID reports whether s can be an id: 1–128 printable ASCII characters
// other than space, '/', '?', '#', '%', '\' and '"', so it is safe in keys,
// paths and links; "." and ".." are refused because a URL path cannot
// reach them (they are dot-segments, removed by every client).
func ValidID(s string) bool {
	if s == "" || len(s) > MaxIDLen || s == "." || s == ".." {
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

// CheckID returns an Invalid error naming field unless s is an id.
func CheckID(field, s string) error {
	if ValidID(s) {
		return nil
	}
	return FieldError(field, IDRule)
}

// ParseTime reads an RFC 3339 time strictly. time.Parse alone also takes
// a zone offset of 24 hours or more ("+24:00"), which RFC 3339 does not
// (time-hour is 00-23) and which names no place on Earth.
func ParseTime(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, false
	}
	if _, off := t.Zone(); off <= -24*3600 || off >= 24*3600 {
		return time.Time{}, false
	}
	return t, true
}

// Bounds of an interaction's occurred_at: a source system's clock may run
// a little ahead of ours, but an interaction does not finish in the
// future, nor before the web existed as cxloop knows it.
var (
	// MaxClockSkew is how far in the future occurred_at may be.
	MaxClockSkew = 5 * time.Minute
	// EarliestOccurred is the earliest occurred_at taken.
	EarliestOccurred = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
)

// checkOccurred refuses an occurred_at outside [EarliestOccurred, now+MaxClockSkew].
func checkOccurred(t, now time.Time) error {
	switch {
	case t.Before(EarliestOccurred):
		return FieldError("occurred_at", "must not be before 2000-01-01T00:00:00Z")
	case t.After(now.Add(MaxClockSkew)):
		return FieldError("occurred_at", "must not be more than 5 minutes in the future")
	}
	return nil
}

// StrayControl reports whether r is a control character that has no place
// in a text from outside: any but tab, line feed and carriage return.
func StrayControl(r rune) bool {
	return unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r'
}

// CleanText keeps a text a customer wrote as they meant it, for the texts
// that are stored rather than refused (an SMS, a survey comment): line
// breaks become "\n", tabs stay, and every other control character (NUL,
// escape sequences, C1 controls) is dropped.
func CleanText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\r':
			return '\n'
		case StrayControl(r):
			return -1
		}
		return r
	}, s)
}
