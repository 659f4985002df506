// Package readiness checks, on demand and on a schedule, that every
// recovery plan could run now: each of its servers exists in DRS, is
// replicating (CONTINUOUS), has a snapshot younger than a maximum age, and
// belongs to exactly one protection group; and that its groups still
// resolve to the servers its last drill launched (drift).
//
// A check costs one DescribeSourceServers per account and region and one
// DescribeRecoverySnapshots per server; the Monitor runs it every
// Interval and serves the cached result in between, so that readers never
// drive DRS calls themselves.
package readiness

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/execution"
	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
)

// Problem codes.
const (
	CodeMissingGroup   = "missing_group"
	CodeEmptyGroup     = "empty_group"
	CodeUnknownServer  = "unknown_server"
	CodeUnhealthy      = "replication_unhealthy"
	CodeStaleSnapshot  = "snapshot_stale"
	CodeDuplicate      = "duplicate_server"
	CodeDrift          = "drift"
	CodeDRSUnavailable = "drs_error"

	// Warning codes: they do not make a plan unready.
	CodeSettingsDrift      = "launch_settings_drift"
	CodeSettingsUnreadable = "launch_settings_unreadable"
)

// DRS is the part of the DRS port a check reads, for one account and
// region.
type DRS interface {
	DescribeSourceServers(ctx context.Context, ids []string) ([]drs.SourceServer, error)
	DescribeSnapshots(ctx context.Context, sourceServerID string, from, to time.Time) ([]drs.Snapshot, error)
}

// DRSFunc returns the DRS client of an account and region.
type DRSFunc func(ctx context.Context, accountID, region string) (DRS, error)

// DRSOf adapts a function returning a concrete client, such as
// (*drs.Clients).For, to a DRSFunc.
func DRSOf[C DRS](f func(ctx context.Context, accountID, region string) (C, error)) DRSFunc {
	return func(ctx context.Context, accountID, region string) (DRS, error) {
		c, err := f(ctx, accountID, region)
		if err != nil {
			return nil, err
		}
		return c, nil
	}
}

// SettingsDrift reads back the launch settings of servers of one account
// and region and compares them with their intent: the Drift of the launch
// settings service (internal/launchcfg).
type SettingsDrift interface {
	Drift(ctx context.Context, accountID, region string, targets []plan.SettingsTarget) ([]plan.ServerDrift, error)
}

// Options configure a Monitor. Store and DRS are required.
type Options struct {
	Store store.Store
	DRS   DRSFunc
	Clock func() time.Time // time.Now when nil
	// Logger gets the loop's events; discard when nil.
	Logger *slog.Logger
	// MaxSnapshotAge is how old a server's newest snapshot may be
	// (default 1h).
	MaxSnapshotAge time.Duration
	// Interval is the wait between two scheduled checks, and how long a
	// cached result is served (default 15m).
	Interval time.Duration
	// CheckTimeout bounds one check (default 5m).
	CheckTimeout time.Duration
	// Concurrency bounds the snapshot lookups in flight (default 8).
	Concurrency int
	// Settings, when set, checks the launch settings of the plans' groups
	// for drift; a drifted or unreadable server is a warning.
	Settings SettingsDrift
	// OnResult, when set, is called with every full check's result, for
	// notifications. It must not block for long.
	OnResult func(*Result)
}

// Result is one check of every plan (or of one).
type Result struct {
	CheckedAt             time.Time    `json:"checkedAt"`
	Ready                 bool         `json:"ready"`
	MaxSnapshotAgeSeconds float64      `json:"maxSnapshotAgeSeconds"`
	Problems              int          `json:"problems"`
	Warnings              int          `json:"warnings"` // the plans' warnings, which leave them ready
	Plans                 []PlanResult `json:"plans"`
}

// PlanResult is the readiness of one plan.
type PlanResult struct {
	PlanID   string    `json:"planId"`
	PlanName string    `json:"planName"`
	Ready    bool      `json:"ready"`
	Servers  int       `json:"servers"`
	Problems []Problem `json:"problems"`
	// Warnings deserve a look but do not stop the plan from running:
	// launch settings that drifted from their intent, or could not be
	// read back.
	Warnings []Problem `json:"warnings"`
	// Drift is absent when the plan has no finished drill to compare with.
	Drift *Drift `json:"drift,omitempty"`
}

// Problem is one reason a plan is not ready.
type Problem struct {
	Code           string `json:"code"`
	Message        string `json:"message"`
	Wave           string `json:"wave,omitempty"`
	GroupID        string `json:"protectionGroupId,omitempty"`
	SourceServerID string `json:"sourceServerId,omitempty"`
}

// Drift compares a plan's servers now with those its last finished drill
// launched.
type Drift struct {
	ExecutionID string        `json:"executionId"`
	DrillTime   time.Time     `json:"drillTime"`
	Changed     bool          `json:"changed"`
	Added       []DriftServer `json:"added"`
	Removed     []DriftServer `json:"removed"`
}

// DriftServer is a server that joined or left a plan since its last drill.
type DriftServer struct {
	SourceServerID string `json:"sourceServerId"`
	GroupID        string `json:"protectionGroupId"`
}

// Monitor runs checks and keeps the latest full result.
type Monitor struct {
	opts Options
	log  *slog.Logger

	checking sync.Mutex // one check at a time
	mu       sync.Mutex
	latest   *Result

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New returns a Monitor; Start runs its schedule.
func New(opts Options) *Monitor {
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxSnapshotAge <= 0 {
		opts.MaxSnapshotAge = time.Hour
	}
	if opts.Interval <= 0 {
		opts.Interval = 15 * time.Minute
	}
	if opts.CheckTimeout <= 0 {
		opts.CheckTimeout = 5 * time.Minute
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 8
	}
	return &Monitor{opts: opts, log: opts.Logger.With("component", "readiness")}
}

// Latest returns the latest full result, or nil before the first check.
func (m *Monitor) Latest() *Result {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.latest
}

// Get returns the readiness of every plan, or of planID when not empty:
// the cached result while it is younger than Interval, a new check
// otherwise or when refresh is set.
func (m *Monitor) Get(ctx context.Context, planID string, refresh bool) (*Result, error) {
	if !refresh {
		if r := m.fresh(planID); r != nil {
			return r, nil
		}
	}
	return m.check(ctx, planID, !refresh)
}

// fresh returns the cached result (narrowed to planID) if it is fresh
// and holds the plan.
func (m *Monitor) fresh(planID string) *Result {
	r := m.Latest()
	if r == nil || m.opts.Clock().Sub(r.CheckedAt) >= m.opts.Interval {
		return nil
	}
	if planID == "" {
		return r
	}
	for _, p := range r.Plans {
		if p.PlanID == planID {
			return summarize(r.CheckedAt, r.MaxSnapshotAgeSeconds, []PlanResult{p})
		}
	}
	return nil
}

// Check runs a check now, of every plan or of planID only; a full check
// becomes the cached result. An unknown planID is an error matching
// store.ErrNotFound.
func (m *Monitor) Check(ctx context.Context, planID string) (*Result, error) {
	return m.check(ctx, planID, false)
}

// check runs a check; with cached, a result made fresh by the check that
// ran while this one waited its turn is served instead.
func (m *Monitor) check(ctx context.Context, planID string, cached bool) (*Result, error) {
	m.checking.Lock()
	defer m.checking.Unlock()
	if cached {
		if r := m.fresh(planID); r != nil {
			return r, nil
		}
	}
	c := &check{Monitor: m, now: m.opts.Clock().UTC(),
		inventories: map[regionKey][]drs.SourceServer{}, regionErr: map[regionKey]error{}}
	r, err := c.run(ctx, planID)
	if err != nil {
		return nil, err
	}
	if planID == "" {
		m.mu.Lock()
		m.latest = r
		m.mu.Unlock()
		if m.opts.OnResult != nil {
			m.opts.OnResult(r)
		}
	}
	return r, nil
}

// Start runs a check at once and then every Interval, until Stop.
func (m *Monitor) Start(ctx context.Context) {
	ctx, m.cancel = context.WithCancel(ctx)
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		m.loop(ctx)
	}()
}

// Stop ends the schedule and waits for a check in flight.
func (m *Monitor) Stop() {
	if m.cancel != nil {
		m.cancel()
	}
	m.wg.Wait()
}

func (m *Monitor) loop(ctx context.Context) {
	var lastErr string
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		cctx, cancel := context.WithTimeout(ctx, m.opts.CheckTimeout)
		r, err := m.Check(cctx, "")
		cancel()
		switch {
		case err != nil && ctx.Err() != nil:
			return
		case err != nil:
			// A failing check repeats every round; say so once.
			if err.Error() != lastErr {
				m.log.Warn("readiness check", "error", err)
			}
			lastErr = err.Error()
		default:
			if lastErr != "" {
				m.log.Info("readiness check recovered")
			}
			lastErr = ""
			m.log.Debug("readiness checked", "ready", r.Ready, "problems", r.Problems)
		}
		timer.Reset(m.opts.Interval)
	}
}

// summarize makes a Result of plan results.
func summarize(at time.Time, maxAge float64, plans []PlanResult) *Result {
	r := &Result{CheckedAt: at, Ready: true, MaxSnapshotAgeSeconds: maxAge, Plans: plans}
	for _, p := range plans {
		r.Problems += len(p.Problems)
		r.Warnings += len(p.Warnings)
		if !p.Ready {
			r.Ready = false
		}
	}
	return r
}

// errNoDRS is returned when the Monitor was built without DRS.
var errNoDRS = errors.New("readiness: no DRS configured")

type regionKey struct{ account, region string }

// check is one run of the checks, with the inventories it has read.
type check struct {
	*Monitor
	now         time.Time
	groups      map[string]plan.ProtectionGroup
	inventories map[regionKey][]drs.SourceServer
	regionErr   map[regionKey]error
	// claims counts the groups that claim each server, over every group.
	claims map[string][]string
	// stale holds the servers without a recent snapshot, with why.
	stale map[string]string
	// settings holds the launch settings warnings of each group checked.
	settings map[string][]Problem
}

func (c *check) run(ctx context.Context, planID string) (*Result, error) {
	if c.opts.DRS == nil {
		return nil, errNoDRS
	}
	var plans []plan.RecoveryPlan
	if planID != "" {
		p, err := c.opts.Store.GetPlan(ctx, planID)
		if err != nil {
			return nil, fmt.Errorf("load plan %q: %w", planID, err)
		}
		plans = []plan.RecoveryPlan{*p}
	} else {
		var err error
		if plans, err = allPlans(ctx, c.opts.Store); err != nil {
			return nil, err
		}
	}
	groups, err := allGroups(ctx, c.opts.Store)
	if err != nil {
		return nil, err
	}
	c.groups = map[string]plan.ProtectionGroup{}
	for _, g := range groups {
		c.groups[g.ID] = g
	}
	// Every group is resolved, not only the plans', so that a server
	// claimed by a group outside the plans checked is still a duplicate.
	c.claims = map[string][]string{}
	for _, g := range groups {
		inv, err := c.inventory(ctx, g)
		if err != nil {
			continue
		}
		servers, _ := execution.ResolveGroup(g, inv)
		for _, s := range servers {
			c.claims[s.ID] = append(c.claims[s.ID], g.ID)
		}
	}
	if err := c.snapshots(ctx, plans); err != nil {
		return nil, err
	}
	out := make([]PlanResult, 0, len(plans))
	for _, p := range plans {
		pr, err := c.plan(ctx, p)
		if err != nil {
			return nil, err
		}
		out = append(out, pr)
	}
	return summarize(c.now, c.opts.MaxSnapshotAge.Seconds(), out), nil
}

// inventory returns the source servers of g's account and region, read
// once per check. A failed read is remembered and reported per plan.
func (c *check) inventory(ctx context.Context, g plan.ProtectionGroup) ([]drs.SourceServer, error) {
	key := regionKey{g.AccountID, g.Region}
	if inv, ok := c.inventories[key]; ok {
		return inv, nil
	}
	if err, ok := c.regionErr[key]; ok {
		return nil, err
	}
	cl, err := c.opts.DRS(ctx, g.AccountID, g.Region)
	if err == nil {
		var inv []drs.SourceServer
		if inv, err = cl.DescribeSourceServers(ctx, nil); err == nil {
			c.inventories[key] = inv
			return inv, nil
		}
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	err = fmt.Errorf("describe source servers in %s: %w", g.Region, err)
	c.regionErr[key] = err
	return nil, err
}

// snapshots finds the servers of plans whose newest snapshot is older
// than MaxSnapshotAge, with bounded concurrency.
func (c *check) snapshots(ctx context.Context, plans []plan.RecoveryPlan) error {
	type target struct {
		key regionKey
		id  string
	}
	seen := map[string]bool{}
	var targets []target
	for _, p := range plans {
		for _, w := range p.Waves {
			for _, gid := range w.ProtectionGroupIDs {
				g, ok := c.groups[gid]
				if !ok {
					continue
				}
				inv, err := c.inventory(ctx, g)
				if err != nil {
					continue
				}
				servers, _ := execution.ResolveGroup(g, inv)
				for _, s := range servers {
					if !seen[s.ID] {
						seen[s.ID] = true
						targets = append(targets, target{regionKey{g.AccountID, g.Region}, s.ID})
					}
				}
			}
		}
	}
	why := make([]string, len(targets))
	eg, ectx := errgroup.WithContext(ctx)
	eg.SetLimit(c.opts.Concurrency)
	from := c.now.Add(-c.opts.MaxSnapshotAge)
	for i, t := range targets {
		eg.Go(func() error {
			cl, err := c.opts.DRS(ectx, t.key.account, t.key.region)
			if err != nil {
				why[i] = "snapshots unknown: " + err.Error()
				return nil
			}
			snaps, err := cl.DescribeSnapshots(ectx, t.id, from, c.now)
			switch {
			case ectx.Err() != nil:
				return ectx.Err()
			case err != nil:
				why[i] = "snapshots unknown: " + err.Error()
			case len(snaps) == 0:
				why[i] = fmt.Sprintf("no snapshot in the last %s", c.opts.MaxSnapshotAge)
			}
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		return fmt.Errorf("describe snapshots: %w", err)
	}
	c.stale = map[string]string{}
	for i, t := range targets {
		if why[i] != "" {
			c.stale[t.id] = why[i]
		}
	}
	return nil
}

// plan checks one plan.
func (c *check) plan(ctx context.Context, p plan.RecoveryPlan) (PlanResult, error) {
	pr := PlanResult{PlanID: p.ID, PlanName: p.Name, Problems: []Problem{}, Warnings: []Problem{}}
	add := func(code, wave, group, server, format string, args ...any) {
		pr.Problems = append(pr.Problems, Problem{Code: code, Wave: wave, GroupID: group,
			SourceServerID: server, Message: fmt.Sprintf(format, args...)})
	}
	now := map[string]string{} // server -> group
	reported := map[regionKey]bool{}
	resolved := true // every group became servers: drift can be judged
	for _, w := range p.Waves {
		for _, gid := range w.ProtectionGroupIDs {
			g, ok := c.groups[gid]
			if !ok {
				add(CodeMissingGroup, w.Name, gid, "", "wave %q names group %s, which does not exist", w.Name, gid)
				resolved = false
				continue
			}
			inv, err := c.inventory(ctx, g)
			if err != nil {
				if key := (regionKey{g.AccountID, g.Region}); !reported[key] {
					reported[key] = true
					add(CodeDRSUnavailable, w.Name, g.ID, "", "%v", err)
				}
				resolved = false
				continue
			}
			servers, unknown := execution.ResolveGroup(g, inv)
			for _, id := range unknown {
				add(CodeUnknownServer, w.Name, g.ID, id, "group %q: source server %s does not exist in %s",
					g.Name, id, g.Region)
			}
			if len(servers) == 0 && len(unknown) == 0 {
				add(CodeEmptyGroup, w.Name, g.ID, "", "group %q resolves to no source servers", g.Name)
			}
			for _, warn := range c.settingsDrift(ctx, g, servers) {
				warn.Wave = w.Name
				pr.Warnings = append(pr.Warnings, warn)
			}
			for _, s := range servers {
				now[s.ID] = g.ID
				pr.Servers++
				if s.ReplicationState != drs.StateContinuous {
					add(CodeUnhealthy, w.Name, g.ID, s.ID, "source server %s (group %q) is %s, not CONTINUOUS",
						s.ID, g.Name, s.ReplicationState)
				}
				if why, ok := c.stale[s.ID]; ok {
					add(CodeStaleSnapshot, w.Name, g.ID, s.ID, "source server %s (group %q): %s", s.ID, g.Name, why)
				}
				if claims := c.claims[s.ID]; len(claims) > 1 {
					add(CodeDuplicate, w.Name, g.ID, s.ID, "source server %s is claimed by %d groups: %s",
						s.ID, len(claims), c.groupNames(claims))
				}
			}
		}
	}
	if !resolved {
		pr.Ready = false
		return pr, nil
	}
	drift, err := c.drift(ctx, p, now)
	if err != nil {
		return pr, err
	}
	pr.Drift = drift
	if drift != nil && drift.Changed {
		add(CodeDrift, "", "", "", "the plan's groups now resolve to %d servers more and %d fewer than its last drill %s",
			len(drift.Added), len(drift.Removed), drift.ExecutionID)
	}
	pr.Ready = len(pr.Problems) == 0
	return pr, nil
}

func (c *check) groupNames(ids []string) string {
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = fmt.Sprintf("%q", c.groups[id].Name)
	}
	sort.Strings(names)
	out := names[0]
	for _, n := range names[1:] {
		out += ", " + n
	}
	return out
}
