package engine

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/plan"
)

func TestFailureReasons(t *testing.T) {
	items := []drs.JobLogItem{
		{Event: "JOB_START"},
		{Event: "SNAPSHOT_START", SourceServerID: "s-1"},
		{Event: "SNAPSHOT_FAIL", SourceServerID: "s-1", RawError: "no snapshot"},
		{Event: "CONVERSION_START", SourceServerID: "s-2"},
		{Event: "LAUNCH_FAILED", SourceServerID: "s-2", RawError: "InsufficientInstanceCapacity"},
		{Event: "LAUNCH_START", SourceServerID: "s-3"},
		{Event: "USING_PREVIOUS_SNAPSHOT_FAILED", SourceServerID: "s-4"},
		{Event: "JOB_END"},
	}
	want := map[string]string{
		"s-1": "SNAPSHOT_FAIL: no snapshot",
		"s-2": "LAUNCH_FAILED: InsufficientInstanceCapacity",
		"s-4": "USING_PREVIOUS_SNAPSHOT_FAILED",
	}
	if diff := cmp.Diff(want, failureReasons(items)); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestMatchJob(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	servers := func(ids ...string) []drs.JobServer {
		var out []drs.JobServer
		for _, id := range ids {
			out = append(out, drs.JobServer{SourceServerID: id})
		}
		return out
	}
	jobs := []drs.Job{
		{ID: "j-late", Type: drs.JobTypeLaunch, CreatedAt: t0.Add(2 * time.Second), Tags: map[string]string{TagBatch: "bt-1"}},
		{ID: "j-launch", Type: drs.JobTypeLaunch, CreatedAt: t0.Add(time.Second), Tags: map[string]string{TagBatch: "bt-1"}},
		{ID: "j-old", Type: drs.JobTypeTerminate, CreatedAt: t0.Add(-time.Hour), Servers: servers("s-1", "s-2")},
		{ID: "j-other", Type: drs.JobTypeTerminate, CreatedAt: t0, Servers: servers("s-1", "s-3")},
		{ID: "j-term", Type: drs.JobTypeTerminate, CreatedAt: t0.Add(time.Second), Servers: servers("s-2", "s-1")},
		{ID: "j-term2", Type: drs.JobTypeTerminate, CreatedAt: t0.Add(3 * time.Second), Servers: servers("s-2", "s-1")},
	}
	tests := []struct {
		name  string
		b     plan.Batch
		taken map[string]bool
		want  string
	}{
		{"launch by tag, the oldest", plan.Batch{ID: "bt-1", Kind: plan.BatchLaunch, RequestTime: t0}, nil, "j-launch"},
		{"launch without a job", plan.Batch{ID: "bt-2", Kind: plan.BatchLaunch, RequestTime: t0}, nil, ""},
		{"terminate by servers in the window", plan.Batch{ID: "bt-3", Kind: plan.BatchTerminate, RequestTime: t0,
			SourceServerIDs: []string{"s-1", "s-2"}}, nil, "j-term"},
		{"terminate job another batch holds", plan.Batch{ID: "bt-3", Kind: plan.BatchTerminate, RequestTime: t0,
			SourceServerIDs: []string{"s-1", "s-2"}}, map[string]bool{"j-term": true}, "j-term2"},
		{"terminate with different servers", plan.Batch{ID: "bt-4", Kind: plan.BatchTerminate, RequestTime: t0,
			SourceServerIDs: []string{"s-1"}}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := matchJob(&tt.b, jobs, tt.taken)
			if ok != (tt.want != "") || got.ID != tt.want {
				t.Errorf("matchJob = %q, %v; want %q", got.ID, ok, tt.want)
			}
		})
	}
}

// fakeDRS answers DescribeJobLog from a script; nothing else is called.
type fakeDRS struct {
	DRS
	log []drs.JobLogItem
}

func (f *fakeDRS) DescribeJobLog(context.Context, string) ([]drs.JobLogItem, error) {
	return f.log, nil
}

// TestCompletedJobIsNotARecoveredServer feeds applyJob a COMPLETED job
// whose servers did not all launch, which the emulator never produces.
func TestCompletedJobIsNotARecoveredServer(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	ex := &plan.Execution{ID: "ex-1", Status: plan.ExecRunning}
	var ls []plan.Launch
	for _, id := range []string{"s-1", "s-2", "s-3", "s-4"} {
		ls = append(ls, plan.Launch{Wave: "w", SourceServerID: id, Status: plan.LaunchLaunching, BatchID: "bt-1", JobID: "drsjob-1"})
	}
	b := plan.Batch{ID: "bt-1", Kind: plan.BatchLaunch, Status: plan.BatchRequested, JobID: "drsjob-1",
		SourceServerIDs: []string{"s-1", "s-2", "s-3", "s-4"}, RequestTime: t0}
	r := newRun(ex, []plan.WaveRun{{Name: "w", Status: plan.WaveLaunching}}, ls, []plan.Batch{b})
	job := &drs.Job{ID: "drsjob-1", Status: drs.JobCompleted, EndedAt: t0.Add(5 * time.Minute), Servers: []drs.JobServer{
		{SourceServerID: "s-1", LaunchStatus: drs.LaunchLaunched, RecoveryInstanceID: "i-0000000000000001"},
		{SourceServerID: "s-2", LaunchStatus: drs.LaunchFailed},
		{SourceServerID: "s-3", LaunchStatus: drs.LaunchInProgress},
	}}
	cl := &fakeDRS{log: []drs.JobLogItem{{Event: "LAUNCH_FAILED", SourceServerID: "s-2", RawError: "capacity"}}}
	e := New(Options{})
	c := &change{}
	now := t0.Add(6 * time.Minute)
	if err := e.applyJob(context.Background(), cl, r, r.batches[0], job, c, now); err != nil {
		t.Fatal(err)
	}
	type got struct{ Status, Instance, Error string }
	var gots []got
	for _, l := range r.launches {
		gots = append(gots, got{l.Status, l.RecoveryInstanceID, l.Error})
	}
	want := []got{
		{plan.LaunchLaunched, "i-0000000000000001", ""},
		{plan.LaunchFailed, "", "launch failed in job drsjob-1: LAUNCH_FAILED: capacity"},
		{plan.LaunchFailed, "", "job drsjob-1 completed with the server still IN_PROGRESS"},
		{plan.LaunchFailed, "", "job drsjob-1 completed without the server"},
	}
	if diff := cmp.Diff(want, gots); diff != "" {
		t.Errorf("launches mismatch (-want +got):\n%s", diff)
	}
	if r.batches[0].EndTime == nil || !r.batches[0].EndTime.Equal(now) {
		t.Errorf("batch end %v, want the observation's time %v", r.batches[0].EndTime, now)
	}
	if len(c.launches) != 4 || len(c.batches) != 1 {
		t.Errorf("change holds %d launches and %d batches, want 4 and 1", len(c.launches), len(c.batches))
	}

	// A second look at the same job changes nothing.
	c = &change{}
	if err := e.applyJob(context.Background(), cl, r, r.batches[0], job, c, now); err != nil {
		t.Fatal(err)
	}
	if len(c.launches) != 0 {
		t.Errorf("%d launches rewritten unchanged", len(c.launches))
	}
}
