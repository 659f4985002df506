package engine

import (
	"context"
	"errors"

	"github.com/drsorch/drsorch/internal/plan"
)

// usage is what the batches of every claimed execution hold of one account
// and region's quotas.
type usage struct{ jobs, servers int }

// candidate is work of one execution that needs DRS capacity: a batch to
// request again, or launches (one wave, one account and region) to pack
// into new batches.
type candidate struct {
	key      regionKey
	retry    *plan.Batch
	kind     string
	wave     string
	launches []*plan.Launch
}

// schedule requests batches while the quotas allow, across every
// execution this engine drives: in passes, each execution in turn takes one
// batch, so that executions sharing an account and region share it fairly.
func (e *Engine) schedule(ctx context.Context) error {
	used := e.usage()

	sorted := e.sortedRuns()
	if len(sorted) == 0 {
		return nil
	}
	// Each round starts the turns with the next execution.
	e.rr = (e.rr + 1) % len(sorted)
	runs := make([]*run, 0, len(sorted))
	runs = append(runs, sorted[e.rr:]...)
	runs = append(runs, sorted[:e.rr]...)
	queues := make([][]*candidate, len(runs))
	for i, r := range runs {
		queues[i] = e.candidates(r)
	}

	var errs []error
	for took := true; took; {
		took = false
		for i, r := range runs {
			if _, ok := e.runs[r.ex.ID]; !ok {
				queues[i] = nil
				continue
			}
			cand, n := e.take(queues[i], used)
			if cand == nil {
				continue
			}
			k := cand.key
			var err error
			if cand.retry != nil {
				err = e.request(ctx, r, cand.retry, r.launchesOf(cand.retry), false)
			} else {
				ls := cand.launches[:n]
				cand.launches = cand.launches[n:]
				err = e.request(ctx, r, newBatch(r, cand.kind, cand.wave, ls), ls, true)
			}
			if errors.Is(err, errCrash) {
				return err
			}
			if err != nil {
				errs = append(errs, err)
				continue
			}
			u := used[k]
			u.jobs++
			u.servers += n
			used[k] = u
			took = true
		}
	}
	return errors.Join(errs...)
}

// take picks an execution's next batch that fits its account and region
// now, and how many servers go into it.
func (e *Engine) take(q []*candidate, used map[regionKey]usage) (*candidate, int) {
	now := e.now()
	q0 := e.opts.Quotas
	for _, cand := range q {
		if cand.retry == nil && len(cand.launches) == 0 {
			continue
		}
		if e.region(cand.key).backoffUntil.After(now) {
			continue
		}
		u := used[cand.key]
		if u.jobs >= q0.ActiveJobs {
			continue
		}
		room := q0.ServersInActiveJobs - u.servers
		if cand.retry != nil {
			n := len(cand.retry.SourceServerIDs)
			p := e.pending[cand.retry.ID]
			if n > room || p == nil || !p.ready || now.Before(p.notBefore) {
				continue
			}
			e.pending[cand.retry.ID].ready = false
			return cand, n
		}
		n := min(len(cand.launches), q0.ServersPerJob, room)
		if n <= 0 {
			continue
		}
		return cand, n
	}
	return nil, 0
}

// usage counts, per account and region, the batches that may hold an
// active job: REQUESTING ones not yet known to have none, and REQUESTED
// ones whose job has not been seen to end.
func (e *Engine) usage() map[regionKey]usage {
	out := make(map[regionKey]usage)
	for _, r := range e.runs {
		for _, b := range r.batches {
			if !batchActive(b) {
				continue
			}
			if p := e.pending[b.ID]; p != nil && p.ready && b.Status == plan.BatchRequesting {
				continue
			}
			u := out[batchKey(b)]
			u.jobs++
			u.servers += len(b.SourceServerIDs)
			out[batchKey(b)] = u
		}
	}
	return out
}

// candidates lists an execution's work that needs capacity, oldest first:
// batches to request again, then each launching wave's pending launches
// per account and region, then a cleanup's instances to terminate.
func (e *Engine) candidates(r *run) []*candidate {
	var out []*candidate
	launching := r.ex.Status == plan.ExecRunning
	cleaning := r.ex.Cleanup == plan.CleanupRunning
	for _, b := range r.batches {
		if b.Status != plan.BatchRequesting {
			continue
		}
		if (b.Kind == plan.BatchLaunch && launching) || (b.Kind == plan.BatchTerminate && cleaning) {
			out = append(out, &candidate{key: batchKey(b), retry: b, kind: b.Kind, wave: b.Wave})
		}
	}
	if launching {
		for _, w := range r.waves {
			if w.Status != plan.WaveLaunching || !r.beforeDone(w) {
				continue
			}
			n := len(out)
			out = appendGrouped(out, plan.BatchLaunch, w.Name, r.byWave[w.Name], func(l *plan.Launch) bool {
				return l.Status == plan.LaunchPending && !busy(l) && !r.settingsDue(l)
			})
			for _, cand := range out[n:] {
				e.expect.sortLongestFirst(cand.launches)
			}
			// A server busy in another job goes alone, so that its batch
			// holds nobody else up.
			for _, l := range r.byWave[w.Name] {
				if l.Status == plan.LaunchPending && busy(l) && !r.settingsDue(l) {
					out = append(out, &candidate{key: launchKey(l), kind: plan.BatchLaunch, wave: w.Name,
						launches: []*plan.Launch{l}})
				}
			}
		}
	}
	if cleaning {
		// A cleanup is not staged by wave: a terminate batch takes any of
		// the execution's instances in its account and region.
		out = appendGrouped(out, plan.BatchTerminate, "", r.launches, terminable)
	}
	return out
}

// appendGrouped adds one candidate per account and region of the launches
// that pass keep, in their order.
func appendGrouped(out []*candidate, kind, wave string, ls []*plan.Launch, keep func(*plan.Launch) bool) []*candidate {
	idx := make(map[regionKey]*candidate)
	for _, l := range ls {
		if !keep(l) {
			continue
		}
		k := launchKey(l)
		cand := idx[k]
		if cand == nil {
			cand = &candidate{key: k, kind: kind, wave: wave}
			idx[k] = cand
			out = append(out, cand)
		}
		cand.launches = append(cand.launches, l)
	}
	return out
}
