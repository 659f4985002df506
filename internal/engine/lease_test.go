package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/drssim"
	"github.com/drsorch/drsorch/internal/plan"
)

// TestTwoEngines runs two engines with different owners on one store:
// exactly one drives the execution; the other takes over once the lease
// of the first has expired, and the first, back from the dead, writes
// nothing.
func TestTwoEngines(t *testing.T) {
	isolateAWSEnv(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, drssim.Options{Servers: 40}, 1)
		id := h.start(plan.ModeRecovery, chain(wave("a", 12), wave("b", 12)))
		opts := func(o *Options) {
			o.LeaseDuration = 30 * time.Second
			o.Quotas.ServersPerJob = 4
		}
		e1, e2 := h.engine("e1", opts), h.engine("e2", opts)
		ctx := context.Background()
		for range 60 {
			must(t, e1.Reconcile(ctx))
			must(t, e2.Reconcile(ctx))
			time.Sleep(5 * time.Second)
		}
		if e1.calls.startRecovery == 0 {
			t.Fatalf("e1 made no StartRecovery call")
		}
		if e2.calls.startRecovery != 0 || e2.calls.commits != 0 || len(e2.runs) != 0 {
			t.Fatalf("e2 drove the execution too: %+v, %d runs", e2.calls, len(e2.runs))
		}
		if ex := h.get(id); ex.LeaseOwner != "e1" {
			t.Fatalf("lease owner %q, want e1", ex.LeaseOwner)
		}

		// e1 dies without a word; e2 waits out the lease, then drives.
		h.until(e2, 20, func() bool { return len(e2.runs) == 1 })
		if ex := h.get(id); ex.LeaseOwner != "e2" || !plan.Active(ex.Status) {
			t.Fatalf("after takeover: owner %q, status %s; want e2 and still running", ex.LeaseOwner, ex.Status)
		}
		// e1 comes back: it sees the lease held and drops the execution.
		commits := e1.calls.commits
		must(t, e1.Reconcile(ctx))
		if e1.calls.commits != commits || len(e1.runs) != 0 {
			t.Errorf("e1 after takeover: %d more commits, %d runs; want none", e1.calls.commits-commits, len(e1.runs))
		}
		ex := h.finish(e2, id, 1000)
		if ex.Status != plan.ExecCompleted {
			t.Errorf("status %s, want COMPLETED", ex.Status)
		}
		h.checkOnce(id, 1)
	})
}

// TestStartStop runs the loop in the background; Stop gives the lease up,
// so another engine takes over at once.
func TestStartStop(t *testing.T) {
	isolateAWSEnv(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, drssim.Options{Servers: 20}, 1)
		id := h.start(plan.ModeRecovery, chain(wave("a", 6), wave("b", 6)))
		e1 := h.engine("e1", func(o *Options) { o.Quotas.ServersPerJob = 3 })
		e1.Start(context.Background())
		time.Sleep(10 * time.Minute)
		e1.Stop()
		ex := h.get(id)
		if ex.LeaseOwner != "" || !plan.Active(ex.Status) {
			t.Fatalf("after Stop: owner %q, status %s; want no owner, still running", ex.LeaseOwner, ex.Status)
		}
		e2 := h.engine("e2", nil)
		must(t, e2.Reconcile(context.Background()))
		if len(e2.runs) != 1 {
			t.Fatalf("e2 did not take over at once")
		}
		e2.Start(context.Background())
		for plan.Active(h.get(id).Status) {
			time.Sleep(time.Minute)
		}
		e2.Stop()
		if ex := h.get(id); ex.Status != plan.ExecCompleted {
			t.Errorf("status %s, want COMPLETED", ex.Status)
		}
		h.checkOnce(id, 1)
	})
}

// crashScenario is a drill of three waves, one with hooks, then its
// cleanup. mk makes the engine of each life of the process; after a crash
// a fresh engine starts on the same store and emulator.
func crashScenario(t *testing.T, h *harness, hs *hookServer, crashAt func(string) bool) (id string, crashes int) {
	t.Helper()
	ws := chain(wave("a", 6), wave("b", 5), wave("c", 3))
	ws[1].Hooks = &plan.Hooks{
		Before: []plan.Hook{{Name: "pre", URL: hs.URL + "/ok"}},
		After:  []plan.Hook{{Name: "post", URL: hs.URL + "/ok"}},
	}
	id = h.start(plan.ModeDrill, ws)
	mk := func(crash func(string) bool) *Engine {
		return h.engine("e1", func(o *Options) {
			o.Quotas = Quotas{ServersPerJob: 4, ActiveJobs: 2, ServersInActiveJobs: 8}
			o.PollMin, o.PollMax = 30*time.Second, 2*time.Minute
			o.HookClient = hookClient()
			o.crashAt = crash
		})
	}
	e := mk(crashAt)
	for range 3000 {
		err := h.step(e, e.opts.PollMin)
		if errors.Is(err, errCrash) {
			crashes++
			e = mk(nil) // a new process: nothing in memory
		}
		ex := h.get(id)
		if ex.Status == plan.ExecCompleted && ex.Cleanup == plan.CleanupNotStarted && !ex.Requests.Cleanup {
			h.control(id, func(ex *plan.Execution) { ex.Requests.Cleanup = true })
		}
		if ex.Cleanup == plan.CleanupCompleted || ex.Cleanup == plan.CleanupFailed {
			return id, crashes
		}
	}
	t.Fatalf("scenario did not finish; status %s, cleanup %s, launches %v, errors %v",
		h.get(id).Status, h.get(id).Cleanup, h.launchStatuses(id), h.lastErrs())
	return id, crashes
}

// TestCrashAtEveryStep kills the engine at each step boundary of a drill
// and its cleanup, and restarts a fresh one on the same store and
// emulator: every server is launched exactly once, none is left
// unlaunched, every instance is terminated, and a hook is called again
// only when the crash came between its call and its record.
func TestCrashAtEveryStep(t *testing.T) {
	isolateAWSEnv(t)
	hs := newHookServer(t)

	// A clean run names the steps, in order.
	var steps []string
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, linuxServers(20), 1)
		crashScenario(t, h, hs, func(s string) bool { steps = append(steps, s); return false })
	})
	seen := map[string]int{}
	type point struct {
		step string
		n    int // the step's nth occurrence
		at   int // index in steps
	}
	var points []point
	for i, s := range steps {
		seen[s]++
		// Every request is a boundary of its own; polls are alike.
		limit := 3
		if testing.Short() {
			limit = 1
		}
		if seen[s] <= limit || !testing.Short() && !strings.HasPrefix(s, "jobs_") && !strings.HasPrefix(s, "observation_") {
			points = append(points, point{s, seen[s], i})
		}
	}
	t.Logf("%d step boundaries in a clean run, %d crash points: %v", len(steps), len(points), seen)
	for _, want := range []string{"launch_request_committed", "launch_request_returned", "launch_job_committed",
		"terminate_request_committed", "terminate_request_returned", "terminate_job_committed",
		"jobs_observed", "observation_committed", "hook_called", "decision_committed"} {
		if seen[want] == 0 {
			t.Errorf("the scenario never reaches step %s", want)
		}
	}

	for _, p := range points {
		t.Run(fmt.Sprintf("%s_%d", p.step, p.n), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, linuxServers(20), 1)
				n := 0
				id, crashes := crashScenario(t, h, hs, func(s string) bool {
					n++
					return n == p.at+1
				})
				if crashes != 1 {
					t.Fatalf("%d crashes, want 1", crashes)
				}
				h.checkOnce(id, 1)
				ex := h.get(id)
				if ex.Status != plan.ExecCompleted || ex.Cleanup != plan.CleanupCompleted {
					t.Errorf("status %s, cleanup %s; want COMPLETED, COMPLETED", ex.Status, ex.Cleanup)
				}
				if got := h.launchStatuses(id); got[plan.LaunchTerminated] != 14 {
					t.Errorf("launches %v, want 14 TERMINATED", got)
				}
				if n := h.sim.Stats().RecoveryInstances; n != 0 {
					t.Errorf("%d recovery instances left", n)
				}
				for _, phase := range []string{PhaseBefore, PhaseAfter} {
					want := 1
					if p.step == "hook_called" && ((phase == PhaseBefore) == (p.n == 1)) {
						want = 2
					}
					if got := hs.countFor(id, phase); got != want {
						t.Errorf("%s hook called %d times, want %d", phase, got, want)
					}
				}
			})
		})
	}
}

// linuxServers is an emulator inventory of n Linux servers, whose jobs
// take about 5 emulated minutes rather than a Windows server's 20.
func linuxServers(n int) drssim.Options {
	inv := make([]drssim.Server, n)
	for i := range inv {
		inv[i].OS = "linux"
	}
	return drssim.Options{Seed: 1, Inventory: inv}
}

// TestLateLandingCall kills the engine after it recorded a batch and
// before its StartRecovery call came back; the call lands at DRS only
// after the new engine has looked once and found nothing. The new engine
// waits out the landing window, finds the job and adopts it: no server is
// launched twice.
func TestLateLandingCall(t *testing.T) {
	isolateAWSEnv(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, linuxServers(10), 1)
		id := h.start(plan.ModeRecovery, chain(wave("a", 3)))
		crashed := false
		e := h.engine("e1", func(o *Options) {
			o.crashAt = func(s string) bool {
				if s == "launch_request_committed" && !crashed {
					crashed = true
					return true
				}
				return false
			}
		})
		if err := h.step(e, time.Second); !errors.Is(err, errCrash) {
			t.Fatalf("round: %v, want the crash", err)
		}
		batches, err := h.st.ListBatches(h.ctx, id)
		must(t, err)
		if len(batches) != 1 || batches[0].Status != plan.BatchRequesting {
			t.Fatalf("batches %+v, want one REQUESTING", batches)
		}
		b := batches[0]

		e = h.engine("e1", nil)
		h.step(e, 30*time.Second)
		if e.calls.find != 1 || e.calls.startRecovery != 0 {
			t.Fatalf("after restart: %d lookups, %d calls; want 1 lookup and no call", e.calls.find, e.calls.startRecovery)
		}
		// The old process's call arrives now.
		cl, err := h.src.For(h.ctx, testAccount, testRegion)
		must(t, err)
		var servers []drs.ServerLaunch
		for _, s := range b.SourceServerIDs {
			servers = append(servers, drs.ServerLaunch{SourceServerID: s})
		}
		_, err = cl.StartRecovery(h.ctx, servers, false, map[string]string{TagExecution: id, TagBatch: b.ID})
		must(t, err)

		ex := h.finish(e, id, 500)
		if ex.Status != plan.ExecCompleted {
			t.Errorf("status %s, want COMPLETED", ex.Status)
		}
		h.checkOnce(id, 1)
		if e.calls.startRecovery != 0 {
			t.Errorf("the new engine called StartRecovery %d times, want 0 (the job was adopted)", e.calls.startRecovery)
		}
		if n := eventTypes(h.events(id))["job_adopted"]; n != 1 {
			t.Errorf("%d job_adopted events, want 1", n)
		}
	})
}

// TestAdoptWithDRSClockAhead crashes after a StartRecovery landed, against
// an emulator whose clock runs 20 times faster than the engine's (as in
// drsorch demo): the job's creation time is far in the engine's future,
// and the restarted engine still finds and adopts it.
func TestAdoptWithDRSClockAhead(t *testing.T) {
	isolateAWSEnv(t)
	synctest.Test(t, func(t *testing.T) {
		opts := linuxServers(10)
		opts.TimeScale = 20
		h := newHarness(t, opts, 1)
		id := h.start(plan.ModeRecovery, chain(wave("a", 3), wave("b", 3)))
		e := h.engine("e1", nil)
		h.until(e, 100, func() bool { return h.get(id).Status == plan.ExecRunning })
		time.Sleep(time.Hour) // DRS is now 19 hours ahead
		crashed := false
		e = h.engine("e1", func(o *Options) {
			o.crashAt = func(s string) bool {
				if s == "launch_request_returned" && !crashed {
					crashed = true
					return true
				}
				return false
			}
		})
		for !crashed {
			h.step(e, 5*time.Second)
		}
		e = h.engine("e1", nil)
		ex := h.finish(e, id, 500)
		if ex.Status != plan.ExecCompleted {
			t.Errorf("status %s, want COMPLETED", ex.Status)
		}
		h.checkOnce(id, 1)
		if n := eventTypes(h.events(id))["job_adopted"]; n != 1 {
			t.Errorf("%d job_adopted events, want 1", n)
		}
	})
}
