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

// TestConflictSplitsBatch has one server held by a DRS job that never
// ends. Its batch-mates must not wait for it: DRS's ConflictException
// names the server, which leaves the batch, and the rest launch at once.
// The busy server fails after its wave's launch timeout, with the reason,
// rather than waiting forever.
func TestConflictSplitsBatch(t *testing.T) {
	isolateAWSEnv(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, drssim.Options{Servers: 10, Faults: drssim.Faults{Stuck: 1}}, 1)
		cl, err := h.src.For(h.ctx, testAccount, testRegion)
		must(t, err)
		busy := h.servers[2]
		_, err = cl.StartRecovery(h.ctx, []drs.ServerLaunch{{SourceServerID: busy}}, true, nil)
		must(t, err)
		must(t, h.sim.SetFaults(drssim.Faults{})) // only that first job is stuck

		w := wave("a", 5)
		w.LaunchTimeoutMinutes = 45
		id := h.start(plan.ModeDrill, []testWave{w})
		e := h.engine("e1", nil)
		began := time.Now()
		ex := h.finish(e, id, 3000)
		if ex.Status != plan.ExecFailed {
			t.Errorf("status %s, want FAILED (the wave needs every server)", ex.Status)
		}
		for _, l := range h.launches(id) {
			if l.SourceServerID == busy {
				if l.Status != plan.LaunchFailed || !strings.Contains(l.Error, "busy in another DRS job for over 45m0s") {
					t.Errorf("busy server: %s %q, want FAILED as busy for over 45m", l.Status, l.Error)
				}
				if took := l.EndTime.Sub(began); took < 45*time.Minute || took > 50*time.Minute {
					t.Errorf("busy server failed after %s, want 45m to 50m", took)
				}
				continue
			}
			if l.Status != plan.LaunchLaunched {
				t.Errorf("server %s: %s %q, want LAUNCHED", l.SourceServerID, l.Status, l.Error)
			}
			if took := l.LaunchTime.Sub(began); took > 30*time.Minute {
				t.Errorf("server %s launched after %s: it waited for the busy one", l.SourceServerID, took)
			}
		}
		if got := eventTypes(h.events(id))["server_busy"]; got != 1 {
			t.Errorf("%d server_busy events, want 1", got)
		}
		h.checkOnce(id, 1)
	})
}

// TestBusyServerLaunchesLater has a server busy in a job that does end:
// it leaves its batch, waits alone, and launches once the other job is
// done; its waiting mark goes when its own job starts.
func TestBusyServerLaunchesLater(t *testing.T) {
	isolateAWSEnv(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, drssim.Options{Servers: 10}, 1)
		cl, err := h.src.For(h.ctx, testAccount, testRegion)
		must(t, err)
		busyID := h.servers[1]
		_, err = cl.StartRecovery(h.ctx, []drs.ServerLaunch{{SourceServerID: busyID}}, true, nil)
		must(t, err)

		id := h.start(plan.ModeDrill, chain(wave("a", 4)))
		e := h.engine("e1", nil)
		var marked bool
		h.until(e, 1000, func() bool {
			for _, l := range h.launches(id) {
				if l.SourceServerID != busyID {
					continue
				}
				if strings.HasPrefix(l.Error, busyMark) { // PENDING or, already in its own batch, REQUESTED
					marked = true
				}
				if l.Status == plan.LaunchLaunching {
					if l.Error != "" {
						t.Errorf("busy server LAUNCHING with error %q, want none", l.Error)
					}
					return true
				}
			}
			return false
		})
		if !marked {
			t.Errorf("the busy server was never marked as waiting")
		}
		if ex := h.finish(e, id, 1000); ex.Status != plan.ExecCompleted {
			t.Errorf("status %s, want COMPLETED", ex.Status)
		}
		for _, l := range h.launches(id) {
			if l.Status != plan.LaunchLaunched || l.Error != "" {
				t.Errorf("server %s: %s %q, want LAUNCHED", l.SourceServerID, l.Status, l.Error)
			}
		}
	})
}
