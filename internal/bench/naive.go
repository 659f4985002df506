package bench

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/drsorch/drsorch/internal/drs"
)

// Naive strategies, written directly on drs.Client the way a first
// orchestrator script would be: no batching across waves, no quota
// accounting, a fixed poll.
const (
	naiveStagger = time.Second
	naivePoll    = 30 * time.Second
)

// perServer runs the plan wave by wave with one StartRecovery per server,
// naiveStagger apart, then polls the wave's jobs every naivePoll until all
// have ended. With retry, a server refused for a quota, a conflict or
// throttling is asked for again after each poll; without it, a refused
// server is given up. It returns the number of refused calls.
func perServer(ctx context.Context, w *world, p benchPlan, retry bool) (int, error) {
	t0 := w.clock.Now()
	refused := 0
	for _, wave := range p.Waves {
		todo := wave.Servers
		var jobs []string
		for {
			var again []string
			for _, id := range todo {
				job, err := w.client.StartRecovery(ctx, []drs.ServerLaunch{{SourceServerID: id}}, true, nil)
				switch {
				case err == nil:
					jobs = append(jobs, job.ID)
				case retry && retryable(err):
					again = append(again, id)
				}
				if err != nil {
					refused++
				}
				w.clock.Add(naiveStagger)
			}
			todo = again
			w.clock.Add(naivePoll)
			done, err := jobsEnded(ctx, w, jobs)
			if err != nil {
				return refused, err
			}
			if done && len(todo) == 0 {
				break
			}
			if w.clock.Now().Sub(t0) > limit {
				return refused, fmt.Errorf("per-server: wave %s not ended after %s emulated", wave.Name, limit)
			}
		}
	}
	return refused, nil
}

// perWave runs the plan wave by wave with one StartRecovery of all the
// wave's servers, then polls its job every naivePoll until it ends. A
// refused wave is given up and the next one started. It returns the number
// of refused calls.
func perWave(ctx context.Context, w *world, p benchPlan) (int, error) {
	t0 := w.clock.Now()
	refused := 0
	for _, wave := range p.Waves {
		servers := make([]drs.ServerLaunch, len(wave.Servers))
		for i, id := range wave.Servers {
			servers[i] = drs.ServerLaunch{SourceServerID: id}
		}
		job, err := w.client.StartRecovery(ctx, servers, true, nil)
		if err != nil {
			refused++
			continue
		}
		for {
			w.clock.Add(naivePoll)
			done, err := jobsEnded(ctx, w, []string{job.ID})
			if err != nil {
				return refused, err
			}
			if done {
				break
			}
			if w.clock.Now().Sub(t0) > limit {
				return refused, fmt.Errorf("per-wave: wave %s not ended after %s emulated", wave.Name, limit)
			}
		}
	}
	return refused, nil
}

// retryable reports whether a refused StartRecovery may succeed later.
func retryable(err error) bool {
	return errors.Is(err, drs.ErrQuota) || errors.Is(err, drs.ErrConflict) || errors.Is(err, drs.ErrThrottled)
}

// jobsEnded reports whether every job has COMPLETED.
func jobsEnded(ctx context.Context, w *world, ids []string) (bool, error) {
	if len(ids) == 0 {
		return true, nil
	}
	jobs, err := w.client.DescribeJobs(ctx, ids)
	if err != nil {
		return false, fmt.Errorf("describe jobs: %w", err)
	}
	if len(jobs) != len(ids) {
		return false, fmt.Errorf("describe jobs: %d of %d jobs found", len(jobs), len(ids))
	}
	for _, j := range jobs {
		if j.Status != drs.JobCompleted {
			return false, nil
		}
	}
	return true, nil
}
