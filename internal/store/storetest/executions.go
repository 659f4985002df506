package storetest

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
)

// t0 is the suite's clock: leases and times are explicit, never the
// machine's.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// waveNames are deliberately not in alphabetical order, so that listing
// launches by wave name and by wave index differ.
var waveNames = []string{"zeta", "alpha", "mid", "beta"}

// run is one execution as the suite creates it.
type run struct {
	exec     *plan.Execution
	waves    []plan.WaveRun
	launches []plan.Launch
	events   []plan.Event
}

// newRun builds an execution of planID with nWaves waves of perWave
// launches. Server IDs fall in reverse wave order and are listed shuffled,
// so that the store's order is its own work.
func newRun(id, planID string, nWaves, perWave int) run {
	r := run{exec: &plan.Execution{
		ID:        id,
		PlanID:    planID,
		PlanName:  "plan " + planID,
		Mode:      plan.ModeDrill,
		Status:    plan.ExecPending,
		Plan:      *newPlan("frozen"),
		Groups:    []plan.ProtectionGroup{*newGroup("db")},
		StartedBy: "alice",
		CreatedAt: t0,
		Cleanup:   plan.CleanupNotStarted,
	}}
	for w := range nWaves {
		r.waves = append(r.waves, plan.WaveRun{
			Index:  w,
			Name:   waveNames[w%len(waveNames)] + fmt.Sprint(w/len(waveNames)),
			Status: plan.WavePending,
		})
	}
	// Waves listed in reverse, to see the store order them.
	slices.Reverse(r.waves)
	for i := range nWaves * perWave {
		w := nWaves - 1 - i%nWaves
		// Spread IDs so that they interleave across waves.
		r.launches = append(r.launches, plan.Launch{
			Wave:           r.waveName(w),
			GroupID:        "pg-00000000000000d1",
			SourceServerID: fmt.Sprintf("s-%017x", (i*7919)%100000+1),
			AccountID:      "111122223333",
			Region:         "us-east-1",
			Hostname:       fmt.Sprintf("host-%d", i),
			Status:         plan.LaunchPending,
		})
	}
	r.events = []plan.Event{
		{Time: t0, Type: "execution_created", Message: "created"},
		{Time: t0, Type: "wave_pending", Wave: r.waveName(0)},
	}
	return r
}

func (r run) waveName(index int) string {
	for _, w := range r.waves {
		if w.Index == index {
			return w.Name
		}
	}
	panic("no wave")
}

func (r run) create(t *testing.T, s store.Store) {
	t.Helper()
	must(t, s.CreateExecution(t.Context(), r.exec, r.waves, r.launches, r.events),
		"create execution %s", r.exec.ID)
}

// wantWaves is r's waves in the store's order, by index.
func (r run) wantWaves() []plan.WaveRun {
	out := slices.Clone(r.waves)
	slices.SortFunc(out, func(a, b plan.WaveRun) int { return cmp.Compare(a.Index, b.Index) })
	return out
}

// wantLaunches is r's launches in the store's order: wave index, then
// source server ID.
func (r run) wantLaunches() []plan.Launch {
	index := map[string]int{}
	for _, w := range r.waves {
		index[w.Name] = w.Index
	}
	out := slices.Clone(r.launches)
	slices.SortFunc(out, func(a, b plan.Launch) int {
		return cmp.Or(cmp.Compare(index[a.Wave], index[b.Wave]),
			strings.Compare(a.SourceServerID, b.SourceServerID))
	})
	return out
}

func testExecutions(t *testing.T, newStore func(*testing.T) store.Store) {
	t.Run("CreateAndRead", func(t *testing.T) { testCreateAndRead(t, newStore(t)) })
	t.Run("CreateRefused", func(t *testing.T) { testCreateRefused(t, newStore(t)) })
	t.Run("OneActivePerPlan", func(t *testing.T) { testOneActivePerPlan(t, newStore(t)) })
	t.Run("List", func(t *testing.T) { testListExecutions(t, newStore(t)) })
	t.Run("Events", func(t *testing.T) { testEvents(t, newStore(t)) })
	t.Run("Commit", func(t *testing.T) { testCommit(t, newStore(t)) })
	t.Run("CommitAtomic", func(t *testing.T) { testCommitAtomic(t, newStore(t)) })
	t.Run("CommitLease", func(t *testing.T) { testCommitLease(t, newStore(t)) })
	t.Run("ClaimRelease", func(t *testing.T) { testClaimRelease(t, newStore(t)) })
	t.Run("Races", func(t *testing.T) { testRaces(t, newStore(t)) })
	t.Run("Large", func(t *testing.T) { testLarge(t, newStore(t)) })
	t.Run("Revision", func(t *testing.T) { testRevision(t, newStore(t)) })
}

// checkStored compares everything stored for r's execution with r.
func checkStored(t *testing.T, s store.Store, r run) {
	t.Helper()
	ctx := t.Context()
	id := r.exec.ID
	e, err := s.GetExecution(ctx, id)
	must(t, err, "get execution")
	if d := diff(r.exec, e); d != "" {
		t.Errorf("execution mismatch (-want +got):\n%s", d)
	}
	waves, err := s.ListWaves(ctx, id)
	must(t, err, "list waves")
	if d := diff(r.wantWaves(), waves); d != "" {
		t.Errorf("waves mismatch (-want +got):\n%s", d)
	}
	launches, err := s.ListLaunches(ctx, id)
	must(t, err, "list launches")
	if d := diff(r.wantLaunches(), launches); d != "" {
		t.Errorf("launches mismatch (-want +got):\n%s", d)
	}
	events, err := s.ListEvents(ctx, id, 0, 0)
	must(t, err, "list events")
	if d := diff(r.events, events); d != "" {
		t.Errorf("events mismatch (-want +got):\n%s", d)
	}
}

func testCreateAndRead(t *testing.T, s store.Store) {
	ctx := t.Context()
	r := newRun("", "rp-00000000000000a1", 3, 4)
	r.exec.CreatedAt = time.Time{}
	r.create(t, s)

	id := r.exec.ID
	if !strings.HasPrefix(id, plan.PrefixExecution) || len(id) != len(plan.PrefixExecution)+16 {
		t.Errorf("assigned ID %q, want ex- and 16 hex digits", id)
	}
	if r.exec.CreatedAt.IsZero() {
		t.Error("CreatedAt left zero")
	}
	if r.exec.Version != 1 {
		t.Errorf("header Version %d, want 1", r.exec.Version)
	}
	for _, w := range r.waves {
		if w.Version != 1 || w.ExecutionID != id {
			t.Errorf("wave %d: Version %d, ExecutionID %q; want 1, %q", w.Index, w.Version, w.ExecutionID, id)
		}
	}
	for _, l := range r.launches {
		if l.Version != 1 || l.ExecutionID != id {
			t.Errorf("launch %s: Version %d, ExecutionID %q; want 1, %q", l.SourceServerID, l.Version, l.ExecutionID, id)
		}
	}
	for i, ev := range r.events {
		if ev.Seq != int64(i+1) || ev.ExecutionID != id {
			t.Errorf("event %d: Seq %d, ExecutionID %q; want %d, %q", i, ev.Seq, ev.ExecutionID, i+1, id)
		}
	}
	checkStored(t, s, r)

	batches, err := s.ListBatches(ctx, id)
	must(t, err, "list batches")
	if len(batches) != 0 {
		t.Errorf("%d batches, want none", len(batches))
	}

	// A lease given at creation is kept.
	leased := newRun("ex-000000000000000b", "rp-00000000000000b1", 1, 1)
	leased.exec.LeaseOwner, leased.exec.LeaseExpiry = "engine-1", t0.Add(time.Minute)
	leased.create(t, s)
	checkStored(t, s, leased)

	const missing = "ex-ffffffffffffffff"
	if _, err := s.GetExecution(ctx, missing); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("get missing: %v, want ErrNotFound", err)
	}
	for name, list := range map[string]func() error{
		"waves":    func() error { _, err := s.ListWaves(ctx, missing); return err },
		"launches": func() error { _, err := s.ListLaunches(ctx, missing); return err },
		"batches":  func() error { _, err := s.ListBatches(ctx, missing); return err },
		"events":   func() error { _, err := s.ListEvents(ctx, missing, 0, 0); return err },
	} {
		if err := list(); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("list %s of a missing execution: %v, want ErrNotFound", name, err)
		}
	}
}

func testCreateRefused(t *testing.T, s store.Store) {
	ctx := t.Context()
	first := newRun("ex-0000000000000001", "rp-00000000000000a1", 2, 2)
	first.exec.Status = plan.ExecCompleted
	first.create(t, s)

	tests := []struct {
		name  string
		setup func(r *run)
		is    error // nil: any error
	}{
		{"taken ID", func(r *run) { r.exec.ID = first.exec.ID }, store.ErrExists},
		{"launch in no wave", func(r *run) { r.launches[3].Wave = "nowhere" }, nil},
		{"wave of another execution", func(r *run) { r.waves[1].ExecutionID = "ex-0000000000000009" }, nil},
		{"launch of another execution", func(r *run) { r.launches[0].ExecutionID = "ex-0000000000000009" }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRun("ex-0000000000000002", "rp-00000000000000b1", 2, 3)
			tt.setup(&r)
			err := s.CreateExecution(ctx, r.exec, r.waves, r.launches, r.events)
			if err == nil || (tt.is != nil && !errors.Is(err, tt.is)) {
				t.Fatalf("create: %v, want %v", err, cmp.Or[any](tt.is, "an error"))
			}
			if r.exec.Version != 0 || r.launches[0].Version != 0 || r.events[0].Seq != 0 {
				t.Errorf("refused create changed the caller's values")
			}
			// Nothing of the refused execution was written, and the first
			// one is intact.
			if tt.is == nil {
				if _, err := s.GetExecution(ctx, r.exec.ID); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("get refused execution: %v, want ErrNotFound", err)
				}
			}
			checkStored(t, s, first)
		})
	}
}

func testOneActivePerPlan(t *testing.T, s store.Store) {
	ctx := t.Context()
	const planA = "rp-00000000000000a1"
	a := newRun("ex-00000000000000a1", planA, 1, 2)
	a.create(t, s)

	second := newRun("ex-00000000000000a2", planA, 1, 2)
	err := s.CreateExecution(ctx, second.exec, second.waves, second.launches, second.events)
	if !errors.Is(err, store.ErrExists) {
		t.Fatalf("second active execution of a plan: %v, want ErrExists", err)
	}
	if _, err := s.GetExecution(ctx, second.exec.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("get refused execution: %v, want ErrNotFound", err)
	}

	// Another plan is independent, and a finished execution does not count.
	newRun("ex-00000000000000b1", "rp-00000000000000b1", 1, 1).create(t, s)
	done := newRun("ex-00000000000000a3", planA, 1, 1)
	done.exec.Status = plan.ExecFailed
	done.create(t, s)

	a.exec.Status = plan.ExecCompleted
	must(t, s.Commit(ctx, &store.Change{ExecutionID: a.exec.ID, Execution: a.exec}), "finish a")
	second.create(t, s)

	// Reviving a finished execution while another is active is refused.
	revived := *done.exec
	revived.Status = plan.ExecRunning
	err = s.Commit(ctx, &store.Change{ExecutionID: revived.ID, Execution: &revived})
	if !errors.Is(err, store.ErrExists) {
		t.Errorf("commit making a second execution active: %v, want ErrExists", err)
	}
	checkStored(t, s, done)
}

func testListExecutions(t *testing.T, s store.Store) {
	ctx := t.Context()
	type spec struct {
		id, planID, status string
		at                 int // minutes after t0
		requests           plan.Requests
	}
	// At most one active execution per plan; two pairs created at the same
	// instant, ordered by ID.
	specs := []spec{
		{"ex-0000000000000001", "rp-a", plan.ExecCompleted, 1, plan.Requests{}},
		{"ex-0000000000000002", "rp-a", plan.ExecFailed, 2, plan.Requests{}},
		{"ex-0000000000000003", "rp-a", plan.ExecRunning, 3, plan.Requests{Pause: true}},
		{"ex-0000000000000004", "rp-b", plan.ExecCancelled, 2, plan.Requests{Cleanup: true}},
		{"ex-0000000000000005", "rp-b", plan.ExecPaused, 4, plan.Requests{}},
		{"ex-0000000000000006", "rp-c", plan.ExecPartial, 5, plan.Requests{}},
		{"ex-0000000000000007", "rp-c", plan.ExecPending, 0, plan.Requests{}},
		{"ex-0000000000000008", "rp-d", plan.ExecCompleted, 5, plan.Requests{}},
	}
	// Created in an order of their own.
	for _, i := range []int{4, 0, 7, 2, 6, 1, 5, 3} {
		sp := specs[i]
		r := newRun(sp.id, sp.planID, 1, 1)
		r.exec.Status, r.exec.Requests = sp.status, sp.requests
		r.exec.CreatedAt = t0.Add(time.Duration(sp.at) * time.Minute)
		r.create(t, s)
	}

	list := func(f store.ExecutionFilter, limit int) []string {
		t.Helper()
		var ids []string
		opts := store.ListOptions{Limit: limit}
		for range 20 {
			p, err := s.ListExecutions(ctx, f, opts)
			must(t, err, "list executions %+v", f)
			for _, e := range p.Items {
				ids = append(ids, e.ID)
			}
			if p.NextToken == "" {
				return ids
			}
			opts.NextToken = p.NextToken
		}
		t.Fatal("more than 20 pages")
		return nil
	}
	ex := func(ns ...int) []string {
		var ids []string
		for _, n := range ns {
			ids = append(ids, fmt.Sprintf("ex-%016d", n))
		}
		return ids
	}
	tests := []struct {
		name   string
		filter store.ExecutionFilter
		want   []string
	}{
		{"all", store.ExecutionFilter{}, ex(8, 6, 5, 3, 4, 2, 1, 7)},
		{"plan", store.ExecutionFilter{PlanID: "rp-a"}, ex(3, 2, 1)},
		{"unknown plan", store.ExecutionFilter{PlanID: "rp-z"}, nil},
		{"statuses", store.ExecutionFilter{Statuses: []string{plan.ExecCompleted, plan.ExecPaused}}, ex(8, 5, 1)},
		{"actionable", store.ExecutionFilter{Actionable: true}, ex(5, 3, 4, 7)},
		{"plan and actionable", store.ExecutionFilter{PlanID: "rp-b", Actionable: true}, ex(5, 4)},
		{"statuses and actionable", store.ExecutionFilter{Statuses: []string{plan.ExecCancelled, plan.ExecFailed}, Actionable: true}, ex(4)},
	}
	for _, tt := range tests {
		for _, limit := range []int{0, 1, 3} {
			t.Run(fmt.Sprintf("%s/limit=%d", tt.name, limit), func(t *testing.T) {
				if d := diff(tt.want, list(tt.filter, limit)); d != "" {
					t.Errorf("mismatch (-want +got):\n%s", d)
				}
			})
		}
	}

	// Items are whole headers with their lease.
	must(t, s.Claim(ctx, "ex-0000000000000008", "engine-1", t0, t0.Add(time.Minute)), "claim")
	p, err := s.ListExecutions(ctx, store.ExecutionFilter{}, store.ListOptions{Limit: 1})
	must(t, err, "list")
	got, err := s.GetExecution(ctx, "ex-0000000000000008")
	must(t, err, "get")
	if len(p.Items) != 1 {
		t.Fatalf("%d items, want 1", len(p.Items))
	}
	if d := diff(got, &p.Items[0]); d != "" {
		t.Errorf("listed header mismatch (-want +got):\n%s", d)
	}

	for _, tok := range []string{"garbage", "e30", strings.Repeat("A", 40)} {
		_, err := s.ListExecutions(ctx, store.ExecutionFilter{}, store.ListOptions{NextToken: tok})
		if !errors.Is(err, store.ErrInvalidToken) {
			t.Errorf("list with token %q: %v, want ErrInvalidToken", tok, err)
		}
	}
}

func testEvents(t *testing.T, s store.Store) {
	ctx := t.Context()
	r := newRun("ex-0000000000000001", "rp-a", 1, 1)
	r.events = append(r.events, plan.Event{Time: t0, Type: "third"})
	r.create(t, s)
	other := newRun("ex-0000000000000002", "rp-b", 1, 1)
	other.create(t, s)

	more := []*plan.Event{
		{Time: t0.Add(time.Second), Type: "fourth", SourceServerID: "s-00000000000000001"},
		{Time: t0.Add(2 * time.Second), Type: "fifth", Message: "done"},
	}
	must(t, s.Commit(ctx, &store.Change{ExecutionID: r.exec.ID, Events: more}), "commit events")
	for i, ev := range more {
		if ev.Seq != int64(4+i) || ev.ExecutionID != r.exec.ID {
			t.Errorf("committed event %d: Seq %d, ExecutionID %q; want %d, %q", i, ev.Seq, ev.ExecutionID, 4+i, r.exec.ID)
		}
	}
	all := append(slices.Clone(r.events), *more[0], *more[1])

	tests := []struct {
		after int64
		limit int
		want  []plan.Event
	}{
		{0, 0, all},
		{0, -1, all},
		{0, 2, all[:2]},
		{2, 2, all[2:4]},
		{3, 100, all[3:]},
		{5, 0, nil},
		{99, 0, nil},
	}
	for _, tt := range tests {
		got, err := s.ListEvents(ctx, r.exec.ID, tt.after, tt.limit)
		must(t, err, "list events after %d", tt.after)
		if d := diff(tt.want, got); d != "" {
			t.Errorf("after %d limit %d: mismatch (-want +got):\n%s", tt.after, tt.limit, d)
		}
	}

	// Each execution numbers its own events.
	got, err := s.ListEvents(ctx, other.exec.ID, 0, 0)
	must(t, err, "list other events")
	if d := diff(other.events, got); d != "" {
		t.Errorf("other execution's events mismatch (-want +got):\n%s", d)
	}
}

func testCommit(t *testing.T, s store.Store) {
	ctx := t.Context()
	r := newRun("ex-0000000000000001", "rp-a", 2, 3)
	r.create(t, s)
	id := r.exec.ID
	must(t, s.Claim(ctx, id, "engine-1", t0, t0.Add(time.Minute)), "claim")

	// The header goes RUNNING, wave 0 launches two servers in one batch.
	launches := r.wantLaunches()
	start := t0.Add(time.Second)
	r.exec.Status, r.exec.StartTime = plan.ExecRunning, &start
	wave := r.wantWaves()[0]
	wave.Status, wave.StartTime = plan.WaveLaunching, &start
	b := &plan.Batch{
		ID: "bt-0000000000000001", Kind: plan.BatchLaunch, Wave: wave.Name, Region: "us-east-1",
		SourceServerIDs: []string{launches[0].SourceServerID, launches[1].SourceServerID},
		Status:          plan.BatchRequesting, RequestTime: start,
	}
	l0, l1 := launches[0], launches[1]
	for _, l := range []*plan.Launch{&l0, &l1} {
		l.Status, l.BatchID, l.RequestTime = plan.LaunchRequested, b.ID, &start
	}
	ev := &plan.Event{Time: start, Type: "wave_started", Wave: wave.Name}
	c := &store.Change{
		ExecutionID: id, Owner: "engine-1", Now: start,
		Execution: r.exec, Waves: []*plan.WaveRun{&wave},
		Launches: []*plan.Launch{&l0, &l1}, Batches: []*plan.Batch{b}, Events: []*plan.Event{ev},
	}
	must(t, s.Commit(ctx, c), "commit")

	for what, v := range map[string]int64{
		"header": r.exec.Version, "wave": wave.Version, "launch": l0.Version, "batch": b.Version,
	} {
		want := int64(2)
		if what == "batch" {
			want = 1
		}
		if v != want {
			t.Errorf("%s Version %d after commit, want %d", what, v, want)
		}
	}
	if b.ExecutionID != id || ev.Seq != 3 || ev.ExecutionID != id {
		t.Errorf("batch ExecutionID %q, event Seq %d ExecutionID %q; want %q, 3", b.ExecutionID, ev.Seq, ev.ExecutionID, id)
	}

	// Commit does not touch the lease, whatever the header carries.
	r.exec.LeaseOwner, r.exec.LeaseExpiry = "engine-1", t0.Add(time.Minute)
	for i := range r.waves {
		if r.waves[i].Index == wave.Index {
			r.waves[i] = wave
		}
	}
	for i := range r.launches {
		switch r.launches[i].SourceServerID {
		case l0.SourceServerID:
			r.launches[i] = l0
		case l1.SourceServerID:
			r.launches[i] = l1
		}
	}
	r.events = append(r.events, *ev)
	checkStored(t, s, r)

	// The batch gets its job; the header is not part of this change.
	b.Status, b.JobID = plan.BatchRequested, "drsjob-0000000000000001"
	b2 := &plan.Batch{ID: "bt-0000000000000000", Kind: plan.BatchTerminate, Wave: wave.Name,
		Region: "us-east-1", SourceServerIDs: []string{l0.SourceServerID},
		Status: plan.BatchRequesting, RequestTime: start.Add(time.Second)}
	must(t, s.Commit(ctx, &store.Change{ExecutionID: id, Owner: "engine-1", Now: start,
		Batches: []*plan.Batch{b, b2}}), "commit batches")
	if b.Version != 2 || b2.Version != 1 {
		t.Errorf("batch Versions %d, %d; want 2, 1", b.Version, b2.Version)
	}
	batches, err := s.ListBatches(ctx, id)
	must(t, err, "list batches")
	// By request time, then ID.
	if d := diff([]plan.Batch{*b, *b2}, batches); d != "" {
		t.Errorf("batches mismatch (-want +got):\n%s", d)
	}
	got, err := s.GetExecution(ctx, id)
	must(t, err, "get")
	if got.Version != 2 {
		t.Errorf("header Version %d after a change without it, want 2", got.Version)
	}

	// Without Owner the lease is not checked, and the ID may come from the
	// header alone.
	r.exec.Requests.Pause = true
	must(t, s.Commit(ctx, &store.Change{Execution: r.exec}), "commit without owner")
	if r.exec.Version != 3 {
		t.Errorf("header Version %d, want 3", r.exec.Version)
	}
	got, err = s.GetExecution(ctx, id)
	must(t, err, "get")
	if d := diff(r.exec, got); d != "" {
		t.Errorf("header mismatch (-want +got):\n%s", d)
	}
}

func testCommitAtomic(t *testing.T, s store.Store) {
	ctx := t.Context()
	r := newRun("ex-0000000000000001", "rp-a", 2, 3)
	r.create(t, s)
	id := r.exec.ID

	// One committed batch to collide with.
	existing := &plan.Batch{ID: "bt-0000000000000001", Kind: plan.BatchLaunch, Wave: r.waveName(0),
		Region: "us-east-1", SourceServerIDs: []string{"s-1"}, Status: plan.BatchRequesting, RequestTime: t0}
	must(t, s.Commit(ctx, &store.Change{ExecutionID: id, Batches: []*plan.Batch{existing}}), "commit batch")
	r.exec.Revision++

	launches := r.wantLaunches()
	waves := r.wantWaves()
	tests := []struct {
		name  string
		spoil func(c *store.Change)
		is    error
	}{
		{"stale launch", func(c *store.Change) { c.Launches[1].Version = 7 }, store.ErrVersionConflict},
		{"stale header", func(c *store.Change) { c.Execution.Version = 0 }, store.ErrVersionConflict},
		{"stale wave", func(c *store.Change) { c.Waves[0].Version = 2 }, store.ErrVersionConflict},
		{"missing launch", func(c *store.Change) { c.Launches[1].SourceServerID = "s-nope" }, store.ErrNotFound},
		{"missing wave", func(c *store.Change) { c.Waves[0].Index = 42 }, store.ErrNotFound},
		{"new batch exists", func(c *store.Change) {
			dup := *existing
			dup.Version = 0
			c.Batches = append(c.Batches, &dup)
		}, store.ErrVersionConflict},
		{"stale batch", func(c *store.Change) {
			old := *existing
			old.Version = 5
			c.Batches = append(c.Batches, &old)
		}, store.ErrVersionConflict},
		{"missing batch", func(c *store.Change) {
			old := *existing
			old.ID = "bt-ffffffffffffffff"
			c.Batches = append(c.Batches, &old)
		}, store.ErrNotFound},
		{"missing execution", func(c *store.Change) {
			c.ExecutionID, c.Execution.ID = "ex-ffffffffffffffff", "ex-ffffffffffffffff"
			c.Waves, c.Launches, c.Batches = nil, nil, nil
		}, store.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := *r.exec
			h.Status = plan.ExecRunning
			w := waves[0]
			w.Status = plan.WaveLaunching
			l0, l1 := launches[0], launches[1]
			l0.Status, l1.Status = plan.LaunchRequested, plan.LaunchRequested
			nb := &plan.Batch{ID: "bt-0000000000000002", Kind: plan.BatchLaunch, Wave: w.Name,
				Region: "us-east-1", SourceServerIDs: []string{l0.SourceServerID},
				Status: plan.BatchRequesting, RequestTime: t0}
			ev := &plan.Event{Time: t0, Type: "wave_started"}
			c := &store.Change{ExecutionID: id, Execution: &h, Waves: []*plan.WaveRun{&w},
				Launches: []*plan.Launch{&l0, &l1}, Batches: []*plan.Batch{nb}, Events: []*plan.Event{ev}}
			tt.spoil(c)
			before := []int64{h.Version, w.Version, l0.Version, l1.Version, nb.Version}

			err := s.Commit(ctx, c)
			if !errors.Is(err, tt.is) {
				t.Fatalf("commit: %v, want %v", err, tt.is)
			}
			if d := diff(before, []int64{h.Version, w.Version, l0.Version, l1.Version, nb.Version}); d != "" {
				t.Errorf("refused commit changed the caller's versions (-want +got):\n%s", d)
			}
			if ev.Seq != 0 {
				t.Errorf("refused commit set event Seq %d", ev.Seq)
			}
			checkStored(t, s, r)
			batches, err := s.ListBatches(ctx, id)
			must(t, err, "list batches")
			if d := diff([]plan.Batch{*existing}, batches); d != "" {
				t.Errorf("batches mismatch (-want +got):\n%s", d)
			}
		})
	}
}

func testCommitLease(t *testing.T, s store.Store) {
	ctx := t.Context()
	r := newRun("ex-0000000000000001", "rp-a", 1, 2)
	r.create(t, s)
	id := r.exec.ID
	expiry := t0.Add(time.Minute)

	attempt := func(owner string, now time.Time) error {
		h := *r.exec
		h.Status = plan.ExecRunning
		l := r.wantLaunches()[0]
		l.Status = plan.LaunchRequested
		return s.Commit(ctx, &store.Change{ExecutionID: id, Owner: owner, Now: now,
			Execution: &h, Launches: []*plan.Launch{&l},
			Events: []*plan.Event{{Time: now, Type: "tick"}}})
	}

	if err := attempt("engine-1", t0); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("commit without a lease: %v, want ErrLeaseLost", err)
	}
	must(t, s.Claim(ctx, id, "engine-2", t0, expiry), "claim")
	r.exec.LeaseOwner, r.exec.LeaseExpiry = "engine-2", expiry
	if err := attempt("engine-1", t0); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("commit under another's lease: %v, want ErrLeaseLost", err)
	}
	for _, now := range []time.Time{expiry, expiry.Add(time.Nanosecond), expiry.Add(time.Hour)} {
		if err := attempt("engine-2", now); !errors.Is(err, store.ErrLeaseLost) {
			t.Errorf("commit at %v under a lease expiring %v: %v, want ErrLeaseLost", now, expiry, err)
		}
	}
	checkStored(t, s, r)

	must(t, attempt("engine-2", expiry.Add(-time.Nanosecond)), "commit under the lease")
	got, err := s.GetExecution(ctx, id)
	must(t, err, "get")
	if got.Version != 2 || got.LeaseOwner != "engine-2" || !got.LeaseExpiry.Equal(expiry) {
		t.Errorf("after commit: Version %d, lease %q until %v; want 2, engine-2 until %v",
			got.Version, got.LeaseOwner, got.LeaseExpiry, expiry)
	}
}

func testClaimRelease(t *testing.T, s store.Store) {
	ctx := t.Context()
	r := newRun("ex-0000000000000001", "rp-a", 1, 1)
	r.create(t, s)
	id := r.exec.ID
	lease := func(wantOwner string, wantExpiry time.Time) {
		t.Helper()
		e, err := s.GetExecution(ctx, id)
		must(t, err, "get")
		if e.LeaseOwner != wantOwner || !e.LeaseExpiry.Equal(wantExpiry) {
			t.Errorf("lease %q until %v, want %q until %v", e.LeaseOwner, e.LeaseExpiry, wantOwner, wantExpiry)
		}
		if e.Version != 1 {
			t.Errorf("lease changes bumped Version to %d", e.Version)
		}
	}
	lease("", time.Time{})

	at := func(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }
	// Times in seconds after t0.
	steps := []struct {
		name        string
		owner       string
		now, expiry int
		is          error
		wantOwner   string
		wantExpiry  int
	}{
		{"free", "a", 0, 60, nil, "a", 60},
		{"held by a", "b", 59, 120, store.ErrLeaseHeld, "a", 60},
		{"renewed by a", "a", 30, 90, nil, "a", 90},
		{"renewal may shorten", "a", 40, 80, nil, "a", 80},
		{"expired at its instant", "b", 80, 180, nil, "b", 180},
		{"a lost it", "a", 120, 240, store.ErrLeaseHeld, "b", 180},
	}
	for _, st := range steps {
		err := s.Claim(ctx, id, st.owner, at(st.now), at(st.expiry))
		if !errors.Is(err, st.is) || (st.is == nil) != (err == nil) {
			t.Errorf("%s: claim: %v, want %v", st.name, err, st.is)
		}
		lease(st.wantOwner, at(st.wantExpiry))
	}

	must(t, s.Release(ctx, id, "a"), "release by a non-owner")
	lease("b", t0.Add(3*time.Minute))
	must(t, s.Release(ctx, id, "b"), "release")
	lease("", time.Time{})
	must(t, s.Claim(ctx, id, "a", t0, t0.Add(time.Minute)), "claim after release")
	lease("a", t0.Add(time.Minute))

	// The header's own version is untouched by all this.
	r.exec.Status = plan.ExecRunning
	must(t, s.Commit(ctx, &store.Change{ExecutionID: id, Owner: "a", Now: t0, Execution: r.exec}), "commit")

	if err := s.Claim(ctx, "ex-ffffffffffffffff", "a", t0, t0.Add(time.Minute)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("claim missing: %v, want ErrNotFound", err)
	}
	if err := s.Release(ctx, "ex-ffffffffffffffff", "a"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("release missing: %v, want ErrNotFound", err)
	}
}

func testRaces(t *testing.T, s store.Store) {
	ctx := t.Context()
	r := newRun("ex-0000000000000001", "rp-a", 1, 2)
	r.create(t, s)
	id := r.exec.ID
	const racers = 4

	// Racing commits of one launch: one wins.
	errs := make([]error, racers)
	var wg sync.WaitGroup
	for i := range racers {
		l := r.wantLaunches()[0]
		l.Attempts = i + 1
		wg.Go(func() { errs[i] = s.Commit(ctx, &store.Change{ExecutionID: id, Launches: []*plan.Launch{&l}}) })
	}
	wg.Wait()
	oneWinner(t, "commit", errs, store.ErrVersionConflict)
	launches, err := s.ListLaunches(ctx, id)
	must(t, err, "list launches")
	if v := launches[0].Version; v != 2 {
		t.Errorf("launch Version %d after the race, want 2", v)
	}

	// Racing claims by different owners: one wins.
	for i := range racers {
		wg.Go(func() { errs[i] = s.Claim(ctx, id, fmt.Sprintf("engine-%d", i), t0, t0.Add(time.Minute)) })
	}
	wg.Wait()
	oneWinner(t, "claim", errs, store.ErrLeaseHeld)
}

func oneWinner(t *testing.T, what string, errs []error, loss error) {
	t.Helper()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, loss):
			t.Errorf("%s racer %d: %v, want nil or %v", what, i, err, loss)
		}
	}
	if won != 1 {
		t.Errorf("%d %s racers won, want exactly 1", won, what)
	}
}

func testLarge(t *testing.T, s store.Store) {
	ctx := t.Context()
	r := newRun("ex-0000000000000001", "rp-a", 3, 1000)
	r.create(t, s)
	launches, err := s.ListLaunches(ctx, r.exec.ID)
	must(t, err, "list launches")
	want := r.wantLaunches()
	if d := diff(want, launches); d != "" {
		t.Fatalf("launches mismatch (-want +got):\n%s", d)
	}

	var changed []*plan.Launch
	for i := 0; i < len(launches); i += 30 {
		l := &launches[i]
		l.Status, l.JobID = plan.LaunchLaunching, "drsjob-0000000000000001"
		changed = append(changed, l)
	}
	if len(changed) != 100 {
		t.Fatalf("test changes %d launches, want 100", len(changed))
	}
	must(t, s.Commit(ctx, &store.Change{ExecutionID: r.exec.ID, Launches: changed}), "commit 100 launches")
	got, err := s.ListLaunches(ctx, r.exec.ID)
	must(t, err, "list launches")
	for i := range launches {
		wantVersion := int64(1)
		if i%30 == 0 {
			wantVersion = 2
		}
		if launches[i].Version != wantVersion {
			t.Fatalf("launch %d: caller's Version %d, want %d", i, launches[i].Version, wantVersion)
		}
	}
	if d := diff(launches, got); d != "" {
		t.Errorf("launches after commit mismatch (-want +got):\n%s", d)
	}
}
