package drssim_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/drs"
	"github.com/aws/aws-sdk-go-v2/service/drs/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/drssim"
)

func sources(ids ...string) []types.StartRecoveryRequestSourceServer {
	out := make([]types.StartRecoveryRequestSourceServer, len(ids))
	for i, id := range ids {
		out[i] = types.StartRecoveryRequestSourceServer{SourceServerID: aws.String(id)}
	}
	return out
}

// TestTypedErrors checks that every error type decodes as the SDK's typed
// error, with the members the emulator fills.
func TestTypedErrors(t *testing.T) {
	sim, _, c := newSim(t, drssim.Options{Servers: 102, Seed: 4})
	ids := serverIDs(t, sim, 102)
	uninit := drssim.New(drssim.Options{Servers: 1, Uninitialized: true})
	cu, _ := start(t, uninit)
	startRecovery(t, c, true, ids[0])

	tests := []struct {
		name  string
		call  func() error
		check func(t *testing.T, err error)
	}{
		{"conflict", func() error {
			_, err := c.StartRecovery(t.Context(), &drs.StartRecoveryInput{SourceServers: sources(ids[0])})
			return err
		}, func(t *testing.T, err error) {
			var e *types.ConflictException
			if !errors.As(err, &e) || aws.ToString(e.ResourceId) != ids[0] || aws.ToString(e.ResourceType) != "SOURCE_SERVER" {
				t.Fatalf("got %#v", err)
			}
		}},
		{"service quota", func() error {
			_, err := c.StartRecovery(t.Context(), &drs.StartRecoveryInput{SourceServers: sources(ids[1:]...)})
			return err
		}, func(t *testing.T, err error) {
			var e *types.ServiceQuotaExceededException
			if !errors.As(err, &e) || aws.ToString(e.QuotaCode) != "L-B827C881" || aws.ToString(e.ServiceCode) != "drs" {
				t.Fatalf("got %#v", err)
			}
		}},
		{"throttling", func() error {
			sim.SetFaults(drssim.Faults{FailNext: []drssim.FailNext{{Operation: "DescribeJobs", Count: 1, Kind: "throttle"}}})
			_, err := c.DescribeJobs(t.Context(), &drs.DescribeJobsInput{})
			return err
		}, func(t *testing.T, err error) {
			var e *types.ThrottlingException
			if !errors.As(err, &e) || aws.ToString(e.RetryAfterSeconds) != "1" {
				t.Fatalf("got %#v", err)
			}
		}},
		{"internal server", func() error {
			sim.SetFaults(drssim.Faults{FailNext: []drssim.FailNext{{Operation: "DescribeSourceServers", Count: 1}}})
			_, err := c.DescribeSourceServers(t.Context(), &drs.DescribeSourceServersInput{})
			return err
		}, func(t *testing.T, err error) {
			var e *types.InternalServerException
			if !errors.As(err, &e) || e.RetryAfterSeconds != 1 {
				t.Fatalf("got %#v", err)
			}
		}},
		{"validation", func() error {
			_, err := c.DescribeJobs(t.Context(), &drs.DescribeJobsInput{Filters: &types.DescribeJobsRequestFilters{JobIDs: []string{"drsjob-x"}}})
			return err
		}, func(t *testing.T, err error) {
			var e *types.ValidationException
			if !errors.As(err, &e) || e.Reason != types.ValidationExceptionReasonFieldValidationFailed || len(e.FieldList) != 1 {
				t.Fatalf("got %#v", err)
			}
		}},
		{"validation too many job IDs", func() error {
			ids := make([]string, 1001)
			for i := range ids {
				ids[i] = fmt.Sprintf("drsjob-%017x", i)
			}
			_, err := c.DescribeJobs(t.Context(), &drs.DescribeJobsInput{Filters: &types.DescribeJobsRequestFilters{JobIDs: ids}})
			return err
		}, func(t *testing.T, err error) {
			var e *types.ValidationException
			if !errors.As(err, &e) {
				t.Fatalf("got %#v", err)
			}
		}},
		{"resource not found", func() error {
			_, err := c.GetLaunchConfiguration(t.Context(), &drs.GetLaunchConfigurationInput{SourceServerID: aws.String("s-00000000000000000")})
			return err
		}, func(t *testing.T, err error) {
			var e *types.ResourceNotFoundException
			if !errors.As(err, &e) || aws.ToString(e.ResourceId) != "s-00000000000000000" {
				t.Fatalf("got %#v", err)
			}
		}},
		{"uninitialized account", func() error {
			_, err := cu.DescribeSourceServers(t.Context(), &drs.DescribeSourceServersInput{})
			return err
		}, func(t *testing.T, err error) {
			var e *types.UninitializedAccountException
			if !errors.As(err, &e) {
				t.Fatalf("got %#v", err)
			}
		}},
		{"unknown server in StartRecovery is an unmodeled 404", func() error {
			_, err := c.StartRecovery(t.Context(), &drs.StartRecoveryInput{SourceServers: sources("s-00000000000000000")})
			return err
		}, func(t *testing.T, err error) {
			var e smithy.APIError
			if !errors.As(err, &e) || e.ErrorCode() != "ResourceNotFoundException" {
				t.Fatalf("got %#v", err)
			}
		}},
		{"201 servers is an unmodeled validation error", func() error {
			many := make([]string, 201)
			for i := range many {
				many[i] = fmt.Sprintf("s-%017x", i)
			}
			_, err := c.StartRecovery(t.Context(), &drs.StartRecoveryInput{SourceServers: sources(many...)})
			return err
		}, func(t *testing.T, err error) {
			var e smithy.APIError
			if !errors.As(err, &e) || e.ErrorCode() != "ValidationException" {
				t.Fatalf("got %#v", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if err == nil {
				t.Fatal("no error")
			}
			tt.check(t, err)
		})
	}
}

func TestUninitialized(t *testing.T) {
	sim, _, c := newSim(t, drssim.Options{Servers: 1, Uninitialized: true})
	arn := "arn:aws:drs:us-east-1:123456789012:source-server/" + serverIDs(t, sim, 1)[0]
	// Tagging is not gated.
	if _, err := c.ListTagsForResource(t.Context(), &drs.ListTagsForResourceInput{ResourceArn: aws.String(arn)}); err != nil {
		t.Fatalf("list tags before initialize: %v", err)
	}
	if _, err := c.InitializeService(t.Context(), &drs.InitializeServiceInput{}); err != nil {
		t.Fatalf("initialize: %v", err)
	}
	if _, err := c.InitializeService(t.Context(), &drs.InitializeServiceInput{}); err != nil {
		t.Fatalf("initialize again: %v", err)
	}
	if _, err := c.DescribeSourceServers(t.Context(), &drs.DescribeSourceServersInput{}); err != nil {
		t.Fatalf("describe after initialize: %v", err)
	}
}

func TestQuotas(t *testing.T) {
	t.Run("active jobs", func(t *testing.T) {
		sim, _, c := newSim(t, drssim.Options{Servers: 21, Seed: 1})
		ids := serverIDs(t, sim, 21)
		for _, id := range ids[:20] {
			startRecovery(t, c, true, id)
		}
		_, err := c.StartRecovery(t.Context(), &drs.StartRecoveryInput{SourceServers: sources(ids[20])})
		var e *types.ServiceQuotaExceededException
		if !errors.As(err, &e) || aws.ToString(e.QuotaCode) != "L-D88FAC3A" {
			t.Fatalf("21st job: %v", err)
		}
	})
	t.Run("servers in active jobs", func(t *testing.T) {
		sim, clock, c := newSim(t, drssim.Options{Servers: 501, Seed: 1})
		ids := serverIDs(t, sim, 501)
		for i := 0; i < 500; i += 100 {
			startRecovery(t, c, true, ids[i:i+100]...)
		}
		_, err := c.StartRecovery(t.Context(), &drs.StartRecoveryInput{SourceServers: sources(ids[500])})
		var e *types.ServiceQuotaExceededException
		if !errors.As(err, &e) || aws.ToString(e.QuotaCode) != "L-05AFA8C6" {
			t.Fatalf("501st server: %v", err)
		}
		// Completed jobs stop counting.
		clock.Add(2 * time.Hour)
		startRecovery(t, c, true, ids[500])
		st := sim.Stats()
		if st.MaxServersInActiveJobs != 500 || st.MaxActiveJobs != 5 || st.MaxJobsPerServer != 1 || st.MaxServersInJob != 100 {
			t.Errorf("high-water marks: %+v", st)
		}
	})
	t.Run("one job per server", func(t *testing.T) {
		sim, clock, c := newSim(t, drssim.Options{Servers: 3, Seed: 1})
		ids := serverIDs(t, sim, 3)
		startRecovery(t, c, true, ids[0], ids[1])
		_, err := c.StartRecovery(t.Context(), &drs.StartRecoveryInput{SourceServers: sources(ids[2], ids[1])})
		assertConflict(t, err, ids[1])
		clock.Add(2 * time.Hour)
		startRecovery(t, c, true, ids[2], ids[1])
		if diff := cmp.Diff(map[string]int{ids[0]: 1, ids[1]: 2, ids[2]: 1}, sim.Launches()); diff != "" {
			t.Errorf("launches mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("terminate while the server is launching", func(t *testing.T) {
		sim, clock, c := newSim(t, drssim.Options{Servers: 1, Seed: 1})
		ids := serverIDs(t, sim, 1)
		job := startRecovery(t, c, true, ids[0])
		clock.Add(time.Hour)
		inst := aws.ToString(describeJob(t, c, *job.JobID).ParticipatingServers[0].RecoveryInstanceID)
		startRecovery(t, c, true, ids[0])
		_, err := c.TerminateRecoveryInstances(t.Context(), &drs.TerminateRecoveryInstancesInput{RecoveryInstanceIDs: []string{inst}})
		assertConflict(t, err, inst)
	})
	t.Run("configured", func(t *testing.T) {
		sim, _, c := newSim(t, drssim.Options{Servers: 3, Quotas: drssim.Quotas{ServersPerJob: 2}})
		ids := serverIDs(t, sim, 3)
		_, err := c.StartRecovery(t.Context(), &drs.StartRecoveryInput{SourceServers: sources(ids...)})
		var e *types.ServiceQuotaExceededException
		if !errors.As(err, &e) {
			t.Fatalf("3 servers with a quota of 2: %v", err)
		}
	})
}

func TestPagination(t *testing.T) {
	sim, clock, c := newSim(t, drssim.Options{Servers: 250, Seed: 8})
	tests := []struct {
		maxResults *int32
		pages      int
	}{
		{nil, 3}, // the default page of 100
		{aws.Int32(7), 36},
		{aws.Int32(5000), 1}, // clamped to 1000
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(aws.ToInt32(tt.maxResults)), func(t *testing.T) {
			p := drs.NewDescribeSourceServersPaginator(c, &drs.DescribeSourceServersInput{MaxResults: tt.maxResults})
			seen := map[string]bool{}
			pages := 0
			for p.HasMorePages() {
				out, err := p.NextPage(t.Context())
				if err != nil {
					t.Fatalf("page %d: %v", pages, err)
				}
				pages++
				for _, s := range out.Items {
					if seen[*s.SourceServerID] {
						t.Fatalf("server %s twice", *s.SourceServerID)
					}
					seen[*s.SourceServerID] = true
				}
			}
			if pages != tt.pages || len(seen) != 250 {
				t.Errorf("%d pages, %d servers; want %d pages, 250 servers", pages, len(seen), tt.pages)
			}
		})
	}

	// Jobs: newest first, across pages, even when a job is created between
	// pages; date filters are inclusive.
	ids := serverIDs(t, sim, 12)
	var jobIDs []string
	var created []string
	for _, id := range ids[:10] {
		j := startRecovery(t, c, true, id)
		jobIDs = append(jobIDs, *j.JobID)
		created = append(created, *j.CreationDateTime)
		clock.Add(time.Minute)
	}
	out, err := c.DescribeJobs(t.Context(), &drs.DescribeJobsInput{MaxResults: aws.Int32(4)})
	if err != nil {
		t.Fatal(err)
	}
	startRecovery(t, c, true, ids[10])
	var got []string
	for _, j := range out.Items {
		got = append(got, *j.JobID)
	}
	for tok := out.NextToken; tok != nil; {
		out, err := c.DescribeJobs(t.Context(), &drs.DescribeJobsInput{MaxResults: aws.Int32(4), NextToken: tok})
		if err != nil {
			t.Fatal(err)
		}
		if out.NextToken != nil && *out.NextToken == *tok {
			t.Fatal("token did not advance")
		}
		for _, j := range out.Items {
			got = append(got, *j.JobID)
		}
		tok = out.NextToken
	}
	var want []string
	for i := len(jobIDs) - 1; i >= 0; i-- {
		want = append(want, jobIDs[i])
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("jobs newest first mismatch (-want +got):\n%s", diff)
	}
	ranged, err := c.DescribeJobs(t.Context(), &drs.DescribeJobsInput{Filters: &types.DescribeJobsRequestFilters{
		FromDate: aws.String(created[2]), ToDate: aws.String(created[4]),
	}})
	if err != nil {
		t.Fatal(err)
	}
	got = nil
	for _, j := range ranged.Items {
		got = append(got, *j.JobID)
	}
	if diff := cmp.Diff([]string{jobIDs[4], jobIDs[3], jobIDs[2]}, got); diff != "" {
		t.Errorf("date range mismatch (-want +got):\n%s", diff)
	}
	// A +00:00 offset and a bare date parse too.
	t0, _ := time.Parse(time.RFC3339Nano, created[0])
	for _, from := range []string{t0.Format("2006-01-02T15:04:05.000000+00:00"), t0.Format("2006-01-02")} {
		out, err := c.DescribeJobs(t.Context(), &drs.DescribeJobsInput{Filters: &types.DescribeJobsRequestFilters{FromDate: aws.String(from)}})
		if err != nil {
			t.Fatalf("fromDate %q: %v", from, err)
		}
		if len(out.Items) != 11 {
			t.Errorf("fromDate %q: %d jobs, want 11", from, len(out.Items))
		}
	}

	// A bad token is a validation error, not a crash.
	_, err = c.DescribeJobs(t.Context(), &drs.DescribeJobsInput{NextToken: aws.String("bogus")})
	var ve *types.ValidationException
	if !errors.As(err, &ve) {
		t.Errorf("bad token: %v", err)
	}
}

func TestTags(t *testing.T) {
	sim, _, c := newSim(t, drssim.Options{Servers: 1, Seed: 2})
	id := serverIDs(t, sim, 1)[0]
	job := startRecovery(t, c, false, id)
	for _, arn := range []string{
		"arn:aws:drs:us-east-1:123456789012:source-server/" + id,
		*job.Arn,
	} {
		t.Run(arn, func(t *testing.T) {
			before, err := c.ListTagsForResource(t.Context(), &drs.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
			if err != nil {
				t.Fatalf("list: %v", err)
			}
			if _, err := c.TagResource(t.Context(), &drs.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"k 1": "v/1", "k2": "v2"}}); err != nil {
				t.Fatalf("tag: %v", err)
			}
			if _, err := c.UntagResource(t.Context(), &drs.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"k2"}}); err != nil {
				t.Fatalf("untag: %v", err)
			}
			after, err := c.ListTagsForResource(t.Context(), &drs.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
			if err != nil {
				t.Fatalf("list: %v", err)
			}
			want := map[string]string{"k 1": "v/1"}
			for k, v := range before.Tags {
				want[k] = v
			}
			if diff := cmp.Diff(want, after.Tags); diff != "" {
				t.Errorf("tags mismatch (-want +got):\n%s", diff)
			}
		})
	}
	// The job's tags show in DescribeJobs as well.
	j := describeJob(t, c, *job.JobID)
	if j.Tags["k 1"] != "v/1" || j.Tags["batch"] != "b1" {
		t.Errorf("job tags %v", j.Tags)
	}
	_, err := c.ListTagsForResource(t.Context(), &drs.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:drs:us-east-1:123456789012:recovery-instance/i-0123456789abcdef0")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("unknown ARN: %v", err)
	}
	_, err = c.TagResource(t.Context(), &drs.TagResourceInput{ResourceArn: aws.String("not-an-arn-at-all-really"), Tags: map[string]string{"a": "b"}})
	var ve *types.ValidationException
	if !errors.As(err, &ve) {
		t.Errorf("bad ARN: %v", err)
	}
}
