package drs

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/drs/types"
	"github.com/aws/smithy-go"
)

var allClasses = []error{ErrThrottled, ErrConflict, ErrQuota, ErrValidation, ErrNotFound, ErrTransient}

// checkClass reports whether err is of class want and of no other class.
func checkClass(t *testing.T, err, want error) {
	t.Helper()
	for _, class := range allClasses {
		if got := errors.Is(err, class); got != (class == want) {
			t.Errorf("errors.Is(%v, %v) = %v, want %v", err, class, got, !got)
		}
	}
}

func apiError(exception string, status int, extra ...string) cannedResponse {
	body := fmt.Sprintf(`{"message":"canned %s"}`, exception)
	h := map[string]string{"X-Amzn-ErrorType": exception}
	for i := 0; i+1 < len(extra); i += 2 {
		h[extra[i]] = extra[i+1]
	}
	return cannedResponse{status: status, header: h, body: body}
}

// TestClassification drives the real SDK client against canned answers and
// checks the class, the typed error, the step in the message and the API
// error code of each.
func TestClassification(t *testing.T) {
	type call func(context.Context, *Client) error
	start := func(ctx context.Context, c *Client) error {
		_, err := c.StartRecovery(ctx, []ServerLaunch{{SourceServerID: "s-00000000000000001"}}, true, nil)
		return err
	}
	jobs := func(ctx context.Context, c *Client) error {
		_, err := c.DescribeJobs(ctx, []string{"drsjob-00000000000000001"})
		return err
	}
	getLC := func(ctx context.Context, c *Client) error {
		_, err := c.GetLaunchConfiguration(ctx, "s-00000000000000001")
		return err
	}
	terminate := func(ctx context.Context, c *Client) error {
		_, err := c.TerminateRecoveryInstances(ctx, []string{"i-0123456789abcdef0"})
		return err
	}

	tests := []struct {
		name  string
		call  call
		resp  cannedResponse
		class error  // nil: no class
		typed any    // a pointer to a typed error errors.As must find, or nil
		step  string // the message's prefix
		code  string // smithy.APIError code, "" when not an API error
	}{
		{"conflict", start, apiError("ConflictException", 409),
			ErrConflict, new(*types.ConflictException), "start recovery: ", "ConflictException"},
		{"quota", start, apiError("ServiceQuotaExceededException", 402),
			ErrQuota, new(*types.ServiceQuotaExceededException), "start recovery: ", "ServiceQuotaExceededException"},
		{"throttling", jobs, apiError("ThrottlingException", 429, "Retry-After", "3"),
			ErrThrottled, new(*types.ThrottlingException), "describe jobs: ", "ThrottlingException"},
		{"throttling without a header, by status", jobs,
			cannedResponse{status: 429, body: `{"message":"slow down"}`},
			ErrThrottled, nil, "describe jobs: ", "UnknownError"},
		{"validation", jobs, apiError("ValidationException", 400),
			ErrValidation, new(*types.ValidationException), "describe jobs: ", "ValidationException"},
		{"validation not modeled for the operation", start, apiError("ValidationException", 400),
			ErrValidation, new(*smithy.GenericAPIError), "start recovery: ", "ValidationException"},
		{"not found", getLC, apiError("ResourceNotFoundException", 404),
			ErrNotFound, new(*types.ResourceNotFoundException), "get launch configuration: ", "ResourceNotFoundException"},
		{"internal server error", jobs, apiError("InternalServerException", 500, "Retry-After", "1"),
			ErrTransient, new(*types.InternalServerException), "describe jobs: ", "InternalServerException"},
		{"bad gateway", terminate, cannedResponse{status: 502, body: "<html>bad gateway</html>"},
			ErrTransient, nil, "terminate recovery instances: ", ""},
		{"conflict by body code only", terminate,
			cannedResponse{status: 409, body: `{"code":"ConflictException","message":"busy"}`},
			ErrConflict, new(*types.ConflictException), "terminate recovery instances: ", "ConflictException"},
		{"uninitialized account is no class", jobs, apiError("UninitializedAccountException", 400),
			nil, new(*types.UninitializedAccountException), "describe jobs: ", "UninitializedAccountException"},
		{"access denied is no class", terminate, apiError("AccessDeniedException", 403),
			nil, nil, "terminate recovery instances: ", "AccessDeniedException"},
		{"unknown route is no class", jobs, apiError("UnknownOperationException", 404),
			nil, nil, "describe jobs: ", "UnknownOperationException"},
		{"connection refused", start,
			cannedResponse{sendErr: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}},
			ErrTransient, new(*net.OpError), "start recovery: ", ""},
		{"truncated answer", jobs,
			cannedResponse{status: 200, body: `{"items":[{"jobID":"drsjob-`},
			nil, nil, "describe jobs: ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := &cannedTransport{responses: []cannedResponse{tt.resp}}
			c := cannedClient(t, rt, Config{})
			err := tt.call(t.Context(), c)
			if err == nil {
				t.Fatal("no error")
			}
			checkClass(t, err, tt.class)
			if !strings.HasPrefix(err.Error(), tt.step) {
				t.Errorf("error %q does not start with %q", err, tt.step)
			}
			if tt.typed != nil && !errors.As(err, tt.typed) {
				t.Errorf("errors.As(%v, %T) = false", err, tt.typed)
			}
			var apiErr smithy.APIError
			code := ""
			if errors.As(err, &apiErr) {
				code = apiErr.ErrorCode()
			}
			t.Logf("error: %v", err)
			if code != tt.code {
				t.Errorf("API error code = %q, want %q", code, tt.code)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Errorf("errors.As(%v, *Error) = false", err)
			}
		})
	}
}

func TestClassificationOfLocalErrors(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name  string
		err   error
		class error
	}{
		{"canceled", fmt.Errorf("op: %w", context.Canceled), nil},
		{"deadline", fmt.Errorf("op: %w", context.DeadlineExceeded), ErrTransient},
		{"missing required member", smithy.InvalidParamsError{Context: "StartRecoveryInput"}, ErrValidation},
		{"plain", errors.New("something else"), nil},
		{"timeout", &net.DNSError{IsTimeout: true}, ErrTransient},
		{"canceled context", ctx.Err(), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classify(tt.err); got != tt.class {
				t.Errorf("classify(%v) = %v, want %v", tt.err, got, tt.class)
			}
		})
	}
}

func TestRefusalsMakeNoRequest(t *testing.T) {
	many := func(n int, f func(int) string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = f(i)
		}
		return out
	}
	servers := func(n int) []ServerLaunch {
		var out []ServerLaunch
		for _, id := range many(n, func(i int) string { return fmt.Sprintf("s-%017d", i) }) {
			out = append(out, ServerLaunch{SourceServerID: id})
		}
		return out
	}
	tests := []struct {
		name string
		call func(context.Context, *Client) error
		step string
	}{
		{"201 servers", func(ctx context.Context, c *Client) error {
			_, err := c.StartRecovery(ctx, servers(201), false, nil)
			return err
		}, "start recovery: 201 servers, more than the 200 one call accepts"},
		{"no servers", func(ctx context.Context, c *Client) error {
			_, err := c.StartRecovery(ctx, nil, false, nil)
			return err
		}, "start recovery: no servers"},
		{"201 instances", func(ctx context.Context, c *Client) error {
			_, err := c.TerminateRecoveryInstances(ctx, many(201, func(i int) string { return fmt.Sprintf("i-%017x", i) }))
			return err
		}, "terminate recovery instances: 201 recovery instances, more than the 200 one call accepts"},
		{"no instances", func(ctx context.Context, c *Client) error {
			_, err := c.TerminateRecoveryInstances(ctx, nil)
			return err
		}, "terminate recovery instances: no recovery instances"},
		{"backwards range", func(ctx context.Context, c *Client) error {
			now := time.Now()
			_, err := c.FindJobs(ctx, now, now.Add(-time.Hour))
			return err
		}, "find jobs: range ends"},
		{"no job", func(ctx context.Context, c *Client) error {
			_, err := c.DescribeJobLog(ctx, "")
			return err
		}, "describe job log: no job ID"},
		{"no server for snapshots", func(ctx context.Context, c *Client) error {
			_, err := c.DescribeSnapshots(ctx, "", time.Time{}, time.Time{})
			return err
		}, "describe recovery snapshots: no source server ID"},
		{"no server for launch configuration", func(ctx context.Context, c *Client) error {
			_, err := c.UpdateLaunchConfiguration(ctx, LaunchConfiguration{})
			return err
		}, "update launch configuration: no source server ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := &cannedTransport{responses: []cannedResponse{{status: 500}}}
			c := cannedClient(t, rt, Config{})
			err := tt.call(t.Context(), c)
			checkClass(t, err, ErrValidation)
			if err == nil || !strings.HasPrefix(err.Error(), tt.step) {
				t.Errorf("error %v, want it to start with %q", err, tt.step)
			}
			if got := rt.requests(); len(got) != 0 {
				t.Errorf("requests %v, want none", got)
			}
		})
	}
}
