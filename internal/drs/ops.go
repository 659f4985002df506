package drs

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/drs"
	"github.com/aws/aws-sdk-go-v2/service/drs/types"
)

// Request size limits of the DRS API.
const (
	// MaxStartRecoveryServers is the API's cap on servers in one
	// StartRecovery call. The service quota on servers in one job is lower
	// (100); the engine packs batches to that, the Client only refuses what
	// the API itself would reject.
	MaxStartRecoveryServers = 200
	// MaxTerminateInstances is the API's cap on recovery instances in one
	// TerminateRecoveryInstances call.
	MaxTerminateInstances = 200

	describeJobsBatch              = 1000
	describeSourceServersBatch     = 200
	describeRecoveryInstancesBatch = 200
)

// DescribeSourceServers returns the source servers with the given IDs, in
// requests of 200 IDs. A nil ids returns every source server of the account
// and region; an empty, non-nil ids returns none without a call, so that a
// filter that matched nothing never turns into "everything".
func (c *Client) DescribeSourceServers(ctx context.Context, ids []string) ([]SourceServer, error) {
	const op = "describe source servers"
	if ids != nil && len(ids) == 0 {
		return nil, nil
	}
	var batches [][]string
	if ids == nil {
		batches = [][]string{nil}
	} else {
		batches = chunk(ids, describeSourceServersBatch)
	}
	var out []SourceServer
	for _, batch := range batches {
		in := &drs.DescribeSourceServersInput{
			Filters: &types.DescribeSourceServersRequestFilters{SourceServerIDs: batch},
		}
		p := drs.NewDescribeSourceServersPaginator(c.api, in)
		items, err := Collect(ctx, p, func(o *drs.DescribeSourceServersOutput) ([]types.SourceServer, *string) {
			return o.Items, o.NextToken
		})
		if err != nil {
			return nil, wrap(op, err)
		}
		for _, s := range items {
			out = append(out, sourceServerFrom(s))
		}
	}
	return out, nil
}

// StartRecovery starts one DRS job that launches the given servers, as a
// drill or a recovery, and tags the job. It refuses more than
// MaxStartRecoveryServers servers, or none, without calling DRS.
//
// StartRecovery takes no client token, so it is retried only when DRS
// answered with throttling or the connection was never made (see
// startsJob). Any other error, ErrTransient included, may hide a job that
// did start: callers look for it by its tags (FindJobs) before asking
// again.
func (c *Client) StartRecovery(ctx context.Context, servers []ServerLaunch, isDrill bool, tags map[string]string) (Job, error) {
	const op = "start recovery"
	if len(servers) == 0 {
		return Job{}, refuse(op, "no servers")
	}
	if len(servers) > MaxStartRecoveryServers {
		return Job{}, refuse(op, fmt.Sprintf("%d servers, more than the %d one call accepts",
			len(servers), MaxStartRecoveryServers))
	}
	in := &drs.StartRecoveryInput{IsDrill: aws.Bool(isDrill), Tags: maps.Clone(tags)}
	for _, s := range servers {
		rs := types.StartRecoveryRequestSourceServer{SourceServerID: aws.String(s.SourceServerID)}
		if s.RecoverySnapshotID != "" {
			rs.RecoverySnapshotID = aws.String(s.RecoverySnapshotID)
		}
		in.SourceServers = append(in.SourceServers, rs)
	}
	out, err := c.api.StartRecovery(ctx, in, startsJob)
	if err != nil {
		return Job{}, wrap(op, err)
	}
	if out.Job == nil || aws.ToString(out.Job.JobID) == "" {
		return Job{}, wrap(op, errors.New("answer carries no job"))
	}
	job := jobFrom(out.Job)
	c.log.Info("recovery started", "job_id", job.ID, "servers", len(servers), "drill", isDrill)
	return job, nil
}

// DescribeJobs returns the jobs with the given IDs, in requests of 1,000
// IDs. No IDs, no jobs (DRS would read an empty list as "all jobs").
func (c *Client) DescribeJobs(ctx context.Context, ids []string) ([]Job, error) {
	const op = "describe jobs"
	var out []Job
	for _, batch := range chunk(ids, describeJobsBatch) {
		in := &drs.DescribeJobsInput{Filters: &types.DescribeJobsRequestFilters{JobIDs: batch}}
		jobs, err := c.describeJobs(ctx, in)
		if err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, jobs...)
	}
	return out, nil
}

// FindJobs returns the jobs DRS reports as created between from and to
// (either may be zero: unbounded), newest first as DRS sorts them.
//
// The bounds are DRS's: the result is not filtered again here, because a
// job dropped by a stricter local reading of the range would be a job the
// engine fails to adopt and launches again. Callers match jobs by their
// tags.
func (c *Client) FindJobs(ctx context.Context, from, to time.Time) ([]Job, error) {
	const op = "find jobs"
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		return nil, refuse(op, fmt.Sprintf("range ends (%s) before it starts (%s)",
			to.Format(time.RFC3339), from.Format(time.RFC3339)))
	}
	in := &drs.DescribeJobsInput{Filters: &types.DescribeJobsRequestFilters{
		FromDate: formatTime(from),
		ToDate:   formatTime(to),
	}}
	jobs, err := c.describeJobs(ctx, in)
	if err != nil {
		return nil, wrap(op, err)
	}
	return jobs, nil
}

func (c *Client) describeJobs(ctx context.Context, in *drs.DescribeJobsInput) ([]Job, error) {
	p := drs.NewDescribeJobsPaginator(c.api, in)
	items, err := Collect(ctx, p, func(o *drs.DescribeJobsOutput) ([]types.Job, *string) {
		return o.Items, o.NextToken
	})
	if err != nil {
		return nil, err
	}
	out := make([]Job, 0, len(items))
	for i := range items {
		out = append(out, jobFrom(&items[i]))
	}
	return out, nil
}

// DescribeJobLog returns the whole log of a job, oldest entry first as DRS
// reports it.
func (c *Client) DescribeJobLog(ctx context.Context, jobID string) ([]JobLogItem, error) {
	const op = "describe job log"
	if jobID == "" {
		return nil, refuse(op, "no job ID")
	}
	p := drs.NewDescribeJobLogItemsPaginator(c.api, &drs.DescribeJobLogItemsInput{JobID: aws.String(jobID)})
	items, err := Collect(ctx, p, func(o *drs.DescribeJobLogItemsOutput) ([]types.JobLog, *string) {
		return o.Items, o.NextToken
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	out := make([]JobLogItem, 0, len(items))
	for _, l := range items {
		out = append(out, jobLogItemFrom(l))
	}
	return out, nil
}

// DescribeRecoveryInstances returns the recovery instances launched for the
// given source servers, in requests of 200 server IDs. A nil
// sourceServerIDs returns every recovery instance; an empty, non-nil one
// returns none without a call.
func (c *Client) DescribeRecoveryInstances(ctx context.Context, sourceServerIDs []string) ([]RecoveryInstance, error) {
	if sourceServerIDs != nil && len(sourceServerIDs) == 0 {
		return nil, nil
	}
	if sourceServerIDs == nil {
		return c.describeRecoveryInstances(ctx, &types.DescribeRecoveryInstancesRequestFilters{})
	}
	var out []RecoveryInstance
	for _, batch := range chunk(sourceServerIDs, describeRecoveryInstancesBatch) {
		items, err := c.describeRecoveryInstances(ctx,
			&types.DescribeRecoveryInstancesRequestFilters{SourceServerIDs: batch})
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
	}
	return out, nil
}

// DescribeRecoveryInstancesByID returns the recovery instances with the
// given IDs, in requests of 200 IDs. No IDs, no instances.
func (c *Client) DescribeRecoveryInstancesByID(ctx context.Context, ids []string) ([]RecoveryInstance, error) {
	var out []RecoveryInstance
	for _, batch := range chunk(ids, describeRecoveryInstancesBatch) {
		items, err := c.describeRecoveryInstances(ctx,
			&types.DescribeRecoveryInstancesRequestFilters{RecoveryInstanceIDs: batch})
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
	}
	return out, nil
}

func (c *Client) describeRecoveryInstances(ctx context.Context, f *types.DescribeRecoveryInstancesRequestFilters) ([]RecoveryInstance, error) {
	const op = "describe recovery instances"
	p := drs.NewDescribeRecoveryInstancesPaginator(c.api, &drs.DescribeRecoveryInstancesInput{Filters: f})
	items, err := Collect(ctx, p, func(o *drs.DescribeRecoveryInstancesOutput) ([]types.RecoveryInstance, *string) {
		return o.Items, o.NextToken
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	out := make([]RecoveryInstance, 0, len(items))
	for _, r := range items {
		out = append(out, recoveryInstanceFrom(r))
	}
	return out, nil
}

// DescribeSnapshots returns the point-in-time snapshots of a source server
// taken between from and to (either may be zero: unbounded), newest first.
// DRS is asked for that order, and the answer is sorted again, because the
// model leaves the order of some answers unspecified.
func (c *Client) DescribeSnapshots(ctx context.Context, sourceServerID string, from, to time.Time) ([]Snapshot, error) {
	const op = "describe recovery snapshots"
	if sourceServerID == "" {
		return nil, refuse(op, "no source server ID")
	}
	in := &drs.DescribeRecoverySnapshotsInput{
		SourceServerID: aws.String(sourceServerID),
		Order:          types.RecoverySnapshotsOrderDesc,
	}
	if !from.IsZero() || !to.IsZero() {
		in.Filters = &types.DescribeRecoverySnapshotsRequestFilters{
			FromDateTime: formatTime(from),
			ToDateTime:   formatTime(to),
		}
	}
	p := drs.NewDescribeRecoverySnapshotsPaginator(c.api, in)
	items, err := Collect(ctx, p, func(o *drs.DescribeRecoverySnapshotsOutput) ([]types.RecoverySnapshot, *string) {
		return o.Items, o.NextToken
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	out := make([]Snapshot, 0, len(items))
	for _, s := range items {
		out = append(out, snapshotFrom(s))
	}
	slices.SortStableFunc(out, func(a, b Snapshot) int {
		return snapshotTime(b).Compare(snapshotTime(a))
	})
	return out, nil
}

// snapshotTime is when a snapshot was taken, or was due when DRS does not
// say.
func snapshotTime(s Snapshot) time.Time {
	if s.Taken.IsZero() {
		return s.Expected
	}
	return s.Taken
}

// TerminateRecoveryInstances starts one DRS job that terminates the given
// recovery instances. Its answer is one job, so it does not split: it
// refuses more than MaxTerminateInstances IDs, or none, without calling
// DRS, and callers split larger sets themselves. Like StartRecovery, it is
// retried only on throttling or a connection never made.
func (c *Client) TerminateRecoveryInstances(ctx context.Context, ids []string) (Job, error) {
	const op = "terminate recovery instances"
	if len(ids) == 0 {
		return Job{}, refuse(op, "no recovery instances")
	}
	if len(ids) > MaxTerminateInstances {
		return Job{}, refuse(op, fmt.Sprintf("%d recovery instances, more than the %d one call accepts",
			len(ids), MaxTerminateInstances))
	}
	out, err := c.api.TerminateRecoveryInstances(ctx,
		&drs.TerminateRecoveryInstancesInput{RecoveryInstanceIDs: slices.Clone(ids)}, startsJob)
	if err != nil {
		return Job{}, wrap(op, err)
	}
	if out.Job == nil || aws.ToString(out.Job.JobID) == "" {
		return Job{}, wrap(op, errors.New("answer carries no job"))
	}
	job := jobFrom(out.Job)
	c.log.Info("termination started", "job_id", job.ID, "instances", len(ids))
	return job, nil
}

// GetLaunchConfiguration returns the DRS launch configuration of a source
// server.
func (c *Client) GetLaunchConfiguration(ctx context.Context, sourceServerID string) (LaunchConfiguration, error) {
	const op = "get launch configuration"
	if sourceServerID == "" {
		return LaunchConfiguration{}, refuse(op, "no source server ID")
	}
	out, err := c.api.GetLaunchConfiguration(ctx,
		&drs.GetLaunchConfigurationInput{SourceServerID: aws.String(sourceServerID)})
	if err != nil {
		return LaunchConfiguration{}, wrap(op, err)
	}
	return launchConfigurationFrom(fromGetOutput(out)), nil
}

// UpdateLaunchConfiguration writes lc (see updateInput for which members)
// and returns the configuration as DRS now holds it. EC2LaunchTemplateID
// cannot be set and is ignored.
func (c *Client) UpdateLaunchConfiguration(ctx context.Context, lc LaunchConfiguration) (LaunchConfiguration, error) {
	const op = "update launch configuration"
	if lc.SourceServerID == "" {
		return LaunchConfiguration{}, refuse(op, "no source server ID")
	}
	out, err := c.api.UpdateLaunchConfiguration(ctx, updateInput(lc))
	if err != nil {
		return LaunchConfiguration{}, wrap(op, err)
	}
	return launchConfigurationFrom(fromUpdateOutput(out)), nil
}

// TagResource adds tags to a DRS resource (a source server, a recovery
// instance, a job) by its ARN, or changes the values of keys it holds. It
// never removes a tag. No tags, no call.
func (c *Client) TagResource(ctx context.Context, arn string, tags map[string]string) error {
	const op = "tag resource"
	if arn == "" {
		return refuse(op, "no resource ARN")
	}
	if len(tags) == 0 {
		return nil
	}
	_, err := c.api.TagResource(ctx, &drs.TagResourceInput{ResourceArn: aws.String(arn), Tags: maps.Clone(tags)})
	return wrap(op, err)
}

// Pager is what the SDK's paginators have in common, whatever the
// service: Opt is its options type (*drs.Options, *ec2.Options, …).
type Pager[O, Opt any] interface {
	HasMorePages() bool
	NextPage(context.Context, ...func(Opt)) (O, error)
}

// ErrStuckPages reports a service that answers a page with the token it
// was asked for; following it would loop forever.
var ErrStuckPages = errors.New("pagination does not advance")

// Collect follows a paginator to its last page and returns all items;
// page gives a page's items and its next token.
func Collect[O, T, Opt any](ctx context.Context, p Pager[O, Opt], page func(O) ([]T, *string)) ([]T, error) {
	var all []T
	var last string
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		items, next := page(out)
		all = append(all, items...)
		token := aws.ToString(next)
		if token != "" && token == last {
			return nil, fmt.Errorf("%w: token %q twice", ErrStuckPages, token)
		}
		last = token
	}
	return all, nil
}

// chunk drops duplicate and empty IDs, keeping the first occurrence's
// order, and splits the rest into slices of at most n.
func chunk(ids []string, n int) [][]string {
	seen := make(map[string]bool, len(ids))
	var unique []string
	for _, id := range ids {
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		unique = append(unique, id)
	}
	return slices.Collect(slices.Chunk(unique, n))
}
