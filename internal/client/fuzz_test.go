package client

import (
	"bufio"
	"errors"
	"strings"
	"testing"

	"github.com/drsorch/drsorch/internal/plan"
)

// FuzzReadEvents feeds arbitrary event streams to the SSE parser: it
// never panics, and it either ends cleanly or says what was wrong.
func FuzzReadEvents(f *testing.F) {
	for _, seed := range []string{
		"id: 1\nevent: server_launched\ndata: {\"seq\":1,\"type\":\"server_launched\"}\n\n",
		": keepalive\n\ndata: {\"seq\":2}\ndata: \n\n",
		"data: {\"seq\":3", "data: [1,2]\n\n", "data: {\"seq\": 1e400}\n\n",
		"id: 9\r\ndata: {}\r\n\r\n", strings.Repeat("data: x", 10000) + "\n\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, stream string) {
		n := 0
		err := readEvents(bufio.NewScanner(strings.NewReader(stream)), func(plan.Event) error { n++; return nil })
		if err != nil && !strings.HasPrefix(err.Error(), "event stream: ") {
			t.Fatalf("readEvents: %v, want an error naming the event stream", err)
		}
		stop := errors.New("stop")
		if err := readEvents(bufio.NewScanner(strings.NewReader(stream)), func(plan.Event) error { return stop }); n > 0 && !errors.Is(err, stop) {
			t.Fatalf("readEvents after fn's error: %v, want fn's error", err)
		}
	})
}

// FuzzDecodeError reads arbitrary error bodies: always an *Error with the
// status, and a code unless the body is an error document without one.
func FuzzDecodeError(f *testing.F) {
	for _, seed := range []string{
		`{"error": {"code": "invalid", "message": "m", "field": "f", "details": [{"code": "c"}]}}`,
		`<html>bad gateway</html>`, `{"error": null}`, `{"error": {"details": "x"}}`, ``,
	} {
		f.Add(502, []byte(seed))
	}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		err := decodeError(status, body)
		var e *Error
		if !errors.As(err, &e) || e.StatusCode != status {
			t.Fatalf("decodeError(%d, %q) = %v, want an *Error with the status", status, body, err)
		}
		// An error document without a code ({"error": {}}) keeps the
		// empty code; anything else that is no error document gets one.
		if e.Code == "" && !strings.Contains(string(body), `"error"`) {
			t.Fatalf("decodeError(%d, %q): no code", status, body)
		}
	})
}
