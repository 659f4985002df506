package drssim_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/drs"
	"github.com/aws/aws-sdk-go-v2/service/drs/types"
	"github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/drssim"
)

// TestSynctestBubble drives a job with the bubble's clock at 60x through
// the in-process transport: ten fake seconds are ten emulated minutes.
func TestSynctestBubble(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		inv := []drssim.Server{{ID: "s-0000000000000000a"}}
		sim := drssim.New(drssim.Options{Inventory: inv, TimeScale: 60})
		c := inProcess(sim)
		job := startRecovery(t, c, true, inv[0].ID)
		time.Sleep(10 * time.Second)
		j := describeJob(t, c, *job.JobID)
		if j.Status != types.JobStatusCompleted {
			t.Fatalf("after 10 emulated minutes: %s", j.Status)
		}
		created, _ := time.Parse(time.RFC3339Nano, *j.CreationDateTime)
		if got := sim.Now().Sub(created); got != 10*time.Minute {
			t.Errorf("emulated time passed %v, want 10m", got)
		}
	})
}

func TestInventory(t *testing.T) {
	a := drssim.New(drssim.Options{Servers: 200, Seed: 3, StalledCount: 3, DisconnectedCount: 2})
	b := drssim.New(drssim.Options{Servers: 200, Seed: 3, StalledCount: 3, DisconnectedCount: 2})
	if diff := cmp.Diff(a.Servers(), b.Servers()); diff != "" {
		t.Fatalf("same seed, different inventories (-a +b):\n%s", diff)
	}
	states := map[string]int{}
	oses := map[string]int{}
	apps := map[string]bool{}
	for _, s := range a.Servers() {
		states[s.ReplicationState]++
		oses[s.OS]++
		apps[s.Tags["app"]] = true
		if s.Tags["env"] != "prod" || s.Tags["tier"] == "" || !strings.HasPrefix(s.Hostname, s.Tags["app"]+"-"+s.Tags["tier"]) {
			t.Errorf("server %s: hostname %q tags %v", s.ID, s.Hostname, s.Tags)
		}
	}
	if diff := cmp.Diff(map[string]int{"CONTINUOUS": 195, "STALLED": 3, "DISCONNECTED": 2}, states); diff != "" {
		t.Errorf("states mismatch (-want +got):\n%s", diff)
	}
	if oses["windows"] == 0 || oses["windows"] > oses["linux"] {
		t.Errorf("operating systems %v", oses)
	}
	if len(apps) < 10 {
		t.Errorf("only %d applications", len(apps))
	}

	inv, err := drssim.LoadInventory(strings.NewReader(`{"servers":[
		{"id":"s-0000000000000000a","hostname":"db1","os":"windows","tags":{"app":"x"}},
		{"hostname":"web1","replicationState":"STALLED"}]}`))
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	sim, _, c := newSim(t, drssim.Options{Inventory: inv})
	out, err := c.DescribeSourceServers(t.Context(), &drs.DescribeSourceServersInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Items) != 2 || *out.Items[0].SourceServerID != "s-0000000000000000a" ||
		*out.Items[0].SourceProperties.IdentificationHints.Hostname != "db1" ||
		!strings.HasPrefix(*out.Items[0].SourceProperties.Os.FullString, "Microsoft Windows") ||
		out.Items[1].DataReplicationInfo.DataReplicationState != types.DataReplicationStateStalled {
		t.Errorf("loaded inventory served as %+v", sim.Servers())
	}
	for _, bad := range []string{`[{"id":"x"}]`, `[{"os":"beos"}]`, `[{"id":"s-0000000000000000a"},{"id":"s-0000000000000000a"}]`, `{`} {
		if _, err := drssim.LoadInventory(strings.NewReader(bad)); err == nil {
			t.Errorf("LoadInventory(%s) accepted", bad)
		}
	}
}

func TestSnapshots(t *testing.T) {
	sim, clock, c := newSim(t, drssim.Options{Servers: 5, Seed: 2, StalledCount: 1})
	var healthy, stalled string
	for _, s := range sim.Servers() {
		if s.ReplicationState == "STALLED" {
			stalled = s.ID
		} else if healthy == "" {
			healthy = s.ID
		}
	}
	list := func(id string, order types.RecoverySnapshotsOrder, filters *types.DescribeRecoverySnapshotsRequestFilters) []types.RecoverySnapshot {
		t.Helper()
		var all []types.RecoverySnapshot
		p := drs.NewDescribeRecoverySnapshotsPaginator(c, &drs.DescribeRecoverySnapshotsInput{
			SourceServerID: aws.String(id), Order: order, Filters: filters, MaxResults: aws.Int32(50),
		})
		for p.HasMorePages() {
			out, err := p.NextPage(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, out.Items...)
		}
		return all
	}
	asc := list(healthy, "", nil)
	if len(asc) != 144 {
		t.Fatalf("%d snapshots, want 144", len(asc))
	}
	for i := 1; i < len(asc); i++ {
		a, _ := time.Parse(time.RFC3339Nano, *asc[i-1].ExpectedTimestamp)
		b, _ := time.Parse(time.RFC3339Nano, *asc[i].ExpectedTimestamp)
		if b.Sub(a) != 10*time.Minute {
			t.Fatalf("snapshots %d and %d are %v apart", i-1, i, b.Sub(a))
		}
	}
	desc := list(healthy, types.RecoverySnapshotsOrderDesc, nil)
	if *desc[0].SnapshotID != *asc[143].SnapshotID {
		t.Errorf("DESC does not start with the newest")
	}
	ranged := list(healthy, "", &types.DescribeRecoverySnapshotsRequestFilters{
		FromDateTime: asc[10].Timestamp, ToDateTime: asc[19].Timestamp,
	})
	if len(ranged) != 10 || *ranged[0].SnapshotID != *asc[10].SnapshotID {
		t.Errorf("date range gave %d snapshots", len(ranged))
	}

	// A stalled server's snapshots stop when it stalled.
	st := list(stalled, types.RecoverySnapshotsOrderDesc, nil)
	newest, _ := time.Parse(time.RFC3339Nano, *st[0].Timestamp)
	if sim.Now().Sub(newest) < 30*time.Minute {
		t.Errorf("stalled server's newest snapshot is %v old", sim.Now().Sub(newest))
	}

	// Launching from a snapshot uses it, and the instance says so.
	pick := asc[100]
	out, err := c.StartRecovery(t.Context(), &drs.StartRecoveryInput{SourceServers: []types.StartRecoveryRequestSourceServer{
		{SourceServerID: aws.String(healthy), RecoverySnapshotID: pick.SnapshotID},
	}})
	if err != nil {
		t.Fatal(err)
	}
	clock.Add(time.Hour)
	logs, err := c.DescribeJobLogItems(t.Context(), &drs.DescribeJobLogItemsInput{JobID: out.Job.JobID})
	if err != nil {
		t.Fatal(err)
	}
	var events []types.JobLogEvent
	for _, l := range logs.Items {
		events = append(events, l.Event)
	}
	want := []types.JobLogEvent{"JOB_START", "USING_PREVIOUS_SNAPSHOT", "CONVERSION_START", "CONVERSION_END", "LAUNCH_START", "JOB_END"}
	if diff := cmp.Diff(want, events); diff != "" {
		t.Errorf("events mismatch (-want +got):\n%s", diff)
	}
	insts, err := c.DescribeRecoveryInstances(t.Context(), &drs.DescribeRecoveryInstancesInput{
		Filters: &types.DescribeRecoveryInstancesRequestFilters{SourceServerIDs: []string{healthy}},
	})
	if err != nil || len(insts.Items) != 1 {
		t.Fatalf("instances: %v %d", err, len(insts.Items))
	}
	if got := *insts.Items[0].PointInTimeSnapshotDateTime; got != *pick.Timestamp {
		t.Errorf("pointInTimeSnapshotDateTime %s, want %s", got, *pick.Timestamp)
	}

	// A snapshot of another server is unknown.
	_, err = c.StartRecovery(t.Context(), &drs.StartRecoveryInput{SourceServers: []types.StartRecoveryRequestSourceServer{
		{SourceServerID: aws.String(stalled), RecoverySnapshotID: pick.SnapshotID},
	}})
	if err == nil || !strings.Contains(err.Error(), "ResourceNotFoundException") {
		t.Errorf("foreign snapshot: %v", err)
	}
}

func TestLaunchConfiguration(t *testing.T) {
	sim, clock, c := newSim(t, drssim.Options{Servers: 1, Seed: 2})
	id := serverIDs(t, sim, 1)[0]
	lc, err := c.GetLaunchConfiguration(t.Context(), &drs.GetLaunchConfigurationInput{SourceServerID: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	if lc.LaunchDisposition != types.LaunchDispositionStarted || !aws.ToBool(lc.CopyTags) || !strings.HasPrefix(aws.ToString(lc.Ec2LaunchTemplateID), "lt-") {
		t.Errorf("defaults: %+v", lc)
	}
	up, err := c.UpdateLaunchConfiguration(t.Context(), &drs.UpdateLaunchConfigurationInput{
		SourceServerID: aws.String(id), LaunchDisposition: types.LaunchDispositionStopped,
		Licensing: &types.Licensing{OsByol: aws.Bool(true)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if up.LaunchDisposition != types.LaunchDispositionStopped || !aws.ToBool(up.Licensing.OsByol) || aws.ToString(up.Name) != aws.ToString(lc.Name) {
		t.Errorf("after update: %+v", up)
	}
	_, err = c.UpdateLaunchConfiguration(t.Context(), &drs.UpdateLaunchConfigurationInput{
		SourceServerID: aws.String(id), TargetInstanceTypeRightSizingMethod: "HUGE",
	})
	var ve *types.ValidationException
	if !errors.As(err, &ve) {
		t.Errorf("bad enum: %v", err)
	}
	// The disposition reaches the next launch.
	job := startRecovery(t, c, true, id)
	clock.Add(time.Hour)
	insts, err := c.DescribeRecoveryInstances(t.Context(), &drs.DescribeRecoveryInstancesInput{})
	if err != nil || len(insts.Items) != 1 || insts.Items[0].Ec2InstanceState != types.EC2InstanceStateStopped || *insts.Items[0].JobID != *job.JobID {
		t.Fatalf("instances: %v %+v", err, insts)
	}
	// Disconnect marks failback replication disconnected.
	inst := insts.Items[0].RecoveryInstanceID
	if _, err := c.DisconnectRecoveryInstance(t.Context(), &drs.DisconnectRecoveryInstanceInput{RecoveryInstanceID: inst}); err != nil {
		t.Fatal(err)
	}
	insts, _ = c.DescribeRecoveryInstances(t.Context(), &drs.DescribeRecoveryInstancesInput{})
	if got := insts.Items[0].DataReplicationInfo.DataReplicationState; got != types.RecoveryInstanceDataReplicationStateDisconnected {
		t.Errorf("after disconnect: %s", got)
	}
}

// TestTransportNilBody serves a request without a body in process, as the
// SDK sends a DELETE: it must be answered, not panic.
func TestTransportNilBody(t *testing.T) {
	sim := drssim.New(drssim.Options{Servers: 1, Seed: 1})
	arn := sim.Servers()[0].ID
	req, err := http.NewRequest(http.MethodGet, "http://drs.test/tags/"+url.PathEscape("arn:aws:drs:us-east-1:111122223333:source-server/"+arn), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Body = nil
	resp, err := sim.Transport().RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == 0 {
		t.Fatal("no status")
	}
}
