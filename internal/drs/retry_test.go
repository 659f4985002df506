package drs

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/drs/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/google/go-cmp/cmp"
)

// responseError builds the error the SDK hands its retryer for an answer
// with the given status and Retry-After.
func responseError(status int, retryAfter string, typed error) error {
	h := http.Header{}
	if retryAfter != "" {
		h.Set("Retry-After", retryAfter)
	}
	return &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status, Header: h}},
		Err:      typed,
	}
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		want   time.Duration
		wantOK bool
	}{
		{"header seconds", responseError(429, "3", &types.ThrottlingException{}), 3 * time.Second, true},
		{"header zero", responseError(429, "0", &types.ThrottlingException{}), 0, true},
		{"header with spaces", responseError(500, " 2 ", &types.InternalServerException{}), 2 * time.Second, true},
		{"header negative", responseError(429, "-1", &types.ThrottlingException{}), 0, false},
		{"header garbage", responseError(429, "soon", &types.ThrottlingException{}), 0, false},
		{"header huge", responseError(429, "99999999999999", &types.ThrottlingException{}), maxRetryAfter, true},
		{"header date in the past", responseError(429, "Mon, 02 Jan 2006 15:04:05 GMT", &types.ThrottlingException{}), 0, true},
		{"no header", responseError(429, "", &types.ThrottlingException{}), 0, false},
		{"throttling member", &types.ThrottlingException{RetryAfterSeconds: aws.String("4")}, 4 * time.Second, true},
		{"internal member", &types.InternalServerException{RetryAfterSeconds: 5}, 5 * time.Second, true},
		{"unrelated", errors.New("x"), 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := RetryAfter(tt.err)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("RetryAfter = %v, %v; want %v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

// TestBackoffDelay checks the bounds of every wait, with the random draw
// pinned to its smallest and its largest value.
func TestBackoffDelay(t *testing.T) {
	throttled := func(ra string) error { return responseError(429, ra, &types.ThrottlingException{}) }
	internal := responseError(500, "", &types.InternalServerException{})
	tests := []struct {
		name     string
		attempt  int
		err      error
		min, max time.Duration
	}{
		{"retry-after honoured", 1, throttled("3"), 3 * time.Second, 3*time.Second + 600*time.Millisecond - 1},
		{"retry-after capped", 1, throttled("60"), 20 * time.Second, 20 * time.Second},
		{"retry-after zero", 4, throttled("0"), 0, 0},
		{"throttled without retry-after", 1, throttled(""), 0, 500*time.Millisecond - 1},
		{"throttled, later attempt", 3, throttled(""), 0, 2*time.Second - 1},
		{"server error", 1, internal, 0, 100*time.Millisecond - 1},
		{"server error, later attempt", 4, internal, 0, 800*time.Millisecond - 1},
		{"server error, capped", 20, internal, 0, 20*time.Second - 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []time.Duration
			for _, draw := range []func(int64) int64{
				func(int64) int64 { return 0 },
				func(n int64) int64 { return n - 1 },
			} {
				b := &backoff{max: defaultMaxBackoff, log: slog.New(slog.DiscardHandler), rand: draw}
				d, err := b.BackoffDelay(tt.attempt, tt.err)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, d)
			}
			if diff := cmp.Diff([]time.Duration{tt.min, tt.max}, got); diff != "" {
				t.Errorf("delays at the lowest and highest draw mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// recorder is a slog.Handler that keeps the records it is handed.
type recorder struct {
	mu      sync.Mutex
	records []slog.Record
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.records = append(r.records, rec.Clone())
	return nil
}
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *recorder) WithGroup(string) slog.Handler      { return r }

// retryDelays returns the delay of every "retrying" record.
func (r *recorder) retryDelays() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []time.Duration
	for _, rec := range r.records {
		if rec.Message != "retrying drs request" {
			continue
		}
		rec.Attrs(func(a slog.Attr) bool {
			if a.Key == "delay" {
				out = append(out, a.Value.Duration())
			}
			return true
		})
	}
	return out
}

// TestRetries runs the real SDK retry loop with our retryer over canned
// answers: what is retried, how often, and what the caller finally sees.
func TestRetries(t *testing.T) {
	ok := cannedResponse{status: 200, body: `{"items":[]}`}
	throttle := apiError("ThrottlingException", 429, "Retry-After", "0")
	internal := apiError("InternalServerException", 500, "Retry-After", "0")
	conflict := apiError("ConflictException", 409)
	tests := []struct {
		name      string
		responses []cannedResponse
		attempts  int
		requests  int
		class     error // of the final error; nil with wantErr false: success
		wantErr   bool
	}{
		{"throttled twice, then served", []cannedResponse{throttle, throttle, ok}, 5, 3, nil, false},
		{"server errors until the attempts run out", []cannedResponse{internal}, 3, 3, ErrTransient, true},
		{"throttled until the attempts run out", []cannedResponse{throttle}, 4, 4, ErrThrottled, true},
		{"a conflict is not retried", []cannedResponse{conflict, ok}, 5, 1, ErrConflict, true},
		{"a bare 503 is retried", []cannedResponse{{status: 503, body: "{}"}, ok}, 5, 2, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := &cannedTransport{responses: tt.responses}
			rec := &recorder{}
			c := cannedClient(t, rt, Config{MaxAttempts: tt.attempts, Logger: slog.New(rec)})
			_, err := c.DescribeJobs(t.Context(), []string{"drsjob-00000000000000001"})
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want error: %v", err, tt.wantErr)
			}
			if tt.wantErr {
				checkClass(t, err, tt.class)
			}
			if got := len(rt.requests()); got != tt.requests {
				t.Errorf("%d requests, want %d", got, tt.requests)
			}
			if got := len(rec.retryDelays()); got != tt.requests-1 {
				t.Errorf("%d retries logged, want %d", got, tt.requests-1)
			}
		})
	}
}

// TestStartsJobRetries checks that the calls that start jobs are retried
// only when the answer says nothing was done.
func TestStartsJobRetries(t *testing.T) {
	started := cannedResponse{status: 202, body: `{"job":{"jobID":"drsjob-00000000000000001","status":"PENDING"}}`}
	throttle := apiError("ThrottlingException", 429, "Retry-After", "0")
	internal := apiError("InternalServerException", 500, "Retry-After", "0")
	refused := cannedResponse{sendErr: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}}
	reset := cannedResponse{sendErr: &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}}
	tests := []struct {
		name      string
		responses []cannedResponse
		requests  int
		class     error // nil: success
	}{
		{"throttled, then started", []cannedResponse{throttle, throttle, started}, 3, nil},
		{"connection refused, then started", []cannedResponse{refused, started}, 2, nil},
		{"a server error may have started it", []cannedResponse{internal, started}, 1, ErrTransient},
		{"a lost answer may have started it", []cannedResponse{reset, started}, 1, ErrTransient},
	}
	for _, tt := range tests {
		for _, op := range []string{"StartRecovery", "TerminateRecoveryInstances"} {
			t.Run(op+": "+tt.name, func(t *testing.T) {
				rt := &cannedTransport{responses: slices.Clone(tt.responses)}
				c := cannedClient(t, rt, Config{MaxAttempts: 5})
				var err error
				if op == "StartRecovery" {
					_, err = c.StartRecovery(t.Context(), []ServerLaunch{{SourceServerID: "s-00000000000000001"}}, false, nil)
				} else {
					_, err = c.TerminateRecoveryInstances(t.Context(), []string{"i-0123456789abcdef0"})
				}
				if tt.class == nil && err != nil {
					t.Fatalf("error %v, want success", err)
				}
				if tt.class != nil {
					checkClass(t, err, tt.class)
				}
				if got := len(rt.requests()); got != tt.requests {
					t.Errorf("%d requests, want %d", got, tt.requests)
				}
			})
		}
	}
}
