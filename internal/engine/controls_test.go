package engine

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/drssim"
	"github.com/drsorch/drsorch/internal/plan"
)

func TestPauseResume(t *testing.T) {
	isolateAWSEnv(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, drssim.Options{Servers: 30}, 1)
		id := h.start(plan.ModeDrill, chain(wave("a", 10), wave("b", 10)))
		e := h.engine("e1", func(o *Options) { o.Quotas.ServersPerJob = 5 })
		h.until(e, 100, func() bool { return e.calls.startRecovery > 0 })
		h.control(id, func(ex *plan.Execution) { ex.Requests.Pause = true })
		h.until(e, 10, h.statusIs(id, plan.ExecPaused))
		calls := e.calls.startRecovery
		for range 300 {
			h.step(e, e.opts.PollMin)
		}
		if e.calls.startRecovery != calls {
			t.Errorf("%d StartRecovery calls while paused", e.calls.startRecovery-calls)
		}
		// Jobs already running were still observed.
		counts := h.launchStatuses(id)
		if counts[plan.LaunchLaunched] == 0 || counts[plan.LaunchLaunching] != 0 {
			t.Errorf("launches while paused %v: want the running jobs observed to their end", counts)
		}
		if ex := h.get(id); ex.Requests.Pause {
			t.Errorf("pause request not cleared")
		}
		h.control(id, func(ex *plan.Execution) { ex.Requests.Resume = true })
		ex := h.finish(e, id, 1000)
		if ex.Status != plan.ExecCompleted || ex.Requests.Resume {
			t.Errorf("status %s, resume flag %v; want COMPLETED and cleared", ex.Status, ex.Requests.Resume)
		}
		h.checkOnce(id, 1)
		evs := eventTypes(h.events(id))
		if evs["execution_paused"] != 1 || evs["execution_resumed"] != 1 {
			t.Errorf("events %v: want one execution_paused and one execution_resumed", evs)
		}
	})
}

func TestCancel(t *testing.T) {
	isolateAWSEnv(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, drssim.Options{Servers: 30}, 1)
		id := h.start(plan.ModeRecovery, chain(wave("a", 12), wave("b", 5)))
		e := h.engine("e1", func(o *Options) {
			o.Quotas = Quotas{ServersPerJob: 4, ActiveJobs: 2, ServersInActiveJobs: 8}
		})
		h.until(e, 100, func() bool { return e.calls.startRecovery == 2 })
		h.control(id, func(ex *plan.Execution) { ex.Requests.Cancel = true })
		h.until(e, 5, h.statusIs(id, plan.ExecCancelling))
		ex := h.finish(e, id, 1000)
		if ex.Status != plan.ExecCancelled || ex.EndTime == nil {
			t.Fatalf("status %s, end %v; want CANCELLED with an end time", ex.Status, ex.EndTime)
		}
		if e.calls.startRecovery != 2 {
			t.Errorf("%d StartRecovery calls, want the 2 made before the cancel", e.calls.startRecovery)
		}
		counts := h.launchStatuses(id)
		if counts[plan.LaunchLaunched] != 8 || counts[plan.LaunchSkipped] != 9 {
			t.Errorf("launches %v, want the 8 requested LAUNCHED and 9 SKIPPED", counts)
		}
		ws := h.waveStatuses(id)
		if ws["a"] != plan.WaveCancelled || ws["b"] != plan.WaveCancelled {
			t.Errorf("waves %v, want both CANCELLED", ws)
		}
	})
}

func TestRetryRelaunchesOnlyFailed(t *testing.T) {
	isolateAWSEnv(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, drssim.Options{Servers: 30}, 1)
		fail := h.servers[2:5]
		must(t, h.sim.SetFaults(drssim.Faults{FailServers: fail}))
		id := h.start(plan.ModeDrill, chain(wave("a", 8), wave("b", 4)))
		e := h.engine("e1", nil)
		ex := h.finish(e, id, 1000)
		if ex.Status != plan.ExecFailed {
			t.Fatalf("status %s, want FAILED", ex.Status)
		}
		must(t, h.sim.SetFaults(drssim.Faults{}))
		h.control(id, func(ex *plan.Execution) { ex.Requests.Retry = true })
		ex = h.finish(e, id, 1000)
		if ex.Status != plan.ExecCompleted || ex.Requests.Retry {
			t.Fatalf("status %s after retry (flag %v), want COMPLETED", ex.Status, ex.Requests.Retry)
		}
		got := h.sim.Launches()
		failed := map[string]bool{}
		for _, id := range fail {
			failed[id] = true
		}
		for _, l := range h.launches(id) {
			want, attempts := 1, 0
			if failed[l.SourceServerID] {
				want, attempts = 2, 1
			}
			if got[l.SourceServerID] != want || l.Attempts != attempts || l.Status != plan.LaunchLaunched {
				t.Errorf("server %s: launched %d times, attempts %d, %s; want %d, %d, LAUNCHED",
					l.SourceServerID, got[l.SourceServerID], l.Attempts, l.Status, want, attempts)
			}
		}
	})
}

func TestCleanupTerminatesExactlyTheLaunchedInstances(t *testing.T) {
	isolateAWSEnv(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, drssim.Options{Servers: 30}, 1)
		// An instance this execution did not launch must survive.
		cl, err := h.src.For(h.ctx, testAccount, testRegion)
		must(t, err)
		foreign := h.servers[len(h.servers)-1]
		_, err = cl.StartRecovery(h.ctx, []drs.ServerLaunch{{SourceServerID: foreign}}, true, nil)
		must(t, err)
		time.Sleep(time.Hour)

		must(t, h.sim.SetFaults(drssim.Faults{FailServers: h.servers[:1]}))
		ws := chain(wave("a", 6), wave("b", 5))
		ws[0].FailurePolicy = plan.FailureContinue
		id := h.start(plan.ModeDrill, ws)
		e := h.engine("e1", func(o *Options) { o.Quotas.ServersPerJob = 4 })
		if ex := h.finish(e, id, 1000); ex.Status != plan.ExecPartial || ex.Cleanup != plan.CleanupNotStarted {
			t.Fatalf("status %s cleanup %s, want PARTIAL and NOT_STARTED", ex.Status, ex.Cleanup)
		}
		before := h.sim.Stats().RecoveryInstances
		h.control(id, func(ex *plan.Execution) { ex.Requests.Cleanup = true })
		ex := h.finish(e, id, 1000)
		if ex.Cleanup != plan.CleanupCompleted || ex.Requests.Cleanup {
			t.Fatalf("cleanup %s (flag %v), want COMPLETED and cleared", ex.Cleanup, ex.Requests.Cleanup)
		}
		counts := h.launchStatuses(id)
		if counts[plan.LaunchTerminated] != 10 || counts[plan.LaunchFailed] != 1 {
			t.Errorf("launches %v, want 10 TERMINATED and the failed one left alone", counts)
		}
		if before != 11 || h.sim.Stats().RecoveryInstances != 1 {
			t.Errorf("recovery instances %d before cleanup and %d after, want 11 and 1 (the foreign one)",
				before, h.sim.Stats().RecoveryInstances)
		}
		instances, err := cl.(*drs.Client).DescribeRecoveryInstances(h.ctx, nil)
		must(t, err)
		if len(instances) != 1 || instances[0].SourceServerID != foreign {
			t.Errorf("instances left %+v, want only the foreign server's", instances)
		}
		if e.calls.terminate != 3 {
			t.Errorf("%d TerminateRecoveryInstances calls, want 3 batches of at most 4", e.calls.terminate)
		}
	})
}

func TestCleanupOfRecoveryIsRefused(t *testing.T) {
	isolateAWSEnv(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, drssim.Options{Servers: 10}, 1)
		id := h.start(plan.ModeRecovery, chain(wave("a", 2)))
		e := h.engine("e1", nil)
		h.finish(e, id, 500)
		h.control(id, func(ex *plan.Execution) { ex.Requests.Cleanup = true })
		ex := h.finish(e, id, 10)
		if ex.Requests.Cleanup || ex.Cleanup != "" || e.calls.terminate != 0 {
			t.Errorf("cleanup of a recovery: flag %v, status %q, %d terminate calls; want refused", ex.Requests.Cleanup, ex.Cleanup, e.calls.terminate)
		}
		if !strings.Contains(strings.Join(typesOf(h.events(id)), ","), "cleanup_refused") {
			t.Errorf("no cleanup_refused event")
		}
	})
}

func typesOf(evs []plan.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Type)
	}
	return out
}
