package plan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
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
	type frame struct {
		object bool
		keys   map[string]bool
		path   string
		key    string // object: the last key read, awaiting its value
		index  int    // array: the next element's index
		isKey  bool   // object: the next token is a key
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var stack []*frame
	// child returns the path of the value about to be read.
	child := func() string {
		if len(stack) == 0 {
			return ""
		}
		f := stack[len(stack)-1]
		if f.object {
			return joinPath(f.path, f.key)
		}
		p := fmt.Sprintf("%s[%d]", f.path, f.index)
		f.index++
		return p
	}
	// valueRead marks the top object as expecting a key again.
	valueRead := func() {
		if len(stack) > 0 && stack[len(stack)-1].object {
			stack[len(stack)-1].isKey = true
		}
	}
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return nil
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
					return &DuplicateKeyError{Path: joinPath(f.path, k)}
				}
				f.keys[k] = true
				f.key, f.isKey = k, false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{object: true, keys: map[string]bool{}, path: child(), isKey: true})
		case json.Delim('['):
			stack = append(stack, &frame{path: child()})
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
			valueRead()
		default:
			if len(stack) > 0 && !stack[len(stack)-1].object {
				stack[len(stack)-1].index++
			}
			valueRead()
		}
	}
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
