package ec2

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// CredentialSource gives the credentials of an account's clients in a
// region: nil for the SDK's credential chain. *drs.Clients is one, so that
// the EC2 clients of an account act as the same assumed role as its DRS
// clients.
type CredentialSource interface {
	Credentials(ctx context.Context, accountID, region string) (aws.CredentialsProvider, error)
}

// Clients hands out one Client per account and region, created on first
// use from a base Config and kept for the life of the process.
type Clients struct {
	creds CredentialSource
	base  Config

	mu      sync.Mutex
	clients map[clientKey]*Client
}

type clientKey struct{ account, region string }

// NewClients returns an empty registry; Clients are created by For. A nil
// creds, or one that answers nil, leaves every client on the SDK's
// credential chain (or base.Credentials when set).
func NewClients(creds CredentialSource, base Config) *Clients {
	return &Clients{creds: creds, base: base, clients: make(map[clientKey]*Client)}
}

// For returns the Client for an account and region, creating it on first
// use. An empty region means the base Config's (or the SDK's default). The
// endpoint is base.AccountEndpoints[accountID] when there is one.
func (c *Clients) For(ctx context.Context, accountID, region string) (*Client, error) {
	key := clientKey{account: accountID, region: region}
	c.mu.Lock()
	cl, ok := c.clients[key]
	c.mu.Unlock()
	if ok {
		return cl, nil
	}

	cfg := c.base
	cfg.AccountEndpoints = nil
	if region != "" {
		cfg.Region = region
	}
	if ep, ok := c.base.AccountEndpoints[accountID]; ok && accountID != "" {
		cfg.Endpoint = ep
	}
	if c.creds != nil {
		p, err := c.creds.Credentials(ctx, accountID, cfg.Region)
		if err != nil {
			return nil, fmt.Errorf("ec2: credentials of account %s: %w", accountID, err)
		}
		if p != nil {
			cfg.Credentials = p
		}
	}

	// Creating a Client reads files and the environment but makes no
	// request, so holding the lock meanwhile is cheap and keeps one Client
	// per key.
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.clients[key]; ok {
		return cl, nil
	}
	cl, err := NewClient(ctx, cfg)
	if err != nil {
		return nil, err
	}
	c.clients[key] = cl
	return cl, nil
}
