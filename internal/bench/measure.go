package bench

import (
	"math"
	"sort"
	"time"
)

// Outcome is what one strategy achieved on one or more plans, read from
// the emulator after the run.
type Outcome struct {
	Strategy string `json:"strategy"`
	Servers  int    `json:"servers"`
	// Makespan runs from the start of the run to the end of the last
	// launch of the plans' servers, in emulated time.
	Makespan time.Duration `json:"makespan"`
	// Launched servers were in exactly one accepted StartRecovery and
	// their launch ended; NotLaunched were in none; Twice in more.
	Launched    int `json:"launched"`
	NotLaunched int `json:"notLaunched"`
	Twice       int `json:"twice"`
	// RefusedCalls are StartRecovery calls refused: by the emulator (a
	// quota, a conflict, validation) or, over 200 servers, by the client
	// before sending.
	RefusedCalls int `json:"refusedCalls"`
	// Calls are the emulator's request counters, by operation.
	Calls map[string]int `json:"calls"`
	// Polls are DescribeJobs calls naming jobs (not searches by date).
	Polls int `json:"polls"`
	// Transitions are, for each wave with dependencies, the time from
	// the end of its dependencies' last launch to its own first
	// StartRecovery call.
	Transitions []time.Duration `json:"transitions"`
	// Wall is the real time the run took.
	Wall time.Duration `json:"wall"`
}

// callsPerServer is the number of DRS calls per server of the plans.
func (o Outcome) callsPerServer() float64 {
	return float64(o.totalCalls()) / float64(max(o.Servers, 1))
}

// callsPerRecovered is the number of DRS calls per server the strategy
// recovered: a strategy that gives most servers up is not cheap for it.
// With no server recovered it is +Inf.
func (o Outcome) callsPerRecovered() float64 {
	if o.Launched == 0 {
		return math.Inf(1)
	}
	return float64(o.totalCalls()) / float64(o.Launched)
}

func (o Outcome) totalCalls() int {
	n := 0
	for _, v := range o.Calls {
		n += v
	}
	return n
}

// measure reads the outcome of a run that started at t0 from the
// emulator and the recorder.
func measure(w *world, strategy string, plans []benchPlan, t0 time.Time) Outcome {
	ends := w.sim.LaunchEnds()
	launches := w.sim.Launches()
	calls := w.rec.recorded()
	o := Outcome{Strategy: strategy, Calls: w.sim.Stats().Requests}

	first := map[string]time.Time{} // server → its first StartRecovery
	for _, c := range calls {
		switch c.op {
		case "StartRecovery":
			if c.status >= 400 {
				o.RefusedCalls++
			}
			for _, id := range c.servers {
				if _, ok := first[id]; !ok {
					first[id] = c.at
				}
			}
		case "DescribeJobs":
			if c.byIDs {
				o.Polls++
			}
		}
	}

	var last time.Time
	for _, p := range plans {
		waveEnd := map[string]time.Time{}
		for _, wave := range p.Waves {
			for _, id := range wave.Servers {
				o.Servers++
				switch n := launches[id]; {
				case n == 0:
					o.NotLaunched++
				case n > 1:
					o.Twice++
				case !ends[id].IsZero():
					o.Launched++
				}
				if e := ends[id]; e.After(waveEnd[wave.Name]) {
					waveEnd[wave.Name] = e
				}
			}
			if waveEnd[wave.Name].After(last) {
				last = waveEnd[wave.Name]
			}
		}
		for _, wave := range p.Waves {
			if len(wave.DependsOn) == 0 {
				continue
			}
			var depEnd, start time.Time
			for _, d := range wave.DependsOn {
				if waveEnd[d].After(depEnd) {
					depEnd = waveEnd[d]
				}
			}
			for _, id := range wave.Servers {
				if f, ok := first[id]; ok && (start.IsZero() || f.Before(start)) {
					start = f
				}
			}
			// A wave never asked for, or following one never launched,
			// has no transition.
			if !start.IsZero() && !depEnd.IsZero() {
				o.Transitions = append(o.Transitions, start.Sub(depEnd))
			}
		}
	}
	if !last.IsZero() {
		o.Makespan = last.Sub(t0)
	}
	return o
}

// spread summarizes durations: minimum, median and maximum.
func spread(ds []time.Duration) (lo, mid, hi time.Duration) {
	if len(ds) == 0 {
		return 0, 0, 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[0], s[len(s)/2], s[len(s)-1]
}
