package engine

import (
	"context"
	"fmt"
	"sort"

	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/plan"
)

// findLateInstances looks, once per cleanup and process, at the jobs whose
// servers the engine failed because the job had not finished within the
// launch timeout: DRS may have launched them since. Such a server becomes
// LAUNCHED with the instance its job gave it, so that the cleanup
// terminates that instance with the others. A job still running is
// recorded in an event: an instance it launches after this look is not
// cleaned up. It reports whether it changed anything.
func (e *Engine) findLateInstances(ctx context.Context, r *run) (bool, error) {
	if r.ex.Cleanup != plan.CleanupRunning || r.lateChecked {
		return false, nil
	}
	// The launches a stuck job failed, by account and region and job.
	byRegion := make(map[regionKey]map[string][]*plan.Launch)
	for _, l := range r.launches {
		if l.Status != plan.LaunchFailed || l.RecoveryInstanceID != "" || l.BatchID == "" {
			continue
		}
		b := r.batchByID[l.BatchID]
		if b == nil || b.Kind != plan.BatchLaunch || b.JobID == "" || b.EndTime == nil || b.Error == "" {
			continue
		}
		k := batchKey(b)
		if byRegion[k] == nil {
			byRegion[k] = make(map[string][]*plan.Launch)
		}
		byRegion[k][b.JobID] = append(byRegion[k][b.JobID], l)
	}
	if len(byRegion) == 0 {
		r.lateChecked = true
		return false, nil
	}

	now := e.now()
	c := &change{}
	for _, k := range sortedKeys(byRegion) {
		byJob := byRegion[k]
		ids := make([]string, 0, len(byJob))
		for id := range byJob {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		cl, err := e.client(ctx, k)
		if err != nil {
			return false, err
		}
		cctx, cancel := context.WithTimeout(ctx, e.opts.CallTimeout)
		e.calls.describe++
		jobs, err := cl.DescribeJobs(cctx, ids)
		cancel()
		if err != nil {
			return false, fmt.Errorf("look for late instances in %s: %w", k, err)
		}
		for _, job := range jobs {
			ls := byJob[job.ID]
			servers := make(map[string]drs.JobServer, len(job.Servers))
			for _, s := range job.Servers {
				servers[s.SourceServerID] = s
			}
			for _, l := range ls {
				s := servers[l.SourceServerID]
				if s.LaunchStatus != drs.LaunchLaunched || s.RecoveryInstanceID == "" {
					continue
				}
				l.Status = plan.LaunchLaunched
				l.RecoveryInstanceID, l.EC2InstanceID = s.RecoveryInstanceID, s.RecoveryInstanceID
				l.Error = "launched by job " + job.ID + " after its launch timeout: " + l.Error
				c.launch(l)
				c.event(now, "server_launched_late", l.Wave, l.SourceServerID, s.RecoveryInstanceID)
			}
			if job.Status != drs.JobCompleted {
				c.event(now, "late_job_running", ls[0].Wave, "", fmt.Sprintf(
					"job %s has not finished: a server it launches after this cleanup began is not terminated", job.ID))
			}
		}
	}
	changed := !c.empty()
	if changed {
		if err := e.commit(ctx, r, c); err != nil {
			return false, err
		}
	}
	r.lateChecked = true
	return changed, nil
}
