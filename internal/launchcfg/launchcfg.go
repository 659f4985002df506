// Package launchcfg is the launch settings service: it checks a protection
// group's launch settings against EC2, applies them to each server through
// DRS UpdateLaunchConfiguration and a new default version of the server's
// EC2 launch template, reads them back to report drift, and copies source
// machines' EC2 tags onto their DRS source servers.
//
// DRS-level fields go first for a server, because DRS writes a launch
// template version of its own when its launch configuration changes, over
// whatever EC2-level values the default version held. Only what differs
// is written, so applying settings that are in line writes nothing.
package launchcfg

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/ec2"
	"github.com/drsorch/drsorch/internal/plan"
)

// DRS is the part of the DRS port the service calls; *drs.Client is one.
type DRS interface {
	DescribeSourceServers(ctx context.Context, ids []string) ([]drs.SourceServer, error)
	DescribeRecoveryInstances(ctx context.Context, sourceServerIDs []string) ([]drs.RecoveryInstance, error)
	GetLaunchConfiguration(ctx context.Context, sourceServerID string) (drs.LaunchConfiguration, error)
	UpdateLaunchConfiguration(ctx context.Context, lc drs.LaunchConfiguration) (drs.LaunchConfiguration, error)
	TagResource(ctx context.Context, arn string, tags map[string]string) error
}

// EC2 is the part of the EC2 port the service calls; *ec2.Client is one.
type EC2 interface {
	DescribeSubnets(ctx context.Context, ids []string) ([]ec2.Subnet, error)
	DescribeSecurityGroups(ctx context.Context, ids []string) ([]ec2.SecurityGroup, error)
	NetworkInterfacesWithIPs(ctx context.Context, subnetID string, ips []string) ([]ec2.NetworkInterface, error)
	DescribeInstances(ctx context.Context, ids []string) ([]ec2.Instance, error)
	DefaultTemplateVersion(ctx context.Context, templateID string) (ec2.TemplateVersion, error)
	CreateTemplateVersion(ctx context.Context, templateID string, sourceVersion int64, data ec2.TemplateData, description string) (int64, error)
	SetDefaultVersion(ctx context.Context, templateID string, version int64) error
}

// DefaultConcurrency is how many servers are applied or read back at once
// when Options.Concurrency is not set.
const DefaultConcurrency = 8

// Options configure a Service.
type Options struct {
	// DRS and EC2 return the clients of an account and region (an empty
	// account: the caller's own). Both are required.
	DRS func(ctx context.Context, accountID, region string) (DRS, error)
	EC2 func(ctx context.Context, accountID, region string) (EC2, error)
	// Clock stamps results; default time.Now.
	Clock  func() time.Time
	Logger *slog.Logger
	// Concurrency bounds the servers worked on at once (default 8).
	Concurrency int
}

// Service checks, applies and compares launch settings. It keeps no state
// of its own between calls and is safe for concurrent use.
type Service struct {
	drsFor func(ctx context.Context, accountID, region string) (DRS, error)
	ec2For func(ctx context.Context, accountID, region string) (EC2, error)
	now    func() time.Time
	log    *slog.Logger
	limit  int
}

// New returns a Service with o's clients.
func New(o Options) *Service {
	s := &Service{drsFor: o.DRS, ec2For: o.EC2, now: o.Clock, log: o.Logger, limit: o.Concurrency}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("component", "launchcfg")
	if s.limit <= 0 {
		s.limit = DefaultConcurrency
	}
	return s
}

// errNoClient reports Options without a client function.
var errNoClient = errors.New("launchcfg: no client configured")

func (s *Service) drs(ctx context.Context, accountID, region string) (DRS, error) {
	if s.drsFor == nil {
		return nil, fmt.Errorf("drs client: %w", errNoClient)
	}
	c, err := s.drsFor(ctx, accountID, region)
	if err != nil {
		return nil, fmt.Errorf("drs client: %w", err)
	}
	return c, nil
}

func (s *Service) ec2(ctx context.Context, accountID, region string) (EC2, error) {
	if s.ec2For == nil {
		return nil, fmt.Errorf("ec2 client: %w", errNoClient)
	}
	c, err := s.ec2For(ctx, accountID, region)
	if err != nil {
		return nil, fmt.Errorf("ec2 client: %w", err)
	}
	return c, nil
}

// both returns the DRS and the EC2 client of an account and region.
func (s *Service) both(ctx context.Context, accountID, region string) (DRS, EC2, error) {
	d, err := s.drs(ctx, accountID, region)
	if err != nil {
		return nil, nil, err
	}
	e, err := s.ec2(ctx, accountID, region)
	if err != nil {
		return nil, nil, err
	}
	return d, e, nil
}

// each calls fn for 0..n-1, at most s.limit at once, and waits for all.
// fn records its own outcome: one server's failure never stops the others.
func (s *Service) each(ctx context.Context, n int, fn func(ctx context.Context, i int)) {
	var g errgroup.Group
	g.SetLimit(s.limit)
	for i := range n {
		g.Go(func() error {
			fn(ctx, i)
			return nil
		})
	}
	_ = g.Wait()
}

// UncheckedError reports that launch settings could not be checked
// against EC2 (or DRS) because a call failed: the settings may well be
// valid. It is not a plan.Errors, so that callers can tell an outage from
// invalid input; FieldError gives it in that shape for display.
type UncheckedError struct {
	Err error
}

func (e *UncheckedError) Error() string {
	return fmt.Sprintf("launch settings not checked: %v (%s)", e.Err, plan.CodeLaunchSettingsUnchecked)
}

func (e *UncheckedError) Unwrap() error { return e.Err }

// FieldError returns e as the one problem of a validation report.
func (e *UncheckedError) FieldError() plan.FieldError {
	return plan.FieldError{Code: plan.CodeLaunchSettingsUnchecked,
		Message: "launch settings not checked: " + e.Err.Error()}
}
