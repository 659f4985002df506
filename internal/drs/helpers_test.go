package drs

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/drsorch/drsorch/internal/awstest"
)

// isolateAWSEnv points the SDK's configuration at nothing from the machine
// running the tests: static test credentials, no shared files, no instance
// metadata, no endpoint or retry settings from the environment.
func isolateAWSEnv(t testing.TB) { awstest.IsolateEnv(t) }

// cannedResponse is one answer of a cannedTransport.
type cannedResponse struct {
	status  int
	header  map[string]string
	body    string
	sendErr error // returned instead of a response
}

// cannedTransport answers requests from a script, one response per request
// (the last repeats), and records the operation of each request.
type cannedTransport struct {
	mu        sync.Mutex
	responses []cannedResponse
	ops       []string
}

func (c *cannedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	c.mu.Lock()
	c.ops = append(c.ops, strings.TrimPrefix(r.URL.Path, "/"))
	resp := c.responses[0]
	if len(c.responses) > 1 {
		c.responses = c.responses[1:]
	}
	c.mu.Unlock()

	if resp.sendErr != nil {
		return nil, resp.sendErr
	}
	h := http.Header{"Content-Type": {"application/json"}}
	for k, v := range resp.header {
		h.Set(k, v)
	}
	return &http.Response{
		StatusCode:    resp.status,
		Status:        http.StatusText(resp.status),
		Header:        h,
		Body:          io.NopCloser(bytes.NewBufferString(resp.body)),
		ContentLength: int64(len(resp.body)),
		Request:       r,
	}, nil
}

func (c *cannedTransport) requests() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.ops...)
}

// cannedClient is a Client whose every request is answered by rt, with
// retries as configured in cfg (MaxAttempts 1 when zero).
func cannedClient(t testing.TB, rt http.RoundTripper, cfg Config) *Client {
	t.Helper()
	isolateAWSEnv(t)
	cfg.Region = "us-east-1"
	cfg.Endpoint = "http://drs.invalid"
	cfg.HTTPClient = &http.Client{Transport: rt}
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = 1
	}
	c, err := NewClient(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
