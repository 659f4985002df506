package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestReadyzReasons: /readyz is 503 with the reason while the Ready check
// fails, and 200 again once it passes.
func TestReadyzReasons(t *testing.T) {
	e := newTestEnv(t)
	var fail error
	srv := New(Options{Store: e.store, Ready: func(context.Context) error { return fail }})
	get := func() (int, healthBody) {
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
		var b healthBody
		if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil {
			t.Fatalf("readyz body %q: %v", rec.Body, err)
		}
		return rec.Code, b
	}
	tests := []struct {
		fail   error
		status int
		body   healthBody
	}{
		{nil, http.StatusOK, healthBody{Status: "ok"}},
		{errors.New("describe jobs: connection refused"), http.StatusServiceUnavailable,
			healthBody{Status: "degraded", Reason: "describe jobs: connection refused"}},
		{errors.New(strings.Repeat("é", 600)), http.StatusServiceUnavailable,
			healthBody{Status: "degraded", Reason: strings.Repeat("é", 500) + "…"}},
		{nil, http.StatusOK, healthBody{Status: "ok"}},
	}
	for _, tt := range tests {
		fail = tt.fail
		code, body := get()
		if code != tt.status {
			t.Errorf("readyz with %v: %d, want %d", tt.fail, code, tt.status)
		}
		if diff := cmp.Diff(tt.body, body); diff != "" {
			t.Errorf("readyz with %v: mismatch (-want +got):\n%s", tt.fail, diff)
		}
	}
}
