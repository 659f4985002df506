package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestUIMountedAtRoot checks the wiring of the served binary: the web UI
// answers every path outside the API, and the API keeps its own. The
// browser signs in with the link the demo prints.
func TestUIMountedAtRoot(t *testing.T) {
	d, url := startDemo(t, fastDemo(t, t.TempDir()))
	var welcome strings.Builder
	d.printWelcome(&welcome, url)
	link := regexp.MustCompile(`http://\S+/signin\?token=\S+`).FindString(welcome.String())
	if link == "" || !strings.Contains(welcome.String(), "export DRSORCH_TOKEN="+d.token) {
		t.Fatalf("welcome lacks the sign-in link or the export line:\n%s", welcome.String())
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	browser := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	resp, err := browser.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.String() != url+"/" {
		t.Fatalf("the sign-in link led to %s, want %s/ without the token", resp.Request.URL, url)
	}
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
		resp, err := browser.Get(url + tt.path)
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
