package engine

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/drsorch/drsorch/internal/drssim"
	"github.com/drsorch/drsorch/internal/plan"
)

// fakeClock is a clock shared by the engine and the emulator in
// benchmarks, which cannot run in a synctest bubble.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func benchHarness(b *testing.B, servers int) (*harness, *fakeClock) {
	isolateAWSEnv(b)
	clock := &fakeClock{t: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)}
	h := newHarness(b, drssim.Options{Servers: servers, Seed: 5, Clock: clock.Now,
		Quotas: drssim.Quotas{ServersInActiveJobs: 1000}}, 1)
	return h, clock
}

// BenchmarkRound measures one round that observes 1,000 active launches
// (10 jobs of 100) and finds nothing changed: the clock stands still.
func BenchmarkRound(b *testing.B) {
	h, clock := benchHarness(b, 1000)
	h.start(plan.ModeDrill, []testWave{wave("all", 1000)})
	e := h.engine("e1", func(o *Options) {
		o.Clock = clock.Now
		o.Quotas.ServersInActiveJobs = 1000
	})
	ctx := context.Background()
	must(b, e.Reconcile(ctx))
	if e.calls.startRecovery != 10 {
		b.Fatalf("%d jobs started, want 10", e.calls.startRecovery)
	}
	calls := e.calls
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, rs := range e.regions {
			rs.nextPoll = time.Time{} // every round polls
		}
		if err := e.Reconcile(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(e.calls.describe-calls.describe)/float64(b.N), "describe/op")
	b.ReportMetric(float64(e.calls.records-calls.records)/float64(b.N), "writes/op")
}

// BenchmarkExecution runs a drill of 1,000 servers in 4 waves to its end
// on a fake clock, and reports the store writes per poll and the DRS
// calls per recovered server.
func BenchmarkExecution(b *testing.B) {
	isolateAWSEnv(b)
	ctx := context.Background()
	var polls, commits, records, drsCalls, rounds int
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		h, clock := benchHarness(b, 1000)
		id := h.start(plan.ModeDrill, chain(wave("a", 100), wave("b", 400), wave("c", 400), wave("d", 100)))
		e := h.engine("e1", func(o *Options) { o.Clock = clock.Now })
		b.StartTimer()
		for {
			rounds++
			if err := e.Reconcile(ctx); err != nil {
				b.Fatal(err)
			}
			if len(e.runs) == 0 && !plan.Active(h.get(id).Status) {
				break
			}
			clock.Add(e.opts.PollMin)
		}
		b.StopTimer()
		if ex := h.get(id); ex.Status != plan.ExecCompleted {
			b.Fatalf("status %s", ex.Status)
		}
		polls += e.calls.describe
		commits += e.calls.commits
		records += e.calls.records
		drsCalls += e.calls.describe + e.calls.startRecovery + e.calls.find + e.calls.jobLog
		h.st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(records)/float64(polls), "writes/poll")
	b.ReportMetric(float64(commits)/float64(polls), "commits/poll")
	b.ReportMetric(float64(drsCalls)/float64(1000*b.N), "drscalls/server")
	b.ReportMetric(float64(rounds)/float64(b.N), "rounds/op")
}
