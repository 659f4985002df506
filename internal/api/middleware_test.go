package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
	"github.com/drsorch/drsorch/internal/store/sqlitestore"
)

// panicStore panics on every group list, standing in for a handler bug.
type panicStore struct{ *sqlitestore.Store }

func (panicStore) ListGroups(context.Context, store.ListOptions) (store.Page[plan.ProtectionGroup], error) {
	panic("boom in the store")
}

func TestPanicBecomes500(t *testing.T) {
	base := newTestEnv(t)
	e := newTestEnvWith(t, panicStore{base.store.(*sqlitestore.Store)})
	rec := e.do("GET", "/api/v1/protection-groups", nil)
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500; body %s", rec.Code, rec.Body)
	}
	var body errorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Error.Code != CodeInternal {
		t.Errorf("body %s (%v), want an internal error", rec.Body, err)
	}
	if strings.Contains(rec.Body.String(), "boom") {
		t.Errorf("the panic leaked into the response: %s", rec.Body)
	}
	if logs := e.logs.String(); !strings.Contains(logs, "boom in the store") {
		t.Errorf("the log lacks the panic:\n%s", logs)
	}
}

func TestRequestIDAndLog(t *testing.T) {
	e := newTestEnv(t)
	tests := []struct {
		name, sent string
		keep       bool
	}{
		{"client's ID kept", "abc-123", true},
		{"none sent", "", false},
		{"unsafe ID replaced", "a b\nc", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := e.do("GET", "/healthz", nil, RequestIDHeader, tt.sent)
			got := rec.Header().Get(RequestIDHeader)
			if got == "" || (got == tt.sent) != tt.keep {
				t.Errorf("request ID %q for %q; keep=%v", got, tt.sent, tt.keep)
			}
			if !strings.Contains(e.logs.String(), "request_id="+got) {
				t.Errorf("no log line with request_id=%s:\n%s", got, e.logs)
			}
		})
	}

	// The log line has method, path, status and duration, and no body.
	e.do("POST", "/api/v1/protection-groups", `{"name": "secret-body-value"}`)
	logs := e.logs.String()
	for _, want := range []string{"method=POST", "path=/api/v1/protection-groups", "status=400", "duration="} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "secret-body-value") {
		t.Errorf("the log holds a request body:\n%s", logs)
	}
}

func TestReadyz(t *testing.T) {
	e := newTestEnv(t)
	if rec := e.do("GET", "/readyz", nil); rec.Code != http.StatusOK {
		t.Fatalf("readyz on an open store: %d %s", rec.Code, rec.Body)
	}
	e.store.Close()
	if rec := e.do("GET", "/readyz", nil); rec.Code != http.StatusServiceUnavailable {
		t.Errorf("readyz on a closed store: %d %s, want 503", rec.Code, rec.Body)
	}
	if rec := e.do("GET", "/healthz", nil); rec.Code != http.StatusOK {
		t.Errorf("healthz on a closed store: %d, want 200", rec.Code)
	}
}
