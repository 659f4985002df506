package ec2

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"sync"
	"testing"

	"github.com/drsorch/drsorch/internal/awstest"
	"github.com/drsorch/drsorch/internal/drs"
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

// ec2Error is EC2's XML error answer.
func ec2Error(status int, code, msg string) cannedResponse {
	return cannedResponse{status: status, body: fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>req-1</RequestID></Response>`, code, msg)}
}

// cannedTransport answers requests from a script, one response per request
// (the last repeats), and records the Action and the form of each request.
type cannedTransport struct {
	mu        sync.Mutex
	responses []cannedResponse
	actions   []string
	forms     []url.Values
	hosts     []string
	keys      []string // the access key that signed each request
}

func (c *cannedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	body, _ := io.ReadAll(r.Body)
	r.Body.Close()
	form, _ := url.ParseQuery(string(body))
	c.mu.Lock()
	c.actions = append(c.actions, form.Get("Action"))
	c.forms = append(c.forms, form)
	c.hosts = append(c.hosts, r.URL.Host)
	c.keys = append(c.keys, accessKey(r.Header.Get("Authorization")))
	resp := c.responses[0]
	if len(c.responses) > 1 {
		c.responses = c.responses[1:]
	}
	c.mu.Unlock()

	if resp.sendErr != nil {
		return nil, resp.sendErr
	}
	h := http.Header{"Content-Type": {"text/xml;charset=UTF-8"}}
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
	return append([]string(nil), c.actions...)
}

var credentialKey = regexp.MustCompile(`Credential=([^/]+)/`)

// accessKey reads the access key of a SigV4 Authorization header.
func accessKey(auth string) string {
	if m := credentialKey.FindStringSubmatch(auth); m != nil {
		return m[1]
	}
	return ""
}

// cannedClient is a Client whose every request is answered by rt, with
// retries as configured in cfg (MaxAttempts 1 when zero).
func cannedClient(t testing.TB, rt http.RoundTripper, cfg Config) *Client {
	t.Helper()
	isolateAWSEnv(t)
	cfg.Region = "us-east-1"
	cfg.Endpoint = "http://ec2.invalid"
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

var allClasses = []error{drs.ErrThrottled, drs.ErrConflict, drs.ErrQuota, drs.ErrValidation,
	drs.ErrNotFound, drs.ErrTransient}

// checkClass reports whether err is of class want (nil: none) and of no
// other class.
func checkClass(t *testing.T, err, want error) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want class %v", want)
	}
	for _, class := range allClasses {
		if got := errors.Is(err, class); got != (class == want) {
			t.Errorf("errors.Is(%v, %v) = %v, want %v", err, class, got, !got)
		}
	}
}

// recorder is a slog.Handler that keeps the messages it is handed.
type recorder struct {
	mu   sync.Mutex
	msgs []string
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, rec.Message)
	return nil
}
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *recorder) WithGroup(string) slog.Handler      { return r }

func (r *recorder) count(msg string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, m := range r.msgs {
		if m == msg {
			n++
		}
	}
	return n
}
