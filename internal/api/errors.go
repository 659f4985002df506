package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
)

// Error codes of the error body, as API.md names them.
const (
	CodeInvalid              = "invalid"
	CodeNotFound             = "not_found"
	CodeConflict             = "conflict"
	CodePreconditionFailed   = "precondition_failed"
	CodePreconditionRequired = "precondition_required"
	CodeTooLarge             = "too_large"
	CodeUnsupportedMediaType = "unsupported_media_type"
	CodeMethodNotAllowed     = "method_not_allowed"
	CodeInternal             = "internal"
)

// Error is an error a handler returns to answer with a given status. Its
// message is shown to the client, so it must not carry internal detail.
type Error struct {
	Status  int
	Code    string
	Message string
	Field   string
	Details []Detail
}

// Detail is one problem of a request, usually one invalid field.
type Detail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s (%s)", e.Code, e.Message, e.Field)
	}
	return e.Code + ": " + e.Message
}

// errorBody is the JSON shape of every error response.
type errorBody struct {
	Error errorJSON `json:"error"`
}

type errorJSON struct {
	Code    string   `json:"code"`
	Message string   `json:"message"`
	Field   string   `json:"field,omitempty"`
	Details []Detail `json:"details,omitempty"`
}

// invalid returns a 400 for one bad field.
func invalid(field, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	return &Error{
		Status:  http.StatusBadRequest,
		Code:    CodeInvalid,
		Message: msg,
		Field:   field,
		Details: []Detail{{Code: CodeInvalid, Message: msg, Field: field}},
	}
}

// sentinels maps the errors of lower layers to statuses. It is the only
// place that does; handlers return the error as they got it, described with
// about() so that the message can name the resource.
var sentinels = []struct {
	err     error
	status  int
	code    string
	message string // follows the resource's description
	field   string
}{
	{store.ErrNotFound, http.StatusNotFound, CodeNotFound, "not found", ""},
	{store.ErrExists, http.StatusConflict, CodeConflict, "already exists", ""},
	{store.ErrVersionConflict, http.StatusPreconditionFailed, CodePreconditionFailed,
		"was changed since it was read; get it again and retry with its new ETag", "If-Match"},
	{store.ErrInvalidToken, http.StatusBadRequest, CodeInvalid,
		"nextToken is not one that this list returned", "nextToken"},
}

// described gives a lower layer's error the words that name its resource
// in a response, such as `protection group "pg-1"`.
type described struct {
	what  string
	field string
	err   error
}

func (d *described) Error() string { return d.what + ": " + d.err.Error() }
func (d *described) Unwrap() error { return d.err }

// about wraps err with the description of the resource it concerns.
func about(err error, what string) error {
	if err == nil {
		return nil
	}
	return &described{what: what, err: err}
}

// aboutField is about with the request field at fault, such as "name" for
// a name already taken.
func aboutField(err error, what, field string) error {
	if err == nil {
		return nil
	}
	return &described{what: what, field: field, err: err}
}

// toHTTP turns any error into the Error to send. The second result reports
// whether the error was unexpected, and so is a 500 to log.
func toHTTP(err error) (*Error, bool) {
	var he *Error
	if errors.As(err, &he) {
		return he, false
	}
	var pe plan.Errors
	if errors.As(err, &pe) && len(pe) > 0 {
		return validationError(pe), false
	}
	for _, s := range sentinels {
		if !errors.Is(err, s.err) {
			continue
		}
		e := &Error{Status: s.status, Code: s.code, Message: s.message, Field: s.field}
		var d *described
		if errors.As(err, &d) {
			e.Message = d.what + " " + s.message
			if d.field != "" {
				e.Field = d.field
			}
		}
		if e.Status == http.StatusBadRequest {
			e.Details = []Detail{{Code: e.Code, Message: e.Message, Field: e.Field}}
		}
		return e, false
	}
	return &Error{
		Status:  http.StatusInternalServerError,
		Code:    CodeInternal,
		Message: "internal error; the server log has the detail",
	}, true
}

// validationError lists every problem plan validation found.
func validationError(pe plan.Errors) *Error {
	e := &Error{Status: http.StatusBadRequest, Code: CodeInvalid}
	for _, fe := range pe {
		code := fe.Code
		if code == "" {
			code = CodeInvalid
		}
		e.Details = append(e.Details, Detail{Code: code, Message: fe.Message, Field: fe.Field})
	}
	e.Field = pe[0].Field
	e.Message = pe[0].Message
	if len(pe) > 1 {
		e.Message = fmt.Sprintf("%s (and %d more problems)", e.Message, len(pe)-1)
	}
	return e
}
