package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/plan"
)

type activeBatch struct {
	r *run
	b *plan.Batch
}

// observe describes the active jobs of every account and region that is
// due, in one DescribeJobs call each, and records what changed.
func (e *Engine) observe(ctx context.Context) error {
	now := e.now()
	byRegion := make(map[regionKey][]activeBatch)
	for _, r := range e.sortedRuns() {
		for _, b := range r.batches {
			if b.Status == plan.BatchRequested && b.EndTime == nil && b.JobID != "" {
				byRegion[batchKey(b)] = append(byRegion[batchKey(b)], activeBatch{r, b})
			}
		}
	}

	var errs []error
	for _, k := range sortedKeys(byRegion) {
		rs := e.region(k)
		if !rs.nextPoll.IsZero() && now.Before(rs.nextPoll) {
			continue
		}
		if err := e.observeRegion(ctx, k, byRegion[k], now); err != nil {
			if errors.Is(err, errCrash) {
				return err
			}
			errs = append(errs, err)
			rs.nextPoll = now.Add(e.opts.PollMin)
			continue
		}
		rs.nextPoll = time.Time{}
		for _, ab := range byRegion[k] {
			if ab.b.EndTime == nil {
				next := now.Add(e.pollDelay(ab.r, ab.b, now))
				if rs.nextPoll.IsZero() || next.Before(rs.nextPoll) {
					rs.nextPoll = next
				}
			}
		}
	}
	return errors.Join(errs...)
}

func (e *Engine) observeRegion(ctx context.Context, k regionKey, active []activeBatch, now time.Time) error {
	cl, err := e.client(ctx, k)
	if err != nil {
		return err
	}
	ids := make([]string, len(active))
	for i, ab := range active {
		ids[i] = ab.b.JobID
	}
	cctx, cancel := context.WithTimeout(ctx, e.opts.CallTimeout)
	e.calls.describe++
	jobs, err := cl.DescribeJobs(cctx, ids)
	cancel()
	if err != nil {
		return fmt.Errorf("observe jobs in %s: %w", k, err)
	}
	e.log.Debug("jobs observed", "region", k.String(), "jobs", len(ids))
	if err := e.crash("jobs_observed"); err != nil {
		return err
	}
	byID := make(map[string]*drs.Job, len(jobs))
	for i := range jobs {
		byID[jobs[i].ID] = &jobs[i]
	}

	var errs []error
	changes := make(map[*run]*change)
	var order []*run
	for _, ab := range active {
		if _, ok := e.runs[ab.r.ex.ID]; !ok {
			continue
		}
		c := changes[ab.r]
		if c == nil {
			c = &change{}
			changes[ab.r] = c
			order = append(order, ab.r)
		}
		if err := e.applyJob(ctx, cl, ab.r, ab.b, byID[ab.b.JobID], c, now); err != nil {
			errs = append(errs, err)
		}
	}
	for _, r := range order {
		if err := e.commit(ctx, r, changes[r]); err != nil {
			errs = append(errs, err)
		}
	}
	if err := e.crash("observation_committed"); err != nil {
		return err
	}
	return errors.Join(errs...)
}

// applyJob brings a batch's launches in line with its job. A COMPLETED job
// says nothing about its servers: each one's launchStatus does.
func (e *Engine) applyJob(ctx context.Context, cl DRS, r *run, b *plan.Batch, job *drs.Job, c *change, now time.Time) error {
	timeout := e.opts.StuckTimeout
	if b.Kind == plan.BatchLaunch {
		timeout = r.stuckTimeout(b.Wave, timeout)
	}
	stuck := now.Sub(b.RequestTime) > timeout
	if job == nil && !stuck {
		return nil // not visible yet, or gone: the stuck timeout settles it
	}
	var servers map[string]drs.JobServer
	completed := false
	if job != nil {
		completed = job.Status == drs.JobCompleted
		servers = make(map[string]drs.JobServer, len(job.Servers))
		for _, s := range job.Servers {
			servers[s.SourceServerID] = s
		}
	}
	stuckMsg := fmt.Sprintf("job %s not finished %s after it was requested", b.JobID, timeout)

	// A server seen launched now was still running at the batch's
	// previous poll (or its request): its duration lies in between.
	since := b.RequestTime
	if t, ok := e.expect.seen[b.ID]; ok && t.After(since) {
		since = t
	}
	e.expect.seen[b.ID] = now
	low, high := since.Sub(b.RequestTime), now.Sub(b.RequestTime)

	var failed []*plan.Launch
	var why []string
	for _, l := range r.launchesOf(b) {
		s, seen := servers[l.SourceServerID]
		if b.Kind == plan.BatchTerminate {
			if l.Status != plan.LaunchTerminating {
				continue
			}
			switch {
			case seen && s.LaunchStatus == drs.LaunchTerminated:
				l.Status = plan.LaunchTerminated
				l.Error = ""
				c.launch(l)
				c.event(now, "server_terminated", l.Wave, l.SourceServerID, l.RecoveryInstanceID)
			case seen && s.LaunchStatus == drs.LaunchFailed, completed:
				failed = append(failed, l)
				why = append(why, fmt.Sprintf("job %s ended with terminate status %q", b.JobID, s.LaunchStatus))
			case stuck:
				terminateFailed(c, l, now, stuckMsg)
			}
			continue
		}
		if l.Status != plan.LaunchLaunching && l.Status != plan.LaunchRequested {
			continue
		}
		switch {
		case seen && s.LaunchStatus == drs.LaunchLaunched:
			l.Status = plan.LaunchLaunched
			l.JobID = b.JobID
			l.RecoveryInstanceID = s.RecoveryInstanceID
			l.EC2InstanceID = s.RecoveryInstanceID
			l.LaunchTime = &now
			l.EndTime = &now
			l.Error = ""
			c.launch(l)
			c.event(now, "server_launched", l.Wave, l.SourceServerID, s.RecoveryInstanceID)
			e.expect.hold(b.ID, launchClass(l), low, high)
		case seen && s.LaunchStatus == drs.LaunchFailed:
			failed = append(failed, l)
			why = append(why, fmt.Sprintf("launch failed in job %s", b.JobID))
		case completed && !seen:
			failed = append(failed, l)
			why = append(why, fmt.Sprintf("job %s completed without the server", b.JobID))
		case completed:
			failed = append(failed, l)
			why = append(why, fmt.Sprintf("job %s completed with the server still %s", b.JobID, s.LaunchStatus))
		case stuck:
			failLaunch(c, l, now, stuckMsg)
		}
	}

	if len(failed) > 0 {
		// The log has the reason; without it the failure waits for the
		// next poll rather than being recorded without one.
		cctx, cancel := context.WithTimeout(ctx, e.opts.CallTimeout)
		e.calls.jobLog++
		items, err := cl.DescribeJobLog(cctx, b.JobID)
		cancel()
		if err != nil {
			return fmt.Errorf("read log of job %s: %w", b.JobID, err)
		}
		reasons := failureReasons(items)
		for i, l := range failed {
			msg := why[i]
			if r := reasons[l.SourceServerID]; r != "" {
				msg += ": " + r
			}
			if b.Kind == plan.BatchTerminate {
				terminateFailed(c, l, now, msg)
			} else {
				failLaunch(c, l, now, msg)
			}
		}
	}

	if completed || stuck {
		// Our clock, not the job's end time: every time in the records
		// (and the durations learnt from them) is read on one clock.
		end := now
		b.EndTime = &end
		if !completed {
			b.Error = stuckMsg
		}
		c.batch(b)
		c.event(now, "job_completed", b.Wave, "", fmt.Sprintf("batch %s: job %s", b.ID, b.JobID))
		if completed && b.Kind == plan.BatchTerminate {
			e.expect.hold(b.ID, classTerminate, low, high)
		}
		e.expect.ended(b.ID)
	}
	return nil
}

// failureReasons picks, per server, the last failure the job log gives.
func failureReasons(items []drs.JobLogItem) map[string]string {
	out := make(map[string]string)
	for _, it := range items {
		if it.SourceServerID == "" {
			continue
		}
		ev := it.Event
		if ev != "LAUNCH_FAILED" && ev != "SERVER_SKIPPED" &&
			!strings.HasSuffix(ev, "_FAIL") && !strings.HasSuffix(ev, "_FAILED") {
			continue
		}
		msg := ev
		if it.RawError != "" {
			msg += ": " + it.RawError
		}
		out[it.SourceServerID] = msg
	}
	return out
}
