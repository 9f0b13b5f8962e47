// Package validation checks request values against their `validate` tags
// with github.com/go-playground/validator, with cxloop's own rules, and
// reports bad fields as an app.Invalid error. It is the core's
// app.Validator, passed in only by the functions that take untrusted input.
package validation

import (
	"errors"
	"reflect"
	"regexp"
	"strings"
	"time"
	"unicode"
	// Lambda's provided.al2023 image has no zoneinfo; customers' timezones
	// must resolve everywhere the code runs.
	_ "time/tzdata"

	"github.com/go-playground/validator/v10"

	"github.com/cxloop/cxloop/shared/app"
)

// Validator checks request values against their `validate` tags and names
// each bad field by its JSON name.
type Validator struct{ v *validator.Validate }

// New returns a Validator with cxloop's own rules registered.
func New() *Validator {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			return ""
		}
		if name == "" {
			name, _, _ = strings.Cut(f.Tag.Get("form"), ",")
		}
		return name
	})
	// validator's own "timezone" accepts "Local" and ""; people live in IANA zones.
	_ = v.RegisterValidation("iana_tz", func(fl validator.FieldLevel) bool {
		s := fl.Field().String()
		if s == "" || s == "Local" || strings.HasPrefix(s, "/") {
			return false
		}
		_, err := time.LoadLocation(s)
		return err == nil
	})
	// validator's own e164 makes the '+' optional; a number without it is
	// not E.164 and would never match the number a reply comes from.
	_ = v.RegisterValidation("e164", func(fl validator.FieldLevel) bool {
		return e164.MatchString(fl.Field().String())
	})
	// Names end up in email subjects and headers: a line break there is a
	// header injection, and no person's name contains a control character.
	_ = v.RegisterValidation("nocontrol", func(fl validator.FieldLevel) bool {
		return !strings.ContainsFunc(fl.Field().String(), unicode.IsControl)
	})
	_ = v.RegisterValidation("id", func(fl validator.FieldLevel) bool {
		return app.ValidID(fl.Field().String())
	})
	return &Validator{v: v}
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{7,14}$`)

var problems = map[string]string{
	"required":           "is required",
	"required_if":        "is required",
	"email":              "must be an email address",
	"e164":               "must be a phone number in E.164 form, like +14155550100",
	"iana_tz":            "must be an IANA timezone, like Europe/Madrid",
	"bcp47_language_tag": "must be a BCP 47 locale, like en-GB",
	"oneof":              "must be one of: ",
	"id":                 "must be 1-128 characters without spaces, '/', '?', '#', '%'",
	"max":                "is too long",
	"datetime":           "must be an RFC 3339 time, like 2026-11-23T14:00:00Z",
	"nocontrol":          "must not contain line breaks or other control characters",
	"min":                "is too short",
}

// Struct validates v and returns an app.Invalid *app.Error naming every bad field.
func (val *Validator) Struct(v any) error {
	err := val.v.Struct(v)
	if err == nil {
		return nil
	}
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return &app.Error{Code: app.Invalid, Message: "the request could not be validated", Err: err}
	}
	fields := map[string]string{}
	for _, fe := range verrs {
		name := strings.SplitN(fe.Namespace(), ".", 2)
		field := fe.Field()
		if len(name) == 2 {
			field = name[1]
		}
		p, ok := problems[fe.Tag()]
		if !ok {
			p = "is not valid (" + fe.Tag() + ")"
		}
		if fe.Tag() == "oneof" {
			p += strings.ReplaceAll(fe.Param(), " ", ", ")
		}
		if fe.Tag() == "max" || fe.Tag() == "min" {
			p += " (limit " + fe.Param() + ")"
		}
		fields[field] = p
	}
	return &app.Error{Code: app.Invalid, Message: "the request has invalid fields", Fields: fields}
}
