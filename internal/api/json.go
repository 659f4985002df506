package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/drsorch/drsorch/internal/plan"
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
	// encoding/json would quietly replace invalid bytes with U+FFFD,
	// storing a name nobody sent.
	if !utf8.Valid(body) {
		return invalid("", "the request body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err, body, reflect.TypeOf(v))
	}
	if _, err := dec.Token(); err != io.EOF {
		return invalid("", "the request body has data after its JSON value")
	}
	// The last of two equal keys would win silently.
	var dup *plan.DuplicateKeyError
	if errors.As(plan.CheckDuplicateKeys(body), &dup) {
		return invalid(dup.Path, "key %q appears twice", dup.Path)
	}
	return nil
}

// jsonError describes a decoding error of body into a value of type t in
// terms a client can act on.
func jsonError(err error, body []byte, t reflect.Type) error {
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
		field := name
		var doc any
		if json.Unmarshal(body, &doc) == nil {
			if p, ok := findUnknown(doc, t, "", name); ok {
				field = p
			}
		}
		return invalid(field, "unknown field %q", field)
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

// findUnknown walks a decoded JSON document beside the Go type it was
// decoded into and returns the path (such as "waves[0].gate") of a key
// named name that the type has no field for. encoding/json names only the
// key, which is ambiguous in a nested document.
func findUnknown(v any, t reflect.Type, path, name string) (string, bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch x := v.(type) {
	case map[string]any:
		keys := slices.Sorted(maps.Keys(x))
		switch t.Kind() {
		case reflect.Map:
			for _, k := range keys {
				if p, ok := findUnknown(x[k], t.Elem(), join(path, k), name); ok {
					return p, true
				}
			}
		case reflect.Struct:
			fields := jsonFields(t)
			for _, k := range keys {
				ft, ok := fields[k]
				if !ok {
					// encoding/json matches keys case-insensitively too.
					for fk, fv := range fields {
						if strings.EqualFold(fk, k) {
							ft, ok = fv, true
							break
						}
					}
				}
				if !ok {
					if k == name {
						return join(path, k), true
					}
					continue
				}
				if p, ok := findUnknown(x[k], ft, join(path, k), name); ok {
					return p, true
				}
			}
		}
	case []any:
		if t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
			for i, e := range x {
				if p, ok := findUnknown(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i), name); ok {
					return p, true
				}
			}
		}
	}
	return "", false
}

// jsonFields maps the JSON names of a struct's fields to their types,
// embedded structs' fields included.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	fields := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || !f.IsExported() && !f.Anonymous {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			for k, v := range jsonFields(f.Type) {
				fields[k] = v
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		fields[name] = f.Type
	}
	return fields
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
