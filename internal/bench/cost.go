package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"time"

	"github.com/drsorch/drsorch/internal/drssim"
	"github.com/drsorch/drsorch/internal/engine"
	"github.com/drsorch/drsorch/internal/store/sqlitestore"
)

// CostResult is what one engine round costs while it drives 1,000 active
// launches (10 jobs of 100) and finds nothing changed.
type CostResult struct {
	Launches int `json:"launches"`
	Rounds   int `json:"rounds"`
	// Per round, in the whole process: the engine, the DRS client and the
	// in-process emulator answering its DescribeJobs, and the store.
	CPU    time.Duration `json:"cpuPerRound"`
	Wall   time.Duration `json:"wallPerRound"`
	Bytes  uint64        `json:"allocBytesPerRound"`
	Allocs uint64        `json:"allocsPerRound"`
	// DRSCPU is the CPU of the same DescribeJobs call made alone, the part
	// of a round spent in the SDK and the emulator.
	DRSCPU time.Duration `json:"drsCpuPerRound"`
	// Heap is the live Go heap the run holds (engine, store and emulator
	// state for the 1,000 launches): after a collection with them, less
	// after one without.
	Heap uint64 `json:"heapBytes"`
	// Polls and Records: DescribeJobs calls and store records written in
	// the measured rounds.
	Polls   int `json:"polls"`
	Records int `json:"records"`
}

// cost runs the engine on 1,000 launches whose jobs never move: the
// emulator's clock stands still while the engine's moves PollMax a round,
// so that every round polls.
func (b *runner) cost(ctx context.Context) (*CostResult, error) {
	const launches = 1000
	rounds := 100
	switch {
	case b.cfg.tiny:
		rounds = 3
	case b.cfg.Quick:
		rounds = 10
	}
	w, err := newWorld(ctx, launches, b.cfg.Seed, func(o *drssim.Options) {
		o.Clock = frozen(epoch)
		o.Quotas.ServersInActiveJobs = launches
	})
	if err != nil {
		return nil, err
	}
	st, err := sqlitestore.Open(ctx, ":memory:")
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	defer st.Close()
	cs := &countingStore{Store: st}
	id, err := createExecution(ctx, st, benchPlan{Name: "cost", Waves: []benchWave{{Name: "all", Servers: w.servers}}}, w.os, w.clock.Now())
	if err != nil {
		return nil, err
	}
	e := engine.New(engine.Options{
		Store: cs, DRS: engine.FromClients(w.clients), Owner: "bench", Clock: w.clock.Now,
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
		Quotas:       engine.Quotas{ServersInActiveJobs: launches},
		StuckTimeout: 1000 * time.Hour,
	})
	const pollMax = time.Minute // the engine's default
	round := func() error {
		if err := e.Reconcile(ctx); err != nil {
			return fmt.Errorf("cost round: %w", err)
		}
		w.clock.Add(pollMax)
		return nil
	}
	// The first round starts the 10 jobs; two more warm up.
	for range 3 {
		if err := round(); err != nil {
			return nil, err
		}
	}
	batches, err := st.ListBatches(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("list batches: %w", err)
	}
	var jobs []string
	for _, bt := range batches {
		jobs = append(jobs, bt.JobID)
	}
	if len(jobs) != launches/100 {
		return nil, fmt.Errorf("cost: %d jobs started, want %d", len(jobs), launches/100)
	}

	res := &CostResult{Launches: launches, Rounds: rounds}
	polls0, records0 := w.sim.Stats().Requests["DescribeJobs"], cs.records
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	cpu0, wall0 := cpuTime(), time.Now()
	for range rounds {
		if err := round(); err != nil {
			return nil, err
		}
	}
	cpu1, wall1 := cpuTime(), time.Now()
	runtime.ReadMemStats(&m1)
	n := time.Duration(rounds)
	res.CPU, res.Wall = (cpu1-cpu0)/n, wall1.Sub(wall0)/n
	res.Bytes = (m1.TotalAlloc - m0.TotalAlloc) / uint64(rounds)
	res.Allocs = (m1.Mallocs - m0.Mallocs) / uint64(rounds)
	res.Polls = w.sim.Stats().Requests["DescribeJobs"] - polls0
	res.Records = cs.records - records0

	cpu0 = cpuTime()
	for range rounds {
		if _, err := w.client.DescribeJobs(ctx, jobs); err != nil {
			return nil, fmt.Errorf("describe jobs: %w", err)
		}
	}
	res.DRSCPU = (cpuTime() - cpu0) / n

	// The heap with the run's state, then without: measured here, at the
	// end, what earlier scenarios left behind cancels out.
	with := liveHeap()
	runtime.KeepAlive(e)
	runtime.KeepAlive(w)
	without := liveHeap()
	res.Heap = with - min(with, without)
	b.progress("cost: %s CPU a round (%s of it DescribeJobs), %d KB allocated", res.CPU, res.DRSCPU, res.Bytes/1024)
	return res, nil
}

// liveHeap is the heap in use after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
