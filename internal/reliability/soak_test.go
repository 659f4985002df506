package reliability

import (
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/drssim"
	"github.com/drsorch/drsorch/internal/engine"
	"github.com/drsorch/drsorch/internal/plan"
)

// soakSetting is one mix of injected faults.
type soakSetting struct {
	name   string
	faults drssim.Faults
}

var soakSettings = []soakSetting{
	{"light", drssim.Faults{Throttle: 0.05, Error: 0.02, LaunchFail: 0.03, Slow: 0.05, Stuck: 0.04}},
	{"heavy", drssim.Faults{Throttle: 0.15, Error: 0.10, LaunchFail: 0.10, Slow: 0.15, Stuck: 0.08}},
	{"brutal", drssim.Faults{Throttle: 0.30, Error: 0.20, LaunchFail: 0.25, Slow: 0.30, Stuck: 0.12}},
}

// Bounds on DRS requests, from how the engine and the SDK retry: the SDK
// makes at most sdkAttempts attempts per call; the engine calls
// StartRecovery for a batch again only after an answer that created no
// job, which at these error rates averages well under two calls; every
// round makes at most one DescribeJobs call (one account and region, under
// 1,000 jobs) plus lookups of REQUESTING batches.
const (
	sdkAttempts         = 3
	maxStartPerBatch    = 2 * sdkAttempts // StartRecovery requests per launch batch, on average
	maxDescribePerRound = 3 * sdkAttempts // DescribeJobs requests (polls and lookups) per round
)

// soakResult is what one soak run measured, for RELIABILITY.md.
type soakResult struct {
	setting                                  string
	servers, launched, launchFailed, stuck   int
	relaunched, stillBlocked, terminated     int
	batches, startRequests, describeRequests int
	rounds                                   int
	errors                                   map[string]int
}

func (r soakResult) row() string {
	return fmt.Sprintf("| %s | %d | %d | %d | %d | %d | %d | %d | %d | %.2f | %.2f | %d | %v |",
		r.setting, r.servers, r.launched, r.launchFailed, r.stuck, r.relaunched, r.stillBlocked, r.terminated,
		r.batches, float64(r.startRequests)/float64(max(r.batches, 1)),
		float64(r.describeRequests)/float64(max(r.rounds, 1)), r.rounds, r.errors)
}

// TestSoak runs a drill of hundreds of servers through throttling, 500s,
// launch failures, slow and stuck jobs at three rates. Every server must
// end as its fate in DRS deserves, DRS requests stay within the stated
// bounds, failed servers launch on retry once the faults are lifted, and
// the cleanup terminates every launched instance exactly once.
func TestSoak(t *testing.T) {
	isolateAWS(t)
	servers, seeds := 300, []int64{1}
	if *long {
		servers, seeds = 500, []int64{1, 2, 3}
	}
	t.Log("| setting | servers | launched | launch failed | stuck | relaunched | stuck, failed as busy on retry | terminated | batches | StartRecovery/batch | DescribeJobs/round | rounds | DRS errors injected |")
	t.Log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, s := range soakSettings {
		for _, seed := range seeds {
			t.Run(fmt.Sprintf("%s/seed=%d", s.name, seed), func(t *testing.T) {
				var res soakResult
				synctest.Test(t, func(t *testing.T) { res = soak(t, s, seed, servers) })
				t.Log(res.row())
			})
		}
	}
}

func soak(t *testing.T, s soakSetting, seed int64, n int) soakResult {
	w := newWorld(t, drssim.Options{Servers: n, Seed: seed,
		Faults: s.faults}, sdkAttempts)
	// A wave's own launch timeout and the engine's default, both longer
	// than the slowest slow job (a Windows server: 20 minutes, +30%, five
	// times slower).
	sizes := []int{n / 5, n * 2 / 5, n / 5, n - n/5 - n*2/5 - n/5}
	waves := []plan.Wave{
		{Name: "db", LaunchTimeoutMinutes: 150},
		{Name: "app", DependsOn: []string{"db"}},
		{Name: "web", DependsOn: []string{"app"}, LaunchTimeoutMinutes: 180},
		{Name: "edge", DependsOn: []string{"web"}},
	}
	for i := range waves {
		waves[i].FailurePolicy = plan.FailureContinue
	}
	id := w.start(plan.ModeDrill, waves, sizes)
	e := engine.New(engine.Options{Store: w.st, DRS: engine.FromClients(w.clients), Owner: "soak",
		PollMin: time.Minute, PollMax: 3 * time.Minute, StuckTimeout: 3 * time.Hour,
		Quotas: engine.Quotas{ServersPerJob: 10}})
	rounds, ok := w.rounds(e, time.Minute, 5000, w.ended(id))
	if !ok {
		t.Fatalf("execution not ended after %d rounds: %s, launches %v", rounds, w.execution(id).Status, counts(w.launches(id)))
	}
	stats := w.sim.Stats()
	res := soakResult{setting: s.name, servers: n, rounds: rounds, errors: stats.Errors,
		startRequests: stats.Requests["StartRecovery"], describeRequests: stats.Requests["DescribeJobs"]}
	batches, err := w.st.ListBatches(w.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	res.batches = len(batches)

	// What DRS says happened to each server, read without faults.
	must(t, w.sim.SetFaults(drssim.Faults{}))
	fate := w.fates()
	launchedOnce := w.sim.Launches()
	for _, l := range w.launches(id) {
		f := fate[l.SourceServerID]
		if launchedOnce[l.SourceServerID] != 1 {
			t.Errorf("server %s: launched %d times by DRS, want 1", l.SourceServerID, launchedOnce[l.SourceServerID])
		}
		switch f.status {
		case drs.LaunchLaunched:
			res.launched++
			if l.Status != plan.LaunchLaunched || l.RecoveryInstanceID != f.instance {
				t.Errorf("server %s launched as %s: launch %s %q, want LAUNCHED with it", l.SourceServerID, f.instance, l.Status, l.RecoveryInstanceID)
			}
		case drs.LaunchFailed:
			res.launchFailed++
			if l.Status != plan.LaunchFailed || !strings.Contains(l.Error, "LAUNCH_FAILED") {
				t.Errorf("server %s failed in DRS: launch %s %q, want FAILED with the job log's reason", l.SourceServerID, l.Status, l.Error)
			}
		default: // its job never finishes
			res.stuck++
			if l.Status != plan.LaunchFailed || !strings.Contains(l.Error, "not finished") {
				t.Errorf("server %s stuck in job %s: launch %s %q, want FAILED as not finished", l.SourceServerID, f.job, l.Status, l.Error)
			}
		}
	}
	if res.startRequests > maxStartPerBatch*res.batches {
		t.Errorf("%d StartRecovery requests for %d batches: more than %d per batch", res.startRequests, res.batches, maxStartPerBatch)
	}
	if res.describeRequests > maxDescribePerRound*rounds {
		t.Errorf("%d DescribeJobs requests in %d rounds: more than %d per round", res.describeRequests, rounds, maxDescribePerRound)
	}
	if st := w.sim.Stats(); st.MaxActiveJobs > 20 || st.MaxServersInActiveJobs > 500 || st.MaxServersInJob > 10 {
		t.Errorf("quotas exceeded: %d active jobs, %d servers in active jobs, %d in one job",
			st.MaxActiveJobs, st.MaxServersInActiveJobs, st.MaxServersInJob)
	}

	// Retry with the faults lifted: every server DRS failed launches now.
	// A server whose job is still stuck stays in that DRS job: DRS refuses
	// it (ConflictException) until the job ends.
	w.control(id, func(ex *plan.Execution) { ex.Requests.Retry = true })
	_, ok = w.rounds(e, time.Minute, 3000, func() bool {
		for _, l := range w.launches(id) {
			if fate[l.SourceServerID].status == drs.LaunchFailed && l.Status != plan.LaunchLaunched {
				return false
			}
		}
		return true
	})
	if !ok {
		t.Errorf("after a retry without faults, launches %v", counts(w.launches(id)))
	}
	// The retried servers still held by their stuck jobs fail, as busy,
	// after their wave's launch timeout; the execution ends.
	if _, ok := w.rounds(e, time.Minute, 3000, w.ended(id)); !ok {
		t.Fatalf("execution not ended after the retry: %s, launches %v", w.execution(id).Status, counts(w.launches(id)))
	}
	instances := map[string]string{} // instance ID → source server, of this execution
	for _, l := range w.launches(id) {
		switch fate[l.SourceServerID].status {
		case drs.LaunchFailed:
			if l.Status == plan.LaunchLaunched {
				res.relaunched++
			}
		case drs.LaunchLaunched:
		default:
			res.stillBlocked++
			if l.Status != plan.LaunchFailed || !strings.Contains(l.Error, "busy in another DRS job") {
				t.Errorf("server %s, stuck, retried: %s %q, want FAILED as busy", l.SourceServerID, l.Status, l.Error)
			}
		}
		if l.Status == plan.LaunchLaunched {
			instances[l.RecoveryInstanceID] = l.SourceServerID
		}
	}

	// Cleanup under throttling and 500s (stuck terminate jobs would fail
	// the cleanup, as designed; they are tested in the engine): every
	// instance the drill launched is terminated exactly once.
	cleanupFaults := s.faults
	cleanupFaults.Stuck, cleanupFaults.LaunchFail = 0, 0
	must(t, w.sim.SetFaults(cleanupFaults))
	w.control(id, func(ex *plan.Execution) { ex.Requests.Cleanup = true })
	before := w.sim.Stats().Requests
	cleanupRounds, ok := w.rounds(e, time.Minute, 3000, w.ended(id))
	if !ok {
		t.Fatalf("cleanup not ended: %s", w.execution(id).Cleanup)
	}
	must(t, w.sim.SetFaults(drssim.Faults{}))
	after := w.sim.Stats().Requests
	all, err := w.st.ListBatches(w.ctx, id)
	must(t, err)
	terminates := 0
	for _, b := range all {
		if b.Kind == plan.BatchTerminate {
			terminates++
		}
	}
	if got := after["TerminateRecoveryInstances"] - before["TerminateRecoveryInstances"]; got > maxStartPerBatch*terminates {
		t.Errorf("%d TerminateRecoveryInstances requests for %d batches: more than %d per batch", got, terminates, maxStartPerBatch)
	}
	if got := after["DescribeJobs"] - before["DescribeJobs"]; got > maxDescribePerRound*cleanupRounds {
		t.Errorf("%d DescribeJobs requests in %d cleanup rounds: more than %d per round", got, cleanupRounds, maxDescribePerRound)
	}
	if got := after["DescribeJobLogItems"]; got > maxDescribePerRound*rounds {
		t.Errorf("%d DescribeJobLogItems requests: more than %d per drill round", got, maxDescribePerRound)
	}
	if got := w.execution(id).Cleanup; got != plan.CleanupCompleted {
		t.Errorf("cleanup %s, want COMPLETED", got)
	}
	terminated := w.terminations()
	for inst, srv := range instances {
		if terminated[inst] != 1 {
			t.Errorf("instance %s of %s terminated %d times, want 1", inst, srv, terminated[inst])
		}
	}
	for inst, n := range terminated {
		if _, ours := instances[inst]; !ours {
			t.Errorf("instance %s, not this drill's, terminated %d times", inst, n)
		}
	}
	left, err := w.client().DescribeRecoveryInstances(w.ctx, nil)
	must(t, err)
	for _, ri := range left {
		if _, ours := instances[ri.ID]; ours {
			t.Errorf("instance %s of %s still exists after the cleanup", ri.ID, ri.SourceServerID)
		}
	}
	for _, l := range w.launches(id) {
		if _, ok := instances[l.RecoveryInstanceID]; ok && l.Status != plan.LaunchTerminated {
			t.Errorf("launch %s: %s after the cleanup, want TERMINATED", l.SourceServerID, l.Status)
		}
	}
	res.terminated = len(terminated)
	return res
}

// terminations counts, per recovery instance, the TERMINATE jobs that
// took part in ending it.
func (w *world) terminations() map[string]int {
	w.t.Helper()
	jobs, err := w.client().FindJobs(w.ctx, time.Time{}, time.Time{})
	if err != nil {
		w.t.Fatalf("find jobs: %v", err)
	}
	out := map[string]int{}
	for _, j := range jobs {
		if j.Type != drs.JobTypeTerminate {
			continue
		}
		for _, s := range j.Servers {
			out[s.RecoveryInstanceID]++
		}
	}
	return out
}

// fate is what DRS's jobs say of one server.
type fate struct {
	job, status, instance string
}

// fates reads every launch job from DRS: each server's last launch.
func (w *world) fates() map[string]fate {
	w.t.Helper()
	jobs, err := w.client().FindJobs(w.ctx, time.Time{}, time.Time{})
	if err != nil {
		w.t.Fatalf("find jobs: %v", err)
	}
	out := map[string]fate{}
	for _, j := range jobs {
		if j.Type != "LAUNCH" {
			continue
		}
		for _, s := range j.Servers {
			st := s.LaunchStatus
			if j.Status != drs.JobCompleted {
				st = "STUCK"
			}
			out[s.SourceServerID] = fate{job: j.ID, status: st, instance: s.RecoveryInstanceID}
		}
	}
	return out
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
