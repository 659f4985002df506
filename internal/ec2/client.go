package ec2

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/drsorch/drsorch/internal/drs"
)

// Config says how to reach EC2. The zero value uses the SDK's defaults: its
// credential chain, its region, its endpoint resolution.
type Config struct {
	// Region overrides the region of the SDK's configuration.
	Region string
	// Endpoint is a base URL such as http://127.0.0.1:8089, where the
	// emulator serves EC2 beside DRS. Empty: the SDK's resolution, which
	// honours AWS_ENDPOINT_URL_EC2 and AWS_ENDPOINT_URL.
	Endpoint string
	// AccountEndpoints overrides Endpoint per account ID; read by Clients
	// only, as drs.Config's is.
	AccountEndpoints map[string]string
	// MaxAttempts is how many times one call is tried, counting the first
	// (default 5, or AWS_MAX_ATTEMPTS when set).
	MaxAttempts int
	// MaxBackoff caps the wait between two attempts (default 20s).
	MaxBackoff time.Duration
	// HTTPClient replaces the SDK's HTTP client, for example to serve
	// requests in-process from the emulator.
	HTTPClient *http.Client
	// Logger receives the client's debug events (each retry). Nil:
	// discard.
	Logger *slog.Logger
	// Credentials, when set, replace the SDK's credential chain; Clients
	// sets them to the assumed role's of an account other than the
	// caller's.
	Credentials aws.CredentialsProvider
}

// api lists the SDK operations the Client calls, with the SDK's own
// signatures. It is the seam for unit tests, and the list the IAM policy in
// deploy/iam-policy.json must match: TestIAMPolicyMatchesOperations in
// deploy compares the two, reading this interface.
type api interface {
	DescribeSubnets(context.Context, *ec2.DescribeSubnetsInput, ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error)
	DescribeSecurityGroups(context.Context, *ec2.DescribeSecurityGroupsInput, ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error)
	DescribeNetworkInterfaces(context.Context, *ec2.DescribeNetworkInterfacesInput, ...func(*ec2.Options)) (*ec2.DescribeNetworkInterfacesOutput, error)
	DescribeInstances(context.Context, *ec2.DescribeInstancesInput, ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error)
	DescribeInstanceStatus(context.Context, *ec2.DescribeInstanceStatusInput, ...func(*ec2.Options)) (*ec2.DescribeInstanceStatusOutput, error)
	DescribeLaunchTemplateVersions(context.Context, *ec2.DescribeLaunchTemplateVersionsInput, ...func(*ec2.Options)) (*ec2.DescribeLaunchTemplateVersionsOutput, error)
	CreateLaunchTemplateVersion(context.Context, *ec2.CreateLaunchTemplateVersionInput, ...func(*ec2.Options)) (*ec2.CreateLaunchTemplateVersionOutput, error)
	ModifyLaunchTemplate(context.Context, *ec2.ModifyLaunchTemplateInput, ...func(*ec2.Options)) (*ec2.ModifyLaunchTemplateOutput, error)
}

var _ api = (*ec2.Client)(nil)

// Client is drsorch's EC2 port for one account and region, on the
// aws-sdk-go-v2 EC2 client. It is safe for concurrent use.
//
// It retries as the DRS client does (drs.NewRetryer: the SDK's standard
// decisions, a backoff that honours Retry-After, no client-side retry
// quota). Both writes are safe to retry: the SDK fills in a client token
// for CreateLaunchTemplateVersion and ModifyLaunchTemplate, so a second
// attempt after a lost answer does not make a second version.
//
// Lists are followed to their last page with the SDK's paginators and
// lookups by ID are split to the API's limits. Errors are *drs.Error
// values classed with the drs sentinels: errors.Is reports
// drs.ErrNotFound, ErrThrottled, ErrValidation, ErrConflict, ErrQuota or
// ErrTransient, and errors.As finds smithy.APIError with EC2's code.
type Client struct {
	api    api
	region string
	log    *slog.Logger
}

// NewClient loads the SDK's default configuration (credential chain,
// region, shared files, AWS_* environment), applies cfg on top of it and
// returns a Client. It makes no request.
func NewClient(ctx context.Context, cfg Config) (*Client, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	log = log.With("component", "ec2")

	awsCfg, err := drs.LoadAWSConfig(ctx, "ec2", cfg.Region, cfg.Credentials)
	if err != nil {
		return nil, err
	}

	hc, retryer := drs.SDKTransport(awsCfg, cfg.HTTPClient, "ec2", cfg.MaxAttempts, cfg.MaxBackoff, log)
	sdk := ec2.NewFromConfig(awsCfg, func(o *ec2.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
		o.HTTPClient, o.Retryer = hc, retryer
		// Zero keeps the client from wrapping our retryer with the
		// attempts of AWS_MAX_ATTEMPTS; they are already in it.
		o.RetryMaxAttempts = 0
	})
	return newClient(sdk, awsCfg.Region, log), nil
}

func newClient(a api, region string, log *slog.Logger) *Client {
	return &Client{api: a, region: region, log: log}
}

// Region returns the region the Client talks to.
func (c *Client) Region() string { return c.region }
