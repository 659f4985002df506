package engine

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/plan"
)

const winOS = "Microsoft Windows Server 2022 Standard"

func TestPollDelay(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	ex := &plan.Execution{ID: "ex-1"}
	launches := []plan.Launch{
		{ExecutionID: "ex-1", SourceServerID: "s-lin", BatchID: "b-lin", OS: "Ubuntu 22.04"},
		{ExecutionID: "ex-1", SourceServerID: "s-lin2", BatchID: "b-mix"},
		{ExecutionID: "ex-1", SourceServerID: "s-win", BatchID: "b-mix", OS: winOS},
	}
	batches := []plan.Batch{
		{ExecutionID: "ex-1", ID: "b-lin", Kind: plan.BatchLaunch, SourceServerIDs: []string{"s-lin"}, RequestTime: t0},
		{ExecutionID: "ex-1", ID: "b-mix", Kind: plan.BatchLaunch, SourceServerIDs: []string{"s-lin2", "s-win"}, RequestTime: t0},
	}
	r := newRun(ex, nil, launches, batches)
	tests := []struct {
		name    string
		batch   int
		elapsed time.Duration
		want    time.Duration
	}{
		{"far from the end: PollMax", 0, 0, time.Minute},
		{"2m to go", 0, 3 * time.Minute, 57500 * time.Millisecond},
		{"1m to go", 0, 4 * time.Minute, 27500 * time.Millisecond},
		{"nearly there: PollMin", 0, 4*time.Minute + 50*time.Second, 5 * time.Second},
		{"at the end", 0, 5 * time.Minute, 5 * time.Second},
		{"late: still PollMin", 0, 6 * time.Minute, 5 * time.Second},
		{"a quarter late", 0, 6*time.Minute + 15*time.Second, 5 * time.Second},
		{"long overdue: backing off", 0, 7*time.Minute + 15*time.Second, time.Minute / 2},
		{"stuck", 0, time.Hour, time.Minute},
		// A batch with a Windows server ends when that server does.
		{"windows batch at a Linux end", 1, 5 * time.Minute, time.Minute},
		{"windows batch near its end", 1, 19*time.Minute + 57*time.Second, 5 * time.Second},
		{"windows batch late", 1, 24 * time.Minute, 5 * time.Second},
	}
	for _, tt := range tests {
		e := New(Options{PollMin: 5 * time.Second, PollMax: time.Minute, ExpectedJobDuration: 5 * time.Minute})
		if got := e.pollDelay(r, r.batches[tt.batch], t0.Add(tt.elapsed)); got != tt.want {
			t.Errorf("%s: pollDelay at +%s = %s, want %s", tt.name, tt.elapsed, got, tt.want)
		}
	}
}

// The spread of the durations seen widens the window polled at PollMin.
func TestPollDelaySpread(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	r := newRun(&plan.Execution{ID: "ex-1"}, nil,
		[]plan.Launch{{ExecutionID: "ex-1", SourceServerID: "s-1", BatchID: "b-1"}},
		[]plan.Batch{{ExecutionID: "ex-1", ID: "b-1", Kind: plan.BatchLaunch, SourceServerIDs: []string{"s-1"}, RequestTime: t0}})
	e := New(Options{PollMin: 5 * time.Second, PollMax: time.Minute})
	for _, d := range []time.Duration{6 * time.Minute, 7 * time.Minute, 6 * time.Minute, 7 * time.Minute} {
		e.expect.observe(classLinux, d)
	}
	expected, dev := e.expect.of(classLinux)
	if expected < 6*time.Minute || expected > 7*time.Minute || dev < 20*time.Second {
		t.Fatalf("learnt %s ± %s from jobs of 6m and 7m", expected, dev)
	}
	// Inside twice the spread before the expected end: PollMin.
	if got := e.pollDelay(r, r.batches[0], t0.Add(expected-2*dev+time.Second)); got != 5*time.Second {
		t.Errorf("pollDelay within the spread = %s, want 5s", got)
	}
	if got := e.pollDelay(r, r.batches[0], t0.Add(expected-2*dev-20*time.Second)); got != 10*time.Second {
		t.Errorf("pollDelay 20s before the spread = %s, want 10s", got)
	}
}

func TestJobStatsLearn(t *testing.T) {
	x := newExpectations(5 * time.Minute)
	for range 20 {
		x.observe(classLinux, 20*time.Minute)
	}
	if d, _ := x.of(classLinux); d < 19*time.Minute || d > 20*time.Minute {
		t.Errorf("expected %s after 20 jobs of 20m, want close to 20m", d)
	}
}

// A class never seen is scaled from the one that was; each seen class
// keeps its own.
func TestExpectationsByClass(t *testing.T) {
	x := newExpectations(5 * time.Minute)
	get := func() [3]time.Duration {
		var out [3]time.Duration
		for i, c := range []string{classLinux, classWindows, classTerminate} {
			out[i], _ = x.of(c)
		}
		return out
	}
	steps := []struct {
		class string
		d     time.Duration
		want  [3]time.Duration
	}{
		{"", 0, [3]time.Duration{5 * time.Minute, 20 * time.Minute, 5 * time.Minute}},
		{classLinux, 6 * time.Minute, [3]time.Duration{6 * time.Minute, 24 * time.Minute, 5 * time.Minute}},
		{classWindows, 26 * time.Minute, [3]time.Duration{6 * time.Minute, 26 * time.Minute, 5 * time.Minute}},
		{classTerminate, 2 * time.Minute, [3]time.Duration{6 * time.Minute, 26 * time.Minute, 2 * time.Minute}},
	}
	for _, s := range steps {
		if s.class != "" {
			x.observe(s.class, s.d)
		}
		if diff := cmp.Diff(s.want, get()); diff != "" {
			t.Errorf("after a %s job of %s: mismatch (-want +got):\n%s", s.class, s.d, diff)
		}
	}
}

// A wave's pending launches are cut into batches longest first: the
// Windows servers share a job rather than one holding up each.
func TestCandidatesLongestFirst(t *testing.T) {
	ex := &plan.Execution{ID: "ex-1", Status: plan.ExecRunning,
		Plan: plan.RecoveryPlan{Waves: []plan.Wave{{Name: "w"}}}}
	var launches []plan.Launch
	var want []string
	for i := range 6 {
		l := plan.Launch{ExecutionID: "ex-1", Wave: "w", SourceServerID: string(rune('a' + i)),
			Region: "us-east-1", Status: plan.LaunchPending, OS: "Amazon Linux 2"}
		if i%3 == 2 {
			l.OS = winOS
			want = append(want, l.SourceServerID)
		}
		launches = append(launches, l)
	}
	want = append(want, "a", "b", "d", "e")
	r := newRun(ex, []plan.WaveRun{{ExecutionID: "ex-1", Name: "w", Status: plan.WaveLaunching}}, launches, nil)
	e := New(Options{})
	cands := e.candidates(r)
	if len(cands) != 1 {
		t.Fatalf("%d candidates, want 1", len(cands))
	}
	var got []string
	for _, l := range cands[0].launches {
		got = append(got, l.SourceServerID)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("launch order mismatch (-want +got):\n%s", diff)
	}
}
