package engine

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/drssim"
	"github.com/drsorch/drsorch/internal/plan"
)

func TestSmallPlanCompletes(t *testing.T) {
	isolateAWSEnv(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, drssim.Options{Servers: 30}, 1)
		id := h.start(plan.ModeRecovery, chain(wave("db", 5), wave("app", 12), wave("web", 3)))
		e := h.engine("e1", nil)
		ex := h.finish(e, id, 2000)
		if ex.Status != plan.ExecCompleted {
			t.Errorf("status %s, want COMPLETED", ex.Status)
		}
		want := map[string]string{"db": plan.WaveCompleted, "app": plan.WaveCompleted, "web": plan.WaveCompleted}
		if diff := cmp.Diff(want, h.waveStatuses(id)); diff != "" {
			t.Errorf("wave statuses mismatch (-want +got):\n%s", diff)
		}
		h.checkOnce(id, 1)
		for _, l := range h.launches(id) {
			if l.RecoveryInstanceID == "" || l.EC2InstanceID != l.RecoveryInstanceID || l.LaunchTime == nil {
				t.Errorf("launch %s: instance %q ec2 %q launch time %v", l.SourceServerID, l.RecoveryInstanceID, l.EC2InstanceID, l.LaunchTime)
			}
		}
		if len(h.errs) > 0 {
			t.Errorf("round errors: %v", h.errs)
		}
		t.Logf("events: %v", eventTypes(h.events(id)))
	})
}

func TestFailurePolicies(t *testing.T) {
	isolateAWSEnv(t)
	type result struct {
		Exec  string
		Waves map[string]string
	}
	tests := []struct {
		name    string
		waves   func() []testWave
		failIn  map[string]int // servers that fail, per wave
		want    result
		skipped int // launches SKIPPED
	}{
		{
			name:   "stop on a failed wave skips the rest",
			waves:  func() []testWave { return chain(wave("a", 4), wave("b", 3), wave("c", 2)) },
			failIn: map[string]int{"a": 1},
			want: result{plan.ExecFailed, map[string]string{
				"a": plan.WaveFailed, "b": plan.WaveSkipped, "c": plan.WaveSkipped}},
			skipped: 5,
		},
		{
			name: "continue goes on after a failed wave",
			waves: func() []testWave {
				ws := chain(wave("a", 4), wave("b", 3))
				ws[0].FailurePolicy = plan.FailureContinue
				return ws
			},
			failIn: map[string]int{"a": 4},
			want: result{plan.ExecPartial, map[string]string{
				"a": plan.WaveFailed, "b": plan.WaveCompleted}},
		},
		{
			name: "minSuccessPercent makes a partial wave that goes on",
			waves: func() []testWave {
				ws := chain(wave("a", 4), wave("b", 3))
				ws[0].MinSuccessPercent = percent(75)
				return ws
			},
			failIn: map[string]int{"a": 1},
			want: result{plan.ExecPartial, map[string]string{
				"a": plan.WavePartial, "b": plan.WaveCompleted}},
		},
		{
			name: "below minSuccessPercent fails",
			waves: func() []testWave {
				ws := chain(wave("a", 4), wave("b", 3))
				ws[0].MinSuccessPercent = percent(75)
				return ws
			},
			failIn: map[string]int{"a": 2},
			want: result{plan.ExecFailed, map[string]string{
				"a": plan.WaveFailed, "b": plan.WaveSkipped}},
			skipped: 3,
		},
		{
			name:   "every server failing fails the execution",
			waves:  func() []testWave { return chain(wave("a", 2)) },
			failIn: map[string]int{"a": 2},
			want:   result{plan.ExecFailed, map[string]string{"a": plan.WaveFailed}},
		},
		{
			name:  "all launched completes",
			waves: func() []testWave { return chain(wave("a", 2), wave("b", 2)) },
			want: result{plan.ExecCompleted, map[string]string{
				"a": plan.WaveCompleted, "b": plan.WaveCompleted}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, drssim.Options{Servers: 20}, 1)
				ws := tt.waves()
				var fail []string
				next := 0
				for _, w := range ws {
					fail = append(fail, h.servers[next:next+tt.failIn[w.Name]]...)
					next += w.n
				}
				must(t, h.sim.SetFaults(drssim.Faults{FailServers: fail}))
				id := h.start(plan.ModeDrill, ws)
				ex := h.finish(h.engine("e1", nil), id, 1000)
				got := result{ex.Status, h.waveStatuses(id)}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("mismatch (-want +got):\n%s", diff)
				}
				counts := h.launchStatuses(id)
				if counts[plan.LaunchFailed] != len(fail) || counts[plan.LaunchSkipped] != tt.skipped {
					t.Errorf("launches %v, want %d FAILED and %d SKIPPED", counts, len(fail), tt.skipped)
				}
				for _, l := range h.launches(id) {
					if l.Status == plan.LaunchFailed && !strings.Contains(l.Error, "LAUNCH_FAILED") {
						t.Errorf("failed launch %s: error %q does not give the job log's reason", l.SourceServerID, l.Error)
					}
				}
			})
		})
	}
}

func TestParallelBranches(t *testing.T) {
	isolateAWSEnv(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, drssim.Options{Servers: 20}, 1)
		id := h.start(plan.ModeDrill, []testWave{
			wave("base", 2), wave("left", 3, "base"), wave("right", 3, "base"), wave("top", 2, "left", "right"),
		})
		e := h.engine("e1", nil)
		// Both branches run at once once base is done.
		h.until(e, 500, func() bool {
			ws := h.waveStatuses(id)
			return ws["left"] == plan.WaveLaunching && ws["right"] == plan.WaveLaunching
		})
		if got := h.waveStatuses(id)["top"]; got != plan.WavePending {
			t.Errorf("top is %s while its dependencies run, want PENDING", got)
		}
		ex := h.finish(e, id, 1000)
		if ex.Status != plan.ExecCompleted {
			t.Errorf("status %s, want COMPLETED", ex.Status)
		}
		ws := h.waves(id)
		if ws["top"].StartTime.Before(*ws["left"].EndTime) || ws["top"].StartTime.Before(*ws["right"].EndTime) {
			t.Errorf("top started at %v, before left (%v) or right (%v) ended", ws["top"].StartTime, ws["left"].EndTime, ws["right"].EndTime)
		}
	})
}

func TestApprovalGate(t *testing.T) {
	isolateAWSEnv(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, drssim.Options{Servers: 20}, 1)
		ws := chain(wave("db", 3), wave("app", 4))
		ws[1].PauseBefore = true
		id := h.start(plan.ModeRecovery, ws)
		e := h.engine("e1", nil)
		h.until(e, 500, func() bool { return h.waveStatuses(id)["app"] == plan.WaveAwaitingApproval })
		for range 50 {
			h.step(e, e.opts.PollMin)
		}
		if got := h.launchStatuses(id)[plan.LaunchPending]; got != 4 {
			t.Fatalf("%d launches PENDING while waiting for approval, want 4", got)
		}
		if ex := h.get(id); ex.Status != plan.ExecRunning {
			t.Errorf("status %s while waiting, want RUNNING", ex.Status)
		}
		h.approve(id, "app")
		ex := h.finish(e, id, 500)
		if ex.Status != plan.ExecCompleted {
			t.Errorf("status %s, want COMPLETED", ex.Status)
		}
		h.checkOnce(id, 1)
		if n := eventTypes(h.events(id))["wave_awaiting_approval"]; n != 1 {
			t.Errorf("%d wave_awaiting_approval events, want 1", n)
		}
	})
}

// TestExecutionsShareQuotasFairly starts two executions in one account and
// region: the quotas hold across both and they take batches in turn.
func TestExecutionsShareQuotasFairly(t *testing.T) {
	isolateAWSEnv(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, drssim.Options{Servers: 800}, 1)
		a := h.start(plan.ModeDrill, chain(wave("a", 400)))
		b := h.start(plan.ModeRecovery, chain(wave("b", 400)))
		e := h.engine("e1", nil)
		must(t, e.Reconcile(h.ctx))
		count := func(id string) int {
			bs, err := h.st.ListBatches(h.ctx, id)
			must(t, err)
			n := 0
			for _, b := range bs {
				n += len(b.SourceServerIDs)
			}
			return n
		}
		na, nb := count(a), count(b)
		if na+nb != 500 || na-nb > 100 || nb-na > 100 {
			t.Errorf("first round: %d and %d servers requested, want 500 shared within one batch", na, nb)
		}
		for _, id := range []string{a, b} {
			if ex := h.finish(e, id, 2000); ex.Status != plan.ExecCompleted {
				t.Errorf("execution %s: %s, want COMPLETED", id, ex.Status)
			}
			h.checkOnce(id, 1)
		}
		h.checkQuotas()
		if got := h.sim.Stats().Errors; len(got) > 0 {
			t.Errorf("emulator errors %v, want none", got)
		}
	})
}

// regionSource hands out one emulator per region.
type regionSource map[string]DRS

func (s regionSource) For(_ context.Context, _, region string) (DRS, error) {
	cl, ok := s[region]
	if !ok {
		return nil, fmt.Errorf("no emulator for region %q", region)
	}
	return cl, nil
}

// TestWaveWithGroupsInTwoRegions launches every group of a wave, each in
// its own region, with each region's quotas counted on their own.
func TestWaveWithGroupsInTwoRegions(t *testing.T) {
	isolateAWSEnv(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, drssim.Options{Servers: 300}, 1)
		west := drssim.New(drssim.Options{Servers: 300, Seed: 9, Region: "us-west-2"})
		src := regionSource{}
		for region, sim := range map[string]*drssim.Sim{testRegion: h.sim, "us-west-2": west} {
			cl, err := drs.NewClient(h.ctx, drs.Config{Region: region, Endpoint: "http://drs.local",
				MaxAttempts: 1, HTTPClient: &http.Client{Transport: sim.Transport()}})
			must(t, err)
			src[region] = cl
		}
		h.src = src

		// One wave, two groups: 300 servers in each region.
		ex := &plan.Execution{ID: plan.NewID(plan.PrefixExecution), PlanID: plan.NewID(plan.PrefixPlan),
			Mode: plan.ModeDrill, Status: plan.ExecPending, Cleanup: plan.CleanupNotStarted,
			Plan: plan.RecoveryPlan{Waves: []plan.Wave{{Name: "both", DependsOn: []string{},
				ProtectionGroupIDs: []string{"pg-east", "pg-west"}}}}}
		var ls []plan.Launch
		for region, sim := range map[string]*drssim.Sim{testRegion: h.sim, "us-west-2": west} {
			for _, s := range sim.Servers() {
				ls = append(ls, plan.Launch{Wave: "both", GroupID: "pg-" + region, SourceServerID: s.ID,
					AccountID: testAccount, Region: region, Status: plan.LaunchPending})
			}
		}
		waves := []plan.WaveRun{{Index: 0, Name: "both", Status: plan.WavePending}}
		must(t, h.st.CreateExecution(h.ctx, ex, waves, ls, nil))

		e := h.engine("e1", nil)
		must(t, e.Reconcile(h.ctx))
		if a, b := h.sim.Stats().ServersInActiveJobs, west.Stats().ServersInActiveJobs; a != 300 || b != 300 {
			t.Errorf("first round: %d servers active in %s and %d in us-west-2, want 300 in each", a, testRegion, b)
		}
		if got := h.finish(e, ex.ID, 1000); got.Status != plan.ExecCompleted {
			t.Errorf("status %s, want COMPLETED", got.Status)
		}
		launches := map[string]map[string]int{testRegion: h.sim.Launches(), "us-west-2": west.Launches()}
		for _, l := range h.launches(ex.ID) {
			if n := launches[l.Region][l.SourceServerID]; n != 1 || l.Status != plan.LaunchLaunched {
				t.Errorf("server %s in %s: launched %d times, %s", l.SourceServerID, l.Region, n, l.Status)
			}
		}
	})
}
