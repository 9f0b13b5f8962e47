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
	"golang.org/x/text/language"

	"github.com/cxloop/cxloop/shared/core/app"
)

// Validator checks request values against their `validate` tags and names
// each bad field by its JSON name.
type Validator struct{ v *validator.Validate }

// New returns a Validator with cxloop's own rules registered.
func New() *Validator {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(jsonName)
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
	// validator's own "datetime" parses with time.Parse, which takes
	// offsets such as "+24:00" that RFC 3339 does not.
	_ = v.RegisterValidation("rfc3339", func(fl validator.FieldLevel) bool {
		_, ok := app.ParseTime(fl.Field().String())
		return ok
	})
	_ = v.RegisterValidation("locale", func(fl validator.FieldLevel) bool {
		_, ok := locale(fl.Field().String())
		return ok
	})
	return &Validator{v: v}
}

// Locale returns a BCP 47 tag in its canonical form ("en_GB" and "EN-gb"
// are "en-GB"), or false if s is not one.
func (val *Validator) Locale(s string) (string, bool) { return locale(s) }

// locale parses with golang.org/x/text/language, as validator's own
// bcp47_language_tag does; it takes '_' for '-', as POSIX and Java write
// locales.
func locale(s string) (string, bool) {
	tag, err := language.Parse(s)
	if err != nil {
		return "", false
	}
	return tag.String(), true
}

// jsonName is how a field is named to the caller: its JSON name, else its
// form name, else its Go name; "" for a field JSON never reads.
func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "-" {
		return ""
	}
	if name == "" {
		name, _, _ = strings.Cut(f.Tag.Get("form"), ",")
	}
	if name == "" {
		name = f.Name
	}
	return name
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{7,14}$`)

var problems = map[string]string{
	"required":    "is required",
	"required_if": "is required",
	"email":       "must be an email address",
	"e164":        "must be a phone number in E.164 form, like +14155550100",
	"iana_tz":     "must be an IANA timezone, like Europe/Madrid",
	"locale":      "must be a BCP 47 locale, like en-GB",
	"oneof":       "must be one of: ",
	"id":          app.IDRule,
	"max":         "is too long",
	"rfc3339":     "must be an RFC 3339 time with an offset under 24 hours, like 2026-11-23T14:00:00Z",
	"nocontrol":   "must not contain line breaks or other control characters",
	"min":         "is too short",
}

// Struct validates v and returns an app.Invalid *app.Error naming every
// bad field: each that breaks a rule of its tag, and each string field that
// holds a control character other than a tab or a line break.
func (val *Validator) Struct(v any) error {
	fields := map[string]string{}
	if err := val.v.Struct(v); err != nil {
		var verrs validator.ValidationErrors
		if !errors.As(err, &verrs) {
			return &app.Error{Code: app.Invalid, Message: "the request could not be validated", Err: err}
		}
		for _, fe := range verrs {
			fields[fieldPath(fe.Namespace(), fe.Field())] = problem(fe)
		}
	}
	strayControls(reflect.ValueOf(v), "", fields)
	if len(fields) == 0 {
		return nil
	}
	return &app.Error{Code: app.Invalid, Message: "the request has invalid fields", Fields: fields}
}

// fieldPath is a field's JSON path without the top-level type's name:
// "Interaction.customer.name" is "customer.name".
func fieldPath(namespace, field string) string {
	if _, path, ok := strings.Cut(namespace, "."); ok {
		return path
	}
	return field
}

func problem(fe validator.FieldError) string {
	p, ok := problems[fe.Tag()]
	if !ok {
		p = "is not valid (" + fe.Tag() + ")"
	}
	switch fe.Tag() {
	case "oneof":
		p += strings.ReplaceAll(fe.Param(), " ", ", ")
	case "max", "min":
		p += " (limit " + fe.Param() + ")"
	}
	return p
}

// strayControls names, in fields, every string field of v (a struct, or a
// pointer to one, at any depth) holding a control character that no text
// from outside should carry (app.StrayControl), unless its tag already
// found a problem. It is one rule for every field, rather than a tag each
// field could forget.
func strayControls(v reflect.Value, prefix string, fields map[string]string) {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return
	}
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name := jsonName(f)
		if !f.IsExported() || name == "" {
			continue
		}
		if prefix != "" {
			name = prefix + "." + name
		}
		switch fv := v.Field(i); fv.Kind() {
		case reflect.String:
			if _, named := fields[name]; !named && strings.ContainsFunc(fv.String(), app.StrayControl) {
				fields[name] = "must not contain control characters other than tabs and line breaks"
			}
		case reflect.Struct, reflect.Pointer:
			strayControls(fv, name, fields)
		}
	}
}
