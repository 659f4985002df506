// Package execution starts and controls executions of recovery plans. It
// is the service behind the API's execution routes: Start resolves and
// checks a plan and writes the frozen execution in one store call; the
// controls (pause, resume, cancel, approve, retry, cleanup) record a request
// on the stored state for the engine to carry out; Get, List and Events read
// it back. Nothing here changes an execution's status: the engine alone
// does, under its lease.
package execution

import (
	"context"
	"log/slog"
	"time"

	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/store"
)

// DRS is the part of the DRS port that starting an execution reads.
type DRS interface {
	DescribeSourceServers(ctx context.Context, ids []string) ([]drs.SourceServer, error)
	DescribeRecoveryInstances(ctx context.Context, sourceServerIDs []string) ([]drs.RecoveryInstance, error)
	DescribeSnapshots(ctx context.Context, sourceServerID string, from, to time.Time) ([]drs.Snapshot, error)
}

// DRSFunc returns the DRS client of an account and region.
type DRSFunc func(ctx context.Context, accountID, region string) (DRS, error)

// Clients adapts a function returning a concrete client, such as
// (*drs.Clients).For, to a DRSFunc.
func Clients[C DRS](f func(ctx context.Context, accountID, region string) (C, error)) DRSFunc {
	return func(ctx context.Context, accountID, region string) (DRS, error) {
		c, err := f(ctx, accountID, region)
		if err != nil {
			return nil, err
		}
		return c, nil
	}
}

// Options configure a Service.
type Options struct {
	Store  store.Store
	DRS    DRSFunc
	Clock  func() time.Time // time.Now when nil
	Logger *slog.Logger     // slog.Default when nil
}

// Service starts, controls and reads executions.
type Service struct {
	store store.Store
	drs   DRSFunc
	now   func() time.Time
	log   *slog.Logger
}

// New returns a Service.
func New(opts Options) *Service {
	s := &Service{store: opts.Store, drs: opts.DRS, now: opts.Clock, log: opts.Logger}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.log = s.log.With("component", "execution")
	return s
}
