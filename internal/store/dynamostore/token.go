package dynamostore

import (
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/drsorch/drsorch/internal/store"
)

// cursor is the sort key of the last item of a page, from which the next
// page's ExclusiveStartKey is rebuilt. A page token is its JSON in unpadded
// URL-safe base64; List names which list it belongs to, so that a token of
// one list is refused by another.
type cursor struct {
	List    string `json:"l"`
	Name    string `json:"n,omitempty"`
	Created int64  `json:"c,omitempty"`
	ID      string `json:"i,omitempty"`
}

func encodeToken(c cursor) string {
	b, err := json.Marshal(c)
	if err != nil {
		// A struct of strings and an integer always marshals.
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeToken parses tok for the list named list; an empty tok is the first
// page and gives ok false. Executions' tokens need an ID, the others a name.
func decodeToken(tok, list string) (c cursor, ok bool, err error) {
	if tok == "" {
		return cursor{}, false, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	bad := err != nil || c.List != list
	if list == execList {
		bad = bad || c.ID == "" || c.Created < 0
	} else {
		bad = bad || c.Name == ""
	}
	if bad {
		return cursor{}, false, fmt.Errorf("%w: %q", store.ErrInvalidToken, tok)
	}
	return c, true, nil
}
