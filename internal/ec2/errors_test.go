package ec2

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/drs"
)

func TestCodeClass(t *testing.T) {
	tests := []struct {
		code string
		want error
	}{
		{"RequestLimitExceeded", drs.ErrThrottled},
		{"Throttling", drs.ErrThrottled},
		{"InvalidSubnetID.NotFound", drs.ErrNotFound},
		{"InvalidGroup.NotFound", drs.ErrNotFound},
		{"InvalidInstanceID.NotFound", drs.ErrNotFound},
		{"InvalidLaunchTemplateId.NotFound", drs.ErrNotFound},
		{"InvalidLaunchTemplateId.VersionNotFound", drs.ErrNotFound},
		{"InvalidLaunchTemplateName.NotFoundException", drs.ErrNotFound},
		{"InvalidNetworkInterfaceID.NotFound", drs.ErrNotFound},
		{"InvalidParameterValue", drs.ErrValidation},
		{"InvalidParameterCombination", drs.ErrValidation},
		{"MissingParameter", drs.ErrValidation},
		{"InvalidFilter", drs.ErrValidation},
		{"InvalidLaunchTemplateId.Malformed", drs.ErrValidation},
		{"InvalidSubnetID.Malformed", drs.ErrValidation},
		{"InvalidIPAddress.InUse", drs.ErrConflict},
		{"IncorrectState", drs.ErrConflict},
		{"IdempotentParameterMismatch", drs.ErrConflict},
		{"VersionLimitExceeded", drs.ErrQuota},
		{"InternalError", drs.ErrTransient},
		{"Unavailable", drs.ErrTransient},
		{"UnauthorizedOperation", nil},
		{"AuthFailure", nil},
		{"", nil},
	}
	for _, tt := range tests {
		if got := codeClass(tt.code); got != tt.want {
			t.Errorf("codeClass(%q) = %v, want %v", tt.code, got, tt.want)
		}
	}
}

// TestClassification drives the real SDK client against canned EC2 answers
// and checks the class, the step in the message and the API error code.
func TestClassification(t *testing.T) {
	subnets := func(ctx context.Context, c *Client) error {
		_, err := c.DescribeSubnets(ctx, []string{"subnet-0e5a1d00000000099"})
		return err
	}
	template := func(ctx context.Context, c *Client) error {
		_, err := c.DefaultTemplateVersion(ctx, "lt-0123456789abcdef0")
		return err
	}
	setDefault := func(ctx context.Context, c *Client) error {
		return c.SetDefaultVersion(ctx, "lt-0123456789abcdef0", 3)
	}
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}

	tests := []struct {
		name  string
		call  func(context.Context, *Client) error
		resp  cannedResponse
		class error
		step  string
		code  string // "" when not an API error
	}{
		{"unknown subnet", subnets, ec2Error(400, "InvalidSubnetID.NotFound", "The subnet ID 'subnet-0e5a1d00000000099' does not exist"),
			drs.ErrNotFound, "describe subnets: ", "InvalidSubnetID.NotFound"},
		{"unknown template", template, ec2Error(400, "InvalidLaunchTemplateId.NotFound", "no template"),
			drs.ErrNotFound, "describe launch template versions: ", "InvalidLaunchTemplateId.NotFound"},
		{"unknown version", setDefault, ec2Error(400, "InvalidLaunchTemplateId.VersionNotFound", "no version 3"),
			drs.ErrNotFound, "modify launch template: ", "InvalidLaunchTemplateId.VersionNotFound"},
		{"throttled", subnets, ec2Error(503, "RequestLimitExceeded", "Request limit exceeded."),
			drs.ErrThrottled, "describe subnets: ", "RequestLimitExceeded"},
		{"invalid value", setDefault, ec2Error(400, "InvalidParameterValue", "bad"),
			drs.ErrValidation, "modify launch template: ", "InvalidParameterValue"},
		{"malformed ID", template, ec2Error(400, "InvalidLaunchTemplateId.Malformed", "bad id"),
			drs.ErrValidation, "describe launch template versions: ", "InvalidLaunchTemplateId.Malformed"},
		{"internal error", subnets, ec2Error(500, "InternalError", "oops"),
			drs.ErrTransient, "describe subnets: ", "InternalError"},
		{"5xx without a known code", subnets, cannedResponse{status: 502, body: "<html>bad gateway</html>"},
			drs.ErrTransient, "describe subnets: ", ""},
		{"not allowed", subnets, ec2Error(403, "UnauthorizedOperation", "You are not authorized"),
			nil, "describe subnets: ", "UnauthorizedOperation"},
		{"connection refused", subnets, cannedResponse{sendErr: refused},
			drs.ErrTransient, "describe subnets: ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := &cannedTransport{responses: []cannedResponse{tt.resp}}
			c := cannedClient(t, rt, Config{})
			err := tt.call(t.Context(), c)
			checkClass(t, err, tt.class)
			if !strings.HasPrefix(err.Error(), tt.step) {
				t.Errorf("error %q does not start with %q", err, tt.step)
			}
			var apiErr smithy.APIError
			if tt.code == "" {
				if errors.As(err, &apiErr) && apiErr.ErrorCode() != "UnknownError" {
					t.Errorf("API error code %q, want none", apiErr.ErrorCode())
				}
			} else if !errors.As(err, &apiErr) || apiErr.ErrorCode() != tt.code {
				t.Errorf("errors.As smithy.APIError: %v, want code %s", err, tt.code)
			}
			if n := len(rt.requests()); n != 1 {
				t.Errorf("%d requests with MaxAttempts 1, want 1", n)
			}
		})
	}
}

// TestLocalRefusals: calls that cannot mean anything are refused as
// validation errors without a request.
func TestLocalRefusals(t *testing.T) {
	rt := &cannedTransport{responses: []cannedResponse{{status: 500}}}
	c := cannedClient(t, rt, Config{})
	ctx := t.Context()
	_, err1 := c.DefaultTemplateVersion(ctx, "")
	_, err2 := c.CreateTemplateVersion(ctx, "", 1, TemplateData{}, "")
	_, err3 := c.CreateTemplateVersion(ctx, "lt-1", 0, TemplateData{}, "")
	err4 := c.SetDefaultVersion(ctx, "lt-1", 0)
	err5 := c.SetDefaultVersion(ctx, "", 2)
	for i, err := range []error{err1, err2, err3, err4, err5} {
		if !errors.Is(err, drs.ErrValidation) {
			t.Errorf("call %d: %v, want drs.ErrValidation", i+1, err)
		}
	}
	if got := rt.requests(); len(got) != 0 {
		t.Errorf("requests %v, want none", got)
	}
}

// TestRetries: throttling and 5xx are retried with the DRS client's
// backoff until an answer comes, and logged as ec2 retries; a permanent
// error is not retried.
func TestRetries(t *testing.T) {
	ok := cannedResponse{status: 200, body: `<DescribeSubnetsResponse><requestId>r</requestId><subnetSet>
<item><subnetId>subnet-0e5a1d00000000011</subnetId><vpcId>vpc-0e5a1d00000000001</vpcId><cidrBlock>10.10.1.0/24</cidrBlock><availabilityZone>us-east-1a</availabilityZone></item>
</subnetSet></DescribeSubnetsResponse>`}
	tests := []struct {
		name     string
		script   []cannedResponse
		attempts int
		wantErr  error
		requests int
	}{
		{"throttled twice", []cannedResponse{ec2Error(503, "RequestLimitExceeded", "slow"),
			ec2Error(503, "RequestLimitExceeded", "slow"), ok}, 5, nil, 3},
		{"internal error once", []cannedResponse{ec2Error(500, "InternalError", "x"), ok}, 5, nil, 2},
		{"throttled past the attempts", []cannedResponse{ec2Error(503, "RequestLimitExceeded", "slow")}, 3, drs.ErrThrottled, 3},
		{"not found, not retried", []cannedResponse{ec2Error(400, "InvalidSubnetID.NotFound", "x"), ok}, 5, drs.ErrNotFound, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := &cannedTransport{responses: tt.script}
			rec := &recorder{}
			c := cannedClient(t, rt, Config{MaxAttempts: tt.attempts, MaxBackoff: time.Millisecond,
				Logger: slog.New(rec)})
			got, err := c.DescribeSubnets(t.Context(), []string{"subnet-0e5a1d00000000011"})
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error %v, want %v", err, tt.wantErr)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				want := []Subnet{{ID: "subnet-0e5a1d00000000011", VPCID: "vpc-0e5a1d00000000001",
					CIDR: "10.10.1.0/24", AvailabilityZone: "us-east-1a"}}
				if d := cmp.Diff(want, got); d != "" {
					t.Errorf("subnets mismatch (-want +got):\n%s", d)
				}
			}
			if n := len(rt.requests()); n != tt.requests {
				t.Errorf("%d requests, want %d", n, tt.requests)
			}
			if n := rec.count("retrying ec2 request"); n != tt.requests-1 {
				t.Errorf("%d retries logged, want %d", n, tt.requests-1)
			}
		})
	}
}
