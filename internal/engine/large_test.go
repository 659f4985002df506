package engine

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/drsorch/drsorch/internal/drssim"
	"github.com/drsorch/drsorch/internal/plan"
)

// TestLargePlan runs 3,000 servers in 10 waves, some larger than the
// servers allowed in active jobs: every server is launched exactly once,
// no quota is ever exceeded, and each launch record is written exactly
// three times (REQUESTED, LAUNCHING, LAUNCHED).
func TestLargePlan(t *testing.T) {
	if testing.Short() {
		t.Skip("large plan")
	}
	isolateAWSEnv(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, drssim.Options{Servers: 3000, Seed: 7}, 1)
		sizes := []int{100, 600, 250, 700, 50, 300, 550, 150, 200, 100}
		var ws []testWave
		for i, n := range sizes {
			ws = append(ws, wave(string(rune('a'+i)), n))
		}
		id := h.start(plan.ModeRecovery, chain(ws...))
		e := h.engine("e1", func(o *Options) { o.PollMin, o.PollMax = 30*time.Second, 2*time.Minute })
		start := time.Now()
		ex := h.finish(e, id, 5000)
		if ex.Status != plan.ExecCompleted {
			t.Fatalf("status %s, want COMPLETED; launches %v", ex.Status, h.launchStatuses(id))
		}
		h.checkOnce(id, 1)
		h.checkQuotas()
		if got := h.sim.Stats().Errors; len(got) > 0 {
			t.Errorf("emulator errors %v, want none (the scheduler keeps to the quotas)", got)
		}
		if len(h.errs) > 0 {
			t.Errorf("round errors: %v", h.lastErrs())
		}
		// The next wave's first request comes in the round that sees the
		// previous wave end.
		ended := map[string]time.Time{}
		first := map[string]time.Time{}
		for _, ev := range h.events(id) {
			switch {
			case ev.Type == "wave_completed":
				ended[ev.Wave] = ev.Time
			case ev.Type == "batch_requested" && first[ev.Wave].IsZero():
				first[ev.Wave] = ev.Time
			}
		}
		for i := 1; i < len(ws); i++ {
			if gap := first[ws[i].Name].Sub(ended[ws[i-1].Name]); gap != 0 {
				t.Errorf("wave %s: first request %s after wave %s ended, want at once", ws[i].Name, gap, ws[i-1].Name)
			}
		}

		// Launch writes: 3 per server, nothing rewritten unchanged.
		batches, err := h.st.ListBatches(h.ctx, id)
		must(t, err)
		wantRecords := 3*3000 + 2*len(batches) + 1*len(batches) + 2*len(sizes)
		if e.calls.records != wantRecords {
			t.Errorf("records written %d, want %d (3 per launch, 3 per batch, 2 per wave)", e.calls.records, wantRecords)
		}
		t.Logf("makespan %s emulated; %d batches, %d StartRecovery, %d DescribeJobs, %d FindJobs, %d commits, %d records; max active jobs %d, max servers in active jobs %d",
			time.Since(start), len(batches), e.calls.startRecovery, e.calls.describe, e.calls.find,
			e.calls.commits, e.calls.records, h.sim.Stats().MaxActiveJobs, h.sim.Stats().MaxServersInActiveJobs)
	})
}
