package engine

import (
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/plan"
)

const winOS = "Microsoft Windows Server 2022 Standard"

// round keeps test durations readable: bisection and float arithmetic
// leave nanoseconds.
func round(d time.Duration) time.Duration { return d.Round(time.Second) }

// The quantile of the largest of n durations is the quantile of one at
// q^(1/n): from the prior before any launch is seen, from the samples
// after.
func TestMaxQuantile(t *testing.T) {
	learnt := func() *expectations {
		x := newExpectations(5 * time.Minute)
		// 99 Linux launches evenly between 4m and 6m (knots at i/100).
		for i := 1; i <= 99; i++ {
			d := 4*time.Minute + time.Duration(i)*2*time.Minute/100
			x.observe(classLinux, d, d)
		}
		return x
	}
	prior := func() *expectations { return newExpectations(5 * time.Minute) }
	// The prior of Windows is 14m..26m; of Linux 3m30s..6m30s.
	winPrior := func(q float64, n int) time.Duration {
		return round(14*time.Minute + time.Duration(math.Pow(q, 1/float64(n))*float64(12*time.Minute)))
	}
	tests := []struct {
		name    string
		x       func() *expectations
		n       map[string]int
		elapsed time.Duration
		q       float64
		want    time.Duration
		wantOK  bool
	}{
		{"prior, one Linux server, median", prior, map[string]int{classLinux: 1}, 0, 0.5, 5 * time.Minute, true},
		{"prior, one Linux server, 5%", prior, map[string]int{classLinux: 1}, 0, 0.05, 3*time.Minute + 39*time.Second, true},
		{"prior, max of 4 Windows, 5%", prior, map[string]int{classWindows: 4}, 0, 0.05, winPrior(0.05, 4), true},
		{"prior, max of 4 Windows, 99%", prior, map[string]int{classWindows: 4}, 0, 0.99, winPrior(0.99, 4), true},
		// n/(n+1) is the expected maximum: 100 Linux servers end at 6m27s.
		{"prior, max of 100 Linux at n/(n+1)", prior, map[string]int{classLinux: 100}, 0,
			math.Pow(100.0/101, 100), 3*time.Minute + 30*time.Second + round(3*time.Minute*100/101), true},
		// Linux ends far earlier: a mix ends with its Windows servers.
		{"prior, 90 Linux and 2 Windows", prior, map[string]int{classLinux: 90, classWindows: 2}, 0, 0.25, winPrior(0.25, 2), true},
		{"prior, conditioned on 20m run", prior, map[string]int{classWindows: 1}, 20 * time.Minute, 0.5, 23 * time.Minute, true},
		{"prior, overdue", prior, map[string]int{classLinux: 1}, 7 * time.Minute, 0.5, 7 * time.Minute, false},
		{"nothing left", prior, map[string]int{}, 3 * time.Minute, 0.99, 3 * time.Minute, true},
		{"learnt, one Linux server, median", learnt, map[string]int{classLinux: 1}, 0, 0.5, 5 * time.Minute, true},
		{"learnt, max of 10 Linux, 50%", learnt, map[string]int{classLinux: 10}, 0, 0.5,
			round(4*time.Minute + time.Duration(math.Pow(0.5, 0.1)*float64(2*time.Minute))), true},
		// Past the largest sample (5m58.8s), up to one mean gap (1.2s).
		{"learnt, max of 1000 Linux, 99%", learnt, map[string]int{classLinux: 1000}, 0, 0.99, 6 * time.Minute, true},
		// Windows unseen is scaled from Linux: 16m..24m.
		{"learnt, one Windows, median", learnt, map[string]int{classWindows: 1}, 0, 0.5, 20 * time.Minute, true},
	}
	for _, tt := range tests {
		got, ok := tt.x().maxQuantile(tt.n, tt.elapsed, tt.q, true)
		if round(got) != tt.want || ok != tt.wantOK {
			t.Errorf("%s: maxQuantile(%v, %s, %g) = %s, %t; want %s, %t",
				tt.name, tt.n, tt.elapsed, tt.q, round(got), ok, tt.want, tt.wantOK)
		}
	}
}

// The CDF and the quantile function are each other's inverse on the
// knots of an empirical distribution, and 0 and 1 one gap beyond.
func TestEmpirical(t *testing.T) {
	d := empirical([]time.Duration{time.Minute, 2 * time.Minute, 2 * time.Minute, 4 * time.Minute})
	wantX := []float64{0, 60e9, 120e9, 120e9, 240e9, 300e9}
	wantP := []float64{0, 0.2, 0.4, 0.6, 0.8, 1}
	if diff := cmp.Diff(dist{wantX, wantP, 4}, d, cmp.AllowUnexported(dist{})); diff != "" {
		t.Fatalf("knots mismatch (-want +got):\n%s", diff)
	}
	for _, tt := range []struct{ t, p float64 }{
		{-1, 0}, {0, 0}, {30e9, 0.1}, {60e9, 0.2}, {120e9, 0.6}, {180e9, 0.7}, {300e9, 1}, {400e9, 1},
	} {
		if got := d.cdf(tt.t); math.Abs(got-tt.p) > 1e-9 {
			t.Errorf("cdf(%gs) = %g, want %g", tt.t/1e9, got, tt.p)
		}
	}
	for _, tt := range []struct{ p, t float64 }{
		{0, 0}, {0.1, 30e9}, {0.5, 120e9}, {0.7, 180e9}, {1, 300e9},
	} {
		if got := d.quantile(tt.p); math.Abs(got-tt.t) > 1 {
			t.Errorf("quantile(%g) = %gs, want %gs", tt.p, got/1e9, tt.t/1e9)
		}
	}
}

// Each class keeps at most maxSamples, the latest; a class with fewer
// than minSamples is scaled from the other or left to its prior.
func TestExpectationsByClass(t *testing.T) {
	x := newExpectations(5 * time.Minute)
	medians := func() [3]time.Duration {
		var out [3]time.Duration
		for i, c := range []string{classLinux, classWindows, classTerminate} {
			out[i] = round(x.median(c))
		}
		return out
	}
	add := func(class string, d time.Duration, n int) {
		for range n {
			x.observe(class, d, d)
		}
	}
	steps := []struct {
		name string
		add  func()
		want [3]time.Duration
	}{
		{"nothing seen", func() {}, [3]time.Duration{5 * time.Minute, 20 * time.Minute, 5 * time.Minute}},
		{"too few Linux", func() { add(classLinux, 6*time.Minute, minSamples-1) }, [3]time.Duration{5 * time.Minute, 20 * time.Minute, 5 * time.Minute}},
		{"enough Linux", func() { add(classLinux, 6*time.Minute, 1) }, [3]time.Duration{6 * time.Minute, 24 * time.Minute, 5 * time.Minute}},
		{"Windows seen", func() { add(classWindows, 26*time.Minute, minSamples) }, [3]time.Duration{6 * time.Minute, 26 * time.Minute, 5 * time.Minute}},
		{"terminate seen", func() { add(classTerminate, 2*time.Minute, minSamples) }, [3]time.Duration{6 * time.Minute, 26 * time.Minute, 2 * time.Minute}},
		{"the latest 1000 Linux", func() { add(classLinux, 3*time.Minute, maxSamples) }, [3]time.Duration{3 * time.Minute, 26 * time.Minute, 2 * time.Minute}},
	}
	for _, s := range steps {
		s.add()
		if diff := cmp.Diff(s.want, medians()); diff != "" {
			t.Errorf("%s: medians mismatch (-want +got):\n%s", s.name, diff)
		}
	}
	if n := len(x.byClass[classLinux].high.vals); n != maxSamples {
		t.Errorf("%d Linux samples kept, want %d", n, maxSamples)
	}
}

func TestPollDelay(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	ex := &plan.Execution{ID: "ex-1"}
	launches := []plan.Launch{
		{ExecutionID: "ex-1", SourceServerID: "s-lin", BatchID: "b-lin", OS: "Ubuntu 22.04", Status: plan.LaunchLaunching},
		{ExecutionID: "ex-1", SourceServerID: "s-lin2", BatchID: "b-mix", Status: plan.LaunchLaunching},
		{ExecutionID: "ex-1", SourceServerID: "s-win", BatchID: "b-mix", OS: winOS, Status: plan.LaunchLaunching},
		{ExecutionID: "ex-1", SourceServerID: "s-win2", BatchID: "b-done", OS: winOS, Status: plan.LaunchLaunched},
		{ExecutionID: "ex-1", SourceServerID: "s-lin3", BatchID: "b-done", Status: plan.LaunchLaunching},
	}
	batches := []plan.Batch{
		{ExecutionID: "ex-1", ID: "b-lin", Kind: plan.BatchLaunch, SourceServerIDs: []string{"s-lin"}, RequestTime: t0},
		{ExecutionID: "ex-1", ID: "b-mix", Kind: plan.BatchLaunch, SourceServerIDs: []string{"s-lin2", "s-win"}, RequestTime: t0},
		{ExecutionID: "ex-1", ID: "b-done", Kind: plan.BatchLaunch, SourceServerIDs: []string{"s-win2", "s-lin3"}, RequestTime: t0},
	}
	r := newRun(ex, nil, launches, batches)
	// One Linux server, prior 3m30s..6m30s: its window is 4m06s..6m28s,
	// polled at PollMin to 6m43s.
	tests := []struct {
		name    string
		batch   int
		elapsed time.Duration
		want    time.Duration
	}{
		{"just requested: PollMax", 0, 0, time.Minute},
		{"20s before the window", 0, 3*time.Minute + 46*time.Second, 20 * time.Second},
		{"inside the window", 0, 4*time.Minute + 30*time.Second, 5 * time.Second},
		{"near its end", 0, 6*time.Minute + 20*time.Second, 5 * time.Second},
		{"just after it", 0, 6*time.Minute + 40*time.Second, 5 * time.Second},
		{"overdue: backing off", 0, 7*time.Minute + 23*time.Second, 20 * time.Second},
		{"stuck", 0, time.Hour, time.Minute},
		// A batch with a Windows server ends when that server does.
		{"windows batch at a Linux end", 1, 5 * time.Minute, time.Minute},
		{"windows batch before its window", 1, 16 * time.Minute, 24 * time.Second},
		{"windows batch in its window", 1, 20 * time.Minute, 5 * time.Second},
		{"windows batch late", 1, 26*time.Minute + 10*time.Second, 5 * time.Second},
		{"windows batch overdue", 1, 27 * time.Minute, 26 * time.Second},
		// Its Windows server has launched: the Linux one, 5m in, ends
		// by 6m30s, with probability 0.2 by 5m18s.
		{"windows done, Linux left", 2, 5 * time.Minute, 18 * time.Second},
	}
	for _, tt := range tests {
		e := New(Options{PollMin: 5 * time.Second, PollMax: time.Minute, ExpectedJobDuration: 5 * time.Minute})
		if got := e.pollDelay(r, r.batches[tt.batch], t0.Add(tt.elapsed)); round(got) != tt.want {
			t.Errorf("%s: pollDelay at +%s = %s, want %s", tt.name, tt.elapsed, got, tt.want)
		}
	}
}

// A window is opened from the low ends of the durations seen and closed
// from the high ones.
func TestPollDelayLearnt(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	r := newRun(&plan.Execution{ID: "ex-1"}, nil,
		[]plan.Launch{{ExecutionID: "ex-1", SourceServerID: "s-1", BatchID: "b-1", Status: plan.LaunchLaunching}},
		[]plan.Batch{{ExecutionID: "ex-1", ID: "b-1", Kind: plan.BatchLaunch, SourceServerIDs: []string{"s-1"}, RequestTime: t0}})
	e := New(Options{PollMin: 5 * time.Second, PollMax: time.Minute})
	// Seen ending between 9m and 10m, all of them.
	for range 50 {
		e.expect.observe(classLinux, 9*time.Minute, 10*time.Minute)
	}
	for _, tt := range []struct {
		elapsed, want time.Duration
	}{
		{8*time.Minute + 30*time.Second, 30 * time.Second},
		{9 * time.Minute, 5 * time.Second},
		{10*time.Minute + 14*time.Second, 5 * time.Second},
		{10*time.Minute + 35*time.Second, 10 * time.Second},
	} {
		if got := e.pollDelay(r, r.batches[0], t0.Add(tt.elapsed)); round(got) != tt.want {
			t.Errorf("pollDelay at +%s = %s, want %s", tt.elapsed, got, tt.want)
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
