package drs

// The contract suite: every Client method through the real aws-sdk-go-v2
// DRS client, over HTTP on 127.0.0.1, against the emulator. The emulator's
// real clock stands still, so jobs move only when a test advances emulated
// time, and every state the tests see is exact.

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/drs/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/drssim"
)

var simEpoch = time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)

// contract is one emulator behind an httptest server and a Client for it.
type contract struct {
	sim *drssim.Sim
	srv *httptest.Server
	c   *Client
	log *recorder
}

func newContract(t *testing.T, opts drssim.Options, cfg Config) *contract {
	t.Helper()
	isolateAWSEnv(t)
	opts.Clock = func() time.Time { return simEpoch }
	sim := drssim.New(opts)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)

	rec := &recorder{}
	cfg.Region = "us-east-1"
	cfg.Endpoint = srv.URL
	cfg.Logger = slog.New(rec)
	c, err := NewClient(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &contract{sim: sim, srv: srv, c: c, log: rec}
}

// requests returns how many requests of op the emulator saw.
func (k *contract) requests(op string) int { return k.sim.Stats().Requests[op] }

// serverIDs returns the first n source server IDs of the inventory.
func (k *contract) serverIDs(t *testing.T, n int) []string {
	t.Helper()
	all := k.sim.Servers()
	if len(all) < n {
		t.Fatalf("inventory has %d servers, want %d", len(all), n)
	}
	var out []string
	for _, s := range all[:n] {
		out = append(out, s.ID)
	}
	return out
}

// settle advances emulated time until every job in ids is COMPLETED and
// returns them.
func (k *contract) settle(t *testing.T, ids ...string) []Job {
	t.Helper()
	for range 200 {
		jobs, err := k.c.DescribeJobs(t.Context(), ids)
		if err != nil {
			t.Fatal(err)
		}
		if len(jobs) != len(ids) {
			t.Fatalf("described %d jobs, want %d", len(jobs), len(ids))
		}
		if !slices.ContainsFunc(jobs, func(j Job) bool { return j.Status != JobCompleted }) {
			return jobs
		}
		k.sim.Advance(5 * time.Minute)
	}
	t.Fatalf("jobs %v never completed", ids)
	return nil
}

func launches(ids []string) []ServerLaunch {
	var out []ServerLaunch
	for _, id := range ids {
		out = append(out, ServerLaunch{SourceServerID: id})
	}
	return out
}

func TestContractSourceServers(t *testing.T) {
	k := newContract(t, drssim.Options{Servers: 1000, Seed: 7, StalledCount: 3}, Config{})
	ctx := t.Context()

	all, err := k.c.DescribeSourceServers(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	// 1,000 servers in the emulator's pages of 100.
	if got := k.requests("DescribeSourceServers"); got != 10 {
		t.Errorf("%d DescribeSourceServers requests, want 10 pages", got)
	}
	inv := k.sim.Servers()
	var wantIDs, gotIDs []string
	for _, s := range inv {
		wantIDs = append(wantIDs, s.ID)
	}
	stalled := 0
	for _, s := range all {
		gotIDs = append(gotIDs, s.ID)
		if s.ReplicationState == StateStalled {
			stalled++
		}
	}
	if diff := cmp.Diff(wantIDs, gotIDs); diff != "" {
		t.Errorf("listed IDs mismatch (-inventory +listed):\n%s", diff)
	}
	if stalled != 3 {
		t.Errorf("%d stalled servers, want 3", stalled)
	}

	// What the emulator holds arrives in drsorch's types.
	first, want := all[0], inv[0]
	tagsKept := true
	for k, v := range want.Tags {
		tagsKept = tagsKept && first.Tags[k] == v
	}
	if first.Hostname != want.Hostname || !tagsKept || first.OS != want.OSName ||
		!strings.HasSuffix(first.ARN, ":source-server/"+want.ID) {
		t.Errorf("server %+v does not match inventory %+v", first, want)
	}
	if first.ReplicationState == StateContinuous && first.Lag <= 0 {
		t.Errorf("continuous server with lag %v, want a positive lag", first.Lag)
	}

	// By ID: 450 IDs in batches of 200, 200 and 50, pages of 100.
	before := k.requests("DescribeSourceServers")
	some, err := k.c.DescribeSourceServers(ctx, wantIDs[100:550])
	if err != nil {
		t.Fatal(err)
	}
	if len(some) != 450 {
		t.Errorf("%d servers by ID, want 450", len(some))
	}
	if got := k.requests("DescribeSourceServers") - before; got != 5 {
		t.Errorf("%d requests for 450 IDs, want 5 (2+2+1 pages)", got)
	}
	// Unknown IDs inside a filter are left out; none asked, none fetched.
	before = k.requests("DescribeSourceServers")
	none, err := k.c.DescribeSourceServers(ctx, []string{"s-0000000000000dead"})
	if err != nil || len(none) != 0 {
		t.Errorf("unknown ID: %v, %v; want nothing", none, err)
	}
	if none, err := k.c.DescribeSourceServers(ctx, []string{}); err != nil || len(none) != 0 {
		t.Errorf("empty filter: %v, %v; want nothing", none, err)
	}
	if got := k.requests("DescribeSourceServers") - before; got != 1 {
		t.Errorf("%d requests, want 1 (the empty filter makes none)", got)
	}
}

// TestContractLargePagesWithoutRetries lists 2,000 servers in 20 pages
// with retries off: a connection closed under a large answer (see
// bufferedBodies) would fail it.
func TestContractLargePagesWithoutRetries(t *testing.T) {
	k := newContract(t, drssim.Options{Servers: 2000, Seed: 3}, Config{MaxAttempts: 1})
	servers, err := k.c.DescribeSourceServers(t.Context(), nil)
	if err != nil || len(servers) != 2000 {
		t.Fatalf("%d servers, %v; want 2000", len(servers), err)
	}
	if got := k.requests("DescribeSourceServers"); got != 20 {
		t.Errorf("%d requests, want 20", got)
	}
}

// TestContractErrors checks each DRS error as it comes off the wire: its
// class, its typed error and what the typed error carries.
func TestContractErrors(t *testing.T) {
	k := newContract(t, drssim.Options{Servers: 150, Seed: 1}, Config{MaxAttempts: 1})
	ctx := t.Context()
	ids := k.serverIDs(t, 150)

	if _, err := k.c.StartRecovery(ctx, launches(ids[:1]), true, nil); err != nil {
		t.Fatal(err)
	}

	t.Run("conflict: a server already in an active job", func(t *testing.T) {
		_, err := k.c.StartRecovery(ctx, launches(ids[:1]), true, nil)
		checkClass(t, err, ErrConflict)
		var ce *types.ConflictException
		if !errors.As(err, &ce) || *ce.ResourceId != ids[0] {
			t.Errorf("error %v: want a ConflictException naming %s", err, ids[0])
		}
	})
	t.Run("quota: more than 100 servers in one job", func(t *testing.T) {
		_, err := k.c.StartRecovery(ctx, launches(ids[1:102]), true, nil)
		checkClass(t, err, ErrQuota)
		var qe *types.ServiceQuotaExceededException
		if !errors.As(err, &qe) || *qe.QuotaCode != "L-B827C881" {
			t.Errorf("error %v: want a ServiceQuotaExceededException L-B827C881", err)
		}
	})
	t.Run("quota: more than 20 active jobs", func(t *testing.T) {
		// One job is active already; 19 more reach the quota.
		for i := 1; i < 20; i++ {
			if _, err := k.c.StartRecovery(ctx, launches(ids[i:i+1]), true, nil); err != nil {
				t.Fatalf("job %d: %v", i+1, err)
			}
		}
		_, err := k.c.StartRecovery(ctx, launches(ids[20:21]), true, nil)
		checkClass(t, err, ErrQuota)
		var qe *types.ServiceQuotaExceededException
		if !errors.As(err, &qe) || *qe.QuotaCode != "L-D88FAC3A" {
			t.Errorf("error %v: want a ServiceQuotaExceededException L-D88FAC3A", err)
		}
	})
	t.Run("not found", func(t *testing.T) {
		_, err := k.c.GetLaunchConfiguration(ctx, "s-0000000000000dead")
		checkClass(t, err, ErrNotFound)
		var nf *types.ResourceNotFoundException
		if !errors.As(err, &nf) || *nf.ResourceId != "s-0000000000000dead" {
			t.Errorf("error %v: want a ResourceNotFoundException naming the server", err)
		}
		if !strings.HasPrefix(err.Error(), "get launch configuration: ") {
			t.Errorf("error %q does not say its step", err)
		}
	})
	t.Run("validation", func(t *testing.T) {
		_, err := k.c.DescribeJobs(ctx, []string{"not-a-job"})
		checkClass(t, err, ErrValidation)
		var ve *types.ValidationException
		if !errors.As(err, &ve) {
			t.Errorf("error %v: want a ValidationException", err)
		}
	})
	t.Run("validation the operation does not model", func(t *testing.T) {
		_, err := k.c.StartRecovery(ctx, []ServerLaunch{{SourceServerID: "nope"}}, true, nil)
		checkClass(t, err, ErrValidation)
		var apiErr smithy.APIError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "ValidationException" {
			t.Errorf("error %v: want API error code ValidationException", err)
		}
	})
	t.Run("refused locally: more than 200 servers", func(t *testing.T) {
		before := k.requests("StartRecovery")
		many := make([]ServerLaunch, 201)
		for i := range many {
			many[i].SourceServerID = ids[i%len(ids)]
		}
		_, err := k.c.StartRecovery(ctx, many, true, nil)
		checkClass(t, err, ErrValidation)
		if got := k.requests("StartRecovery") - before; got != 0 {
			t.Errorf("%d requests reached the emulator, want 0", got)
		}
	})
}

func TestContractUninitializedAccount(t *testing.T) {
	k := newContract(t, drssim.Options{Servers: 1, Uninitialized: true}, Config{MaxAttempts: 1})
	_, err := k.c.DescribeSourceServers(t.Context(), nil)
	checkClass(t, err, nil)
	var ue *types.UninitializedAccountException
	if !errors.As(err, &ue) {
		t.Errorf("error %v: want an UninitializedAccountException", err)
	}
}

// TestContractRetryAfter fails requests with the emulator's 429 and 500,
// both with Retry-After: 1, and counts what reached it.
func TestContractRetryAfter(t *testing.T) {
	t.Run("throttled twice, then served", func(t *testing.T) {
		k := newContract(t, drssim.Options{Servers: 3}, Config{})
		err := k.sim.SetFaults(drssim.Faults{FailNext: []drssim.FailNext{
			{Operation: "DescribeSourceServers", Count: 2, Kind: "throttle"}}})
		if err != nil {
			t.Fatal(err)
		}
		servers, err := k.c.DescribeSourceServers(t.Context(), nil)
		if err != nil || len(servers) != 3 {
			t.Fatalf("DescribeSourceServers = %d servers, %v; want 3", len(servers), err)
		}
		st := k.sim.Stats()
		if got := st.Requests["DescribeSourceServers"]; got != 3 {
			t.Errorf("%d requests, want 3", got)
		}
		if got := st.ErrorsByOperation["DescribeSourceServers"]["ThrottlingException"]; got != 2 {
			t.Errorf("%d throttled, want 2", got)
		}
		// Each wait is the server's second plus at most a fifth of jitter.
		delays := k.log.retryDelays()
		if len(delays) != 2 {
			t.Fatalf("retry delays %v, want 2", delays)
		}
		for _, d := range delays {
			if d < time.Second || d > 1200*time.Millisecond {
				t.Errorf("retry delay %v, want Retry-After (1s) to 1.2s", d)
			}
		}
	})
	t.Run("start recovery: a server error is not retried, throttling is", func(t *testing.T) {
		k := newContract(t, drssim.Options{Servers: 3}, Config{})
		ids := k.serverIDs(t, 2)
		err := k.sim.SetFaults(drssim.Faults{FailNext: []drssim.FailNext{{Operation: "StartRecovery", Count: 1}}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = k.c.StartRecovery(t.Context(), launches(ids[:1]), true, nil)
		checkClass(t, err, ErrTransient)
		if got := k.requests("StartRecovery"); got != 1 {
			t.Errorf("%d StartRecovery requests after a 500, want 1", got)
		}
		err = k.sim.SetFaults(drssim.Faults{FailNext: []drssim.FailNext{{Operation: "StartRecovery", Count: 1, Kind: "throttle"}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := k.c.StartRecovery(t.Context(), launches(ids[1:2]), true, nil); err != nil {
			t.Fatal(err)
		}
		if got := k.requests("StartRecovery"); got != 3 {
			t.Errorf("%d StartRecovery requests in all, want 3", got)
		}
	})
	t.Run("server errors outlast the attempts", func(t *testing.T) {
		k := newContract(t, drssim.Options{Servers: 3}, Config{MaxAttempts: 2})
		err := k.sim.SetFaults(drssim.Faults{FailNext: []drssim.FailNext{
			{Operation: "GetLaunchConfiguration", Count: 5}}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = k.c.GetLaunchConfiguration(t.Context(), k.serverIDs(t, 1)[0])
		checkClass(t, err, ErrTransient)
		var ie *types.InternalServerException
		if !errors.As(err, &ie) || ie.RetryAfterSeconds != 1 {
			t.Errorf("error %v: want an InternalServerException with Retry-After 1", err)
		}
		if got := k.requests("GetLaunchConfiguration"); got != 2 {
			t.Errorf("%d requests, want 2 (MaxAttempts)", got)
		}
	})
}

// TestContractLaunchThousand recovers 1,000 servers as a drill in 10 jobs
// of 100, five at a time (the emulator's 500 servers in active jobs), then
// terminates every instance in jobs of 200.
func TestContractLaunchThousand(t *testing.T) {
	k := newContract(t, drssim.Options{Servers: 1000, Seed: 42}, Config{})
	ctx := t.Context()
	ids := k.serverIDs(t, 1000)

	var jobIDs []string
	for wave := range 2 {
		var active []string
		for b := range 5 {
			batch := ids[(wave*5+b)*100 : (wave*5+b+1)*100]
			tags := map[string]string{"drsorch:batch": fmt.Sprintf("b-%d", wave*5+b)}
			job, err := k.c.StartRecovery(ctx, launches(batch), true, tags)
			if err != nil {
				t.Fatalf("batch %d: %v", wave*5+b, err)
			}
			if job.Status != JobPending || len(job.Servers) != 100 || job.Tags["drsorch:batch"] == "" {
				t.Errorf("new job %s: status %s, %d servers, tags %v", job.ID, job.Status, len(job.Servers), job.Tags)
			}
			active = append(active, job.ID)
		}
		for _, j := range k.settle(t, active...) {
			for _, s := range j.Servers {
				if s.LaunchStatus != LaunchLaunched || s.RecoveryInstanceID == "" {
					t.Fatalf("job %s server %+v, want LAUNCHED with an instance", j.ID, s)
				}
			}
		}
		jobIDs = append(jobIDs, active...)
	}
	if st := k.sim.Stats(); st.MaxServersInJob != 100 || st.Launched != 1000 {
		t.Errorf("emulator saw %d servers in one job at most and %d launched; want 100 and 1000",
			st.MaxServersInJob, st.Launched)
	}
	for id, n := range k.sim.Launches() {
		if n != 1 {
			t.Errorf("server %s launched %d times", id, n)
		}
	}

	all, err := k.c.DescribeRecoveryInstances(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	byServer, err := k.c.DescribeRecoveryInstances(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1000 || len(byServer) != 1000 {
		t.Fatalf("%d instances listed, %d by server; want 1000", len(all), len(byServer))
	}
	seen := map[string]bool{}
	var instanceIDs []string
	for _, ri := range byServer {
		if seen[ri.SourceServerID] || !ri.IsDrill || !slices.Contains(jobIDs, ri.JobID) ||
			ri.EC2InstanceID == "" || ri.PointInTime.IsZero() {
			t.Fatalf("instance %+v: want one drill instance per server from one of our jobs", ri)
		}
		seen[ri.SourceServerID] = true
		instanceIDs = append(instanceIDs, ri.ID)
	}
	two, err := k.c.DescribeRecoveryInstancesByID(ctx, instanceIDs[998:])
	if err != nil || len(two) != 2 {
		t.Errorf("by ID: %d instances, %v; want 2", len(two), err)
	}

	// Terminate: a terminate job occupies its servers, so at most two jobs
	// of 200 fit under 500 servers in active jobs.
	for i := 0; i < len(instanceIDs); i += 400 {
		var active []string
		for j := i; j < min(i+400, len(instanceIDs)); j += MaxTerminateInstances {
			job, err := k.c.TerminateRecoveryInstances(ctx, instanceIDs[j:min(j+MaxTerminateInstances, len(instanceIDs))])
			if err != nil {
				t.Fatal(err)
			}
			if job.Type != JobTypeTerminate {
				t.Errorf("terminate job type %q", job.Type)
			}
			active = append(active, job.ID)
		}
		if i == 0 {
			_, err := k.c.TerminateRecoveryInstances(ctx, instanceIDs[:1])
			checkClass(t, err, ErrConflict)
		}
		for _, j := range k.settle(t, active...) {
			for _, s := range j.Servers {
				if s.LaunchStatus != LaunchTerminated {
					t.Fatalf("terminate job %s server %+v, want TERMINATED", j.ID, s)
				}
			}
		}
	}
	left, err := k.c.DescribeRecoveryInstances(ctx, nil)
	if err != nil || len(left) != 0 {
		t.Errorf("after terminating: %d instances, %v; want none", len(left), err)
	}
}

// TestContractFindJobs finds a job by its tags in a date range, as the
// engine does after a crash between StartRecovery and recording its answer.
func TestContractFindJobs(t *testing.T) {
	k := newContract(t, drssim.Options{Servers: 30, PageSize: 7}, Config{})
	ctx := t.Context()
	ids := k.serverIDs(t, 30)

	// 30 one-server jobs, ten minutes apart; the emulator pages them 7 at
	// a time.
	created := map[string]time.Time{}
	for i, id := range ids {
		job, err := k.c.StartRecovery(ctx, launches([]string{id}), false,
			map[string]string{"drsorch:batch": fmt.Sprintf("b-%02d", i)})
		if err != nil {
			t.Fatalf("job %d: %v", i, err)
		}
		created[job.Tags["drsorch:batch"]] = job.CreatedAt
		k.sim.Advance(10 * time.Minute)
	}

	all, err := k.c.FindJobs(ctx, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 30 {
		t.Errorf("%d jobs unbounded, want 30", len(all))
	}
	for i := 1; i < len(all); i++ {
		if all[i].CreatedAt.After(all[i-1].CreatedAt) {
			t.Errorf("jobs not newest first at %d", i)
		}
	}

	// The range of batch b-12, give or take a minute, holds it alone.
	at := created["b-12"]
	got, err := k.c.FindJobs(ctx, at.Add(-time.Minute), at.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	var batches []string
	for _, j := range got {
		batches = append(batches, j.Tags["drsorch:batch"])
	}
	if diff := cmp.Diff([]string{"b-12"}, batches); diff != "" {
		t.Errorf("jobs in range mismatch (-want +got):\n%s", diff)
	}

	// Bounds are inclusive: exactly b-10 to b-12, newest first.
	got, err = k.c.FindJobs(ctx, created["b-10"], created["b-12"])
	if err != nil {
		t.Fatal(err)
	}
	batches = nil
	for _, j := range got {
		batches = append(batches, j.Tags["drsorch:batch"])
	}
	if diff := cmp.Diff([]string{"b-12", "b-11", "b-10"}, batches); diff != "" {
		t.Errorf("jobs in inclusive range mismatch (-want +got):\n%s", diff)
	}

	if got, err := k.c.FindJobs(ctx, simEpoch.Add(-48*time.Hour), simEpoch.Add(-24*time.Hour)); err != nil || len(got) != 0 {
		t.Errorf("jobs before any was created: %v, %v; want none", got, err)
	}
}

func TestContractJobLog(t *testing.T) {
	k := newContract(t, drssim.Options{Servers: 5, PageSize: 4}, Config{})
	ctx := t.Context()
	ids := k.serverIDs(t, 3)
	job, err := k.c.StartRecovery(ctx, launches(ids), true, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := k.settle(t, job.ID)[0]
	if done.EndedAt.IsZero() || !done.EndedAt.After(done.CreatedAt) {
		t.Errorf("completed job created %v, ended %v", done.CreatedAt, done.EndedAt)
	}

	items, err := k.c.DescribeJobLog(ctx, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	// JOB_START, five events per server, JOB_END: 17 items in 5 pages.
	if len(items) != 17 || items[0].Event != "JOB_START" || items[len(items)-1].Event != "JOB_END" {
		t.Fatalf("job log %+v: want 17 items from JOB_START to JOB_END", items)
	}
	if got := k.requests("DescribeJobLogItems"); got != 5 {
		t.Errorf("%d DescribeJobLogItems requests, want 5 pages", got)
	}
	instanceOf := map[string]string{}
	for _, s := range done.Servers {
		instanceOf[s.SourceServerID] = s.RecoveryInstanceID
	}
	for i, it := range items {
		if i > 0 && it.Time.Before(items[i-1].Time) {
			t.Errorf("log item %d at %v is before its predecessor", i, it.Time)
		}
		if it.Event == "LAUNCH_START" && it.TargetInstanceID != instanceOf[it.SourceServerID] {
			t.Errorf("LAUNCH_START for %s targets %s, the job says %s",
				it.SourceServerID, it.TargetInstanceID, instanceOf[it.SourceServerID])
		}
	}

	_, err = k.c.DescribeJobLog(ctx, "drsjob-0000000000000dead")
	checkClass(t, err, ErrNotFound)
}

func TestContractSnapshots(t *testing.T) {
	k := newContract(t, drssim.Options{Servers: 2}, Config{})
	ctx := t.Context()
	id := k.serverIDs(t, 1)[0]

	snaps, err := k.c.DescribeSnapshots(ctx, id, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(snaps) < 5 {
		t.Fatalf("%d snapshots, want a day's worth", len(snaps))
	}
	for i, s := range snaps {
		if s.SourceServerID != id || s.Taken.IsZero() || s.Expected.IsZero() {
			t.Errorf("snapshot %+v", s)
		}
		if i > 0 && !s.Taken.Before(snaps[i-1].Taken) {
			t.Errorf("snapshot %d (%v) is not older than %d (%v)", i, s.Taken, i-1, snaps[i-1].Taken)
		}
	}

	// Bounds are inclusive: the second to the fourth newest.
	got, err := k.c.DescribeSnapshots(ctx, id, snaps[3].Taken, snaps[1].Taken)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(snaps[1:4], got); diff != "" {
		t.Errorf("snapshots in range mismatch (-want +got):\n%s", diff)
	}

	// Launch from a named snapshot.
	job, err := k.c.StartRecovery(ctx, []ServerLaunch{{SourceServerID: id, RecoverySnapshotID: snaps[2].ID}}, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	k.settle(t, job.ID)
	items, err := k.c.DescribeJobLog(ctx, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(items, func(it JobLogItem) bool { return it.Event == "USING_PREVIOUS_SNAPSHOT" }) {
		t.Errorf("job log %+v: want USING_PREVIOUS_SNAPSHOT", items)
	}

	_, err = k.c.DescribeSnapshots(ctx, "s-0000000000000dead", time.Time{}, time.Time{})
	checkClass(t, err, ErrNotFound)
}

func TestContractLaunchConfiguration(t *testing.T) {
	k := newContract(t, drssim.Options{Servers: 2}, Config{})
	ctx := t.Context()
	id := k.serverIDs(t, 1)[0]

	lc, err := k.c.GetLaunchConfiguration(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if lc.SourceServerID != id || lc.EC2LaunchTemplateID == "" {
		t.Errorf("launch configuration %+v: want the server's, with a launch template", lc)
	}

	want := lc
	want.Name = "drsorch-test"
	want.LaunchDisposition = "STOPPED"
	want.RightSizingMethod = "NONE"
	want.CopyTags = !lc.CopyTags
	want.CopyPrivateIP = !lc.CopyPrivateIP
	want.OSByol = !lc.OSByol
	updated, err := k.c.UpdateLaunchConfiguration(ctx, want)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, updated); diff != "" {
		t.Errorf("update answer mismatch (-want +got):\n%s", diff)
	}
	again, err := k.c.GetLaunchConfiguration(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, again); diff != "" {
		t.Errorf("read back mismatch (-want +got):\n%s", diff)
	}

	// The emulator launches a STOPPED disposition into a stopped instance.
	job, err := k.c.StartRecovery(ctx, launches([]string{id}), false, nil)
	if err != nil {
		t.Fatal(err)
	}
	k.settle(t, job.ID)
	ris, err := k.c.DescribeRecoveryInstances(ctx, []string{id})
	if err != nil || len(ris) != 1 || ris[0].EC2State != "STOPPED" || ris[0].IsDrill {
		t.Errorf("instances %+v, %v: want one stopped recovery (not drill) instance", ris, err)
	}

	bad := want
	bad.LaunchDisposition = "SIDEWAYS"
	_, err = k.c.UpdateLaunchConfiguration(ctx, bad)
	checkClass(t, err, ErrValidation)

	_, err = k.c.UpdateLaunchConfiguration(ctx, LaunchConfiguration{SourceServerID: "s-0000000000000dead"})
	checkClass(t, err, ErrNotFound)
}

// TestContractInProcess reaches the emulator through its Transport, as
// drsorch demo does, with no network at all.
func TestContractInProcess(t *testing.T) {
	isolateAWSEnv(t)
	sim := drssim.New(drssim.Options{Servers: 250})
	c, err := NewClient(t.Context(), Config{
		Region: "eu-west-1", Endpoint: "http://drs.in-process",
		HTTPClient: &http.Client{Transport: sim.Transport()},
	})
	if err != nil {
		t.Fatal(err)
	}
	servers, err := c.DescribeSourceServers(t.Context(), nil)
	if err != nil || len(servers) != 250 {
		t.Errorf("%d servers, %v; want 250", len(servers), err)
	}
	if c.Region() != "eu-west-1" {
		t.Errorf("region %q", c.Region())
	}
}

func TestContractEndpointFromEnvironment(t *testing.T) {
	isolateAWSEnv(t)
	sim := drssim.New(drssim.Options{Servers: 4})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ENDPOINT_URL_DRS", srv.URL)
	t.Setenv("AWS_REGION", "ap-southeast-2")

	c, err := NewClient(t.Context(), Config{})
	if err != nil {
		t.Fatal(err)
	}
	servers, err := c.DescribeSourceServers(t.Context(), nil)
	if err != nil || len(servers) != 4 || c.Region() != "ap-southeast-2" {
		t.Errorf("%d servers in %s, %v; want 4 in ap-southeast-2", len(servers), c.Region(), err)
	}
}

func TestContractClients(t *testing.T) {
	isolateAWSEnv(t)
	sim := drssim.New(drssim.Options{Servers: 2})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	ctx := t.Context()
	cs := NewClients(ctx, Config{Region: "us-east-1", Endpoint: srv.URL})

	a, err := cs.For(ctx, "123456789012", "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := cs.For(ctx, "123456789012", "us-east-1")
	other, _ := cs.For(ctx, "123456789012", "us-west-2")
	otherAccount, _ := cs.For(ctx, "210987654321", "us-east-1")
	dflt, _ := cs.For(ctx, "123456789012", "")
	if a != b {
		t.Error("For returned two clients for one account and region")
	}
	if other == a || otherAccount == a {
		t.Error("For shared a client across regions or accounts")
	}
	if other.Region() != "us-west-2" || dflt.Region() != "us-east-1" {
		t.Errorf("regions %q and %q, want us-west-2 and the base us-east-1", other.Region(), dflt.Region())
	}
	if servers, err := other.DescribeSourceServers(ctx, nil); err != nil || len(servers) != 2 {
		t.Errorf("%d servers, %v; want 2", len(servers), err)
	}
}
