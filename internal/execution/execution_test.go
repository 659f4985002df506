package execution

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
	"github.com/drsorch/drsorch/internal/store/sqlitestore"
)

// fakeDRS is one region's inventory.
type fakeDRS struct {
	servers   []drs.SourceServer
	instances []drs.RecoveryInstance
	snapshots map[string][]drs.Snapshot
}

func (f *fakeDRS) DescribeSourceServers(ctx context.Context, ids []string) ([]drs.SourceServer, error) {
	return f.servers, nil
}

func (f *fakeDRS) DescribeRecoveryInstances(ctx context.Context, ids []string) ([]drs.RecoveryInstance, error) {
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	var out []drs.RecoveryInstance
	for _, ri := range f.instances {
		if want[ri.SourceServerID] {
			out = append(out, ri)
		}
	}
	return out, nil
}

func (f *fakeDRS) DescribeSnapshots(ctx context.Context, id string, from, to time.Time) ([]drs.Snapshot, error) {
	var out []drs.Snapshot
	for _, s := range f.snapshots[id] {
		if !s.Taken.After(to) {
			out = append(out, s)
		}
	}
	return out, nil
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func server(id, tier, state string) drs.SourceServer {
	return drs.SourceServer{ID: id, Hostname: id + ".example", OS: "Linux " + id, ReplicationState: state,
		Tags: map[string]string{"app": "shop", "tier": tier}}
}

type fixture struct {
	svc   *Service
	store store.Store
	drs   *fakeDRS
	plan  *plan.RecoveryPlan
	db    *plan.ProtectionGroup
	app   *plan.ProtectionGroup
}

// newFixture stores a group "db" with explicit IDs, a group "app" with a
// selector, and a plan "shop" of two waves, the second gated.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := t.Context()
	st, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "drsorch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{store: st, drs: &fakeDRS{
		servers: []drs.SourceServer{
			server("s-01", "db", drs.StateContinuous),
			server("s-02", "db", drs.StateContinuous),
			server("s-03", "app", drs.StateContinuous),
			server("s-04", "app", drs.StateContinuous),
			server("s-05", "web", drs.StateContinuous),
		},
	}}
	f.db = &plan.ProtectionGroup{Name: "db", Region: "us-east-1", SourceServerIDs: []string{"s-01", "s-02"}}
	f.app = &plan.ProtectionGroup{Name: "app", Region: "us-east-1",
		ServerSelector: &plan.Selector{Tags: map[string]string{"tier": "app"}}}
	for _, g := range []*plan.ProtectionGroup{f.db, f.app} {
		if err := st.CreateGroup(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	p := plan.NormalizePlan(plan.RecoveryPlan{Name: "shop", Waves: []plan.Wave{
		{Name: "database", ProtectionGroupIDs: []string{f.db.ID}},
		{Name: "application", ProtectionGroupIDs: []string{f.app.ID}, PauseBefore: true},
	}})
	if err := st.CreatePlan(ctx, &p); err != nil {
		t.Fatal(err)
	}
	f.plan = &p
	f.svc = New(Options{Store: st, Clock: func() time.Time { return t0 },
		DRS: func(ctx context.Context, accountID, region string) (DRS, error) { return f.drs, nil }})
	return f
}

func TestStartWritesFrozenExecution(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	f.drs.instances = []drs.RecoveryInstance{{ID: "i-rec-1", EC2InstanceID: "i-0abc",
		SourceServerID: "s-03", IsDrill: true}}

	res, err := f.svc.Start(ctx, f.plan.ID, plan.ModeDrill, nil, "alice")
	if err != nil {
		t.Fatal(err)
	}
	wantWarnings := []Warning{{Code: "existing_recovery_instance", SourceServerID: "s-03",
		Message: "source server s-03 already has drill instance i-rec-1 (i-0abc)"}}
	if diff := cmp.Diff(wantWarnings, res.Warnings); diff != "" {
		t.Errorf("warnings mismatch (-want +got):\n%s", diff)
	}

	e, err := f.store.GetExecution(ctx, res.ExecutionID)
	if err != nil {
		t.Fatal(err)
	}
	wantExec := plan.Execution{ID: res.ExecutionID, PlanID: f.plan.ID, PlanName: "shop",
		Mode: plan.ModeDrill, Status: plan.ExecPending, Plan: *f.plan,
		Groups: []plan.ProtectionGroup{*f.db, *f.app}, StartedBy: "alice", CreatedAt: t0,
		Cleanup: plan.CleanupNotStarted, Version: 1, Revision: 1}
	ignore := cmpopts.IgnoreFields(plan.Execution{}, "LeaseOwner", "LeaseExpiry")
	if diff := cmp.Diff(wantExec, *e, ignore, cmpopts.EquateApproxTime(time.Second)); diff != "" {
		t.Errorf("execution mismatch (-want +got):\n%s", diff)
	}

	waves, err := f.store.ListWaves(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantWaves := []plan.WaveRun{
		{ExecutionID: e.ID, Index: 0, Name: "database", Status: plan.WavePending, Version: 1},
		{ExecutionID: e.ID, Index: 1, Name: "application", Status: plan.WavePending, Version: 1},
	}
	if diff := cmp.Diff(wantWaves, waves); diff != "" {
		t.Errorf("waves mismatch (-want +got):\n%s", diff)
	}

	launches, err := f.store.ListLaunches(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	launch := func(wave, group, id string) plan.Launch {
		return plan.Launch{ExecutionID: e.ID, Wave: wave, GroupID: group, SourceServerID: id,
			Region: "us-east-1", Hostname: id + ".example", OS: "Linux " + id,
			Status: plan.LaunchPending, Version: 1}
	}
	wantLaunches := []plan.Launch{
		launch("database", f.db.ID, "s-01"), launch("database", f.db.ID, "s-02"),
		launch("application", f.app.ID, "s-03"), launch("application", f.app.ID, "s-04"),
	}
	if diff := cmp.Diff(wantLaunches, launches); diff != "" {
		t.Errorf("launches mismatch (-want +got):\n%s", diff)
	}

	events, err := f.store.ListEvents(ctx, e.ID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].Type != EventCreated {
		t.Errorf("events = %+v, want one %s", events, EventCreated)
	}
}

func TestStartRefused(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(t *testing.T, f *fixture)
		mode     string
		pit      *time.Time
		kind     Kind
		problems []Problem
	}{
		{
			name: "every problem at once",
			setup: func(t *testing.T, f *fixture) {
				f.drs.servers[1].ReplicationState = drs.StateStalled
				f.drs.servers[2].Tags["tier"] = "cache"
				f.drs.servers[3].Tags["tier"] = "cache"
				f.db.SourceServerIDs = []string{"s-01", "s-02", "s-99"}
				if err := f.store.UpdateGroup(t.Context(), f.db); err != nil {
					t.Fatal(err)
				}
			},
			mode: "chaos",
			kind: KindInvalid,
			problems: []Problem{
				{Code: "invalid", Field: "mode", Message: `mode "chaos" is not "drill" or "recovery"`},
				{Code: "unknown_server", SourceServerID: "s-99",
					Message: `group "db": source server s-99 does not exist in us-east-1`},
				{Code: "replication_unhealthy", SourceServerID: "s-02",
					Message: `source server s-02 (group "db") is not ready: replication STALLED`},
				{Code: "empty_group", Message: `group "app" resolves to no source servers`},
			},
		},
		{
			name: "disconnected server",
			setup: func(t *testing.T, f *fixture) {
				f.drs.servers[3].ReplicationState = drs.StateDisconnected
			},
			mode: plan.ModeRecovery,
			kind: KindInvalid,
			problems: []Problem{{Code: "replication_unhealthy", SourceServerID: "s-04",
				Message: `source server s-04 (group "app") is not ready: replication DISCONNECTED`}},
		},
		{
			name: "server in a group of the plan twice",
			setup: func(t *testing.T, f *fixture) {
				f.drs.servers[0].Tags["tier"] = "app"
			},
			mode: plan.ModeDrill,
			kind: KindInvalid,
			problems: []Problem{{Code: "duplicate_server", SourceServerID: "s-01",
				Message: `source server s-01 is in both group "db" and group "app"`}},
		},
		{
			name: "no snapshot before the point in time",
			setup: func(t *testing.T, f *fixture) {
				f.drs.snapshots = map[string][]drs.Snapshot{
					"s-01": {{ID: "pit-1", Taken: t0.Add(-2 * time.Hour)}},
					"s-02": {{ID: "pit-2", Taken: t0.Add(-time.Minute)}},
					"s-03": {{ID: "pit-3", Taken: t0.Add(-3 * time.Hour)}},
				}
			},
			mode: plan.ModeRecovery,
			pit:  new(t0.Add(-time.Hour)),
			kind: KindInvalid,
			problems: []Problem{
				{Code: "no_snapshot", Field: "pointInTime", SourceServerID: "s-02",
					Message: "source server s-02 has no snapshot at or before 2026-03-01T11:00:00Z"},
				{Code: "no_snapshot", Field: "pointInTime", SourceServerID: "s-04",
					Message: "source server s-04 has no snapshot at or before 2026-03-01T11:00:00Z"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			tt.setup(t, f)
			_, err := f.svc.Start(t.Context(), f.plan.ID, tt.mode, tt.pit, "bob")
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Start error = %v, want *Error", err)
			}
			if e.Kind != tt.kind {
				t.Errorf("kind = %v, want %v", e.Kind, tt.kind)
			}
			if diff := cmp.Diff(tt.problems, e.Problems); diff != "" {
				t.Errorf("problems mismatch (-want +got):\n%s", diff)
			}
			page, err := f.store.ListExecutions(t.Context(), store.ExecutionFilter{}, store.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Items) != 0 {
				t.Errorf("a refused start wrote %d executions", len(page.Items))
			}
		})
	}
}

func TestStartPointInTime(t *testing.T) {
	f := newFixture(t)
	pit := t0.Add(-time.Hour)
	f.drs.snapshots = map[string][]drs.Snapshot{}
	for _, id := range []string{"s-01", "s-02", "s-03", "s-04"} {
		f.drs.snapshots[id] = []drs.Snapshot{
			{ID: "pit-new-" + id, Taken: t0.Add(-10 * time.Minute)},
			{ID: "pit-mid-" + id, Taken: t0.Add(-70 * time.Minute)},
			{ID: "pit-old-" + id, Taken: t0.Add(-5 * time.Hour)},
		}
	}
	res, err := f.svc.Start(t.Context(), f.plan.ID, plan.ModeRecovery, &pit, "")
	if err != nil {
		t.Fatal(err)
	}
	launches, err := f.store.ListLaunches(t.Context(), res.ExecutionID)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, l := range launches {
		if l.PointInTime == nil || !l.PointInTime.Equal(t0.Add(-70*time.Minute)) {
			t.Errorf("%s: point in time %v, want %v", l.SourceServerID, l.PointInTime, t0.Add(-70*time.Minute))
		}
		got[l.SourceServerID] = l.RecoverySnapshotID
	}
	want := map[string]string{"s-01": "pit-mid-s-01", "s-02": "pit-mid-s-02",
		"s-03": "pit-mid-s-03", "s-04": "pit-mid-s-04"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("snapshots mismatch (-want +got):\n%s", diff)
	}
}

func TestStartConflicts(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	first, err := f.svc.Start(ctx, f.plan.ID, plan.ModeDrill, nil, "")
	if err != nil {
		t.Fatal(err)
	}

	// A second plan sharing the app group.
	other := plan.NormalizePlan(plan.RecoveryPlan{Name: "other", Waves: []plan.Wave{
		{Name: "only", ProtectionGroupIDs: []string{f.app.ID}}}})
	if err := f.store.CreatePlan(ctx, &other); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		planID   string
		problems []Problem
	}{
		{"same plan", f.plan.ID, []Problem{
			{Code: "conflict", Message: `plan "shop" already has an active execution ` + first.ExecutionID + " (PENDING)"},
			{Code: "conflict", SourceServerID: "s-01", Message: "source server s-01 is in active execution " + first.ExecutionID + ` of plan "shop"`},
			{Code: "conflict", SourceServerID: "s-02", Message: "source server s-02 is in active execution " + first.ExecutionID + ` of plan "shop"`},
			{Code: "conflict", SourceServerID: "s-03", Message: "source server s-03 is in active execution " + first.ExecutionID + ` of plan "shop"`},
			{Code: "conflict", SourceServerID: "s-04", Message: "source server s-04 is in active execution " + first.ExecutionID + ` of plan "shop"`},
		}},
		{"shared servers", other.ID, []Problem{
			{Code: "conflict", SourceServerID: "s-03", Message: "source server s-03 is in active execution " + first.ExecutionID + ` of plan "shop"`},
			{Code: "conflict", SourceServerID: "s-04", Message: "source server s-04 is in active execution " + first.ExecutionID + ` of plan "shop"`},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.svc.Start(ctx, tt.planID, plan.ModeDrill, nil, "")
			var e *Error
			if !errors.As(err, &e) || e.Kind != KindConflict {
				t.Fatalf("Start error = %v, want a conflict", err)
			}
			if diff := cmp.Diff(tt.problems, e.Problems); diff != "" {
				t.Errorf("problems mismatch (-want +got):\n%s", diff)
			}
		})
	}

	_, err = f.svc.Start(ctx, "rp-missing", plan.ModeDrill, nil, "")
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindNotFound {
		t.Errorf("Start of a missing plan: error %v, want not found", err)
	}
}

// TestConcurrentStartsOfOnePlan starts one plan from several goroutines
// at once: exactly one start wins, whichever check stops the others.
func TestConcurrentStartsOfOnePlan(t *testing.T) {
	f := newFixture(t)
	const n = 6
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := f.svc.Start(t.Context(), f.plan.ID, plan.ModeDrill, nil, "")
			errs <- err
		}()
	}
	won := 0
	for range n {
		err := <-errs
		var e *Error
		switch {
		case err == nil:
			won++
		case !errors.As(err, &e) || e.Kind != KindConflict:
			t.Errorf("start: %v, want success or a conflict", err)
		}
	}
	page, err := f.store.ListExecutions(t.Context(), store.ExecutionFilter{}, store.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if won != 1 || len(page.Items) != 1 {
		t.Errorf("%d starts won, %d executions stored; want 1 and 1", won, len(page.Items))
	}
}
