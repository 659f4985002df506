package bench

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func secs(ns ...int) []time.Duration {
	out := make([]time.Duration, len(ns))
	for i, n := range ns {
		out[i] = time.Duration(n) * time.Second
	}
	return out
}

func TestGreedyWave(t *testing.T) {
	tests := []struct {
		name string
		ds   []time.Duration
		q    quotas
		want time.Duration
	}{
		{"two jobs at once", secs(10, 10, 10, 10), quotas{2, 20, 500}, 11 * time.Second},
		{"one active job", secs(10, 10, 10, 10), quotas{2, 1, 500}, 22 * time.Second},
		{"active servers", secs(10, 10, 10, 10), quotas{2, 20, 3}, 22 * time.Second},
		// Longest first: the two 9s share a job, the 1s the other.
		{"longest first", secs(1, 9, 1, 9), quotas{2, 1, 500}, 12 * time.Second},
		{"short job fills in", secs(9, 1, 1), quotas{1, 2, 500}, 10 * time.Second},
		{"empty", nil, defaultQuotas, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := greedyWave(tt.ds, time.Second, tt.q); got != tt.want {
				t.Errorf("greedyWave = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestLowerWave(t *testing.T) {
	tests := []struct {
		name string
		ds   []time.Duration
		q    quotas
		want time.Duration
	}{
		{"longest server", secs(10, 2, 2), quotas{100, 20, 500}, 11 * time.Second},
		{"server-time", secs(10, 10, 10, 10), quotas{100, 20, 2}, 22 * time.Second},
		{"empty", nil, defaultQuotas, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := lowerWave(tt.ds, time.Second, tt.q); got != tt.want {
				t.Errorf("lowerWave = %s, want %s", got, tt.want)
			}
		})
	}
}

// TestPlanBound checks that waves follow their dependencies: a chain adds
// up, waves depending on the same wave overlap.
func TestPlanBound(t *testing.T) {
	durs := map[string]time.Duration{"a1": 10 * time.Second, "b1": 20 * time.Second, "c1": 5 * time.Second}
	dur := func(id string) time.Duration { return durs[id] }
	q := quotas{100, 20, 500}
	tests := []struct {
		name string
		p    benchPlan
		want bound
	}{
		{"chain", benchPlan{Waves: []benchWave{
			{Name: "a", Servers: []string{"a1"}},
			{Name: "b", Servers: []string{"b1"}, DependsOn: []string{"a"}},
			{Name: "c", Servers: []string{"c1"}, DependsOn: []string{"b"}},
		}}, bound{Greedy: 38 * time.Second, Lower: 38 * time.Second}},
		{"fan out", benchPlan{Waves: []benchWave{
			{Name: "a", Servers: []string{"a1"}},
			{Name: "b", Servers: []string{"b1"}, DependsOn: []string{"a"}},
			{Name: "c", Servers: []string{"c1"}, DependsOn: []string{"a"}},
		}}, bound{Greedy: 32 * time.Second, Lower: 32 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, planBound(tt.p, dur, time.Second, q)); diff != "" {
				t.Errorf("bound mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestChainPlan(t *testing.T) {
	p := chainPlan("p", []int{1, 2}, []string{"s1", "s2", "s3", "s4"})
	want := benchPlan{Name: "p", Waves: []benchWave{
		{Name: "a", Servers: []string{"s1"}},
		{Name: "b", Servers: []string{"s2", "s3"}, DependsOn: []string{"a"}},
	}}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("plan mismatch (-want +got):\n%s", diff)
	}
}
