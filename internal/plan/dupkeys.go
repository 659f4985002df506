package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// DuplicateKeyError reports a JSON object that names one key twice.
// encoding/json keeps the last value silently, so that two readers of one
// document (a reviewer and the server) could see different definitions.
type DuplicateKeyError struct {
	// Path is where the second occurrence is, such as "waves[1].name".
	Path string
}

func (e *DuplicateKeyError) Error() string {
	return fmt.Sprintf("duplicate key %s", strconv.Quote(e.Path))
}

// CheckDuplicateKeys returns a *DuplicateKeyError for the first object in
// the JSON value data that has the same key twice (exact match), and nil
// when there is none or data is not JSON (decoding reports that).
func CheckDuplicateKeys(data []byte) error {
	// A frame is an open object or array. Paths are built only for the
	// error: built for every value, they would cost the square of the
	// depth of a deeply nested document.
	type frame struct {
		object bool
		keys   map[string]bool
		key    string // object: the last key read
		index  int    // array: the index of the next element
		isKey  bool   // object: the next token is a key
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var stack []*frame
	path := func(last string) string {
		var b strings.Builder
		for i, f := range stack {
			switch {
			case i == len(stack)-1:
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(last)
			case f.object:
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(f.key)
			default:
				fmt.Fprintf(&b, "[%d]", f.index)
			}
		}
		return b.String()
	}
	// valueRead marks the end of a value inside the top frame.
	valueRead := func() {
		if len(stack) == 0 {
			return
		}
		if f := stack[len(stack)-1]; f.object {
			f.isKey = true
		} else {
			f.index++
		}
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // io.EOF, or not JSON: decoding reports that
		}
		if len(stack) > 0 {
			if f := stack[len(stack)-1]; f.object && f.isKey {
				if d, ok := tok.(json.Delim); ok && d == '}' {
					stack = stack[:len(stack)-1]
					valueRead()
					continue
				}
				k, _ := tok.(string)
				if f.keys[k] {
					return &DuplicateKeyError{Path: path(k)}
				}
				f.keys[k] = true
				f.key, f.isKey = k, false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{object: true, keys: map[string]bool{}, isKey: true})
		case json.Delim('['):
			stack = append(stack, &frame{})
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
			valueRead()
		default:
			valueRead()
		}
	}
}
