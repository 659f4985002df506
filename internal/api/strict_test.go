package api

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/drsorch/drsorch/internal/plan"
)

// TestDecodeRefusesAmbiguity covers bodies that encoding/json would take
// with a guess: invalid UTF-8 (replaced by U+FFFD) and a key given twice
// (the last one wins). Both are 400s naming the problem.
func TestDecodeRefusesAmbiguity(t *testing.T) {
	tests := []struct {
		name, body, field, message string
	}{
		{"invalid UTF-8", "{\"name\": \"db\xff\"}", "", "not valid UTF-8"},
		{"duplicate key", `{"name": "a", "name": "b"}`, "name", "appears twice"},
		{"duplicate nested key", `{"name": "a", "waves": [{"name": "w"}, {"name": "v", "pauseBefore": true, "pauseBefore": false}]}`,
			"waves[1].pauseBefore", "appears twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/", strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/json")
			var p plan.RecoveryPlan
			err := decode(httptest.NewRecorder(), req, &p)
			var he *Error
			if !errors.As(err, &he) || he.Status != http.StatusBadRequest || he.Field != tt.field ||
				!strings.Contains(he.Message, tt.message) {
				t.Errorf("decode = %v, want a 400 at %q saying %q", err, tt.field, tt.message)
			}
		})
	}
}

// TestListOptionsOnce refuses a list parameter given twice.
func TestListOptionsOnce(t *testing.T) {
	for _, q := range []string{"limit=1&limit=2", "nextToken=a&nextToken=b"} {
		_, err := listOptions(httptest.NewRequest("GET", "/?"+q, nil))
		var he *Error
		if !errors.As(err, &he) || he.Status != http.StatusBadRequest {
			t.Errorf("listOptions(%s) = %v, want a 400", q, err)
		}
	}
	if opts, err := listOptions(httptest.NewRequest("GET", "/?limit=7", nil)); err != nil || opts.Limit != 7 {
		t.Errorf("listOptions(limit=7) = %+v, %v", opts, err)
	}
}
