package main

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/drsorch/drsorch/internal/auth/authtest"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenStore(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		spec    string
		wantErr string
	}{
		{"sqlite:" + filepath.Join(dir, "ok.db"), ""},
		{"sqlite:", "want sqlite:PATH"},
		{"drsorch.db", "want sqlite:PATH"},
		{"postgres:db", `unknown kind "postgres"`},
		{"sqlite:" + dir, "is a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			st, err := openStore(context.Background(), tt.spec)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("openStore: %v", err)
				}
				st.Close()
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("openStore(%q) error = %v, want one containing %q", tt.spec, err, tt.wantErr)
			}
		})
	}
}

func TestNewLogger(t *testing.T) {
	tests := []struct {
		format, level string
		wantErr       bool
		debugShown    bool
	}{
		{"text", "info", false, false},
		{"json", "debug", false, true},
		{"json", "DEBUG", false, true},
		{"text", "warn", false, false},
		{"yaml", "info", true, false},
		{"text", "loud", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.format+"/"+tt.level, func(t *testing.T) {
			var buf bytes.Buffer
			log, err := newLogger(&buf, tt.format, tt.level)
			if (err != nil) != tt.wantErr {
				t.Fatalf("newLogger error = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			log.Debug("probe")
			if got := strings.Contains(buf.String(), "probe"); got != tt.debugShown {
				t.Errorf("debug line shown = %v, want %v (%q)", got, tt.debugShown, buf.String())
			}
			if tt.format == "json" && buf.Len() > 0 && !json.Valid(bytes.TrimSpace(buf.Bytes())) {
				t.Errorf("json format wrote %q", buf.String())
			}
		})
	}
}

// TestAppServe runs the wired app in-process: its routes answer, and
// cancelling the context shuts it down cleanly.
func TestAppServe(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := newApp(ctx, appConfig{
		Store:       "sqlite:" + filepath.Join(t.TempDir(), "drsorch.db"),
		Region:      "us-east-1",
		DRSEndpoint: "http://127.0.0.1:9",
	})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.serve(ctx, ln) }()
	base := "http://" + ln.Addr().String()

	token := authtest.AdminToken(t, a.store)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	for _, tc := range []struct {
		method, path, body string
		token              string
		want               int
	}{
		{"GET", "/healthz", "", "", http.StatusOK},
		{"GET", "/readyz", "", "", http.StatusOK},
		{"GET", "/api/v1/openapi.json", "", "", http.StatusUnauthorized},
		{"GET", "/api/v1/openapi.json", "", token, http.StatusOK},
		{"POST", "/api/v1/protection-groups", `{"name": "db", "sourceServerIds": ["s-00000000000000001"]}`, "", http.StatusUnauthorized},
		{"POST", "/api/v1/protection-groups", `{"name": "db", "sourceServerIds": ["s-00000000000000001"]}`, token, http.StatusCreated},
		{"GET", "/api/v1/protection-groups", "", token, http.StatusOK},
		{"GET", "/api/v1/audit", "", token, http.StatusOK},
		{"GET", "/nothing", "", "", http.StatusSeeOther},
		{"GET", "/signin", "", "", http.StatusOK},
	} {
		req, err := http.NewRequest(tc.method, base+tc.path, strings.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		if tc.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s %s: %d %s, want %d", tc.method, tc.path, resp.StatusCode, b, tc.want)
		}
		for _, h := range []string{"Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy"} {
			if resp.Header.Get(h) == "" {
				t.Errorf("%s %s: no %s header", tc.method, tc.path, h)
			}
		}
	}

	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve after cancel: %v", err)
	}
}
