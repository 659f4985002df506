package drs

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/drs"
	"github.com/aws/aws-sdk-go-v2/service/drs/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// sdkTypes lets cmp compare SDK values, which carry an unexported marker.
var sdkTypes = cmpopts.IgnoreUnexported(
	drs.StartRecoveryInput{}, types.StartRecoveryRequestSourceServer{},
	drs.UpdateLaunchConfigurationInput{}, types.Licensing{},
	drs.DescribeJobsInput{}, types.DescribeJobsRequestFilters{},
	drs.DescribeRecoverySnapshotsInput{}, types.DescribeRecoverySnapshotsRequestFilters{},
)

func ids(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%017d", prefix, i)
	}
	return out
}

// filterSizes returns, for each input of type In, the size of its ID
// filter and whether it was the first page of its batch.
func filterSizes[In any](f *fakeAPI, size func(In) (int, bool)) []int {
	var out []int
	for _, in := range f.inputs {
		if v, ok := in.(In); ok {
			if n, first := size(v); first {
				out = append(out, n)
			}
		}
	}
	return out
}

func TestDescribeJobsBatchesAndPages(t *testing.T) {
	f := &fakeAPI{pageSize: 300}
	want := ids("drsjob-", 2500)
	for _, id := range want {
		f.jobs = append(f.jobs, types.Job{JobID: aws.String(id)})
	}
	c := newFakeClient(f)

	// Duplicates and empty IDs cost nothing.
	asked := append(append([]string{""}, want...), want[:10]...)
	got, err := c.DescribeJobs(t.Context(), asked)
	if err != nil {
		t.Fatal(err)
	}
	var gotIDs []string
	for _, j := range got {
		gotIDs = append(gotIDs, j.ID)
	}
	if diff := cmp.Diff(want, gotIDs); diff != "" {
		t.Errorf("jobs mismatch (-want +got):\n%s", diff)
	}
	sizes := filterSizes(f, func(in *drs.DescribeJobsInput) (int, bool) {
		return len(in.Filters.JobIDs), in.NextToken == nil
	})
	if diff := cmp.Diff([]int{1000, 1000, 500}, sizes); diff != "" {
		t.Errorf("batch sizes mismatch (-want +got):\n%s", diff)
	}
	// 1,000 IDs in pages of 300: 4 pages per full batch, 2 for the rest.
	if got, want := len(f.inputs), 4+4+2; got != want {
		t.Errorf("%d requests, want %d", got, want)
	}
}

func TestDescribeJobsWithoutIDs(t *testing.T) {
	f := &fakeAPI{pageSize: 10, jobs: []types.Job{{JobID: aws.String("drsjob-00000000000000001")}}}
	got, err := newFakeClient(f).DescribeJobs(t.Context(), nil)
	if err != nil || len(got) != 0 || len(f.inputs) != 0 {
		t.Errorf("DescribeJobs(nil) = %v, %v after %d requests; want nothing, no request", got, err, len(f.inputs))
	}
}

func TestDescribeSourceServersBatches(t *testing.T) {
	all := ids("s-", 450)
	tests := []struct {
		name    string
		ids     []string
		want    int
		batches []int // filter size of each batch
	}{
		{"nil: every server, one unfiltered listing", nil, 450, []int{0}},
		{"empty: none, no request", []string{}, 0, nil},
		{"by ID in batches of 200", all, 450, []int{200, 200, 50}},
		{"a few", all[7:9], 2, []int{2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeAPI{pageSize: 100}
			for _, id := range all {
				f.servers = append(f.servers, types.SourceServer{SourceServerID: aws.String(id)})
			}
			got, err := newFakeClient(f).DescribeSourceServers(t.Context(), tt.ids)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.want {
				t.Errorf("%d servers, want %d", len(got), tt.want)
			}
			sizes := filterSizes(f, func(in *drs.DescribeSourceServersInput) (int, bool) {
				return len(in.Filters.SourceServerIDs), in.NextToken == nil
			})
			if diff := cmp.Diff(tt.batches, sizes); diff != "" {
				t.Errorf("batch sizes mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDescribeRecoveryInstancesBatches(t *testing.T) {
	servers := ids("s-", 250)
	f := &fakeAPI{pageSize: 1000}
	for i, s := range servers {
		f.instances = append(f.instances, types.RecoveryInstance{
			RecoveryInstanceID: aws.String(fmt.Sprintf("i-%017x", i)), SourceServerID: aws.String(s),
		})
	}
	c := newFakeClient(f)

	got, err := c.DescribeRecoveryInstances(t.Context(), servers)
	if err != nil || len(got) != 250 {
		t.Fatalf("by server: %d instances, %v; want 250", len(got), err)
	}
	got, err = c.DescribeRecoveryInstances(t.Context(), nil)
	if err != nil || len(got) != 250 {
		t.Fatalf("all: %d instances, %v; want 250", len(got), err)
	}
	got, err = c.DescribeRecoveryInstancesByID(t.Context(), []string{"i-0000000000000000a", "i-000000000000000f9"})
	if err != nil || len(got) != 2 {
		t.Fatalf("by ID: %d instances, %v; want 2", len(got), err)
	}
	got, err = c.DescribeRecoveryInstances(t.Context(), []string{})
	if err != nil || len(got) != 0 {
		t.Fatalf("empty: %d instances, %v; want none", len(got), err)
	}

	var sizes [][2]int
	for _, in := range f.inputs {
		fl := in.(*drs.DescribeRecoveryInstancesInput).Filters
		sizes = append(sizes, [2]int{len(fl.SourceServerIDs), len(fl.RecoveryInstanceIDs)})
	}
	if diff := cmp.Diff([][2]int{{200, 0}, {50, 0}, {0, 0}, {0, 2}}, sizes); diff != "" {
		t.Errorf("filters (servers, instances) mismatch (-want +got):\n%s", diff)
	}
}

func TestPaginationThatDoesNotAdvance(t *testing.T) {
	f := &fakeAPI{pageSize: 1, stuck: true, jobs: []types.Job{{JobID: aws.String("drsjob-00000000000000001")}}}
	_, err := newFakeClient(f).FindJobs(t.Context(), time.Time{}, time.Time{})
	if !errors.Is(err, ErrStuckPages) {
		t.Fatalf("error %v, want ErrStuckPages", err)
	}
	if len(f.inputs) != 2 {
		t.Errorf("%d requests, want 2", len(f.inputs))
	}
}

func TestStartRecoveryInput(t *testing.T) {
	f := &fakeAPI{}
	tags := map[string]string{"drsorch:execution": "ex-1", "drsorch:batch": "b-1"}
	job, err := newFakeClient(f).StartRecovery(t.Context(), []ServerLaunch{
		{SourceServerID: "s-00000000000000001"},
		{SourceServerID: "s-00000000000000002", RecoverySnapshotID: "pit-00000000000000009"},
	}, true, tags)
	if err != nil {
		t.Fatal(err)
	}
	want := &drs.StartRecoveryInput{
		IsDrill: aws.Bool(true),
		Tags:    tags,
		SourceServers: []types.StartRecoveryRequestSourceServer{
			{SourceServerID: aws.String("s-00000000000000001")},
			{SourceServerID: aws.String("s-00000000000000002"), RecoverySnapshotID: aws.String("pit-00000000000000009")},
		},
	}
	if diff := cmp.Diff(want, f.inputs[0], sdkTypes); diff != "" {
		t.Errorf("input mismatch (-want +got):\n%s", diff)
	}
	wantJob := Job{
		ID: "drsjob-00000000000000001", Type: JobTypeLaunch, InitiatedBy: "START_DRILL", Status: JobPending,
		CreatedAt: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC), Tags: tags,
		Servers: []JobServer{
			{SourceServerID: "s-00000000000000001", LaunchStatus: LaunchPending},
			{SourceServerID: "s-00000000000000002", LaunchStatus: LaunchPending},
		},
	}
	if diff := cmp.Diff(wantJob, job); diff != "" {
		t.Errorf("job mismatch (-want +got):\n%s", diff)
	}
}

func TestFindJobsRange(t *testing.T) {
	from := time.Date(2026, 12, 3, 9, 0, 0, 0, time.FixedZone("CET", 3600))
	to := time.Date(2026, 12, 3, 10, 30, 15, 500_000_000, time.UTC)
	tests := []struct {
		name     string
		from, to time.Time
		want     *types.DescribeJobsRequestFilters
	}{
		{"both", from, to, &types.DescribeJobsRequestFilters{
			FromDate: aws.String("2026-12-03T08:00:00Z"), ToDate: aws.String("2026-12-03T10:30:15.5Z")}},
		{"from only", from, time.Time{}, &types.DescribeJobsRequestFilters{FromDate: aws.String("2026-12-03T08:00:00Z")}},
		{"unbounded", time.Time{}, time.Time{}, &types.DescribeJobsRequestFilters{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeAPI{pageSize: 10}
			if _, err := newFakeClient(f).FindJobs(t.Context(), tt.from, tt.to); err != nil {
				t.Fatal(err)
			}
			got := f.inputs[0].(*drs.DescribeJobsInput).Filters
			if diff := cmp.Diff(tt.want, got, sdkTypes); diff != "" {
				t.Errorf("filters mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDescribeSnapshotsNewestFirst(t *testing.T) {
	f := &fakeAPI{pageSize: 2}
	for _, s := range []struct{ id, expected, taken string }{
		{"pit-00000000000000001", "2026-12-03T10:00:00Z", "2026-12-03T10:00:01Z"},
		{"pit-00000000000000003", "2026-12-03T12:00:00Z", "2026-12-03T12:00:02Z"},
		{"pit-00000000000000002", "2026-12-03T11:00:00Z", ""}, // not taken yet: expected time
	} {
		f.snapshots = append(f.snapshots, types.RecoverySnapshot{
			SnapshotID: aws.String(s.id), SourceServerID: aws.String("s-00000000000000001"),
			ExpectedTimestamp: aws.String(s.expected), Timestamp: aws.String(s.taken),
		})
	}
	from := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	got, err := newFakeClient(f).DescribeSnapshots(t.Context(), "s-00000000000000001", from, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, s := range got {
		order = append(order, s.ID)
	}
	want := []string{"pit-00000000000000003", "pit-00000000000000002", "pit-00000000000000001"}
	if diff := cmp.Diff(want, order); diff != "" {
		t.Errorf("order mismatch (-want +got):\n%s", diff)
	}
	wantIn := &drs.DescribeRecoverySnapshotsInput{
		SourceServerID: aws.String("s-00000000000000001"),
		Order:          types.RecoverySnapshotsOrderDesc,
		Filters:        &types.DescribeRecoverySnapshotsRequestFilters{FromDateTime: aws.String("2026-12-03T00:00:00Z")},
	}
	if diff := cmp.Diff(wantIn, f.inputs[0], sdkTypes); diff != "" {
		t.Errorf("input mismatch (-want +got):\n%s", diff)
	}
}

func TestUpdateLaunchConfiguration(t *testing.T) {
	f := &fakeAPI{lc: drs.GetLaunchConfigurationOutput{Ec2LaunchTemplateID: aws.String("lt-0123456789abcdef0")}}
	lc := LaunchConfiguration{
		SourceServerID: "s-00000000000000001", Name: "web-1", LaunchDisposition: "STARTED",
		RightSizingMethod: "BASIC", CopyTags: true, OSByol: true,
		EC2LaunchTemplateID: "lt-ignored",
	}
	got, err := newFakeClient(f).UpdateLaunchConfiguration(t.Context(), lc)
	if err != nil {
		t.Fatal(err)
	}
	wantIn := &drs.UpdateLaunchConfigurationInput{
		SourceServerID: aws.String("s-00000000000000001"), Name: aws.String("web-1"),
		LaunchDisposition: types.LaunchDispositionStarted, TargetInstanceTypeRightSizingMethod: "BASIC",
		CopyPrivateIp: aws.Bool(false), CopyTags: aws.Bool(true), PostLaunchEnabled: aws.Bool(false),
		Licensing: &types.Licensing{OsByol: aws.Bool(true)},
	}
	if diff := cmp.Diff(wantIn, f.inputs[0], sdkTypes); diff != "" {
		t.Errorf("input mismatch (-want +got):\n%s", diff)
	}
	want := lc
	want.EC2LaunchTemplateID = "lt-0123456789abcdef0"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("answer mismatch (-want +got):\n%s", diff)
	}
}

func TestChunk(t *testing.T) {
	got := chunk([]string{"a", "b", "", "a", "c", "d", "b", "e"}, 2)
	want := [][]string{{"a", "b"}, {"c", "d"}, {"e"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	if got := chunk(nil, 5); len(got) != 0 {
		t.Errorf("chunk(nil) = %v, want no chunks", got)
	}
}
