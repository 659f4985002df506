package bench

import (
	"bytes"
	"strings"
	"testing"
)

// TestBenchQuick runs every scenario in quick mode (smaller still, and on
// Linux servers only, to be quick under the race detector; drsorch bench
// --quick in CI runs the real quick mode). It asserts what makes
// a benchmark valid, never a speed: no error, drsorch launching every
// server exactly once, makespans no shorter than the lower bound (the
// bound would be wrong), and a report with every table.
func TestBenchQuick(t *testing.T) {
	r, err := Run(t.Context(), Config{Quick: true, Seed: 1, tiny: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Plans) == 0 {
		t.Fatal("no plan results")
	}
	for _, pr := range r.Plans {
		if pr.Lower <= 0 || pr.Greedy < pr.Lower {
			t.Errorf("plan %s: greedy bound %s, lower bound %s: want 0 < lower <= greedy", pr.Name, pr.Greedy, pr.Lower)
		}
		seen := map[string]bool{}
		for _, o := range pr.Outcomes {
			seen[o.Strategy] = true
			if o.Twice > 0 {
				t.Errorf("plan %s, %s: %d servers launched twice", pr.Name, o.Strategy, o.Twice)
			}
			if o.Launched > 0 && o.Makespan < pr.Lower {
				t.Errorf("plan %s, %s: makespan %s under the lower bound %s", pr.Name, o.Strategy, o.Makespan, pr.Lower)
			}
		}
		for _, s := range []string{stratDrsorch, stratPerServer, stratPerServerRetry, stratPerWave} {
			if !seen[s] {
				t.Errorf("plan %s: no outcome of %s", pr.Name, s)
			}
		}
		d := find(pr, stratDrsorch)
		if d.Launched != pr.Servers {
			t.Errorf("plan %s: drsorch launched %d of %d", pr.Name, d.Launched, pr.Servers)
		}
		if got := len(d.Transitions); got != len(pr.Waves)-1 {
			t.Errorf("plan %s: %d transitions, want %d", pr.Name, got, len(pr.Waves)-1)
		}
		if pr.Analysis.Packed < pr.Greedy || pr.Analysis.Packed > d.Makespan {
			t.Errorf("plan %s: its batches' bound %s, want between the greedy bound %s and the makespan %s",
				pr.Name, pr.Analysis.Packed, pr.Greedy, d.Makespan)
		}
		// 20 active jobs: the per-server strategy without retries cannot
		// launch a wave of 30.
		if ps := find(pr, stratPerServer); ps.NotLaunched == 0 || ps.RefusedCalls != ps.NotLaunched {
			t.Errorf("plan %s: per-server: %d not launched, %d refused; want the same, above 0", pr.Name, ps.NotLaunched, ps.RefusedCalls)
		}
	}
	if c := r.Concurrent; c == nil || c.Outcome.Launched != c.Outcome.Servers || len(c.Alone) != c.Plans {
		t.Errorf("concurrent: %+v", c)
	}
	if a := r.API; a == nil || a.API.Requests == 0 || a.Ceiling.Requests == 0 {
		t.Errorf("api: %+v", a)
	}
	if c := r.Cost; c == nil || c.Polls != c.Rounds || c.Records != 0 {
		t.Errorf("cost: %+v, want a poll a round and nothing written", c)
	}

	var buf bytes.Buffer
	if err := WriteMarkdown(&buf, r, "drsorch bench --quick"); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"## Method", "## Targets", "## 1.", "## 2.", "## 3.", "## 4.", "## 5.", "## 6.", "## 7.", "    drsorch bench --quick"} {
		if !strings.Contains(buf.String(), h) {
			t.Errorf("report lacks %q", h)
		}
	}
}

func TestRunRejectsUnknownScenario(t *testing.T) {
	if _, err := Run(t.Context(), Config{Quick: true, Scenarios: []int{8}}); err == nil {
		t.Error("scenario 8: no error")
	}
}
