package drs

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/drs"
)

// Config says how to reach DRS. The zero value uses the SDK's defaults: its
// credential chain, its region, its endpoint resolution.
type Config struct {
	// Region overrides the region of the SDK's configuration (AWS_REGION,
	// the shared config file, …).
	Region string
	// Endpoint is a base URL such as http://127.0.0.1:8089. Empty: the
	// SDK's resolution, which honours AWS_ENDPOINT_URL_DRS and
	// AWS_ENDPOINT_URL.
	Endpoint string
	// MaxAttempts is how many times one call is tried, counting the first
	// (default 5, or AWS_MAX_ATTEMPTS when set).
	MaxAttempts int
	// MaxBackoff caps the wait between two attempts, including a wait the
	// service asked for with Retry-After (default 20s).
	MaxBackoff time.Duration
	// HTTPClient replaces the SDK's HTTP client, for example to serve
	// requests in-process from the emulator.
	HTTPClient *http.Client
	// Logger receives the client's debug events (each retry, with its
	// delay). Nil: discard.
	Logger *slog.Logger
	// Credentials, when set, replace the SDK's credential chain; Clients
	// sets them to an assumed role's for an account other than the
	// caller's.
	Credentials aws.CredentialsProvider

	// The fields below are read by Clients only.

	// TargetRoleName is the role assumed in an account other than the
	// caller's: arn:PARTITION:iam::ACCOUNT:role/NAME. Empty: every
	// account uses the SDK's credential chain, as if it were the
	// caller's own (for emulators standing for several accounts).
	TargetRoleName string
	// HomeAccount is the caller's own account, whose clients use the
	// SDK's credential chain. Empty: STS GetCallerIdentity says, once,
	// when a group first names an account.
	HomeAccount string
	// STS assumes the target roles. Nil: an STS client of the SDK's
	// default configuration in the base Region.
	STS STS
	// AccountEndpoints overrides Endpoint per account ID, so that
	// several emulators can stand for several accounts.
	AccountEndpoints map[string]string
}

// api lists the SDK operations the Client calls, with the SDK's own
// signatures. It is the seam for unit tests, and the list the IAM policy in
// deploy/iam-policy.json must match: TestIAMPolicyMatchesOperations compares
// the two.
type api interface {
	DescribeSourceServers(context.Context, *drs.DescribeSourceServersInput, ...func(*drs.Options)) (*drs.DescribeSourceServersOutput, error)
	StartRecovery(context.Context, *drs.StartRecoveryInput, ...func(*drs.Options)) (*drs.StartRecoveryOutput, error)
	DescribeJobs(context.Context, *drs.DescribeJobsInput, ...func(*drs.Options)) (*drs.DescribeJobsOutput, error)
	DescribeJobLogItems(context.Context, *drs.DescribeJobLogItemsInput, ...func(*drs.Options)) (*drs.DescribeJobLogItemsOutput, error)
	DescribeRecoveryInstances(context.Context, *drs.DescribeRecoveryInstancesInput, ...func(*drs.Options)) (*drs.DescribeRecoveryInstancesOutput, error)
	DescribeRecoverySnapshots(context.Context, *drs.DescribeRecoverySnapshotsInput, ...func(*drs.Options)) (*drs.DescribeRecoverySnapshotsOutput, error)
	TerminateRecoveryInstances(context.Context, *drs.TerminateRecoveryInstancesInput, ...func(*drs.Options)) (*drs.TerminateRecoveryInstancesOutput, error)
	GetLaunchConfiguration(context.Context, *drs.GetLaunchConfigurationInput, ...func(*drs.Options)) (*drs.GetLaunchConfigurationOutput, error)
	UpdateLaunchConfiguration(context.Context, *drs.UpdateLaunchConfigurationInput, ...func(*drs.Options)) (*drs.UpdateLaunchConfigurationOutput, error)
	TagResource(context.Context, *drs.TagResourceInput, ...func(*drs.Options)) (*drs.TagResourceOutput, error)
}

var _ api = (*drs.Client)(nil)

// Client is drsorch's DRS port for one account and region, on the
// aws-sdk-go-v2 DRS client. It is safe for concurrent use.
//
// Retries: the SDK's standard retryer decides what is retryable
// (throttling, 5xx, timeouts, connection errors), up to Config.MaxAttempts
// attempts, but its backoff is replaced: the SDK ignores the Retry-After
// header DRS sends on 429 and 500, so our backoff reads it from the
// response in the smithy ResponseError (or the typed exception's
// RetryAfterSeconds), waits that long plus up to 20% jitter, capped at
// Config.MaxBackoff, and falls back to exponential backoff with full jitter
// without it. The SDK's client-side retry quota is off. Calls that start a
// job are retried only when nothing can have happened (see StartRecovery).
//
// Every list is followed to its last page with the SDK's paginators; every
// lookup by ID is split into requests of the API's size limit. Errors are
// *Error values: errors.Is reports ErrThrottled, ErrConflict, ErrQuota,
// ErrValidation, ErrNotFound or ErrTransient, errors.As finds the SDK's
// typed error, and RetryAfter reads the wait DRS asked for.
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
	log = log.With("component", "drs")

	awsCfg, err := LoadAWSConfig(ctx, "drs", cfg.Region, cfg.Credentials)
	if err != nil {
		return nil, err
	}

	hc, retryer := SDKTransport(awsCfg, cfg.HTTPClient, "drs", cfg.MaxAttempts, cfg.MaxBackoff, log)
	sdk := drs.NewFromConfig(awsCfg, func(o *drs.Options) {
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

// SDKTransport returns the HTTP client and the retryer that every SDK
// client drsorch builds (DRS, EC2) is given: hc, or else the one of
// awsCfg, with request bodies buffered (see BufferedBodies), and
// NewRetryer's policy with maxAttempts (0: AWS_MAX_ATTEMPTS, else 5) and
// maxBackoff. The HTTP client is set on the client's options rather than
// through LoadDefaultConfig, which would try to add AWS_CA_BUNDLE to a
// custom one and fail: it is used as given.
func SDKTransport(awsCfg aws.Config, hc *http.Client, service string, maxAttempts int, maxBackoff time.Duration,
	log *slog.Logger) (aws.HTTPClient, aws.Retryer) {
	if maxAttempts <= 0 {
		maxAttempts = awsCfg.RetryMaxAttempts
	}
	next := awsCfg.HTTPClient
	if hc != nil {
		next = hc
	}
	return BufferedBodies(next), NewRetryer(service, maxAttempts, maxBackoff, log)
}

// LoadAWSConfig loads the SDK's default configuration (credential chain,
// region, shared files, AWS_* environment) with region and creds on top
// when set, and requires a region; service names the client in errors.
func LoadAWSConfig(ctx context.Context, service, region string, creds aws.CredentialsProvider) (aws.Config, error) {
	var opts []func(*config.LoadOptions) error
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	if creds != nil {
		opts = append(opts, config.WithCredentialsProvider(creds))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("%s: load aws config: %w", service, err)
	}
	if awsCfg.Region == "" {
		return aws.Config{}, fmt.Errorf("%s: no region: set AWS_REGION or the region flag", service)
	}
	return awsCfg, nil
}

func newClient(a api, region string, log *slog.Logger) *Client {
	return &Client{api: a, region: region, log: log}
}

// Region returns the region the Client talks to.
func (c *Client) Region() string { return c.region }
