package engine

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/drsorch/drsorch/internal/drssim"
	"github.com/drsorch/drsorch/internal/plan"
)

// TestCleanupTerminatesLateInstances: a drill whose slow job outlives its
// wave's launch timeout fails its servers; the job then launches them
// anyway. The cleanup finds those late instances in the job and
// terminates them with the others, so the drill leaves nothing running.
func TestCleanupTerminatesLateInstances(t *testing.T) {
	isolateAWSEnv(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, drssim.Options{Servers: 4, Faults: drssim.Faults{Slow: 1, SlowFactor: 8}}, 1)
		slow := wave("slow", 2)
		slow.LaunchTimeoutMinutes = 10
		slow.FailurePolicy = plan.FailureContinue
		id := h.start(plan.ModeDrill, []testWave{slow})
		e := h.engine("e1", nil)
		if ex := h.finish(e, id, 5000); ex.Status != plan.ExecFailed {
			t.Fatalf("status %s, want FAILED", ex.Status)
		}
		for _, l := range h.launches(id) {
			if l.Status != plan.LaunchFailed || !strings.Contains(l.Error, "not finished") {
				t.Fatalf("launch %s: %s %q, want FAILED as not finished", l.SourceServerID, l.Status, l.Error)
			}
		}
		// The slow job ends well after the timeout, with both servers up.
		time.Sleep(2 * time.Hour)
		if n := h.sim.Stats().RecoveryInstances; n != 2 {
			t.Fatalf("%d recovery instances after the slow job, want 2", n)
		}

		h.control(id, func(ex *plan.Execution) { ex.Requests.Cleanup = true })
		ex := h.finish(e, id, 2000)
		if ex.Cleanup != plan.CleanupCompleted {
			t.Fatalf("cleanup %s, want COMPLETED", ex.Cleanup)
		}
		if n := h.sim.Stats().RecoveryInstances; n != 0 {
			t.Errorf("%d recovery instances after the cleanup, want 0", n)
		}
		late := h.eventCount(id, "server_launched_late")
		if late != 2 {
			t.Errorf("%d server_launched_late events, want 2", late)
		}
		for _, l := range h.launches(id) {
			if l.Status != plan.LaunchTerminated || l.RecoveryInstanceID == "" {
				t.Errorf("launch %s: %s, instance %q; want TERMINATED with its late instance", l.SourceServerID, l.Status, l.RecoveryInstanceID)
			}
		}
		if ex.Status != plan.ExecFailed {
			t.Errorf("status %s after the cleanup, want FAILED as it was", ex.Status)
		}
	})
}

// TestCleanupNamesJobsStillRunning: a job that has still not finished when
// the cleanup begins is named in an event, its servers stay FAILED, and
// the cleanup does not wait for it.
func TestCleanupNamesJobsStillRunning(t *testing.T) {
	isolateAWSEnv(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, drssim.Options{Servers: 2, Faults: drssim.Faults{Stuck: 1}}, 1)
		stuck := wave("stuck", 2)
		stuck.LaunchTimeoutMinutes = 10
		id := h.start(plan.ModeDrill, []testWave{stuck})
		e := h.engine("e1", nil)
		if ex := h.finish(e, id, 5000); ex.Status != plan.ExecFailed {
			t.Fatalf("status %s, want FAILED", ex.Status)
		}
		h.control(id, func(ex *plan.Execution) { ex.Requests.Cleanup = true })
		if ex := h.finish(e, id, 2000); ex.Cleanup != plan.CleanupCompleted {
			t.Fatalf("cleanup %s, want COMPLETED", ex.Cleanup)
		}
		running := h.eventCount(id, "late_job_running")
		if running != 1 {
			t.Errorf("%d late_job_running events, want 1 (one job)", running)
		}
		if counts := h.launchStatuses(id); counts[plan.LaunchFailed] != 2 {
			t.Errorf("launches %v, want both still FAILED", counts)
		}
	})
}
