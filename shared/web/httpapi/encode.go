package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/cxloop/cxloop/shared/core/app"
)

// MaxBody is the largest request body accepted (64 KiB).
const MaxBody = 64 << 10

// status maps each error code to its HTTP status: the only place that does.
var status = map[app.Code]int{
	app.Invalid:      http.StatusBadRequest,
	app.NotFound:     http.StatusNotFound,
	app.Conflict:     http.StatusConflict,
	app.Unauthorized: http.StatusUnauthorized,
	app.Forbidden:    http.StatusForbidden,
	app.Internal:     http.StatusInternalServerError,
	codeTooLarge:     http.StatusRequestEntityTooLarge,
}

// codeTooLarge is an edge-only code: the core never sees an oversized body.
const codeTooLarge app.Code = "too_large"

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    app.Code          `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

// WriteError answers with the JSON error shape. Internal errors are logged
// with their detail and shown only as "internal error".
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	var e *app.Error
	if !errors.As(err, &e) {
		e = &app.Error{Code: app.Internal, Err: err}
	}
	body := errorDetail{Code: e.Code, Message: e.Message, Fields: e.Fields}
	if e.Code == app.Internal {
		logger(r.Context()).ErrorContext(r.Context(), "internal error", "err", err)
		body.Message = "internal error"
	}
	WriteJSON(w, status[e.Code], errorBody{Error: body})
}

// WriteJSON answers with v as JSON, never cached.
func WriteJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

// DecodeJSON reads exactly one JSON object of at most MaxBody bytes into v,
// refusing unknown fields, so a typo is an error rather than silently
// ignored. The Content-Type is not checked: `curl -d` sends a form type.
func DecodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	body := http.MaxBytesReader(w, r.Body, MaxBody)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return decodeError(err)
		}
		return app.Errorf(app.Invalid, "the body must hold a single JSON object")
	}
	return nil
}

func decodeError(err error) error {
	var (
		tooBig  *http.MaxBytesError
		syntax  *json.SyntaxError
		typeErr *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &tooBig):
		return &app.Error{Code: codeTooLarge, Message: fmt.Sprintf("the body is larger than %d bytes", MaxBody)}
	case errors.Is(err, io.EOF):
		return app.Errorf(app.Invalid, "the body is empty; a JSON object is required")
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
		return app.Errorf(app.Invalid, "the body is not valid JSON")
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return app.Errorf(app.Invalid, "the body must be a JSON object")
		}
		return app.FieldError(field, "must be a "+jsonKind(typeErr.Type.Kind().String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return app.FieldError(name, "is not a known field")
	}
	return app.Errorf(app.Invalid, "the body could not be read as JSON")
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "string"
	case "struct", "map":
		return "JSON object"
	case "slice", "array":
		return "JSON array"
	case "bool":
		return "boolean"
	}
	return "number"
}
