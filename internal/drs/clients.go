package drs

import (
	"context"
	"sync"
)

// Clients hands out one Client per account and region, created on first
// use from a base Config and kept for the life of the process. Quotas
// belong to an account and a region, and so does each Client.
type Clients struct {
	base Config

	mu      sync.Mutex
	clients map[clientKey]*Client
}

type clientKey struct{ account, region string }

// NewClients returns an empty registry; Clients are created by For.
func NewClients(ctx context.Context, base Config) *Clients {
	return &Clients{base: base, clients: make(map[clientKey]*Client)}
}

// For returns the Client for an account and region, creating it on first
// use. An empty region means the base Config's (or the SDK's default).
//
// TODO: accountID does not choose credentials yet: every Client uses the
// SDK's default credential chain, so every account is the caller's own.
// Cross-account recovery needs an sts AssumeRole into a role per account
// (stscreds.NewAssumeRoleProvider, the role ARN from configuration). The
// key keeps the account so that adding it changes no caller.
func (c *Clients) For(ctx context.Context, accountID, region string) (*Client, error) {
	key := clientKey{account: accountID, region: region}

	// Creating a Client reads files and the environment but makes no
	// request, so holding the lock meanwhile is cheap and keeps one Client
	// per key.
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.clients[key]; ok {
		return cl, nil
	}
	cfg := c.base
	if region != "" {
		cfg.Region = region
	}
	cl, err := NewClient(ctx, cfg)
	if err != nil {
		return nil, err
	}
	c.clients[key] = cl
	return cl, nil
}
