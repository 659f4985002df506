package launchcfg

import (
	"context"

	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/ec2"
)

// FromClients returns Options whose DRS and EC2 clients come from the
// registries d and e; the caller sets the rest.
func FromClients(d *drs.Clients, e *ec2.Clients) Options {
	return Options{
		DRS: func(ctx context.Context, accountID, region string) (DRS, error) {
			c, err := d.For(ctx, accountID, region)
			if err != nil {
				// A nil *drs.Client in a DRS would not compare equal to nil.
				return nil, err
			}
			return c, nil
		},
		EC2: func(ctx context.Context, accountID, region string) (EC2, error) {
			c, err := e.For(ctx, accountID, region)
			if err != nil {
				return nil, err
			}
			return c, nil
		},
	}
}
