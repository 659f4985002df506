package bench

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// ConcurrentResult is several executions started together in one account
// and region, next to the same plans run one after another.
type ConcurrentResult struct {
	Plans   int   `json:"plans"`
	Servers int   `json:"serversPerPlan"`
	Waves   []int `json:"waves"`
	// Makespans are per execution, from the common start.
	Makespans []time.Duration `json:"makespans"`
	// Total is the makespan of all of them together.
	Total time.Duration `json:"total"`
	// Alone are the makespans of each plan run by itself; BackToBack
	// their sum.
	Alone      []time.Duration `json:"alone"`
	BackToBack time.Duration   `json:"backToBack"`
	// Greedy is the sum of the plans' bounds run one after another.
	Greedy time.Duration `json:"greedyBackToBack"`
	// Waits are, per execution, from the first to the last StartRecovery
	// of its last wave: how long its last batch waited for room.
	Waits    []time.Duration `json:"waits"`
	Outcome  Outcome         `json:"outcome"`
	Rounds   int             `json:"rounds"`
	Failures int             `json:"failures"`
}

// Slowdowns are, per execution, its makespan together over its makespan
// alone.
func (c *ConcurrentResult) Slowdowns() []float64 {
	out := make([]float64, len(c.Makespans))
	for i := range c.Makespans {
		if i < len(c.Alone) && c.Alone[i] > 0 {
			out[i] = float64(c.Makespans[i]) / float64(c.Alone[i])
		}
	}
	return out
}

// Fairness is the largest slowdown over the smallest: 1 when sharing the
// account costs every execution the same share.
func (c *ConcurrentResult) Fairness() float64 {
	s := c.Slowdowns()
	if len(s) == 0 || slices.Min(s) == 0 {
		return 0
	}
	return slices.Max(s) / slices.Min(s)
}

func (b *runner) concurrent(ctx context.Context) (*ConcurrentResult, error) {
	// The second waves together (600 servers) exceed what active jobs
	// may hold (500), so the executions compete for the account.
	const plans = 3
	sizes := []int{100, 200}
	switch {
	case b.cfg.tiny:
		sizes = []int{5, 10}
	case b.cfg.Quick:
		sizes = []int{20, 40}
	}
	per := 0
	for _, n := range sizes {
		per += n
	}
	res := &ConcurrentResult{Plans: plans, Servers: per, Waves: sizes}

	w, err := b.world(ctx, plans*per)
	if err != nil {
		return nil, err
	}
	ps := make([]benchPlan, plans)
	for i := range ps {
		ps[i] = chainPlan(fmt.Sprintf("c%d", i+1), sizes, b.ids(w)[i*per:(i+1)*per])
	}
	t0 := w.clock.Now()
	er, err := runEngine(ctx, w, ps, nil)
	if err != nil {
		return nil, fmt.Errorf("concurrent: %w", err)
	}
	er.store.Close()
	res.Outcome = measure(w, stratDrsorch, ps, t0)
	res.Outcome.Wall = er.wall
	res.Rounds = er.rounds
	if err := checkEngine("concurrent", res.Outcome, er); err != nil {
		return nil, err
	}
	res.Total = res.Outcome.Makespan
	calls := w.rec.recorded()
	for _, p := range ps {
		res.Makespans = append(res.Makespans, measure(w, stratDrsorch, []benchPlan{p}, t0).Makespan)
		res.Waits = append(res.Waits, requestSpan(calls, p.Waves[len(p.Waves)-1].Servers))
	}

	// Each plan alone, on an emulator where it has the same servers.
	for i := range ps {
		w, err := b.world(ctx, plans*per)
		if err != nil {
			return nil, err
		}
		p := chainPlan(fmt.Sprintf("c%d", i+1), sizes, b.ids(w)[i*per:(i+1)*per])
		bd, err := boundOf(w, p)
		if err != nil {
			return nil, err
		}
		t0 := w.clock.Now()
		er, err := runEngine(ctx, w, []benchPlan{p}, nil)
		if err != nil {
			return nil, fmt.Errorf("concurrent, plan %d alone: %w", i+1, err)
		}
		er.store.Close()
		o := measure(w, stratDrsorch, []benchPlan{p}, t0)
		if err := checkEngine(p.Name, o, er); err != nil {
			return nil, err
		}
		res.Alone = append(res.Alone, o.Makespan)
		res.BackToBack += o.Makespan
		res.Greedy += bd.Greedy
	}
	b.progress("concurrent: together %s, back to back %s, fairness %.3f", res.Total, res.BackToBack, res.Fairness())
	return res, nil
}

// requestSpan is the time from the first to the last StartRecovery that
// included one of servers.
func requestSpan(calls []call, servers []string) time.Duration {
	in := make(map[string]bool, len(servers))
	for _, id := range servers {
		in[id] = true
	}
	var first, last time.Time
	for _, c := range calls {
		if c.op != "StartRecovery" || !slices.ContainsFunc(c.servers, func(id string) bool { return in[id] }) {
			continue
		}
		if first.IsZero() {
			first = c.at
		}
		last = c.at
	}
	return last.Sub(first)
}
