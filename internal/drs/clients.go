package drs

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// STS is the part of AWS STS that cross-account clients call, with the
// SDK's own signatures: AssumeRole into a target account's role, and
// GetCallerIdentity to learn the caller's own account. *sts.Client is
// one; tests hand in a fake.
type STS interface {
	AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, optFns ...func(*sts.Options)) (*sts.AssumeRoleOutput, error)
	GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, optFns ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// RoleSessionName names drsorch's sessions in the target accounts'
// CloudTrail.
const RoleSessionName = "drsorch"

// Clients hands out one Client per account and region, created on first
// use from a base Config and kept for the life of the process. Quotas
// belong to an account and a region, and so does each Client.
//
// The caller's own account (an empty account ID, or Config.HomeAccount)
// uses the SDK's credential chain. Any other account, when
// Config.TargetRoleName is set, uses the credentials of that role in the
// account, assumed through STS and refreshed before they expire.
type Clients struct {
	base Config

	mu      sync.Mutex
	clients map[clientKey]*Client

	// stsMu guards the STS client and the home account, found lazily so
	// that a process whose groups are all in its own account never calls
	// STS.
	stsMu sync.Mutex
	sts   STS
	home  string
	// roles holds one credentials cache per role ARN, shared by every
	// client of the account, DRS or not, so that they assume it once.
	roles map[string]aws.CredentialsProvider
}

type clientKey struct{ account, region string }

// NewClients returns an empty registry; Clients are created by For.
func NewClients(ctx context.Context, base Config) *Clients {
	return &Clients{base: base, clients: make(map[clientKey]*Client),
		sts: base.STS, home: base.HomeAccount, roles: make(map[string]aws.CredentialsProvider)}
}

// For returns the Client for an account and region, creating it on first
// use. An empty region means the base Config's (or the SDK's default).
func (c *Clients) For(ctx context.Context, accountID, region string) (*Client, error) {
	key := clientKey{account: accountID, region: region}
	c.mu.Lock()
	cl, ok := c.clients[key]
	c.mu.Unlock()
	if ok {
		return cl, nil
	}

	cfg := c.base
	cfg.STS, cfg.AccountEndpoints = nil, nil
	if region != "" {
		cfg.Region = region
	}
	if ep, ok := c.base.AccountEndpoints[accountID]; ok && accountID != "" {
		cfg.Endpoint = ep
	}
	creds, err := c.Credentials(ctx, accountID, cfg.Region)
	if err != nil {
		return nil, err
	}
	cfg.Credentials = creds

	// Creating a Client reads files and the environment but makes no
	// request, so holding the lock meanwhile is cheap and keeps one Client
	// per key.
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.clients[key]; ok {
		return cl, nil
	}
	cl, err = NewClient(ctx, cfg)
	if err != nil {
		return nil, err
	}
	c.clients[key] = cl
	return cl, nil
}

// Credentials returns the credentials of an account's clients: nil (the
// SDK's chain) for the caller's own account, or when no TargetRoleName is
// set, else a cached provider of the target role's in that account. The
// clients of other services in the account (EC2) use it, so that they act
// as the same role as its DRS clients. One provider serves every region of
// a partition and every caller, so STS is called when credentials are
// first needed and again before they expire, once for all the clients of
// a role.
func (c *Clients) Credentials(ctx context.Context, accountID, region string) (aws.CredentialsProvider, error) {
	if accountID == "" || c.base.TargetRoleName == "" {
		return nil, nil
	}
	c.stsMu.Lock()
	defer c.stsMu.Unlock()
	if c.sts == nil {
		awsCfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(c.base.Region))
		if err != nil {
			return nil, fmt.Errorf("drs: load aws config for sts: %w", err)
		}
		c.sts = sts.NewFromConfig(awsCfg)
	}
	if c.home == "" {
		out, err := c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			return nil, fmt.Errorf("drs: sts get caller identity: %w", err)
		}
		c.home = aws.ToString(out.Account)
	}
	if accountID == c.home {
		return nil, nil
	}
	arn := RoleARN(region, accountID, c.base.TargetRoleName)
	if p, ok := c.roles[arn]; ok {
		return p, nil
	}
	p := stscreds.NewAssumeRoleProvider(c.sts, arn, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = RoleSessionName
	})
	cache := aws.NewCredentialsCache(p)
	c.roles[arn] = cache
	return cache, nil
}

// RoleARN returns the ARN of the role named name in an account, in the
// partition of region.
func RoleARN(region, accountID, name string) string {
	partition := "aws"
	switch {
	case strings.HasPrefix(region, "cn-"):
		partition = "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		partition = "aws-us-gov"
	}
	return fmt.Sprintf("arn:%s:iam::%s:role/%s", partition, accountID, name)
}
