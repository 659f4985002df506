// Package bench measures drsorch against what DRS allows: plan makespans
// on the emulator next to a bound computed from the quotas and the
// servers' launch times, naive orchestrators on the same plans, DRS calls
// per server, wave transitions, executions sharing an account, the API
// under concurrent readers and the engine's own cost.
//
// Every scenario but the API and engine-cost ones runs in emulated time:
// the engine (or a naive strategy) and the emulator share a fake clock,
// which the scenario moves forward to the next moment the orchestrator
// would wake up, so that hours of recovery take seconds and the numbers
// depend only on the seed. The emulator runs with StableDurations, so
// that every strategy meets the same launch durations and the bound can
// be computed from them in advance. Nothing here asserts a speed: Run
// fails only when a benchmark is broken (an error, a server not launched
// exactly once by drsorch).
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/drsorch/drsorch/internal/drssim"
)

// Config selects what Run measures.
type Config struct {
	// Quick runs small versions of every scenario, in seconds.
	Quick bool
	// Seed drives the emulator's inventory and durations.
	Seed int64
	// Scenarios lists the scenarios to run (1 to 7); empty runs all.
	Scenarios []int
	// Progress, when not nil, receives a line as each run ends.
	Progress io.Writer

	// tiny shrinks quick mode further, to Linux servers only, for tests
	// under the race detector.
	tiny bool
}

// Scenario numbers.
const (
	ScenarioMakespan = 1 + iota
	ScenarioNaive
	ScenarioCalls
	ScenarioTransitions
	ScenarioConcurrent
	ScenarioAPI
	ScenarioCost
	scenarioCount = ScenarioCost
)

// Report is the result of Run.
type Report struct {
	Machine    Machine           `json:"machine"`
	Quick      bool              `json:"quick"`
	Seed       int64             `json:"seed"`
	Scenarios  []int             `json:"scenarios"`
	Plans      []PlanResult      `json:"plans,omitempty"`
	Concurrent *ConcurrentResult `json:"concurrent,omitempty"`
	API        *APIResult        `json:"api,omitempty"`
	Cost       *CostResult       `json:"cost,omitempty"`
	Wall       time.Duration     `json:"wall"`
}

// Machine describes where the report was made.
type Machine struct {
	CPU       string `json:"cpu"`
	Cores     int    `json:"cores"`
	GoVersion string `json:"goVersion"`
	OS        string `json:"os"`
}

// PlanResult is one plan run by drsorch and by each naive strategy, on
// emulators of the same seed.
type PlanResult struct {
	Name     string        `json:"name"`
	Servers  int           `json:"servers"`
	Waves    []int         `json:"waves"`
	Greedy   time.Duration `json:"greedyBound"`
	Lower    time.Duration `json:"lowerBound"`
	Outcomes []Outcome     `json:"outcomes"`
	// Analysis of the drsorch run against the bound.
	Analysis EngineAnalysis `json:"analysis"`
	// Engine-side counts of the drsorch run.
	Rounds  int `json:"rounds"`
	Commits int `json:"commits"`
	Records int `json:"records"`
}

// Strategy names.
const (
	stratDrsorch        = "drsorch"
	stratPerServer      = "per-server"
	stratPerServerRetry = "per-server+retry"
	stratPerWave        = "per-wave"
)

// Run runs the selected scenarios.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	start := time.Now()
	want := map[int]bool{}
	for _, n := range cfg.Scenarios {
		if n < 1 || n > scenarioCount {
			return nil, fmt.Errorf("scenario %d: want 1 to %d", n, scenarioCount)
		}
		want[n] = true
	}
	if len(want) == 0 {
		for n := 1; n <= scenarioCount; n++ {
			want[n] = true
		}
	}
	r := &Report{Machine: machine(), Quick: cfg.Quick, Seed: cfg.Seed}
	for n := 1; n <= scenarioCount; n++ {
		if want[n] {
			r.Scenarios = append(r.Scenarios, n)
		}
	}
	b := &runner{cfg: cfg}

	var keep *engineRun // the largest drsorch run, for the API scenario
	defer func() {
		if keep != nil {
			keep.store.Close()
		}
	}()
	if want[1] || want[2] || want[3] || want[4] {
		for _, spec := range b.planSpecs() {
			pr, er, err := b.runPlan(ctx, spec, want[2] || want[3] || want[4])
			if err != nil {
				return nil, err
			}
			r.Plans = append(r.Plans, pr)
			if keep != nil {
				keep.store.Close()
			}
			keep = er
		}
	}
	if want[ScenarioConcurrent] {
		res, err := b.concurrent(ctx)
		if err != nil {
			return nil, err
		}
		r.Concurrent = res
	}
	if want[ScenarioAPI] {
		if keep == nil {
			specs := b.planSpecs()
			_, er, err := b.runPlan(ctx, specs[len(specs)-1], false)
			if err != nil {
				return nil, err
			}
			keep = er
		}
		res, err := b.api(ctx, keep)
		if err != nil {
			return nil, err
		}
		r.API = res
	}
	// The cost scenario measures the heap: nothing else may hold any.
	if keep != nil {
		keep.store.Close()
		keep = nil
	}
	if want[ScenarioCost] {
		res, err := b.cost(ctx)
		if err != nil {
			return nil, err
		}
		r.Cost = res
	}
	r.Wall = time.Since(start)
	return r, nil
}

// runner carries the configuration through the scenarios.
type runner struct{ cfg Config }

func (b *runner) progress(format string, args ...any) {
	if b.cfg.Progress != nil {
		fmt.Fprintf(b.cfg.Progress, format+"\n", args...)
	}
}

// planSpec names a plan by its wave sizes.
type planSpec struct {
	name  string
	sizes []int
}

func (b *runner) planSpecs() []planSpec {
	if b.cfg.tiny {
		return []planSpec{{"t40", []int{5, 30, 5}}}
	}
	if b.cfg.Quick {
		return []planSpec{{"q120", []int{20, 70, 30}}}
	}
	return []planSpec{
		{"p100", []int{20, 50, 30}},
		{"p1000", []int{100, 200, 550, 100, 50}},
		{"p3000", []int{100, 600, 250, 700, 50, 300, 550, 150, 200, 100}},
	}
}

// runPlan runs drsorch on the plan and, with naive, each naive strategy,
// each on a fresh emulator of the same seed. It returns the drsorch run,
// whose store the caller closes.
func (b *runner) runPlan(ctx context.Context, spec planSpec, naive bool) (PlanResult, *engineRun, error) {
	n := 0
	for _, s := range spec.sizes {
		n += s
	}
	pr := PlanResult{Name: spec.name, Servers: n, Waves: spec.sizes}

	w, err := b.world(ctx, n)
	if err != nil {
		return pr, nil, err
	}
	p := chainPlan(spec.name, spec.sizes, b.ids(w))
	bd, err := boundOf(w, p)
	if err != nil {
		return pr, nil, err
	}
	pr.Greedy, pr.Lower = bd.Greedy, bd.Lower

	t0 := w.clock.Now()
	er, err := runEngine(ctx, w, []benchPlan{p}, nil)
	if err != nil {
		return pr, nil, fmt.Errorf("plan %s: drsorch: %w", spec.name, err)
	}
	o := measure(w, stratDrsorch, []benchPlan{p}, t0)
	o.Wall = er.wall
	if err := checkEngine(spec.name, o, er); err != nil {
		er.store.Close()
		return pr, nil, err
	}
	pr.Outcomes = append(pr.Outcomes, o)
	pr.Rounds, pr.Commits, pr.Records = er.rounds, er.commits, er.records
	if pr.Analysis, err = analyse(ctx, w, p, er); err != nil {
		er.store.Close()
		return pr, nil, err
	}
	b.progress("plan %s: drsorch %s (bound %s, its batches %s, detect %s), %d rounds, %s", spec.name,
		o.Makespan, bd.Greedy, pr.Analysis.Packed, pr.Analysis.DetectMean, er.rounds, er.wall.Round(time.Millisecond))
	if !naive {
		return pr, er, nil
	}

	strategies := []struct {
		name string
		run  func(context.Context, *world, benchPlan) (int, error)
	}{
		{stratPerServer, func(ctx context.Context, w *world, p benchPlan) (int, error) { return perServer(ctx, w, p, false) }},
		{stratPerServerRetry, func(ctx context.Context, w *world, p benchPlan) (int, error) { return perServer(ctx, w, p, true) }},
		{stratPerWave, perWave},
	}
	for _, s := range strategies {
		w, err := b.world(ctx, n)
		if err != nil {
			er.store.Close()
			return pr, nil, err
		}
		p := chainPlan(spec.name, spec.sizes, b.ids(w))
		t0, start := w.clock.Now(), time.Now()
		refused, err := s.run(ctx, w, p)
		if err != nil {
			er.store.Close()
			return pr, nil, fmt.Errorf("plan %s: %s: %w", spec.name, s.name, err)
		}
		o := measure(w, s.name, []benchPlan{p}, t0)
		o.Wall = time.Since(start)
		// The client refuses more than 200 servers before sending.
		o.RefusedCalls = refused
		if o.Twice > 0 {
			er.store.Close()
			return pr, nil, fmt.Errorf("plan %s: %s: %d servers launched more than once", spec.name, s.name, o.Twice)
		}
		pr.Outcomes = append(pr.Outcomes, o)
		b.progress("plan %s: %s %s, %d not launched", spec.name, s.name, o.Makespan, o.NotLaunched)
	}
	return pr, er, nil
}

// world builds an emulator for plans of n servers.
func (b *runner) world(ctx context.Context, n int) (*world, error) {
	if b.cfg.tiny {
		n *= 3 // about four in five are Linux
	}
	return newWorld(ctx, n, b.cfg.Seed, nil)
}

// ids are the servers plans take, in order: all of them, or in tiny mode
// the Linux ones (under 10 minutes), so that a run is short.
func (b *runner) ids(w *world) []string {
	if !b.cfg.tiny {
		return w.servers
	}
	var out []string
	for _, id := range w.servers {
		if d, _ := w.sim.PlannedLaunch(id); d < 10*time.Minute {
			out = append(out, id)
		}
	}
	return out
}

// boundOf computes the bound of p from the emulator's planned durations.
func boundOf(w *world, p benchPlan) (bound, error) {
	var missing error
	dur := func(id string) time.Duration {
		d, ok := w.sim.PlannedLaunch(id)
		if !ok && missing == nil {
			missing = fmt.Errorf("no planned launch duration for %s", id)
		}
		return d
	}
	bd := planBound(p, dur, drssim.StablePending, defaultQuotas)
	return bd, missing
}

// checkEngine fails a drsorch run that is broken rather than slow: round
// errors, or a server not launched exactly once.
func checkEngine(name string, o Outcome, er *engineRun) error {
	var errs []error
	if len(er.roundErr) > 0 {
		errs = append(errs, fmt.Errorf("%d rounds failed, the first: %w", len(er.roundErr), er.roundErr[0]))
	}
	if o.Launched != o.Servers {
		errs = append(errs, fmt.Errorf("%d of %d servers launched exactly once (%d never, %d more than once)",
			o.Launched, o.Servers, o.NotLaunched, o.Twice))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("plan %s: drsorch: %w", name, err)
	}
	return nil
}

func machine() Machine {
	m := Machine{Cores: runtime.NumCPU(), GoVersion: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH, CPU: "unknown"}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}
