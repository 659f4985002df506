package engine

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/drsorch/drsorch/internal/drssim"
	"github.com/drsorch/drsorch/internal/plan"
)

// TestWaveLaunchTimeout gives two waves of stuck jobs different launch
// timeouts: each wave's servers fail after its own timeout, the one
// without a setting after the engine's StuckTimeout.
func TestWaveLaunchTimeout(t *testing.T) {
	isolateAWSEnv(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, drssim.Options{Servers: 10, Faults: drssim.Faults{Stuck: 1}}, 1)
		short := wave("short", 2)
		short.LaunchTimeoutMinutes = 30
		long := wave("long", 2)
		long.LaunchTimeoutMinutes = 90
		def := wave("default", 2)
		for _, w := range []*testWave{&short, &long, &def} {
			w.DependsOn, w.FailurePolicy = []string{}, plan.FailureContinue
		}
		id := h.start(plan.ModeDrill, []testWave{short, long, def})
		e := h.engine("e1", func(o *Options) { o.StuckTimeout = 3 * time.Hour })
		began := time.Now()
		ex := h.finish(e, id, 5000)
		if ex.Status != plan.ExecFailed {
			t.Errorf("status %s, want FAILED", ex.Status)
		}
		want := map[string]time.Duration{"short": 30 * time.Minute, "long": 90 * time.Minute, "default": 3 * time.Hour}
		for _, l := range h.launches(id) {
			if l.Status != plan.LaunchFailed || !strings.Contains(l.Error, "not finished "+want[l.Wave].String()) {
				t.Errorf("launch %s of wave %s: %s %q, want FAILED as not finished after %s",
					l.SourceServerID, l.Wave, l.Status, l.Error, want[l.Wave])
				continue
			}
			// Failed within a poll of the timeout, not before it.
			took := l.EndTime.Sub(began)
			if took < want[l.Wave] || took > want[l.Wave]+2*e.opts.PollMax {
				t.Errorf("launch %s of wave %s failed after %s, want %s to %s",
					l.SourceServerID, l.Wave, took, want[l.Wave], want[l.Wave]+2*e.opts.PollMax)
			}
		}
	})
}
