package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestUIMountedAtRoot checks the wiring of the served binary: the web UI
// answers every path outside the API, and the API keeps its own.
func TestUIMountedAtRoot(t *testing.T) {
	_, url := startDemo(t, fastDemo(t, t.TempDir()))
	tests := []struct {
		path, contentType, want string
	}{
		{"/", "text/html; charset=utf-8", `id="active"`},
		{"/plans", "text/html; charset=utf-8", ">shop</a>"},
		{"/static/app.js", "text/javascript; charset=utf-8", "text/event-stream"},
		{"/api/v1/recovery-plans", "application/json", `"name":"shop"`},
		{"/healthz", "", ""},
	}
	for _, tt := range tests {
		resp, err := http.Get(url + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 {
			t.Errorf("%s: status %d", tt.path, resp.StatusCode)
		}
		if ct := resp.Header.Get("Content-Type"); tt.contentType != "" && !strings.HasPrefix(ct, tt.contentType) {
			t.Errorf("%s: Content-Type %q, want %q", tt.path, ct, tt.contentType)
		}
		if !strings.Contains(string(body), tt.want) {
			t.Errorf("%s: body lacks %q", tt.path, tt.want)
		}
	}
}
