package bench

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/drsorch/drsorch/internal/drssim"
	"github.com/drsorch/drsorch/internal/plan"
)

// EngineAnalysis splits the gap between drsorch and the bound into what
// its packing costs and what its polling costs.
type EngineAnalysis struct {
	Batches int `json:"batches"`
	// Packed is the makespan of drsorch's own batches, each wave's in the
	// order it requested them, scheduled with no overhead: the bound for
	// its packing. Packed minus the greedy bound is the cost of which
	// servers share a job; the makespan minus Packed is the cost of
	// seeing jobs end late and requesting the next ones late.
	Packed time.Duration `json:"packed"`
	// Detect is, per job, from its last server's launch to the round in
	// which the engine recorded the job ended.
	DetectMean time.Duration `json:"detectMean"`
	DetectMax  time.Duration `json:"detectMax"`
	// Long counts servers whose launch takes over 10 minutes (Windows).
	Long int `json:"long"`
	// JobMean is the mean duration of drsorch's jobs and GreedyJobMean
	// that of the greedy bound's, both with the pending delay.
	JobMean       time.Duration `json:"jobMean"`
	GreedyJobMean time.Duration `json:"greedyJobMean"`
}

func analyse(ctx context.Context, w *world, p benchPlan, er *engineRun) (EngineAnalysis, error) {
	var a EngineAnalysis
	batches, err := er.store.ListBatches(ctx, er.ids[0])
	if err != nil {
		return a, fmt.Errorf("list batches: %w", err)
	}
	sort.SliceStable(batches, func(i, j int) bool { return batches[i].RequestTime.Before(batches[j].RequestTime) })
	ends := w.sim.LaunchEnds()
	dur := func(id string) time.Duration {
		d, _ := w.sim.PlannedLaunch(id)
		return d
	}
	byWave := map[string][]jobSpec{}
	var detect, jobs time.Duration
	for _, b := range batches {
		if b.Kind != plan.BatchLaunch || b.JobID == "" {
			continue
		}
		a.Batches++
		var longest time.Duration
		var end time.Time
		for _, id := range b.SourceServerIDs {
			longest = max(longest, dur(id))
			if ends[id].After(end) {
				end = ends[id]
			}
		}
		byWave[b.Wave] = append(byWave[b.Wave], jobSpec{n: len(b.SourceServerIDs), dur: drssim.StablePending + longest})
		jobs += drssim.StablePending + longest
		if b.EndTime != nil {
			d := b.EndTime.Sub(end)
			detect += d
			a.DetectMax = max(a.DetectMax, d)
		}
	}
	if a.Batches > 0 {
		a.DetectMean = detect / time.Duration(a.Batches)
		a.JobMean = jobs / time.Duration(a.Batches)
	}

	endOf := map[string]time.Duration{}
	var greedyJobs time.Duration
	greedyN := 0
	for _, wave := range p.Waves {
		var start time.Duration
		for _, d := range wave.DependsOn {
			start = max(start, endOf[d])
		}
		endOf[wave.Name] = start + scheduleJobs(byWave[wave.Name], defaultQuotas)
		a.Packed = max(a.Packed, endOf[wave.Name])

		ds := make([]time.Duration, len(wave.Servers))
		for i, id := range wave.Servers {
			ds[i] = dur(id)
			if ds[i] > 10*time.Minute {
				a.Long++
			}
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] > ds[j] })
		for i := 0; i < len(ds); i += defaultQuotas.perJob {
			greedyJobs += drssim.StablePending + ds[i]
			greedyN++
		}
	}
	if greedyN > 0 {
		a.GreedyJobMean = greedyJobs / time.Duration(greedyN)
	}
	return a, nil
}
