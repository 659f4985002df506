package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// maxBody is the largest request body accepted.
const maxBody = 1 << 20

// decode reads the request's JSON body into v strictly: the content type
// must be JSON, the body at most maxBody bytes, one value, no unknown
// fields.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return &Error{
			Status:  http.StatusUnsupportedMediaType,
			Code:    CodeUnsupportedMediaType,
			Message: "the request body must be application/json",
			Field:   "Content-Type",
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &Error{
				Status:  http.StatusRequestEntityTooLarge,
				Code:    CodeTooLarge,
				Message: fmt.Sprintf("the request body is larger than %d bytes", maxBody),
			}
		}
		return fmt.Errorf("read request body: %w", err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return invalid("", "the request body is empty")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return invalid("", "the request body has data after its JSON value")
	}
	return nil
}

// jsonError describes a decoding error in terms a client can act on.
func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return invalid("", "the request body is not valid JSON (at byte %d)", syn.Offset)
	case errors.As(err, &typ):
		return invalid(typ.Field, "%s must be a JSON %s, not %s", fieldOrBody(typ.Field), jsonKind(typ.Type.Kind().String()), typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return invalid("", "the request body ends in the middle of its JSON value")
	}
	// encoding/json reports unknown fields only through its message.
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		if f, err := strconv.Unquote(name); err == nil {
			name = f
		}
		return invalid(name, "unknown field %q", name)
	}
	return invalid("", "the request body does not decode: %s", strings.TrimPrefix(err.Error(), "json: "))
}

func fieldOrBody(field string) string {
	if field == "" {
		return "the request body"
	}
	return field
}

// jsonKind names a Go kind the way JSON does.
func jsonKind(k string) string {
	switch k {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice", "array":
		return "array"
	case "map", "struct", "ptr":
		return "object"
	}
	return "number"
}

// writeJSON renders v with the given status. Encoding first into a buffer
// turns an encoding error into a clean 500 rather than half a body.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	// A failed write means the client has gone; there is no one to tell.
	w.Write(append(b, '\n'))
	return nil
}
