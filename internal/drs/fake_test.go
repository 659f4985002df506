package drs

import (
	"context"
	"log/slog"
	"slices"
	"strconv"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/drs"
	"github.com/aws/aws-sdk-go-v2/service/drs/types"
)

// fakeAPI is a hand-written stand-in for the SDK client: it holds
// inventories, filters them like DRS, pages them pageSize at a time and
// records every input.
type fakeAPI struct {
	mu        sync.Mutex
	pageSize  int
	stuck     bool // answer every page with the token it was asked for
	servers   []types.SourceServer
	jobs      []types.Job
	logs      []types.JobLog
	instances []types.RecoveryInstance
	snapshots []types.RecoverySnapshot
	lc        drs.GetLaunchConfigurationOutput

	inputs []any // every input, in call order
}

var _ api = (*fakeAPI)(nil)

func newFakeClient(f *fakeAPI) *Client {
	return newClient(f, "eu-west-1", slog.New(slog.DiscardHandler))
}

func (f *fakeAPI) record(in any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inputs = append(f.inputs, in)
}

// page cuts one page out of items from the position in token.
func page[T any](f *fakeAPI, items []T, token *string) ([]T, *string) {
	start, _ := strconv.Atoi(aws.ToString(token))
	if f.stuck {
		return items[:min(1, len(items))], aws.String("stuck")
	}
	end := min(start+f.pageSize, len(items))
	if start >= end {
		return nil, nil
	}
	var next *string
	if end < len(items) {
		next = aws.String(strconv.Itoa(end))
	}
	return items[start:end], next
}

// keep returns the items whose key is in ids, or all when ids is empty.
func keep[T any](items []T, ids []string, key func(T) *string) []T {
	if len(ids) == 0 {
		return items
	}
	var out []T
	for _, it := range items {
		if slices.Contains(ids, aws.ToString(key(it))) {
			out = append(out, it)
		}
	}
	return out
}

func (f *fakeAPI) DescribeSourceServers(_ context.Context, in *drs.DescribeSourceServersInput, _ ...func(*drs.Options)) (*drs.DescribeSourceServersOutput, error) {
	f.record(in)
	items := keep(f.servers, in.Filters.SourceServerIDs, func(s types.SourceServer) *string { return s.SourceServerID })
	items, next := page(f, items, in.NextToken)
	return &drs.DescribeSourceServersOutput{Items: items, NextToken: next}, nil
}

func (f *fakeAPI) StartRecovery(_ context.Context, in *drs.StartRecoveryInput, _ ...func(*drs.Options)) (*drs.StartRecoveryOutput, error) {
	f.record(in)
	j := types.Job{
		JobID: aws.String("drsjob-00000000000000001"), Status: types.JobStatusPending,
		Type: types.JobTypeLaunch, InitiatedBy: types.InitiatedByStartDrill, Tags: in.Tags,
		CreationDateTime: aws.String("2026-12-03T10:00:00.000000Z"),
	}
	for _, s := range in.SourceServers {
		j.ParticipatingServers = append(j.ParticipatingServers, types.ParticipatingServer{
			SourceServerID: s.SourceServerID, LaunchStatus: types.LaunchStatusPending,
		})
	}
	return &drs.StartRecoveryOutput{Job: &j}, nil
}

func (f *fakeAPI) DescribeJobs(_ context.Context, in *drs.DescribeJobsInput, _ ...func(*drs.Options)) (*drs.DescribeJobsOutput, error) {
	f.record(in)
	items := keep(f.jobs, in.Filters.JobIDs, func(j types.Job) *string { return j.JobID })
	items, next := page(f, items, in.NextToken)
	return &drs.DescribeJobsOutput{Items: items, NextToken: next}, nil
}

func (f *fakeAPI) DescribeJobLogItems(_ context.Context, in *drs.DescribeJobLogItemsInput, _ ...func(*drs.Options)) (*drs.DescribeJobLogItemsOutput, error) {
	f.record(in)
	items, next := page(f, f.logs, in.NextToken)
	return &drs.DescribeJobLogItemsOutput{Items: items, NextToken: next}, nil
}

func (f *fakeAPI) DescribeRecoveryInstances(_ context.Context, in *drs.DescribeRecoveryInstancesInput, _ ...func(*drs.Options)) (*drs.DescribeRecoveryInstancesOutput, error) {
	f.record(in)
	items := keep(f.instances, in.Filters.SourceServerIDs, func(r types.RecoveryInstance) *string { return r.SourceServerID })
	items = keep(items, in.Filters.RecoveryInstanceIDs, func(r types.RecoveryInstance) *string { return r.RecoveryInstanceID })
	items, next := page(f, items, in.NextToken)
	return &drs.DescribeRecoveryInstancesOutput{Items: items, NextToken: next}, nil
}

func (f *fakeAPI) DescribeRecoverySnapshots(_ context.Context, in *drs.DescribeRecoverySnapshotsInput, _ ...func(*drs.Options)) (*drs.DescribeRecoverySnapshotsOutput, error) {
	f.record(in)
	items, next := page(f, f.snapshots, in.NextToken)
	return &drs.DescribeRecoverySnapshotsOutput{Items: items, NextToken: next}, nil
}

func (f *fakeAPI) TerminateRecoveryInstances(_ context.Context, in *drs.TerminateRecoveryInstancesInput, _ ...func(*drs.Options)) (*drs.TerminateRecoveryInstancesOutput, error) {
	f.record(in)
	return &drs.TerminateRecoveryInstancesOutput{Job: &types.Job{
		JobID: aws.String("drsjob-00000000000000002"), Type: types.JobTypeTerminate,
		InitiatedBy: types.InitiatedByTerminateRecoveryInstances, Status: types.JobStatusPending,
	}}, nil
}

func (f *fakeAPI) GetLaunchConfiguration(_ context.Context, in *drs.GetLaunchConfigurationInput, _ ...func(*drs.Options)) (*drs.GetLaunchConfigurationOutput, error) {
	f.record(in)
	out := f.lc
	return &out, nil
}

func (f *fakeAPI) UpdateLaunchConfiguration(_ context.Context, in *drs.UpdateLaunchConfigurationInput, _ ...func(*drs.Options)) (*drs.UpdateLaunchConfigurationOutput, error) {
	f.record(in)
	return &drs.UpdateLaunchConfigurationOutput{
		SourceServerID: in.SourceServerID, Name: in.Name, CopyPrivateIp: in.CopyPrivateIp,
		CopyTags: in.CopyTags, PostLaunchEnabled: in.PostLaunchEnabled, Licensing: in.Licensing,
		LaunchDisposition: in.LaunchDisposition, Ec2LaunchTemplateID: f.lc.Ec2LaunchTemplateID,
		TargetInstanceTypeRightSizingMethod: in.TargetInstanceTypeRightSizingMethod,
	}, nil
}

func (f *fakeAPI) TagResource(_ context.Context, in *drs.TagResourceInput, _ ...func(*drs.Options)) (*drs.TagResourceOutput, error) {
	f.record(in)
	return &drs.TagResourceOutput{}, nil
}
