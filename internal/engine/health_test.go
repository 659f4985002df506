package engine

import (
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/drsorch/drsorch/internal/drssim"
	"github.com/drsorch/drsorch/internal/plan"
)

// TestHealth makes DRS fail every request while an execution runs:
// Health reports it after failingRounds rounds, with the reason, and is
// nil again after the first round that works.
func TestHealth(t *testing.T) {
	isolateAWSEnv(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, drssim.Options{Servers: 5}, 1)
		id := h.start(plan.ModeDrill, chain(wave("a", 3)))
		e := h.engine("e1", nil)
		must(t, h.sim.SetFaults(drssim.Faults{Error: 1}))
		// A refused StartRecovery only makes its batch wait; the lookups
		// and polls that follow fail the rounds.
		failed := 0
		for i := 0; e.Health() == nil; i++ {
			if i > failingRounds+3 {
				t.Fatalf("Health still nil after %d rounds, %d of them failed", i, failed)
			}
			if err := h.step(e, time.Minute); err != nil {
				failed++
			}
		}
		if failed != failingRounds {
			t.Errorf("Health reported after %d failed rounds, want %d", failed, failingRounds)
		}
		err := e.Health()
		if err == nil || !strings.Contains(err.Error(), "3 engine rounds in a row failed") ||
			!strings.Contains(err.Error(), "InternalServerException") {
			t.Fatalf("Health = %v, want the failing rounds and DRS's error", err)
		}
		must(t, h.sim.SetFaults(drssim.Faults{}))
		for e.Health() != nil {
			h.step(e, time.Minute)
		}
		if ex := h.finish(e, id, 1000); ex.Status != plan.ExecCompleted {
			t.Errorf("status %s after DRS came back, want COMPLETED", ex.Status)
		}
		if !errors.Is(e.Health(), nil) {
			t.Errorf("Health = %v after the execution", e.Health())
		}
	})
}
