package execution

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
)

// Result is the answer to a successful Start.
type Result struct {
	ExecutionID string    `json:"executionId"`
	Warnings    []Warning `json:"warnings"`
}

// EventCreated is the type of the first event of every execution.
const EventCreated = "execution_created"

// snapshotLookups bounds the DescribeSnapshots calls in flight during one
// Start with a point in time.
const snapshotLookups = 8

// PointInTimeConsistent is the point in time, as a start request spells
// it, that recovers each wave to one instant (see PointInTime).
const PointInTimeConsistent = "consistent"

// PointInTime is what a start recovers the servers to. The zero value
// launches each server from a fresh snapshot taken at its request.
type PointInTime struct {
	// At launches each server from its latest snapshot taken at or
	// before it.
	At *time.Time
	// Consistent recovers each wave to one instant: the latest moment at
	// which every server of the wave has a snapshot (the earliest of the
	// servers' newest snapshots), each server from its latest snapshot
	// at or before it.
	Consistent bool
}

// ParsePointInTime reads a point in time as requests spell it: empty for
// none, an RFC 3339 time, or "consistent".
func ParsePointInTime(v string) (PointInTime, error) {
	switch v {
	case "":
		return PointInTime{}, nil
	case PointInTimeConsistent:
		return PointInTime{Consistent: true}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return PointInTime{}, fmt.Errorf("point in time %q is neither an RFC 3339 time nor %q", v, PointInTimeConsistent)
	}
	return PointInTime{At: &t}, nil
}

// Start is StartAt with pointInTime as At, or nil for fresh snapshots.
func (s *Service) Start(ctx context.Context, planID, mode string, pointInTime *time.Time, startedBy string) (Result, error) {
	return s.StartAt(ctx, planID, mode, PointInTime{At: pointInTime}, startedBy)
}

// StartAt checks that planID can run now in mode and writes its execution,
// frozen, with every launch PENDING, for the engine to pick up. Every
// problem found is reported together in one *Error; a refused start writes
// nothing. The servers launch from the snapshots pit chooses.
func (s *Service) StartAt(ctx context.Context, planID, mode string, pit PointInTime, startedBy string) (Result, error) {
	p, err := s.store.GetPlan(ctx, planID)
	if errors.Is(err, store.ErrNotFound) {
		return Result{}, notFound("recovery plan %q not found", planID)
	}
	if err != nil {
		return Result{}, fmt.Errorf("load plan %q: %w", planID, err)
	}
	c := &starter{Service: s, plan: p, mode: mode, pit: pit.At, consistent: pit.Consistent && pit.At == nil,
		now: s.now().UTC()}
	if err := c.check(ctx); err != nil {
		return Result{}, err
	}
	if err := c.refusal(); err != nil {
		return Result{}, err
	}
	return c.create(ctx, startedBy)
}

// starter carries one Start through its checks.
type starter struct {
	*Service
	plan *plan.RecoveryPlan
	mode string
	pit  *time.Time
	// consistent recovers each wave to one instant, kept in points.
	consistent bool
	now        time.Time

	groups   []plan.ProtectionGroup // in first-use order
	members  map[string][]drs.SourceServer
	snaps    map[string]drs.Snapshot // by source server
	points   map[string]time.Time    // by wave, when consistent
	problems []Problem
	warnings []Warning
}

func (c *starter) problem(code, field, server, format string, args ...any) {
	c.problems = append(c.problems, Problem{Code: code, Field: field,
		SourceServerID: server, Message: fmt.Sprintf(format, args...)})
}

func (c *starter) check(ctx context.Context) error {
	switch c.mode {
	case plan.ModeDrill, plan.ModeRecovery:
	default:
		c.problem("invalid", "mode", "", "mode %q is not %q or %q",
			c.mode, plan.ModeDrill, plan.ModeRecovery)
	}
	if c.pit != nil && c.pit.After(c.now) {
		c.problem("invalid", "pointInTime", "", "point in time %s is in the future",
			c.pit.Format(time.RFC3339))
	}
	if err := c.loadGroups(ctx); err != nil {
		return err
	}
	before := len(c.problems)
	c.validate()
	if len(c.problems) > before {
		// A plan that no longer holds together is not worth asking DRS
		// about.
		return nil
	}
	if err := c.resolve(ctx); err != nil {
		return err
	}
	if err := c.checkBusy(ctx); err != nil {
		return err
	}
	if len(c.problems) > 0 {
		// Describing instances and snapshots of a plan that cannot run
		// would only add calls.
		return nil
	}
	if err := c.checkInstances(ctx); err != nil {
		return err
	}
	return c.findSnapshots(ctx)
}

// loadGroups reads every group the plan's waves name, once each.
func (c *starter) loadGroups(ctx context.Context) error {
	seen := map[string]bool{}
	for _, w := range c.plan.Waves {
		for _, id := range w.ProtectionGroupIDs {
			if seen[id] {
				continue
			}
			seen[id] = true
			g, err := c.store.GetGroup(ctx, id)
			if errors.Is(err, store.ErrNotFound) {
				// validate names it.
				continue
			}
			if err != nil {
				return fmt.Errorf("load group %q: %w", id, err)
			}
			c.groups = append(c.groups, *g)
		}
	}
	return nil
}

// resolve evaluates every group against its account and region's inventory
// now, and checks each server found.
func (c *starter) resolve(ctx context.Context) error {
	c.members = map[string][]drs.SourceServer{}
	inventories := map[[2]string][]drs.SourceServer{}
	owner := map[string]string{} // source server -> group name
	for _, g := range c.groups {
		key := [2]string{g.AccountID, g.Region}
		inv, ok := inventories[key]
		if !ok {
			client, err := c.drs(ctx, g.AccountID, g.Region)
			if err != nil {
				return fmt.Errorf("drs client for %s/%s: %w", g.AccountID, g.Region, err)
			}
			inv, err = client.DescribeSourceServers(ctx, nil)
			if err != nil {
				return fmt.Errorf("describe source servers in %s: %w", g.Region, err)
			}
			inventories[key] = inv
		}
		servers, unknown := ResolveGroup(g, inv)
		for _, id := range unknown {
			c.problem("unknown_server", "", id,
				"group %q: source server %s does not exist in %s", g.Name, id, g.Region)
		}
		if len(servers) == 0 && len(unknown) == 0 {
			c.problem("empty_group", "", "", "group %q resolves to no source servers", g.Name)
		}
		for _, srv := range servers {
			if other, dup := owner[srv.ID]; dup {
				c.problem("duplicate_server", "", srv.ID,
					"source server %s is in both group %q and group %q", srv.ID, other, g.Name)
				continue
			}
			owner[srv.ID] = g.Name
			if srv.ReplicationState != drs.StateContinuous {
				c.problem("replication_unhealthy", "", srv.ID,
					"source server %s (group %q) is not ready: replication %s",
					srv.ID, g.Name, srv.ReplicationState)
			}
		}
		c.members[g.ID] = servers
	}
	return nil
}

// ResolveGroup returns the source servers of g found in inventory (the
// servers of g's account and region) ordered by ID, and the explicit IDs of
// g that inventory lacks. It is the one place a group becomes servers;
// membership itself is plan.ProtectionGroup.Matches.
func ResolveGroup(g plan.ProtectionGroup, inventory []drs.SourceServer) (servers []drs.SourceServer, unknown []string) {
	found := map[string]bool{}
	for _, srv := range inventory {
		if g.Matches(srv.ID, srv.Tags) && !found[srv.ID] {
			found[srv.ID] = true
			servers = append(servers, srv)
		}
	}
	for _, id := range g.SourceServerIDs {
		if !found[id] {
			unknown = append(unknown, id)
		}
	}
	sort.Slice(servers, func(i, j int) bool { return servers[i].ID < servers[j].ID })
	sort.Strings(unknown)
	return servers, slices.Compact(unknown)
}

// activeStatuses are the execution statuses plan.Active accepts.
var activeStatuses = []string{plan.ExecPending, plan.ExecRunning, plan.ExecPaused, plan.ExecCancelling}

// checkBusy refuses servers that another active execution holds, and a
// plan that already runs. CreateExecution closes the race for the plan;
// for servers shared by two plans started at the same instant it remains.
// TODO: claim servers in the store to close the two-plan race too.
func (c *starter) checkBusy(ctx context.Context) error {
	mine := map[string]bool{}
	for _, servers := range c.members {
		for _, srv := range servers {
			mine[srv.ID] = true
		}
	}
	opts := store.ListOptions{Limit: 1000}
	for {
		page, err := c.store.ListExecutions(ctx, store.ExecutionFilter{Statuses: activeStatuses}, opts)
		if err != nil {
			return fmt.Errorf("list active executions: %w", err)
		}
		for _, e := range page.Items {
			if e.PlanID == c.plan.ID {
				c.problem("conflict", "", "", "plan %q already has an active execution %s (%s)",
					c.plan.Name, e.ID, e.Status)
			}
			launches, err := c.store.ListLaunches(ctx, e.ID)
			if err != nil {
				return fmt.Errorf("list launches of %s: %w", e.ID, err)
			}
			for _, l := range launches {
				if mine[l.SourceServerID] {
					c.problem("conflict", "", l.SourceServerID,
						"source server %s is in active execution %s of plan %q",
						l.SourceServerID, e.ID, e.PlanName)
				}
			}
		}
		if page.NextToken == "" {
			return nil
		}
		opts.NextToken = page.NextToken
	}
}

// checkInstances warns about servers that already have recovery instances:
// a drill adds another instance beside them, and a recovery may be meant
// to use the existing one.
func (c *starter) checkInstances(ctx context.Context) error {
	for _, g := range c.groups {
		ids := serverIDs(c.members[g.ID])
		if len(ids) == 0 {
			continue
		}
		client, err := c.drs(ctx, g.AccountID, g.Region)
		if err != nil {
			return fmt.Errorf("drs client for %s/%s: %w", g.AccountID, g.Region, err)
		}
		instances, err := client.DescribeRecoveryInstances(ctx, ids)
		if err != nil {
			return fmt.Errorf("describe recovery instances in %s: %w", g.Region, err)
		}
		for _, ri := range instances {
			kind := "recovery"
			if ri.IsDrill {
				kind = "drill"
			}
			c.warnings = append(c.warnings, Warning{Code: "existing_recovery_instance",
				SourceServerID: ri.SourceServerID,
				Message: fmt.Sprintf("source server %s already has %s instance %s (%s)",
					ri.SourceServerID, kind, ri.ID, ri.EC2InstanceID)})
		}
	}
	sort.SliceStable(c.warnings, func(i, j int) bool {
		return c.warnings[i].SourceServerID < c.warnings[j].SourceServerID
	})
	return nil
}

// findSnapshots picks each server's latest snapshot at or before the point
// in time, or, when consistent, at or before its wave's instant.
func (c *starter) findSnapshots(ctx context.Context) error {
	if c.pit == nil && !c.consistent {
		return nil
	}
	to := c.now
	if c.pit != nil {
		to = *c.pit
	}
	type job struct {
		group  plan.ProtectionGroup
		server string
	}
	var jobs []job
	for _, g := range c.groups {
		for _, srv := range c.members[g.ID] {
			jobs = append(jobs, job{g, srv.ID})
		}
	}
	found := make([][]drs.Snapshot, len(jobs))
	eg, ectx := errgroup.WithContext(ctx)
	eg.SetLimit(snapshotLookups)
	for i, j := range jobs {
		eg.Go(func() error {
			client, err := c.drs(ectx, j.group.AccountID, j.group.Region)
			if err != nil {
				return fmt.Errorf("drs client for %s/%s: %w", j.group.AccountID, j.group.Region, err)
			}
			snaps, err := client.DescribeSnapshots(ectx, j.server, time.Time{}, to)
			if err != nil {
				return fmt.Errorf("describe snapshots of %s: %w", j.server, err)
			}
			found[i] = snaps
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		return err
	}
	c.snaps = map[string]drs.Snapshot{}
	byServer := map[string][]drs.Snapshot{}
	for i, j := range jobs {
		byServer[j.server] = found[i]
	}
	if c.consistent {
		c.consistentSnapshots(byServer)
		return nil
	}
	for _, j := range jobs {
		snap := latestAtOrBefore(byServer[j.server], to)
		if snap == nil {
			c.problem("no_snapshot", "pointInTime", j.server,
				"source server %s has no snapshot at or before %s",
				j.server, to.Format(time.RFC3339))
			continue
		}
		c.snaps[j.server] = *snap
	}
	return nil
}

// consistentSnapshots chooses each wave's instant, the earliest of its
// servers' newest snapshots, and each server's latest snapshot at or
// before it. A server with no snapshot leaves its wave without one and
// is a problem.
func (c *starter) consistentSnapshots(byServer map[string][]drs.Snapshot) {
	c.points = map[string]time.Time{}
	for _, w := range c.plan.Waves {
		var servers []string
		for _, gid := range w.ProtectionGroupIDs {
			servers = append(servers, serverIDs(c.members[gid])...)
		}
		if len(servers) == 0 {
			continue
		}
		var instant time.Time
		complete := true
		for _, id := range servers {
			newest := latestAtOrBefore(byServer[id], c.now)
			if newest == nil {
				c.problem("no_snapshot", "pointInTime", id,
					"source server %s (wave %q) has no snapshot to recover the wave consistently", id, w.Name)
				complete = false
				continue
			}
			if at := snapshotTime(*newest); instant.IsZero() || at.Before(instant) {
				instant = at
			}
		}
		if !complete {
			continue
		}
		for _, id := range servers {
			snap := latestAtOrBefore(byServer[id], instant)
			if snap == nil {
				// Its oldest retained snapshot is newer than another
				// server's newest.
				c.problem("no_snapshot", "pointInTime", id,
					"source server %s (wave %q) has no snapshot at or before %s, the latest moment every server of the wave has one",
					id, w.Name, instant.Format(time.RFC3339))
				continue
			}
			c.snaps[id] = *snap
		}
		c.points[w.Name] = instant
	}
}

// snapshotTime is when a snapshot was taken, or when it was expected for
// one whose actual time DRS did not report.
func snapshotTime(s drs.Snapshot) time.Time {
	if s.Taken.IsZero() {
		return s.Expected
	}
	return s.Taken
}

// latestAtOrBefore returns the newest snapshot taken at or before t,
// whatever order snaps come in.
func latestAtOrBefore(snaps []drs.Snapshot, t time.Time) *drs.Snapshot {
	var best *drs.Snapshot
	for i := range snaps {
		at := snapshotTime(snaps[i])
		if at.After(t) {
			continue
		}
		if best == nil || at.After(snapshotTime(*best)) {
			best = &snaps[i]
		}
	}
	return best
}

// refusal returns the problems found as one *Error, or nil. A start
// refused only because of other executions is a conflict; any other
// problem makes it invalid.
func (c *starter) refusal() error {
	if len(c.problems) == 0 {
		return nil
	}
	kind := KindConflict
	for _, p := range c.problems {
		if p.Code != "conflict" {
			kind = KindInvalid
		}
	}
	msg := fmt.Sprintf("plan %q cannot start: %s", c.plan.Name, c.problems[0].Message)
	if n := len(c.problems); n > 1 {
		msg = fmt.Sprintf("plan %q cannot start: %d problems", c.plan.Name, n)
	}
	return &Error{Kind: kind, Message: msg, Problems: c.problems}
}

// create freezes the plan and its groups into a new execution.
func (c *starter) create(ctx context.Context, startedBy string) (Result, error) {
	e := &plan.Execution{
		ID:          plan.NewID(plan.PrefixExecution),
		PlanID:      c.plan.ID,
		PlanName:    c.plan.Name,
		Mode:        c.mode,
		Status:      plan.ExecPending,
		Plan:        plan.NormalizePlan(*c.plan), // stored normalized; the engine relies on it
		Groups:      c.groups,
		PointInTime: c.pit,
		StartedBy:   startedBy,
		CreatedAt:   c.now,

		ConsistentPointInTime: c.consistent,
	}
	if c.mode == plan.ModeDrill {
		e.Cleanup = plan.CleanupNotStarted
	}
	groups := map[string]plan.ProtectionGroup{}
	for _, g := range c.groups {
		groups[g.ID] = g
	}
	var waves []plan.WaveRun
	var launches []plan.Launch
	for i, w := range c.plan.Waves {
		wr := plan.WaveRun{ExecutionID: e.ID, Index: i, Name: w.Name, Status: plan.WavePending}
		if at, ok := c.points[w.Name]; ok {
			wr.PointInTime = &at
		}
		waves = append(waves, wr)
		for _, gid := range w.ProtectionGroupIDs {
			g := groups[gid]
			for _, srv := range c.members[gid] {
				l := plan.Launch{ExecutionID: e.ID, Wave: w.Name, GroupID: gid,
					SourceServerID: srv.ID, AccountID: g.AccountID, Region: g.Region,
					Hostname: srv.Hostname, OS: srv.OS, Status: plan.LaunchPending}
				if snap, ok := c.snaps[srv.ID]; ok {
					at := snapshotTime(snap)
					l.RecoverySnapshotID, l.PointInTime = snap.ID, &at
				}
				launches = append(launches, l)
			}
		}
	}
	by := startedBy
	if by == "" {
		by = "anonymous"
	}
	events := []plan.Event{{ExecutionID: e.ID, Time: c.now, Type: EventCreated,
		Message: fmt.Sprintf("%s started %s of plan %q: %d waves, %d servers",
			by, c.mode, c.plan.Name, len(waves), len(launches))}}
	err := c.store.CreateExecution(ctx, e, waves, launches, events)
	if errors.Is(err, store.ErrExists) {
		// Another start of the plan won the race since checkBusy.
		return Result{}, conflict("", "plan %q already has an active execution", c.plan.Name)
	}
	if err != nil {
		return Result{}, fmt.Errorf("create execution: %w", err)
	}
	c.log.Info("execution created", "execution_id", e.ID, "plan_id", c.plan.ID,
		"mode", c.mode, "waves", len(waves), "launches", len(launches), "started_by", startedBy)
	warnings := c.warnings
	if warnings == nil {
		warnings = []Warning{}
	}
	return Result{ExecutionID: e.ID, Warnings: warnings}, nil
}

func serverIDs(servers []drs.SourceServer) []string {
	ids := make([]string, len(servers))
	for i, s := range servers {
		ids[i] = s.ID
	}
	return ids
}

// validate re-checks the stored plan with its groups as they are now: the
// plan was valid when written, but a group it uses may have changed or
// gone since.
func (c *starter) validate() {
	byID := map[string]plan.ProtectionGroup{}
	for _, g := range c.groups {
		byID[g.ID] = g
	}
	err := plan.ValidatePlan(*c.plan, byID)
	var fe plan.Errors
	if errors.As(err, &fe) {
		for _, e := range fe {
			c.problems = append(c.problems, Problem{Code: e.Code, Field: e.Field, Message: e.Message})
		}
	}
}
