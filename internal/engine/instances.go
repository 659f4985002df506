package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/drsorch/drsorch/internal/ec2"
	"github.com/drsorch/drsorch/internal/plan"
)

// EC2 is the part of the EC2 API the engine calls, for one account and
// region, with the signatures of ec2.Client.
type EC2 interface {
	DescribeInstances(ctx context.Context, ids []string) ([]ec2.Instance, error)
	DescribeInstanceStatus(ctx context.Context, ids []string) ([]ec2.InstanceStatus, error)
}

// EC2Source hands out the EC2 client of an account and region.
type EC2Source interface {
	For(ctx context.Context, accountID, region string) (EC2, error)
}

var _ EC2 = (*ec2.Client)(nil)

// FromEC2Clients adapts an ec2.Clients registry to an EC2Source.
func FromEC2Clients(c *ec2.Clients) EC2Source { return ec2Source{c} }

type ec2Source struct{ c *ec2.Clients }

func (s ec2Source) For(ctx context.Context, accountID, region string) (EC2, error) {
	cl, err := s.c.For(ctx, accountID, region)
	if err != nil {
		return nil, err
	}
	return cl, nil
}

func (e *Engine) ec2Client(ctx context.Context, k regionKey) (EC2, error) {
	cl, err := e.opts.EC2.For(ctx, k.account, k.region)
	if err != nil {
		return nil, fmt.Errorf("ec2 client for %s: %w", k, err)
	}
	return cl, nil
}

// enrich records what EC2 says of recovery instances: PrivateIP,
// InstanceType, InstanceState and SubnetID of every launch LAUNCHED with
// an instance ID and no private IP yet, and a fresh InstanceState of the
// instances of waves whose health gate attempts are due (unless the
// gate's status checks, which read the states, still run). One
// DescribeInstances call per account and region; only the launches that
// changed are written.
func (e *Engine) enrich(ctx context.Context) error {
	if e.opts.EC2 == nil {
		return nil
	}
	now := e.now()
	for id, t := range e.enrichRetry {
		if !now.Before(t) {
			delete(e.enrichRetry, id)
		}
	}
	type item struct {
		r *run
		l *plan.Launch
	}
	byRegion := make(map[regionKey][]item)
	for _, r := range e.sortedRuns() {
		gated := make(map[string]bool)
		for _, w := range r.waves {
			if gateRunning(w) && gateDue(w.Gate, r.wave(w.Name).HealthGate, now) && !statusChecksDue(w.Gate) {
				gated[w.Name] = true
			}
		}
		for _, l := range r.launches {
			if l.Status != plan.LaunchLaunched || l.EC2InstanceID == "" {
				continue
			}
			if l.PrivateIP != "" && !gated[l.Wave] {
				continue
			}
			if _, wait := e.enrichRetry[l.EC2InstanceID]; wait && !gated[l.Wave] {
				continue
			}
			byRegion[launchKey(l)] = append(byRegion[launchKey(l)], item{r, l})
		}
	}

	var errs []error
	for _, k := range sortedKeys(byRegion) {
		items := byRegion[k]
		cl, err := e.ec2Client(ctx, k)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ids := make([]string, len(items))
		for i, it := range items {
			ids[i] = it.l.EC2InstanceID
		}
		cctx, cancel := context.WithTimeout(ctx, e.opts.CallTimeout)
		e.calls.describeInstances++
		insts, err := cl.DescribeInstances(cctx, ids)
		cancel()
		if err != nil {
			errs = append(errs, fmt.Errorf("describe instances in %s: %w", k, err))
			continue
		}
		byID := make(map[string]*ec2.Instance, len(insts))
		for i := range insts {
			byID[insts[i].ID] = &insts[i]
		}

		changes := make(map[*run]*change)
		var order []*run
		for _, it := range items {
			in := byID[it.l.EC2InstanceID]
			if in == nil {
				// Not visible yet (EC2 is eventually consistent) or
				// gone: asked again a while later, not every round.
				e.enrichRetry[it.l.EC2InstanceID] = now.Add(e.opts.PollMax)
				continue
			}
			if in.PrivateIP == "" {
				// Stopped before it had an address, or terminated.
				e.enrichRetry[it.l.EC2InstanceID] = now.Add(e.opts.PollMax)
			} else {
				delete(e.enrichRetry, it.l.EC2InstanceID)
			}
			if !enrichLaunch(it.l, in) {
				continue
			}
			c := changes[it.r]
			if c == nil {
				c = &change{}
				changes[it.r] = c
				order = append(order, it.r)
			}
			c.launch(it.l)
		}
		for _, r := range order {
			if _, ok := e.runs[r.ex.ID]; !ok {
				continue
			}
			if err := e.commit(ctx, r, changes[r]); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// enrichLaunch copies what EC2 says of a launch's instance onto it and
// reports whether anything changed. A field EC2 leaves empty keeps what
// was recorded.
func enrichLaunch(l *plan.Launch, in *ec2.Instance) bool {
	changed := false
	set := func(f *string, v string) {
		if v != "" && *f != v {
			*f = v
			changed = true
		}
	}
	set(&l.PrivateIP, in.PrivateIP)
	set(&l.InstanceType, in.InstanceType)
	set(&l.InstanceState, in.State)
	set(&l.SubnetID, in.SubnetID)
	return changed
}
