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

// TestInjectedFaults runs through throttling, 500s and launch failures:
// every server is launched exactly once and ends LAUNCHED or FAILED as the
// emulator decided, with the job log's reason.
func TestInjectedFaults(t *testing.T) {
	isolateAWSEnv(t)
	for _, attempts := range []int{1, 3} {
		t.Run(map[int]string{1: "no sdk retries", 3: "sdk retries"}[attempts], func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, drssim.Options{Servers: 300, Seed: 3, Faults: drssim.Faults{
					Throttle: 0.15, Error: 0.1, LaunchFail: 0.1,
				}}, attempts)
				ws := chain(wave("a", 120), wave("b", 150), wave("c", 30))
				for i := range ws {
					ws[i].FailurePolicy = plan.FailureContinue
				}
				id := h.start(plan.ModeRecovery, ws)
				e := h.engine("e1", func(o *Options) { o.Quotas.ServersPerJob = 40 })
				ex := h.finish(e, id, 5000)
				if ex.Status != plan.ExecPartial {
					t.Errorf("status %s, want PARTIAL", ex.Status)
				}
				h.checkOnce(id, 1)
				h.checkQuotas()
				st := h.sim.Stats()
				counts := h.launchStatuses(id)
				if counts[plan.LaunchLaunched] != st.Launched || counts[plan.LaunchFailed] != st.LaunchFailed ||
					st.Launched+st.LaunchFailed != 300 {
					t.Errorf("launches %v, emulator launched %d and failed %d", counts, st.Launched, st.LaunchFailed)
				}
				for _, l := range h.launches(id) {
					if l.Status == plan.LaunchFailed && !strings.Contains(l.Error, "LAUNCH_FAILED") {
						t.Errorf("failed launch %s: error %q, want the job log's reason", l.SourceServerID, l.Error)
					}
				}
				if st.Errors["ThrottlingException"] == 0 || st.Errors["InternalServerException"] == 0 {
					t.Errorf("emulator errors %v: the faults did not happen", st.Errors)
				}
				t.Logf("emulator errors %v; engine calls %+v", st.Errors, e.calls)
			})
		})
	}
}

// TestAmbiguousStartRecovery makes StartRecovery fail with 500s: the
// engine cannot know whether a job was created, waits until the call
// cannot land, looks, and requests again only then.
func TestAmbiguousStartRecovery(t *testing.T) {
	isolateAWSEnv(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, drssim.Options{Servers: 20, Faults: drssim.Faults{
			FailNext: []drssim.FailNext{{Operation: "StartRecovery", Count: 2}},
		}}, 1)
		id := h.start(plan.ModeRecovery, chain(wave("a", 6)))
		e := h.engine("e1", func(o *Options) { o.Quotas.ServersPerJob = 3 })
		h.step(e, time.Second)
		if got := e.calls.startRecovery; got != 1 {
			t.Fatalf("%d StartRecovery calls in the first round, want 1 (a 500 backs the region off)", got)
		}
		// Within the landing window of the first call, the second batch
		// gets its 500 too, and neither is requested again.
		for range 10 {
			h.step(e, 5*time.Second)
		}
		if got := e.calls.startRecovery; got != 2 {
			t.Errorf("%d StartRecovery calls within the landing window, want 2", got)
		}
		ex := h.finish(e, id, 1000)
		if ex.Status != plan.ExecCompleted {
			t.Errorf("status %s, want COMPLETED", ex.Status)
		}
		h.checkOnce(id, 1)
		if e.calls.find == 0 {
			t.Errorf("no FindJobs lookup before requesting again")
		}
	})
}

// TestConflictWaits has a server busy in a job this engine did not start:
// its batch is refused with ConflictException, waits, and launches once the
// other job ends; no server fails for it.
func TestConflictWaits(t *testing.T) {
	isolateAWSEnv(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, drssim.Options{Servers: 20}, 1)
		cl, err := h.src.For(h.ctx, testAccount, testRegion)
		must(t, err)
		busy := h.servers[1]
		_, err = cl.StartRecovery(h.ctx, []drs.ServerLaunch{{SourceServerID: busy}}, true, nil)
		must(t, err)

		id := h.start(plan.ModeDrill, chain(wave("a", 4)))
		e := h.engine("e1", nil)
		ex := h.finish(e, id, 1000)
		if ex.Status != plan.ExecCompleted {
			t.Errorf("status %s, want COMPLETED", ex.Status)
		}
		if got := h.sim.Stats().Errors["ConflictException"]; got == 0 {
			t.Errorf("no ConflictException: the test did not test")
		}
		got := h.sim.Launches()
		for _, l := range h.launches(id) {
			want := 1
			if l.SourceServerID == busy {
				want = 2 // the other job's, and ours
			}
			if got[l.SourceServerID] != want || l.Status != plan.LaunchLaunched {
				t.Errorf("server %s: launched %d times, %s; want %d and LAUNCHED", l.SourceServerID, got[l.SourceServerID], l.Status, want)
			}
		}
	})
}

// TestValidationFailsServers gives DRS a server it does not know: the
// batch fails for good, with the message, and the wave's policy applies.
func TestValidationFailsServers(t *testing.T) {
	isolateAWSEnv(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, drssim.Options{Servers: 5}, 1)
		h.servers = append(h.servers[:1], "s-0000000000000000z", "s-0000000000000000y")
		id := h.start(plan.ModeDrill, chain(wave("a", 3)))
		e := h.engine("e1", nil)
		ex := h.finish(e, id, 100)
		if ex.Status != plan.ExecFailed {
			t.Errorf("status %s, want FAILED", ex.Status)
		}
		for _, l := range h.launches(id) {
			if l.Status != plan.LaunchFailed || l.Error == "" {
				t.Errorf("launch %s: %s %q, want FAILED with DRS's message", l.SourceServerID, l.Status, l.Error)
			}
		}
		if e.calls.startRecovery != 1 {
			t.Errorf("%d StartRecovery calls, want 1", e.calls.startRecovery)
		}
	})
}

// TestStuckJob fails the servers of a job that never finishes.
func TestStuckJob(t *testing.T) {
	isolateAWSEnv(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, drssim.Options{Servers: 5, Faults: drssim.Faults{Stuck: 1}}, 1)
		id := h.start(plan.ModeDrill, chain(wave("a", 3)))
		e := h.engine("e1", func(o *Options) { o.StuckTimeout = time.Hour })
		ex := h.finish(e, id, 2000)
		if ex.Status != plan.ExecFailed {
			t.Errorf("status %s, want FAILED", ex.Status)
		}
		for _, l := range h.launches(id) {
			if l.Status != plan.LaunchFailed || !strings.Contains(l.Error, "not finished") {
				t.Errorf("launch %s: %s %q, want FAILED as stuck", l.SourceServerID, l.Status, l.Error)
			}
		}
	})
}
