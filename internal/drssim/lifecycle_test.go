package drssim_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/drs"
	"github.com/aws/aws-sdk-go-v2/service/drs/types"
	"github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/drssim"
)

func startRecovery(t *testing.T, c *drs.Client, drill bool, ids ...string) *types.Job {
	t.Helper()
	in := &drs.StartRecoveryInput{IsDrill: aws.Bool(drill), Tags: map[string]string{"batch": "b1"}}
	for _, id := range ids {
		in.SourceServers = append(in.SourceServers, types.StartRecoveryRequestSourceServer{SourceServerID: aws.String(id)})
	}
	out, err := c.StartRecovery(t.Context(), in)
	if err != nil {
		t.Fatalf("start recovery: %v", err)
	}
	return out.Job
}

func describeJob(t *testing.T, c *drs.Client, id string) types.Job {
	t.Helper()
	out, err := c.DescribeJobs(t.Context(), &drs.DescribeJobsInput{
		Filters: &types.DescribeJobsRequestFilters{JobIDs: []string{id}},
	})
	if err != nil {
		t.Fatalf("describe jobs: %v", err)
	}
	if len(out.Items) != 1 {
		t.Fatalf("describe jobs %s: got %d items", id, len(out.Items))
	}
	return out.Items[0]
}

func launchStatuses(j types.Job) []types.LaunchStatus {
	var out []types.LaunchStatus
	for _, ps := range j.ParticipatingServers {
		out = append(out, ps.LaunchStatus)
	}
	return out
}

func TestJobLifecycle(t *testing.T) {
	sim, clock, c := newSim(t, drssim.Options{Servers: 3, Seed: 7})
	ids := serverIDs(t, sim, 2)

	job := startRecovery(t, c, true, ids...)
	if job.Status != types.JobStatusPending || job.Type != types.JobTypeLaunch || job.InitiatedBy != types.InitiatedByStartDrill {
		t.Fatalf("new job: status %s type %s initiatedBy %s", job.Status, job.Type, job.InitiatedBy)
	}
	if job.EndDateTime != nil {
		t.Fatalf("new job has endDateTime %s", *job.EndDateTime)
	}
	if diff := cmp.Diff(map[string]string{"batch": "b1"}, job.Tags); diff != "" {
		t.Errorf("job tags mismatch (-want +got):\n%s", diff)
	}
	created, err := time.Parse(time.RFC3339Nano, aws.ToString(job.CreationDateTime))
	if err != nil {
		t.Fatalf("creationDateTime: %v", err)
	}
	if !created.Equal(sim.Now()) {
		t.Errorf("creationDateTime %v, want emulated now %v", created, sim.Now())
	}

	// One minute in, the job has started and every server is in progress.
	clock.Add(time.Minute)
	j := describeJob(t, c, *job.JobID)
	if j.Status != types.JobStatusStarted {
		t.Fatalf("after 1m: status %s, want STARTED", j.Status)
	}
	for _, st := range launchStatuses(j) {
		if st != types.LaunchStatusInProgress {
			t.Fatalf("after 1m: launch statuses %v", launchStatuses(j))
		}
	}

	// Ten hours is enough for any server, Windows included.
	clock.Add(10 * time.Hour)
	j = describeJob(t, c, *job.JobID)
	if j.Status != types.JobStatusCompleted || j.EndDateTime == nil {
		t.Fatalf("after 10h: status %s endDateTime %v", j.Status, j.EndDateTime)
	}
	want := []types.LaunchStatus{types.LaunchStatusLaunched, types.LaunchStatusLaunched}
	if diff := cmp.Diff(want, launchStatuses(j)); diff != "" {
		t.Fatalf("launch statuses mismatch (-want +got):\n%s", diff)
	}

	insts, err := c.DescribeRecoveryInstances(t.Context(), &drs.DescribeRecoveryInstancesInput{})
	if err != nil {
		t.Fatalf("describe recovery instances: %v", err)
	}
	if len(insts.Items) != 2 {
		t.Fatalf("got %d recovery instances, want 2", len(insts.Items))
	}
	byServer := map[string]types.RecoveryInstance{}
	for _, ri := range insts.Items {
		byServer[aws.ToString(ri.SourceServerID)] = ri
		if aws.ToString(ri.RecoveryInstanceID) != aws.ToString(ri.Ec2InstanceID) {
			t.Errorf("recoveryInstanceID %s != ec2InstanceID %s", *ri.RecoveryInstanceID, *ri.Ec2InstanceID)
		}
		if !aws.ToBool(ri.IsDrill) || aws.ToString(ri.JobID) != *job.JobID || ri.Ec2InstanceState != types.EC2InstanceStateRunning {
			t.Errorf("instance %s: isDrill %v jobID %s state %s", *ri.RecoveryInstanceID, aws.ToBool(ri.IsDrill), aws.ToString(ri.JobID), ri.Ec2InstanceState)
		}
		if ri.PointInTimeSnapshotDateTime == nil || ri.Tags["batch"] != "b1" {
			t.Errorf("instance %s: pointInTime %v tags %v", *ri.RecoveryInstanceID, ri.PointInTimeSnapshotDateTime, ri.Tags)
		}
	}
	for _, ps := range j.ParticipatingServers {
		if got := aws.ToString(byServer[*ps.SourceServerID].RecoveryInstanceID); got != aws.ToString(ps.RecoveryInstanceID) {
			t.Errorf("participating server %s: recoveryInstanceID %s, instance says %s", *ps.SourceServerID, aws.ToString(ps.RecoveryInstanceID), got)
		}
	}

	srvs, err := c.DescribeSourceServers(t.Context(), &drs.DescribeSourceServersInput{
		Filters: &types.DescribeSourceServersRequestFilters{SourceServerIDs: ids[:1]},
	})
	if err != nil {
		t.Fatalf("describe source servers: %v", err)
	}
	ss := srvs.Items[0]
	if got := aws.ToString(ss.RecoveryInstanceId); got != aws.ToString(byServer[ids[0]].RecoveryInstanceID) {
		t.Errorf("source server recoveryInstanceId %q", got)
	}
	if ss.LastLaunchResult != types.LastLaunchResultSucceeded {
		t.Errorf("lastLaunchResult %s", ss.LastLaunchResult)
	}
	ll := ss.LifeCycle.LastLaunch
	if ll == nil || ll.Status != types.LaunchStatusLaunched || ll.Initiated.Type != types.LastLaunchTypeDrill || aws.ToString(ll.Initiated.JobID) != *job.JobID {
		t.Errorf("lifeCycle.lastLaunch %+v", ll)
	}

	// The log tells the same story, in order.
	logs, err := c.DescribeJobLogItems(t.Context(), &drs.DescribeJobLogItemsInput{JobID: job.JobID})
	if err != nil {
		t.Fatalf("describe job log items: %v", err)
	}
	perServer := map[string][]types.JobLogEvent{}
	var first, last types.JobLogEvent
	for i, item := range logs.Items {
		if i == 0 {
			first = item.Event
		}
		last = item.Event
		if item.EventData != nil && item.EventData.SourceServerID != nil {
			perServer[*item.EventData.SourceServerID] = append(perServer[*item.EventData.SourceServerID], item.Event)
		}
	}
	if first != types.JobLogEventJobStart || last != types.JobLogEventJobEnd {
		t.Errorf("log runs from %s to %s", first, last)
	}
	wantEvents := []types.JobLogEvent{
		types.JobLogEventSnapshotStart, types.JobLogEventSnapshotEnd,
		types.JobLogEventConversionStart, types.JobLogEventConversionEnd,
		types.JobLogEventLaunchStart,
	}
	for _, id := range ids {
		if diff := cmp.Diff(wantEvents, perServer[id]); diff != "" {
			t.Errorf("log of %s mismatch (-want +got):\n%s", id, diff)
		}
	}
}

// TestServerDurations checks the timeline's shape: a Linux server is done
// well before a Windows one would be.
func TestServerDurations(t *testing.T) {
	inv := []drssim.Server{
		{ID: "s-000000000000000a1", OS: "linux"},
		{ID: "s-000000000000000b2", OS: "windows"},
	}
	sim, clock, c := newSim(t, drssim.Options{Inventory: inv, Seed: 3})
	job := startRecovery(t, c, false, inv[0].ID, inv[1].ID)
	if job.InitiatedBy != types.InitiatedByStartRecovery {
		t.Errorf("initiatedBy %s, want START_RECOVERY", job.InitiatedBy)
	}
	clock.Add(8 * time.Minute) // Linux: at most 5m × 1.3 + 25s pending
	j := describeJob(t, c, *job.JobID)
	want := []types.LaunchStatus{types.LaunchStatusLaunched, types.LaunchStatusInProgress}
	if diff := cmp.Diff(want, launchStatuses(j)); diff != "" {
		t.Fatalf("after 8m mismatch (-want +got):\n%s", diff)
	}
	clock.Add(20 * time.Minute) // Windows: at most 20m × 1.3 + 25s
	j = describeJob(t, c, *job.JobID)
	if j.Status != types.JobStatusCompleted {
		t.Fatalf("after 28m: status %s", j.Status)
	}
	_ = sim
}

func TestTerminate(t *testing.T) {
	sim, clock, c := newSim(t, drssim.Options{Servers: 2, Seed: 11})
	ids := serverIDs(t, sim, 1)
	job := startRecovery(t, c, true, ids...)
	clock.Add(time.Hour)
	j := describeJob(t, c, *job.JobID)
	instID := aws.ToString(j.ParticipatingServers[0].RecoveryInstanceID)
	if instID == "" {
		t.Fatalf("no recovery instance: %+v", j.ParticipatingServers)
	}

	out, err := c.TerminateRecoveryInstances(t.Context(), &drs.TerminateRecoveryInstancesInput{RecoveryInstanceIDs: []string{instID}})
	if err != nil {
		t.Fatalf("terminate: %v", err)
	}
	tj := out.Job
	if tj.Type != types.JobTypeTerminate || tj.InitiatedBy != types.InitiatedByTerminateRecoveryInstances || tj.Status != types.JobStatusPending {
		t.Fatalf("terminate job: type %s initiatedBy %s status %s", tj.Type, tj.InitiatedBy, tj.Status)
	}

	// While it runs, a second terminate of the same instance conflicts.
	_, err = c.TerminateRecoveryInstances(t.Context(), &drs.TerminateRecoveryInstancesInput{RecoveryInstanceIDs: []string{instID}})
	assertConflict(t, err, instID)

	clock.Add(10 * time.Minute)
	tjNow := describeJob(t, c, *tj.JobID)
	if tjNow.Status != types.JobStatusCompleted {
		t.Fatalf("terminate job after 10m: %s", tjNow.Status)
	}
	if diff := cmp.Diff([]types.LaunchStatus{types.LaunchStatusTerminated}, launchStatuses(tjNow)); diff != "" {
		t.Errorf("terminate statuses mismatch (-want +got):\n%s", diff)
	}
	insts, err := c.DescribeRecoveryInstances(t.Context(), &drs.DescribeRecoveryInstancesInput{})
	if err != nil {
		t.Fatalf("describe recovery instances: %v", err)
	}
	if len(insts.Items) != 0 {
		t.Errorf("instances after terminate: %d, want 0", len(insts.Items))
	}
	srvs, err := c.DescribeSourceServers(t.Context(), &drs.DescribeSourceServersInput{})
	if err != nil {
		t.Fatalf("describe source servers: %v", err)
	}
	for _, ss := range srvs.Items {
		if ss.RecoveryInstanceId != nil {
			t.Errorf("server %s still points at %s", *ss.SourceServerID, *ss.RecoveryInstanceId)
		}
	}
}

func assertConflict(t *testing.T, err error, resourceID string) {
	t.Helper()
	var ce *types.ConflictException
	if !errorsAs(err, &ce) {
		t.Fatalf("got %v, want ConflictException", err)
	}
	if aws.ToString(ce.ResourceId) != resourceID {
		t.Errorf("conflict resourceId %q, want %q", aws.ToString(ce.ResourceId), resourceID)
	}
}

var _ = context.Background
