package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
)

// DRS is the part of the DRS API the engine calls, for one account and
// region, with the signatures of drs.Client.
type DRS interface {
	StartRecovery(ctx context.Context, servers []drs.ServerLaunch, isDrill bool, tags map[string]string) (drs.Job, error)
	DescribeJobs(ctx context.Context, ids []string) ([]drs.Job, error)
	FindJobs(ctx context.Context, from, to time.Time) ([]drs.Job, error)
	DescribeJobLog(ctx context.Context, jobID string) ([]drs.JobLogItem, error)
	TerminateRecoveryInstances(ctx context.Context, ids []string) (drs.Job, error)
}

// ClientSource hands out the DRS client of an account and region.
type ClientSource interface {
	For(ctx context.Context, accountID, region string) (DRS, error)
}

var _ DRS = (*drs.Client)(nil)

// FromClients adapts a drs.Clients registry to a ClientSource.
func FromClients(c *drs.Clients) ClientSource { return clientsSource{c} }

type clientsSource struct{ c *drs.Clients }

func (s clientsSource) For(ctx context.Context, accountID, region string) (DRS, error) {
	cl, err := s.c.For(ctx, accountID, region)
	if err != nil {
		return nil, err
	}
	return cl, nil
}

// Quotas are the DRS limits the scheduler keeps to, per account and region.
type Quotas struct {
	ServersPerJob       int // servers in one StartRecovery call (default 100)
	ActiveJobs          int // jobs active at once (default 20)
	ServersInActiveJobs int // servers in all active jobs (default 500)
}

// Options configure an Engine. Store, DRS and Owner are required.
type Options struct {
	Store store.Store
	DRS   ClientSource
	// Owner names this replica in leases; replicas must differ.
	Owner  string
	Clock  func() time.Time // default time.Now
	Logger *slog.Logger     // default: discard
	Quotas Quotas
	// LeaseDuration is how long a claim lasts without renewal (default
	// 2m); another replica takes an execution over after it.
	LeaseDuration time.Duration
	// PollMin and PollMax bound the wait between two observations of the
	// jobs of one account and region (defaults 5s and 60s). The loop runs
	// a round every PollMin, or sooner when a health gate's next attempt
	// is due before then.
	PollMin, PollMax time.Duration
	// RoundTimeout bounds one round of the loop (default 5m). Hooks are
	// called inside a round: every attempt of a wave's hooks, with their
	// backoff, must fit in it.
	RoundTimeout time.Duration
	// CallTimeout bounds one DRS call, its retries included (default 1m).
	CallTimeout time.Duration
	// LandingMargin is how long after its deadline a StartRecovery call
	// is still assumed able to create a job (default 1m).
	LandingMargin time.Duration
	// ExpectedJobDuration is the launch time assumed before any job of
	// this engine has finished (default 5m, a Linux server).
	ExpectedJobDuration time.Duration
	// StuckTimeout fails the servers of a job not finished this long after
	// its request (default 2h).
	StuckTimeout time.Duration
	// HookClient makes the webhook calls (default: a plain http.Client;
	// each attempt has the hook's own timeout).
	HookClient *http.Client
	// Audit, when set, is told of every call that changes something in
	// AWS (StartRecovery, TerminateRecoveryInstances, ApplyLaunchSettings)
	// once it returns.
	Audit func(ctx context.Context, a Action)
	// EC2 describes recovery instances, for enrichment and the status
	// checks of health gates. nil: no enrichment, and a statusChecks gate
	// fails its attempts.
	EC2 EC2Source
	// Settings applies the launch settings of a group's servers before
	// their wave launches. nil: the launches of groups with launch
	// settings fail rather than launch with them unapplied.
	Settings SettingsApplier
	// GateClient makes the check URL calls of health gates (default: a
	// plain http.Client; each attempt has a 10s timeout).
	GateClient *http.Client

	// crashAt, when it returns true at a named step, aborts the round as
	// if the process had been killed there (tests only).
	crashAt func(step string) bool
}

// Action is one call the engine made to AWS that changes something, for
// the audit trail. Err is the call's error, nil when it succeeded.
type Action struct {
	Operation         string
	AccountID, Region string
	ExecutionID, Mode string
	BatchID, JobID    string
	Servers           int
	Err               error
}

// errCrash aborts a round at a test crash point.
var errCrash = errors.New("engine: crashed at a test crash point")

// Engine drives executions: it claims them, observes their DRS jobs,
// decides, acts and records. Reconcile is one round; Start runs rounds in
// the background.
type Engine struct {
	opts Options
	log  *slog.Logger

	mu      sync.Mutex // serializes rounds
	runs    map[string]*run
	regions map[regionKey]*regionState
	pending map[string]*pendingBatch // REQUESTING batches by batch ID
	rr      int                      // round-robin offset between executions
	expect  *expectations
	calls   callCounts
	health  health

	// nextGate is the earliest next attempt of a health gate, seen by
	// the latest round; the loop wakes for it.
	nextGate time.Time
	// enrichRetry holds back the instances DescribeInstances did not
	// know, by EC2 instance ID, until the time given.
	enrichRetry map[string]time.Time
	enrichErr   string // the latest enrichment error logged

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// callCounts counts outside calls, for tests and benchmarks.
type callCounts struct {
	startRecovery, terminate, describe, find, jobLog int
	commits, records                                 int // records: waves, launches, batches written

	applySettings, describeInstances, instanceStatus, gateURL int
}

// New returns an Engine with defaults filled in.
func New(o Options) *Engine {
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.LeaseDuration, 2*time.Minute)
	def(&o.PollMin, 5*time.Second)
	def(&o.PollMax, time.Minute)
	def(&o.RoundTimeout, 5*time.Minute)
	def(&o.CallTimeout, time.Minute)
	def(&o.LandingMargin, time.Minute)
	def(&o.ExpectedJobDuration, 5*time.Minute)
	def(&o.StuckTimeout, 2*time.Hour)
	if o.PollMax < o.PollMin {
		o.PollMax = o.PollMin
	}
	if o.Quotas.ServersPerJob <= 0 {
		o.Quotas.ServersPerJob = 100
	}
	if o.Quotas.ActiveJobs <= 0 {
		o.Quotas.ActiveJobs = 20
	}
	if o.Quotas.ServersInActiveJobs <= 0 {
		o.Quotas.ServersInActiveJobs = 500
	}
	if o.HookClient == nil {
		o.HookClient = &http.Client{}
	}
	if o.GateClient == nil {
		o.GateClient = &http.Client{}
	}
	return &Engine{
		opts:    o,
		log:     o.Logger.With("component", "engine", "owner", o.Owner),
		runs:    make(map[string]*run),
		regions: make(map[regionKey]*regionState),
		pending: make(map[string]*pendingBatch),
		expect:  newExpectations(o.ExpectedJobDuration),

		enrichRetry: make(map[string]time.Time),
	}
}

// Start runs rounds in the background until ctx ends or Stop is called.
func (e *Engine) Start(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	e.cancel = cancel
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		e.loop(ctx)
	}()
}

// Stop ends the loop, waits for the round in progress and gives up every
// lease this engine holds, so that another replica can take over at once.
func (e *Engine) Stop() {
	if e.cancel != nil {
		e.cancel()
	}
	e.wg.Wait()

	e.mu.Lock()
	defer e.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for id := range e.runs {
		if err := e.opts.Store.Release(ctx, id, e.opts.Owner); err != nil {
			e.log.Warn("release lease", "execution_id", id, "error", err)
		}
		delete(e.runs, id)
	}
}

func (e *Engine) loop(ctx context.Context) {
	t := time.NewTimer(0)
	defer t.Stop()
	var lastErr string
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		rctx, cancel := context.WithTimeout(ctx, e.opts.RoundTimeout)
		err := e.Reconcile(rctx)
		cancel()

		// A failure that repeats every round is logged once.
		switch {
		case err != nil && err.Error() != lastErr:
			e.log.Warn("round", "error", err)
			lastErr = err.Error()
		case err == nil && lastErr != "":
			e.log.Info("round recovered")
			lastErr = ""
		}
		t.Reset(e.wait())
	}
}

// Reconcile runs one round: claim, observe, resolve, decide, schedule.
func (e *Engine) Reconcile(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	err := e.reconcile(ctx)
	e.health.record(e.now(), err)
	return err
}

func (e *Engine) reconcile(ctx context.Context) error {

	var errs []error
	note := func(err error) bool {
		if err != nil {
			errs = append(errs, err)
		}
		return errors.Is(err, errCrash)
	}
	if note(e.claim(ctx)) {
		return errors.Join(errs...)
	}
	if note(e.observe(ctx)) {
		return errors.Join(errs...)
	}
	if note(e.resolve(ctx)) {
		return errors.Join(errs...)
	}
	// Enrichment is a nicety: EC2 failing to answer is logged (once
	// while it repeats) and fails neither the round nor Health.
	if err := e.enrich(ctx); err != nil && err.Error() != e.enrichErr {
		e.log.Warn("enrich launches", "error", err)
		e.enrichErr = err.Error()
	} else if err == nil {
		e.enrichErr = ""
	}
	e.nextGate = time.Time{}
	for _, r := range e.sortedRuns() {
		if note(e.decide(ctx, r)) {
			return errors.Join(errs...)
		}
	}
	note(e.schedule(ctx))
	return errors.Join(errs...)
}

func (e *Engine) now() time.Time { return e.opts.Clock() }

// wait returns how long the loop sleeps before its next round: PollMin,
// or less when a health gate's next attempt is due sooner.
func (e *Engine) wait() time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	d := e.opts.PollMin
	if !e.nextGate.IsZero() {
		d = min(d, max(e.nextGate.Sub(e.now()), 100*time.Millisecond))
	}
	return d
}

// crash reports whether a test asked the round to die at step.
func (e *Engine) crash(step string) error {
	if e.opts.crashAt != nil && e.opts.crashAt(step) {
		return fmt.Errorf("%w: %s", errCrash, step)
	}
	return nil
}

func (e *Engine) sortedRuns() []*run {
	out := make([]*run, 0, len(e.runs))
	for _, r := range e.runs {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ex.ID < out[j].ex.ID })
	return out
}

// claim lists the executions with work, claims or renews their leases,
// loads the new ones and refreshes what the API may have written.
func (e *Engine) claim(ctx context.Context) error {
	now := e.now()
	var listed []plan.Execution
	opts := store.ListOptions{Limit: 1000}
	for {
		page, err := e.opts.Store.ListExecutions(ctx, store.ExecutionFilter{Actionable: true}, opts)
		if err != nil {
			return fmt.Errorf("list executions: %w", err)
		}
		listed = append(listed, page.Items...)
		if page.NextToken == "" {
			break
		}
		opts.NextToken = page.NextToken
	}

	seen := make(map[string]bool, len(listed))
	var errs []error
	for i := range listed {
		x := &listed[i]
		seen[x.ID] = true
		r := e.runs[x.ID]
		if x.LeaseOwner != "" && x.LeaseOwner != e.opts.Owner && x.LeaseExpiry.After(now) {
			if r != nil {
				e.drop(r, "lease held by "+x.LeaseOwner)
			}
			continue
		}
		if r == nil || r.leaseExpiry.Sub(now) < e.opts.LeaseDuration*3/4 {
			expiry := now.Add(e.opts.LeaseDuration)
			err := e.opts.Store.Claim(ctx, x.ID, e.opts.Owner, now, expiry)
			if errors.Is(err, store.ErrLeaseHeld) {
				if r != nil {
					e.drop(r, "lease held by another owner")
				}
				continue
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("claim execution %s: %w", x.ID, err))
				continue
			}
			if r == nil {
				if r, err = e.load(ctx, x.ID); err != nil {
					errs = append(errs, err)
					continue
				}
				e.runs[x.ID] = r
				e.log.Info("execution claimed", "execution_id", x.ID, "status", r.ex.Status)
			}
			r.leaseExpiry = expiry
		}

		// Only the API writes a header this engine did not: take its
		// requests.
		if x.Version != r.ex.Version {
			h := *x
			r.ex = &h
		}
		if err := e.refreshWaves(ctx, r); err != nil {
			errs = append(errs, err)
		}
	}
	for id, r := range e.runs {
		if !seen[id] {
			if err := e.opts.Store.Release(ctx, id, e.opts.Owner); err != nil && !errors.Is(err, store.ErrNotFound) {
				errs = append(errs, fmt.Errorf("release execution %s: %w", id, err))
			}
			e.drop(r, "no work left")
		}
	}
	return errors.Join(errs...)
}

// renew extends the lease of an execution this engine drives; losing it
// drops the execution.
func (e *Engine) renew(ctx context.Context, r *run) error {
	now := e.now()
	expiry := now.Add(e.opts.LeaseDuration)
	if err := e.opts.Store.Claim(ctx, r.ex.ID, e.opts.Owner, now, expiry); err != nil {
		e.drop(r, "lease not renewed")
		return fmt.Errorf("renew lease of %s: %w", r.ex.ID, err)
	}
	r.leaseExpiry = expiry
	return nil
}

// refreshWaves rereads the waves of an execution with a gated wave not
// yet approved, which the API approves by writing the wave.
func (e *Engine) refreshWaves(ctx context.Context, r *run) error {
	waiting := false
	for _, w := range r.waves {
		// The API may approve a gated wave before it waits.
		if w.Status == plan.WaveAwaitingApproval ||
			(w.Status == plan.WavePending && !w.Approved && r.wave(w.Name).PauseBefore) {
			waiting = true
			break
		}
	}
	if !waiting {
		return nil
	}
	waves, err := e.opts.Store.ListWaves(ctx, r.ex.ID)
	if err != nil {
		return fmt.Errorf("list waves of %s: %w", r.ex.ID, err)
	}
	for i := range waves {
		w := r.waveByName[waves[i].Name]
		if w != nil && w.Version != waves[i].Version {
			*w = waves[i]
		}
	}
	return nil
}

// load reads an execution and all its records.
func (e *Engine) load(ctx context.Context, id string) (*run, error) {
	ex, err := e.opts.Store.GetExecution(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("load execution %s: %w", id, err)
	}
	waves, err := e.opts.Store.ListWaves(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("load waves of %s: %w", id, err)
	}
	launches, err := e.opts.Store.ListLaunches(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("load launches of %s: %w", id, err)
	}
	batches, err := e.opts.Store.ListBatches(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("load batches of %s: %w", id, err)
	}
	return newRun(ex, waves, launches, batches), nil
}

// drop forgets an execution; the store has its last committed state.
// What this process learnt about its REQUESTING batches is kept: it is
// still true when the execution is loaded again.
func (e *Engine) drop(r *run, why string) {
	if _, ok := e.runs[r.ex.ID]; !ok {
		return
	}
	delete(e.runs, r.ex.ID)
	if !plan.Active(r.ex.Status) && r.ex.Cleanup != plan.CleanupRunning {
		for _, b := range r.batches {
			delete(e.pending, b.ID)
		}
	}
	e.log.Info("execution dropped", "execution_id", r.ex.ID, "reason", why)
}
