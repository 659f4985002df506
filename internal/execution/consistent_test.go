package execution

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/drssim"
	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
	"github.com/drsorch/drsorch/internal/store/sqlitestore"
)

func TestParsePointInTime(t *testing.T) {
	at := time.Date(2026, 3, 1, 11, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want PointInTime
		bad  bool
	}{
		{in: "", want: PointInTime{}},
		{in: "consistent", want: PointInTime{Consistent: true}},
		{in: "2026-03-01T11:00:00Z", want: PointInTime{At: &at}},
		{in: "Consistent", bad: true},
		{in: "yesterday", bad: true},
	}
	for _, tc := range tests {
		got, err := ParsePointInTime(tc.in)
		if tc.bad != (err != nil) {
			t.Errorf("ParsePointInTime(%q) error %v, want error %v", tc.in, err, tc.bad)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("ParsePointInTime(%q) mismatch (-want +got):\n%s", tc.in, diff)
		}
	}
}

// TestStartConsistentOnEmulator starts a plan of two waves with a
// consistent point in time on the emulator, whose servers take a snapshot
// every ten minutes each on its own grid: each wave's instant is the
// earliest of its servers' newest snapshots, and each server launches
// from its latest snapshot at or before that.
func TestStartConsistentOnEmulator(t *testing.T) {
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL": "", "AWS_ENDPOINT_URL_DRS": ""} {
		t.Setenv(k, v)
	}
	ctx := t.Context()
	epoch := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	sim := drssim.New(drssim.Options{Servers: 5, Seed: 7, Clock: func() time.Time { return epoch }})
	client, err := drs.NewClient(ctx, drs.Config{Region: "us-east-1", Endpoint: "http://drs.test",
		HTTPClient: &http.Client{Transport: sim.Transport()}})
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "drsorch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var ids []string
	for _, s := range sim.Servers() {
		ids = append(ids, s.ID)
	}
	db := plan.ProtectionGroup{Name: "db", Region: "us-east-1", SourceServerIDs: ids[:2]}
	app := plan.ProtectionGroup{Name: "app", Region: "us-east-1", SourceServerIDs: ids[2:]}
	for _, g := range []*plan.ProtectionGroup{&db, &app} {
		if err := st.CreateGroup(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	p := plan.NormalizePlan(plan.RecoveryPlan{Name: "shop", Waves: []plan.Wave{
		{Name: "database", ProtectionGroupIDs: []string{db.ID}},
		{Name: "application", ProtectionGroupIDs: []string{app.ID}},
	}})
	if err := st.CreatePlan(ctx, &p); err != nil {
		t.Fatal(err)
	}
	svc := New(Options{Store: st, Clock: sim.Now,
		DRS: func(ctx context.Context, accountID, region string) (DRS, error) { return client, nil }})

	// The expectation, from each server's snapshots as DRS lists them.
	snaps := map[string][]drs.Snapshot{}
	for _, id := range ids {
		if snaps[id], err = client.DescribeSnapshots(ctx, id, time.Time{}, time.Time{}); err != nil {
			t.Fatal(err)
		}
		if len(snaps[id]) < 2 {
			t.Fatalf("server %s has %d snapshots; the test needs two", id, len(snaps[id]))
		}
	}
	taken := func(s drs.Snapshot) time.Time { return s.Taken }
	wantPoints := map[string]time.Time{}
	wantSnaps := map[string]string{}
	older := 0 // servers recovered from an older snapshot than their newest
	for wave, servers := range map[string][]string{"database": ids[:2], "application": ids[2:]} {
		var instant time.Time
		for _, id := range servers {
			if at := taken(snaps[id][0]); instant.IsZero() || at.Before(instant) {
				instant = at
			}
		}
		wantPoints[wave] = instant
		for _, id := range servers {
			for i, s := range snaps[id] { // newest first
				if !taken(s).After(instant) {
					wantSnaps[id] = s.ID
					if i > 0 {
						older++
					}
					break
				}
			}
		}
	}
	if older == 0 {
		t.Fatal("every server's newest snapshot is at its wave's instant; the test shows nothing")
	}

	res, err := svc.StartAt(ctx, p.ID, plan.ModeDrill, PointInTime{Consistent: true}, "alice")
	if err != nil {
		t.Fatal(err)
	}
	e, err := st.GetExecution(ctx, res.ExecutionID)
	if err != nil {
		t.Fatal(err)
	}
	if !e.ConsistentPointInTime || e.PointInTime != nil {
		t.Errorf("execution: consistent %v, point in time %v; want consistent and no single time",
			e.ConsistentPointInTime, e.PointInTime)
	}
	waves, err := st.ListWaves(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	gotPoints := map[string]time.Time{}
	for _, w := range waves {
		if w.PointInTime != nil {
			gotPoints[w.Name] = *w.PointInTime
		}
	}
	if diff := cmp.Diff(wantPoints, gotPoints); diff != "" {
		t.Errorf("wave instants mismatch (-want +got):\n%s", diff)
	}
	launches, err := st.ListLaunches(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	gotSnaps := map[string]string{}
	for _, l := range launches {
		gotSnaps[l.SourceServerID] = l.RecoverySnapshotID
		if l.PointInTime == nil || l.PointInTime.After(wantPoints[l.Wave]) {
			t.Errorf("%s: point in time %v after its wave's instant %v", l.SourceServerID, l.PointInTime, wantPoints[l.Wave])
		}
	}
	if diff := cmp.Diff(wantSnaps, gotSnaps); diff != "" {
		t.Errorf("snapshots mismatch (-want +got):\n%s", diff)
	}
}

// TestStartConsistentExact checks the choice on hand-made snapshots, and
// the refusal that names a server without any.
func TestStartConsistentExact(t *testing.T) {
	f := newFixture(t)
	min := func(m int) time.Time { return t0.Add(-time.Duration(m) * time.Minute) }
	f.drs.snapshots = map[string][]drs.Snapshot{
		"s-01": {{ID: "a1", Taken: min(3)}, {ID: "a2", Taken: min(13)}, {ID: "a3", Taken: min(23)}},
		"s-02": {{ID: "b1", Taken: min(8)}, {ID: "b2", Taken: min(18)}},
		// s-03 lags: its newest is the application wave's instant.
		"s-03": {{ID: "c1", Taken: min(31)}, {ID: "c2", Taken: min(41)}},
		"s-04": {{ID: "d1", Taken: min(1)}, {ID: "d2", Taken: min(30)}, {ID: "d3", Taken: min(32)}},
	}
	res, err := f.svc.StartAt(t.Context(), f.plan.ID, plan.ModeRecovery, PointInTime{Consistent: true}, "")
	if err != nil {
		t.Fatal(err)
	}
	waves, _ := f.store.ListWaves(t.Context(), res.ExecutionID)
	gotPoints := map[string]time.Time{}
	for _, w := range waves {
		gotPoints[w.Name] = *w.PointInTime
	}
	if diff := cmp.Diff(map[string]time.Time{"database": min(8), "application": min(31)}, gotPoints); diff != "" {
		t.Errorf("wave instants mismatch (-want +got):\n%s", diff)
	}
	launches, _ := f.store.ListLaunches(t.Context(), res.ExecutionID)
	got := map[string]string{}
	for _, l := range launches {
		got[l.SourceServerID] = l.RecoverySnapshotID + " " + l.PointInTime.Format("15:04")
	}
	want := map[string]string{"s-01": "a2 11:47", "s-02": "b1 11:52", "s-03": "c1 11:29", "s-04": "d3 11:28"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("snapshots mismatch (-want +got):\n%s", diff)
	}

	// End it, so that the plan can start again, and take the snapshots
	// of s-02 and s-03 away.
	f.drs.snapshots["s-02"] = nil
	f.drs.snapshots["s-03"] = nil
	if err := cancelExecution(t, f, res.ExecutionID); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.StartAt(t.Context(), f.plan.ID, plan.ModeRecovery, PointInTime{Consistent: true}, "")
	var xe *Error
	if !errors.As(err, &xe) {
		t.Fatalf("start without snapshots: %v, want an *Error", err)
	}
	wantProblems := []Problem{
		{Code: "no_snapshot", Field: "pointInTime", SourceServerID: "s-02",
			Message: `source server s-02 (wave "database") has no snapshot to recover the wave consistently`},
		{Code: "no_snapshot", Field: "pointInTime", SourceServerID: "s-03",
			Message: `source server s-03 (wave "application") has no snapshot to recover the wave consistently`},
	}
	if diff := cmp.Diff(wantProblems, xe.Problems); diff != "" {
		t.Errorf("problems mismatch (-want +got):\n%s", diff)
	}
}

// cancelExecution ends an execution in the store, as the engine would.
func cancelExecution(t *testing.T, f *fixture, id string) error {
	t.Helper()
	e, err := f.store.GetExecution(t.Context(), id)
	if err != nil {
		return err
	}
	e.Status = plan.ExecCancelled
	end := t0
	e.EndTime = &end
	return f.store.Commit(t.Context(), &store.Change{ExecutionID: id, Execution: e})
}
