package report

import (
	"math"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/drssim"
	"github.com/drsorch/drsorch/internal/plan"
)

func TestSimulate(t *testing.T) {
	k := regionKey{"1", "us-east-1"}
	other := regionKey{"1", "eu-west-1"}
	min := time.Minute
	same := func(n int, d time.Duration) []time.Duration {
		out := make([]time.Duration, n)
		for i := range out {
			out[i] = d
		}
		return out
	}
	type wave struct {
		deps     []int
		overhead time.Duration
		servers  map[regionKey][]time.Duration
	}
	type result struct {
		End      time.Duration
		Critical []int // from the last wave back
		Jobs     []int
		Starts   []time.Duration
	}
	tests := []struct {
		name   string
		quotas Quotas
		waves  []wave
		want   result
	}{
		{
			name:  "a chain adds up",
			waves: []wave{{servers: map[regionKey][]time.Duration{k: {5 * min, 7 * min}}}, {deps: []int{0}, overhead: min, servers: map[regionKey][]time.Duration{k: {20 * min}}}},
			want:  result{End: 28 * min, Critical: []int{1, 0}, Jobs: []int{1, 1}, Starts: []time.Duration{0, 7 * min}},
		},
		{
			name: "parallel branches: the slower one is critical",
			waves: []wave{
				{servers: map[regionKey][]time.Duration{k: {5 * min}}},
				{deps: []int{0}, servers: map[regionKey][]time.Duration{k: {20 * min}}},
				{deps: []int{0}, servers: map[regionKey][]time.Duration{k: {5 * min}}},
				{deps: []int{1, 2}, servers: map[regionKey][]time.Duration{k: {5 * min}}},
			},
			want: result{End: 30 * min, Critical: []int{3, 1, 0}, Jobs: []int{1, 1, 1, 1},
				Starts: []time.Duration{0, 5 * min, 5 * min, 25 * min}},
		},
		{
			name:   "servers per job splits a wave; active jobs queue the rest",
			quotas: Quotas{ServersPerJob: 100, ActiveJobs: 2},
			waves:  []wave{{servers: map[regionKey][]time.Duration{k: same(250, 5*min)}}},
			want:   result{End: 10 * min, Critical: []int{0}, Jobs: []int{3}, Starts: []time.Duration{0}},
		},
		{
			name:   "servers in active jobs queue a job",
			quotas: Quotas{ServersPerJob: 100, ServersInActiveJobs: 150},
			waves:  []wave{{servers: map[regionKey][]time.Duration{k: same(200, 5*min)}}},
			want:   result{End: 10 * min, Critical: []int{0}, Jobs: []int{2}, Starts: []time.Duration{0}},
		},
		{
			name:   "quotas are per region",
			quotas: Quotas{ServersPerJob: 100, ActiveJobs: 1},
			waves: []wave{{servers: map[regionKey][]time.Duration{
				k: same(100, 5*min), other: same(100, 5*min)}}},
			want: result{End: 5 * min, Critical: []int{0}, Jobs: []int{2}, Starts: []time.Duration{0}},
		},
		{
			name:   "parallel waves share a region's quota",
			quotas: Quotas{ServersPerJob: 100, ActiveJobs: 1},
			waves: []wave{
				{servers: map[regionKey][]time.Duration{k: same(10, 5*min)}},
				{servers: map[regionKey][]time.Duration{k: same(10, 6*min)}},
			},
			want: result{End: 11 * min, Critical: []int{1}, Jobs: []int{1, 1}, Starts: []time.Duration{0, 0}},
		},
		{
			name:  "an empty wave takes its overhead",
			waves: []wave{{overhead: 2 * min}, {deps: []int{0}, servers: map[regionKey][]time.Duration{k: {5 * min}}}},
			want:  result{End: 7 * min, Critical: []int{1, 0}, Jobs: []int{0, 1}, Starts: []time.Duration{0, 2 * min}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws := make([]simWave, len(tt.waves))
			for i, w := range tt.waves {
				ws[i] = simWave{deps: w.deps, overhead: w.overhead}
				for _, key := range []regionKey{k, other} {
					for _, d := range w.servers[key] {
						ws[i].add(key, d)
					}
				}
			}
			end, last := simulate(ws, tt.quotas.withDefaults())
			got := result{End: end}
			for i := last; i >= 0; i = ws[i].critical {
				got.Critical = append(got.Critical, i)
			}
			for _, w := range ws {
				got.Jobs = append(got.Jobs, w.jobCount)
				got.Starts = append(got.Starts, w.start)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("simulation mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// predictionError is the error a prediction from one earlier drill is
// held to on the emulator, whose launches vary ±30% per server and job.
const predictionError = 0.15

// TestPredictAgainstDrill predicts the shop plan from a first drill and
// compares it with the makespan of a second one.
func TestPredictAgainstDrill(t *testing.T) {
	isolateAWSEnv(t)
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, drssim.Options{Servers: 40, Seed: 11})
		p := e.shop(60)
		gated := p.Waves
		gated[2].PauseBefore = true
		p.Waves = gated
		if err := e.st.UpdatePlan(e.ctx, p); err != nil {
			t.Fatal(err)
		}

		cold, err := e.rep.Predict(e.ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if cold.Measured != 0 || cold.DrillsUsed != 0 || cold.Servers != 40 {
			t.Errorf("cold prediction: %d measured of %d from %d drills", cold.Measured, cold.Servers, cold.DrillsUsed)
		}
		for _, w := range cold.Waves {
			for _, s := range w.Estimates {
				want := map[string]float64{SourceTypicalLinux: 300, SourceTypicalWindows: 1200}[s.Source]
				if s.Seconds != want {
					t.Errorf("server %s (%s): %v s from %s", s.SourceServerID, s.OS, s.Seconds, s.Source)
				}
			}
		}

		first := e.run(p.ID, plan.ModeDrill, "carol")
		time.Sleep(time.Hour)
		pr, err := e.rep.Predict(e.ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		second := e.run(p.ID, plan.ModeDrill, "carol")
		actual := seconds(second.EndTime.Sub(second.CreatedAt))
		coldErr := math.Abs(cold.MakespanSeconds-actual) / actual
		warmErr := math.Abs(pr.MakespanSeconds-actual) / actual
		t.Logf("first drill %s; predicted %s cold (error %.1f%%), %s from the first drill; second drill %s (error %.1f%%)",
			FormatSeconds(seconds(first.EndTime.Sub(first.CreatedAt))), FormatSeconds(cold.MakespanSeconds),
			coldErr*100, FormatSeconds(pr.MakespanSeconds), FormatSeconds(actual), warmErr*100)
		if warmErr > predictionError {
			t.Errorf("predicted %v s, second drill took %v s: error %.1f%% over %.0f%%",
				pr.MakespanSeconds, actual, warmErr*100, predictionError*100)
		}
		if pr.Measured != 40 || pr.DrillsUsed != 1 {
			t.Errorf("%d of 40 servers measured from %d drills", pr.Measured, pr.DrillsUsed)
		}
		if diff := cmp.Diff([]string{"database", "application", "web"}, pr.CriticalPath); diff != "" {
			t.Errorf("critical path mismatch (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"web"}, pr.ApprovalGates); diff != "" {
			t.Errorf("approval gates mismatch (-want +got):\n%s", diff)
		}
		wantMet := pr.MakespanSeconds <= 3600
		if pr.RTOMet == nil || *pr.RTOMet != wantMet {
			t.Errorf("rtoMet %v, want %v", pr.RTOMet, wantMet)
		}
	})
}
