package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
)

// regionKey is where DRS quotas apply: one account in one region.
type regionKey struct{ account, region string }

// String names the account and region for messages: "us-east-1" for the
// home account, "123456789012/us-east-1" for another.
func (k regionKey) String() string {
	if k.account == "" {
		return k.region
	}
	return k.account + "/" + k.region
}

// run is the engine's copy of one claimed execution, with indexes. It is
// always what the store holds plus nothing: every change is committed
// before the round goes on, and a failed commit drops the run, to be
// loaded again.
type run struct {
	ex          *plan.Execution
	waves       []*plan.WaveRun // by Index
	waveByName  map[string]*plan.WaveRun
	planWaves   map[string]*plan.Wave
	launches    []*plan.Launch
	byWave      map[string][]*plan.Launch
	byServer    map[string]*plan.Launch
	batches     []*plan.Batch
	batchByID   map[string]*plan.Batch
	leaseExpiry time.Time
	// withSettings names the frozen groups that manage launch settings.
	withSettings map[string]bool
	// settingsRetry is when the launch settings of a wave in an account
	// and region may be tried again after DRS or EC2 did not answer (by
	// wave name and region key); kept in memory only.
	settingsRetry map[string]time.Time
	// lateChecked says that this cleanup's look for instances launched
	// after their launch timeout was made (findLateInstances).
	lateChecked bool
}

func newRun(ex *plan.Execution, waves []plan.WaveRun, launches []plan.Launch, batches []plan.Batch) *run {
	r := &run{
		ex:         ex,
		waveByName: make(map[string]*plan.WaveRun, len(waves)),
		planWaves:  make(map[string]*plan.Wave, len(ex.Plan.Waves)),
		byWave:     make(map[string][]*plan.Launch, len(waves)),
		byServer:   make(map[string]*plan.Launch, len(launches)),
		batchByID:  make(map[string]*plan.Batch, len(batches)),

		withSettings:  make(map[string]bool),
		settingsRetry: make(map[string]time.Time),
	}
	for _, g := range ex.Groups {
		if g.HasLaunchSettings() {
			r.withSettings[g.ID] = true
		}
	}
	for i := range ex.Plan.Waves {
		r.planWaves[ex.Plan.Waves[i].Name] = &ex.Plan.Waves[i]
	}
	for i := range waves {
		w := &waves[i]
		r.waves = append(r.waves, w)
		r.waveByName[w.Name] = w
	}
	for i := range launches {
		l := &launches[i]
		r.launches = append(r.launches, l)
		r.byWave[l.Wave] = append(r.byWave[l.Wave], l)
		r.byServer[l.SourceServerID] = l
	}
	for i := range batches {
		r.addBatch(&batches[i])
	}
	return r
}

func (r *run) addBatch(b *plan.Batch) {
	r.batches = append(r.batches, b)
	r.batchByID[b.ID] = b
}

// group returns the frozen group of the execution with an ID, or nil.
func (r *run) group(id string) *plan.ProtectionGroup {
	for i := range r.ex.Groups {
		if r.ex.Groups[i].ID == id {
			return &r.ex.Groups[i]
		}
	}
	return nil
}

// settingsDue reports whether a launch waits for its launch settings to
// be applied before it may be batched.
func (r *run) settingsDue(l *plan.Launch) bool {
	return r.withSettings[l.GroupID] && l.SettingsAppliedAt == nil
}

// wave returns the frozen plan wave of a wave run; an unknown name (a plan
// edited by hand) gets an empty wave with the defaults.
func (r *run) wave(name string) *plan.Wave {
	if w := r.planWaves[name]; w != nil {
		return w
	}
	return &plan.Wave{Name: name}
}

// policy returns a wave's failure policy, "stop" by default.
func (r *run) policy(name string) string {
	if p := r.wave(name).FailurePolicy; p != "" {
		return p
	}
	return plan.FailureStop
}

// stuckTimeout returns how long a job of the wave may run before its
// unfinished servers fail: the wave's LaunchTimeoutMinutes, else def.
func (r *run) stuckTimeout(name string, def time.Duration) time.Duration {
	if m := r.wave(name).LaunchTimeoutMinutes; m > 0 {
		return time.Duration(m) * time.Minute
	}
	return def
}

// minSuccess returns a wave's MinSuccessPercent, 100 by default.
func (r *run) minSuccess(name string) int {
	if p := r.wave(name).MinSuccessPercent; p != nil {
		return *p
	}
	return 100
}

// deps returns the waves a wave depends on: DependsOn, or the previous
// wave when DependsOn is absent (a plan that was not normalized).
func (r *run) deps(w *plan.WaveRun) []string {
	pw := r.wave(w.Name)
	if pw.DependsOn != nil {
		return pw.DependsOn
	}
	if w.Index > 0 {
		for _, o := range r.waves {
			if o.Index == w.Index-1 {
				return []string{o.Name}
			}
		}
	}
	return nil
}

func (r *run) depsDone(w *plan.WaveRun) bool {
	for _, d := range r.deps(w) {
		if dw := r.waveByName[d]; dw != nil && !waveTerminal(dw.Status) {
			return false
		}
	}
	return true
}

// stoppedBy returns the name of a FAILED wave whose policy stops the plan.
func (r *run) stoppedBy() string {
	for _, w := range r.waves {
		if w.Status == plan.WaveFailed && r.policy(w.Name) == plan.FailureStop {
			return w.Name
		}
	}
	return ""
}

// launchesOf returns the launches of a batch that still belong to it.
func (r *run) launchesOf(b *plan.Batch) []*plan.Launch {
	out := make([]*plan.Launch, 0, len(b.SourceServerIDs))
	for _, id := range b.SourceServerIDs {
		l := r.byServer[id]
		if l == nil {
			continue
		}
		if b.Kind == plan.BatchTerminate || l.BatchID == b.ID {
			out = append(out, l)
		}
	}
	return out
}

// batchActive reports whether a batch may hold a DRS job that is not
// finished: it counts against the quotas and must be observed.
func batchActive(b *plan.Batch) bool {
	switch b.Status {
	case plan.BatchRequesting:
		return true
	case plan.BatchRequested:
		return b.EndTime == nil
	}
	return false
}

func batchKey(b *plan.Batch) regionKey   { return regionKey{b.AccountID, b.Region} }
func launchKey(l *plan.Launch) regionKey { return regionKey{l.AccountID, l.Region} }

func waveTerminal(s string) bool {
	switch s {
	case plan.WaveCompleted, plan.WavePartial, plan.WaveFailed, plan.WaveSkipped, plan.WaveCancelled:
		return true
	}
	return false
}

func launchTerminal(s string) bool {
	switch s {
	case plan.LaunchLaunched, plan.LaunchFailed, plan.LaunchSkipped,
		plan.LaunchTerminating, plan.LaunchTerminated:
		return true
	}
	return false
}

// launched reports whether a launch brought its server up (it may since
// have been cleaned up).
func launched(s string) bool {
	return s == plan.LaunchLaunched || s == plan.LaunchTerminating || s == plan.LaunchTerminated
}

// change collects the records one step modified, each once, and the events
// it appends, for one atomic Commit.
type change struct {
	header   bool
	waves    []*plan.WaveRun
	launches []*plan.Launch
	batches  []*plan.Batch
	events   []*plan.Event
	seen     map[any]bool
}

func (c *change) mark(p any) bool {
	if c.seen == nil {
		c.seen = make(map[any]bool)
	}
	if c.seen[p] {
		return false
	}
	c.seen[p] = true
	return true
}

func (c *change) wave(w *plan.WaveRun) {
	if c.mark(w) {
		c.waves = append(c.waves, w)
	}
}

func (c *change) launch(l *plan.Launch) {
	if c.mark(l) {
		c.launches = append(c.launches, l)
	}
}

func (c *change) batch(b *plan.Batch) {
	if c.mark(b) {
		c.batches = append(c.batches, b)
	}
}

func (c *change) event(now time.Time, typ, wave, server, msg string) {
	c.events = append(c.events, &plan.Event{
		Time: now, Type: typ, Wave: wave, SourceServerID: server, Message: msg,
	})
}

func (c *change) empty() bool {
	return !c.header && len(c.waves) == 0 && len(c.launches) == 0 &&
		len(c.batches) == 0 && len(c.events) == 0
}

// commit writes a change under the lease. On any failure the run is
// dropped: the store keeps its last state and the next round reloads it.
func (e *Engine) commit(ctx context.Context, r *run, c *change) error {
	if c.empty() {
		return nil
	}
	sc := &store.Change{
		ExecutionID: r.ex.ID,
		Owner:       e.opts.Owner,
		Now:         e.now(),
		Waves:       c.waves,
		Launches:    c.launches,
		Batches:     c.batches,
		Events:      c.events,
	}
	for _, ev := range c.events {
		ev.ExecutionID = r.ex.ID
	}
	if c.header {
		sc.Execution = r.ex
	}
	e.calls.commits++
	e.calls.records += len(c.waves) + len(c.launches) + len(c.batches)
	err := e.opts.Store.Commit(ctx, sc)
	*c = change{}
	if err != nil {
		e.drop(r, "commit failed")
		return fmt.Errorf("commit execution %s: %w", r.ex.ID, err)
	}
	return nil
}

// lower turns a status into the suffix of an event type.
func lower(status string) string { return strings.ToLower(status) }
