package engine

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/plan"
)

// Tags every launch job carries, by which a batch finds its job again.
const (
	TagExecution = "drsorch:execution"
	TagBatch     = "drsorch:batch"
)

// terminatePrefix marks a launch whose recovery instance a cleanup could
// not terminate; such a launch is not tried again in the same cleanup.
const terminatePrefix = "terminate: "

// findWindow is how long before a batch's request time its job may carry
// a creation time (clocks differ).
const findWindow = time.Minute

// pendingBatch is what this process knows about a batch still REQUESTING.
// It is lost on restart, which is safe: an unknown batch waits for the
// landing window like a batch whose call timed out.
type pendingBatch struct {
	// answered: DRS answered the last call, so it cannot land later.
	answered   bool
	nextLookup time.Time
	// ready: looked up after the last call could land, and no job found;
	// the batch may be requested again.
	ready bool
	// conflict is the ConflictException that refused the last call.
	conflict error
	// notBefore holds back a new call of a batch of one busy server.
	notBefore time.Time
}

// busyMark is the error of a PENDING launch whose server DRS reported busy
// in a job of someone else's: it waits in a batch of its own.
const busyMark = "waiting: source server busy in another DRS job"

// busy reports whether a launch waits for a job of someone else's.
func busy(l *plan.Launch) bool { return strings.HasPrefix(l.Error, busyMark) }

// regionState is the engine's view of one account and region: when its
// jobs are observed next and how long its requests back off.
type regionState struct {
	nextPoll     time.Time
	backoffUntil time.Time
	backoffs     int
}

func (e *Engine) region(k regionKey) *regionState {
	rs := e.regions[k]
	if rs == nil {
		rs = &regionState{}
		e.regions[k] = rs
	}
	return rs
}

// backoff delays the region's requests after a quota, conflict or
// throttling answer: 5s doubling up to 2m, with jitter of ±25%.
func (rs *regionState) backoff(now time.Time) time.Duration {
	d := 5 * time.Second << min(rs.backoffs, 5)
	if d > 2*time.Minute {
		d = 2 * time.Minute
	}
	d = d*3/4 + rand.N(d/2+1)
	rs.backoffs++
	rs.backoffUntil = now.Add(d)
	return d
}

func (e *Engine) client(ctx context.Context, k regionKey) (DRS, error) {
	cl, err := e.opts.DRS.For(ctx, k.account, k.region)
	if err != nil {
		return nil, fmt.Errorf("drs client for %s: %w", k, err)
	}
	return cl, nil
}

// newBatch forms a batch of launches (all PENDING, one wave, one account
// and region) or of launched servers to terminate.
func newBatch(r *run, kind, wave string, ls []*plan.Launch) *plan.Batch {
	b := &plan.Batch{
		ExecutionID: r.ex.ID,
		ID:          plan.NewID(plan.PrefixBatch),
		Kind:        kind,
		Wave:        wave,
		AccountID:   ls[0].AccountID,
		Region:      ls[0].Region,
		Status:      plan.BatchRequesting,
	}
	for _, l := range ls {
		b.SourceServerIDs = append(b.SourceServerIDs, l.SourceServerID)
	}
	return b
}

// request makes the DRS call of a batch under the exactly-once protocol:
// commit the batch REQUESTING at this time (with its launches, when new),
// call, commit the job ID. fresh batches and their launches are written
// for the first time; others are being requested again.
func (e *Engine) request(ctx context.Context, r *run, b *plan.Batch, ls []*plan.Launch, fresh bool) error {
	now := e.now()
	c := &change{}
	b.Status = plan.BatchRequesting
	b.RequestTime = now
	b.Error = ""
	c.batch(b)
	if fresh {
		r.addBatch(b)
		for _, l := range ls {
			if b.Kind == plan.BatchLaunch {
				l.Status = plan.LaunchRequested
				l.BatchID = b.ID
				l.RequestTime = &now
			} else {
				l.Status = plan.LaunchTerminating
				l.TerminateJobID = ""
			}
			c.launch(l)
		}
		typ := "batch_requested"
		if b.Kind == plan.BatchTerminate {
			typ = "terminate_requested"
		}
		c.event(now, typ, b.Wave, "", fmt.Sprintf("batch %s: %d servers in %s", b.ID, len(ls), batchKey(b)))
	}
	if err := e.commit(ctx, r, c); err != nil {
		return err
	}
	delete(e.pending, b.ID)
	if err := e.crash(b.Kind + "_request_committed"); err != nil {
		return err
	}

	k := batchKey(b)
	cl, err := e.client(ctx, k)
	if err != nil {
		e.pending[b.ID] = &pendingBatch{answered: true, nextLookup: now.Add(e.opts.PollMin)}
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, e.opts.CallTimeout)
	var job drs.Job
	if b.Kind == plan.BatchLaunch {
		servers := make([]drs.ServerLaunch, len(ls))
		for i, l := range ls {
			servers[i] = drs.ServerLaunch{SourceServerID: l.SourceServerID, RecoverySnapshotID: l.RecoverySnapshotID}
		}
		tags := map[string]string{TagExecution: r.ex.ID, TagBatch: b.ID}
		e.calls.startRecovery++
		job, err = cl.StartRecovery(cctx, servers, r.ex.Mode == plan.ModeDrill, tags)
	} else {
		ids := make([]string, len(ls))
		for i, l := range ls {
			ids[i] = l.RecoveryInstanceID
		}
		e.calls.terminate++
		job, err = cl.TerminateRecoveryInstances(cctx, ids)
	}
	cancel()
	if e.opts.Audit != nil {
		op := "StartRecovery"
		if b.Kind != plan.BatchLaunch {
			op = "TerminateRecoveryInstances"
		}
		e.opts.Audit(ctx, Action{Operation: op, AccountID: b.AccountID, Region: b.Region,
			ExecutionID: r.ex.ID, Mode: r.ex.Mode, BatchID: b.ID, JobID: job.ID, Servers: len(ls), Err: err})
	}
	if cerr := e.crash(b.Kind + "_request_returned"); cerr != nil {
		return cerr
	}
	if err != nil {
		return e.requestFailed(ctx, r, b, ls, err)
	}
	e.region(k).backoffs = 0
	// The job exists: record it even when the round is being cancelled,
	// which spares the next owner a lookup.
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := e.adopt(actx, r, b, job, "job_started"); err != nil {
		return err
	}
	return e.crash(b.Kind + "_job_committed")
}

// requestFailed handles a DRS call that returned an error. Only a
// validation or not-found error is final: the batch's servers fail with
// it. Any other answer (quota, conflict, throttling, a 5xx, a timeout)
// leaves the batch REQUESTING, because an earlier attempt inside the call
// may have created the job: it is looked up before it is requested again.
func (e *Engine) requestFailed(ctx context.Context, r *run, b *plan.Batch, ls []*plan.Launch, err error) error {
	now := e.now()
	k := batchKey(b)
	if errors.Is(err, drs.ErrValidation) || errors.Is(err, drs.ErrNotFound) {
		c := &change{}
		b.Status = plan.BatchFailed
		b.Error = err.Error()
		b.EndTime = &now
		c.batch(b)
		c.event(now, "batch_failed", b.Wave, "", fmt.Sprintf("batch %s: %v", b.ID, err))
		for _, l := range ls {
			if b.Kind == plan.BatchLaunch {
				failLaunch(c, l, now, err.Error())
			} else {
				terminateFailed(c, l, now, err.Error())
			}
		}
		return e.commit(ctx, r, c)
	}

	p := &pendingBatch{answered: answered(err)}
	if errors.Is(err, drs.ErrConflict) {
		p.conflict = err
	}
	if p.conflict != nil && len(ls) == 1 && busy(ls[0]) {
		// One server waiting for another job says nothing of the region:
		// look up soon (to know there is no job of ours), call again later.
		p.nextLookup = now.Add(e.opts.PollMin)
		p.notBefore = now.Add(e.opts.PollMax)
		e.pending[b.ID] = p
		return nil
	}
	var wait time.Duration
	if errors.Is(err, drs.ErrQuota) || errors.Is(err, drs.ErrThrottled) ||
		errors.Is(err, drs.ErrConflict) || errors.Is(err, drs.ErrTransient) {
		wait = e.region(k).backoff(now)
	}
	p.nextLookup = now.Add(max(wait, e.opts.PollMin))
	e.pending[b.ID] = p
	e.log.Warn("request waits", "execution_id", r.ex.ID, "batch_id", b.ID,
		"region", k.String(), "retry_in", wait, "error", err)
	return nil
}

// answered reports whether DRS itself answered a failed call, so that the
// call cannot still create a job later.
func answered(err error) bool {
	for _, c := range []error{drs.ErrQuota, drs.ErrThrottled, drs.ErrConflict, drs.ErrValidation, drs.ErrNotFound} {
		if errors.Is(err, c) {
			return true
		}
	}
	return false
}

// adopt records the job of a batch: REQUESTED with its job ID, and its
// launches LAUNCHING (or, for a terminate batch, their terminate job).
func (e *Engine) adopt(ctx context.Context, r *run, b *plan.Batch, job drs.Job, typ string) error {
	now := e.now()
	c := &change{}
	b.Status = plan.BatchRequested
	b.JobID = job.ID
	b.Error = ""
	c.batch(b)
	for _, l := range r.launchesOf(b) {
		switch {
		case b.Kind == plan.BatchLaunch && l.Status == plan.LaunchRequested:
			l.Status = plan.LaunchLaunching
			l.JobID = job.ID
			if busy(l) {
				l.Error = "" // no longer waiting
			}
			c.launch(l)
		case b.Kind == plan.BatchTerminate && l.Status == plan.LaunchTerminating:
			l.TerminateJobID = job.ID
			c.launch(l)
		}
	}
	c.event(now, typ, b.Wave, "", fmt.Sprintf("batch %s: job %s", b.ID, job.ID))
	if err := e.commit(ctx, r, c); err != nil {
		return err
	}
	delete(e.pending, b.ID)
	rs := e.region(batchKey(b))
	next := now.Add(e.pollDelay(r, b, now))
	if rs.nextPoll.IsZero() || next.Before(rs.nextPoll) {
		rs.nextPoll = next
	}
	return nil
}

// resolve settles the batches left REQUESTING by a crash, a lost lease or
// a failed call: one FindJobs per account and region over the jobs created
// since their requests. A job found is adopted; none found makes the batch
// ready to be requested again once its last call cannot land any more.
func (e *Engine) resolve(ctx context.Context) error {
	now := e.now()
	type item struct {
		r *run
		b *plan.Batch
	}
	byRegion := make(map[regionKey][]item)
	for _, r := range e.sortedRuns() {
		for _, b := range r.batches {
			if b.Status != plan.BatchRequesting {
				continue
			}
			if p := e.pending[b.ID]; p != nil && (p.ready || now.Before(p.nextLookup)) {
				continue
			}
			byRegion[batchKey(b)] = append(byRegion[batchKey(b)], item{r, b})
		}
	}

	var errs []error
	for _, k := range sortedKeys(byRegion) {
		items := byRegion[k]
		from := items[0].b.RequestTime
		for _, it := range items {
			if it.b.RequestTime.Before(from) {
				from = it.b.RequestTime
			}
		}
		cl, err := e.client(ctx, k)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, e.opts.CallTimeout)
		e.calls.find++
		// No upper bound: DRS's clock may be ahead of ours (an emulator
		// with a time scale is), and a job dated in our future is still
		// the batch's.
		jobs, err := cl.FindJobs(cctx, from.Add(-findWindow), time.Time{})
		cancel()
		if err != nil {
			errs = append(errs, fmt.Errorf("resolve batches in %s: %w", k, err))
			continue
		}
		taken := e.jobsInUse()
		for _, it := range items {
			if _, ok := e.runs[it.r.ex.ID]; !ok {
				continue // dropped by a failed commit this round
			}
			job, ok := matchJob(it.b, jobs, taken)
			if ok {
				taken[job.ID] = true
				if err := e.adopt(ctx, it.r, it.b, job, "job_adopted"); err != nil {
					errs = append(errs, err)
				}
				if err := e.crash("job_adopted"); err != nil {
					return err
				}
				continue
			}
			if err := e.notFound(ctx, it.r, it.b, now); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// notFound handles a REQUESTING batch that has no job. While the last call
// may still land the batch waits; after that it may be requested again, or,
// when the execution is cancelling, it is given up.
func (e *Engine) notFound(ctx context.Context, r *run, b *plan.Batch, now time.Time) error {
	p := e.pending[b.ID]
	if p == nil {
		p = &pendingBatch{}
		e.pending[b.ID] = p
	}
	landBy := b.RequestTime.Add(e.opts.CallTimeout + e.opts.LandingMargin)
	if !p.answered && now.Before(landBy) {
		p.nextLookup = landBy
		return nil
	}
	p.ready = true
	if b.Kind == plan.BatchLaunch && p.conflict != nil && r.ex.Status != plan.ExecCancelling {
		return e.conflicted(ctx, r, b, p, now)
	}
	if b.Kind != plan.BatchLaunch || r.ex.Status != plan.ExecCancelling {
		return nil
	}
	c := &change{}
	b.Status = plan.BatchFailed
	b.Error = "cancelled before DRS started a job"
	b.EndTime = &now
	c.batch(b)
	for _, l := range r.launchesOf(b) {
		if l.Status == plan.LaunchRequested {
			skipLaunch(c, l, now, "execution cancelled")
		}
	}
	c.event(now, "batch_cancelled", b.Wave, "", "batch "+b.ID)
	delete(e.pending, b.ID)
	return e.commit(ctx, r, c)
}

// conflicted handles a launch batch that DRS refused with
// ConflictException and that has no job: a server of it is busy in a job
// this batch did not start (another execution's, another tool's, or its
// own earlier job that never finished). The server DRS names leaves the
// batch, back to PENDING, so that the others need not wait for it. A
// server alone in its batch waits for the other job, and fails once it has
// waited longer than its wave's launch timeout, so that nothing waits
// forever on a job that never ends.
func (e *Engine) conflicted(ctx context.Context, r *run, b *plan.Batch, p *pendingBatch, now time.Time) error {
	ls := r.launchesOf(b)
	c := &change{}
	busy, _ := drs.ConflictResource(p.conflict)
	if l := r.byServer[busy]; len(ls) > 1 && l != nil && l.BatchID == b.ID {
		b.SourceServerIDs = slices.DeleteFunc(slices.Clone(b.SourceServerIDs), func(id string) bool { return id == busy })
		c.batch(b)
		l.Status = plan.LaunchPending
		l.BatchID = ""
		l.Error = busyMark + ": " + p.conflict.Error()
		c.launch(l)
		c.event(now, "server_busy", b.Wave, busy, fmt.Sprintf("batch %s goes on without it: %v", b.ID, p.conflict))
		p.conflict = nil
		return e.commit(ctx, r, c)
	}
	timeout := r.stuckTimeout(b.Wave, e.opts.StuckTimeout)
	since := b.RequestTime
	for _, l := range ls {
		if l.RequestTime != nil && l.RequestTime.Before(since) {
			since = *l.RequestTime
		}
	}
	if now.Sub(since) <= timeout {
		return nil
	}
	msg := fmt.Sprintf("source server busy in another DRS job for over %s: %v", timeout, p.conflict)
	b.Status = plan.BatchFailed
	b.Error = msg
	b.EndTime = &now
	c.batch(b)
	c.event(now, "batch_failed", b.Wave, "", fmt.Sprintf("batch %s: %s", b.ID, msg))
	for _, l := range ls {
		failLaunch(c, l, now, msg)
	}
	delete(e.pending, b.ID)
	return e.commit(ctx, r, c)
}

// matchJob finds the job of a batch. A launch job carries the batch's
// tag. A terminate job carries no tags (TerminateRecoveryInstances takes
// none): it is the TERMINATE job created in the window whose participating
// servers are exactly the batch's, and not already another batch's.
func matchJob(b *plan.Batch, jobs []drs.Job, taken map[string]bool) (drs.Job, bool) {
	var found []drs.Job
	for _, j := range jobs {
		if taken[j.ID] {
			continue
		}
		if b.Kind == plan.BatchLaunch {
			if j.Tags[TagBatch] == b.ID {
				found = append(found, j)
			}
			continue
		}
		if j.Type != drs.JobTypeTerminate || j.CreatedAt.Before(b.RequestTime.Add(-findWindow)) {
			continue
		}
		if sameServers(b.SourceServerIDs, j.Servers) {
			found = append(found, j)
		}
	}
	if len(found) == 0 {
		return drs.Job{}, false
	}
	// The oldest one is the first call's; a later one could only be a
	// duplicate, which DRS refuses while the first is active.
	slices.SortFunc(found, func(a, b drs.Job) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return found[0], true
}

func sameServers(ids []string, servers []drs.JobServer) bool {
	if len(ids) != len(servers) {
		return false
	}
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	for _, s := range servers {
		if !want[s.SourceServerID] {
			return false
		}
		delete(want, s.SourceServerID)
	}
	return len(want) == 0
}

// jobsInUse returns the job IDs the batches in memory already hold.
func (e *Engine) jobsInUse() map[string]bool {
	out := make(map[string]bool)
	for _, r := range e.runs {
		for _, b := range r.batches {
			if b.JobID != "" {
				out[b.JobID] = true
			}
		}
	}
	return out
}

func sortedKeys[V any](m map[regionKey]V) []regionKey {
	keys := make([]regionKey, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b regionKey) int {
		if a.account != b.account {
			if a.account < b.account {
				return -1
			}
			return 1
		}
		if a.region < b.region {
			return -1
		}
		if a.region > b.region {
			return 1
		}
		return 0
	})
	return keys
}

func failLaunch(c *change, l *plan.Launch, now time.Time, msg string) {
	l.Status = plan.LaunchFailed
	l.Error = msg
	l.EndTime = &now
	c.launch(l)
	c.event(now, "server_failed", l.Wave, l.SourceServerID, msg)
}

func skipLaunch(c *change, l *plan.Launch, now time.Time, msg string) {
	l.Status = plan.LaunchSkipped
	l.Error = msg
	l.EndTime = &now
	c.launch(l)
	c.event(now, "server_skipped", l.Wave, l.SourceServerID, msg)
}

// terminateFailed puts a launch back to LAUNCHED, its instance still
// running, with the reason; the cleanup ends FAILED.
func terminateFailed(c *change, l *plan.Launch, now time.Time, msg string) {
	l.Status = plan.LaunchLaunched
	l.Error = terminatePrefix + msg
	c.launch(l)
	c.event(now, "server_terminate_failed", l.Wave, l.SourceServerID, msg)
}
