package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/drsorch/drsorch/internal/store"
)

// Page sizes of lists.
const (
	defaultLimit = 50
	maxLimit     = 1000
)

// listOptions reads ?limit= and ?nextToken= of a list request.
func listOptions(r *http.Request) (store.ListOptions, error) {
	q := r.URL.Query()
	opts := store.ListOptions{Limit: defaultLimit, NextToken: q.Get("nextToken")}
	// Given twice, which one was meant is a guess; a proxy and the server
	// could guess differently.
	for _, name := range []string{"limit", "nextToken"} {
		if len(q[name]) > 1 {
			return opts, invalid(name, "%s is given %d times; give it once", name, len(q[name]))
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			return opts, invalid("limit", "limit must be a whole number from 1 to %d", maxLimit)
		}
		opts.Limit = n
	}
	return opts, nil
}

// listBody is the JSON shape of every list.
type listBody[T any] struct {
	Items     []T    `json:"items"`
	NextToken string `json:"nextToken,omitempty"`
}

func newList[T any](items []T, next string) listBody[T] {
	if items == nil {
		items = []T{}
	}
	return listBody[T]{Items: items, NextToken: next}
}

// etag is the entity tag of a record version.
func etag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

// ifMatch returns the version named by the request's If-Match header: 428
// when the header is absent, 412 when it cannot name any version, since an
// entity tag that is not ours never matches.
func ifMatch(r *http.Request) (int64, error) {
	v := strings.TrimSpace(r.Header.Get("If-Match"))
	if v == "" {
		return 0, &Error{
			Status:  http.StatusPreconditionRequired,
			Code:    CodePreconditionRequired,
			Message: "this request needs an If-Match header with the ETag of the resource",
			Field:   "If-Match",
		}
	}
	v = strings.TrimPrefix(v, "W/")
	n, err := strconv.ParseInt(strings.Trim(v, `"`), 10, 64)
	if err != nil || n < 1 || len(v) < 3 || v[0] != '"' || v[len(v)-1] != '"' {
		return 0, &Error{
			Status:  http.StatusPreconditionFailed,
			Code:    CodePreconditionFailed,
			Message: fmt.Sprintf("If-Match %s does not match the resource's ETag", r.Header.Get("If-Match")),
			Field:   "If-Match",
		}
	}
	return n, nil
}

// stale is the 412 for an If-Match naming an old version.
func stale(what string, current int64) *Error {
	return &Error{
		Status: http.StatusPreconditionFailed,
		Code:   CodePreconditionFailed,
		Message: fmt.Sprintf("%s was changed since it was read (its ETag is now %s); get it again and retry",
			what, etag(current)),
		Field: "If-Match",
	}
}
