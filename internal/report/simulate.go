package report

import (
	"slices"
	"time"
)

// simWave is one wave in the makespan simulation.
type simWave struct {
	deps     []int
	overhead time.Duration
	// servers are the estimated launch durations per account and region,
	// in launch order.
	servers map[regionKey][]time.Duration
	order   []regionKey

	jobCount   int
	started    bool
	done       bool
	remaining  int // jobs not ended
	start, end time.Duration
	ending     bool // every job ended; the wave ends at end
	critical   int  // the dependency that ended last, or -1
}

func (w *simWave) add(key regionKey, d time.Duration) {
	if w.servers == nil {
		w.servers = map[regionKey][]time.Duration{}
	}
	if _, ok := w.servers[key]; !ok {
		w.order = append(w.order, key)
	}
	w.servers[key] = append(w.servers[key], d)
}

// simJob is one StartRecovery of the simulation. It holds its quota until
// its slowest server has launched.
type simJob struct {
	wave int
	size int
	dur  time.Duration
	end  time.Duration
}

// regionSim is the quota state of one account and region.
type regionSim struct {
	queue   []simJob
	active  []simJob
	servers int // in active jobs
}

// simulate runs the waves as the engine would, each job as soon as its
// account and region has capacity, and returns the time the last wave
// ends and that wave's index (-1 when there are no waves). It fills in
// the waves' start, end, job count and critical dependency.
func simulate(waves []simWave, q Quotas) (time.Duration, int) {
	regions := map[regionKey]*regionSim{}
	region := func(k regionKey) *regionSim {
		r := regions[k]
		if r == nil {
			r = &regionSim{}
			regions[k] = r
		}
		return r
	}
	for i := range waves {
		waves[i].critical = -1
	}
	var t time.Duration
	for {
		// Settle everything that happens at t.
		for changed := true; changed; {
			changed = false
			for i := range waves {
				w := &waves[i]
				if w.ending && !w.done && w.end <= t {
					w.done, changed = true, true
				}
				if w.started {
					continue
				}
				at, ok := readyAt(waves, i)
				if !ok || at > t {
					continue
				}
				w.started, w.start, changed = true, at, true
				for _, k := range w.order {
					jobs := pack(i, w.servers[k], q.ServersPerJob)
					w.jobCount += len(jobs)
					w.remaining += len(jobs)
					region(k).queue = append(region(k).queue, jobs...)
				}
				if w.remaining == 0 {
					w.ending, w.end = true, at+w.overhead
				}
			}
			for _, r := range regions {
				for len(r.queue) > 0 {
					j := r.queue[0]
					fits := len(r.active) < q.ActiveJobs && r.servers+j.size <= q.ServersInActiveJobs
					// A job larger than the servers-in-active-jobs quota
					// still runs alone rather than never.
					if !fits && len(r.active) > 0 {
						break
					}
					r.queue = r.queue[1:]
					j.end = t + j.dur
					r.active = append(r.active, j)
					r.servers += j.size
					changed = true
				}
			}
		}

		next, ok := nextEvent(waves, regions, t)
		if !ok {
			break
		}
		t = next
		for _, r := range regions {
			r.active = slices.DeleteFunc(r.active, func(j simJob) bool {
				if j.end > t {
					return false
				}
				r.servers -= j.size
				w := &waves[j.wave]
				if w.remaining--; w.remaining == 0 {
					w.ending, w.end = true, t+w.overhead
				}
				return true
			})
		}
	}

	last, end := -1, time.Duration(0)
	for i, w := range waves {
		if w.done && (last < 0 || w.end > end) {
			last, end = i, w.end
		}
	}
	return end, last
}

// readyAt returns when wave i may start: when its last dependency ended
// (0 without any), and whether every dependency has.
func readyAt(waves []simWave, i int) (time.Duration, bool) {
	w := &waves[i]
	at, crit := time.Duration(0), -1
	for _, d := range w.deps {
		if !waves[d].done {
			return 0, false
		}
		if crit < 0 || waves[d].end > at {
			at, crit = waves[d].end, d
		}
	}
	w.critical = crit
	return at, true
}

// nextEvent is the earliest moment after t when a job or a wave ends.
func nextEvent(waves []simWave, regions map[regionKey]*regionSim, t time.Duration) (time.Duration, bool) {
	var next time.Duration
	found := false
	consider := func(at time.Duration) {
		if at > t && (!found || at < next) {
			next, found = at, true
		}
	}
	for _, r := range regions {
		for _, j := range r.active {
			consider(j.end)
		}
	}
	for _, w := range waves {
		if w.ending && !w.done {
			consider(w.end)
		}
	}
	return next, found
}

// pack splits a wave's servers in one account and region into jobs of at
// most per servers, in order; a job lasts as long as its slowest server.
func pack(wave int, servers []time.Duration, per int) []simJob {
	var jobs []simJob
	for len(servers) > 0 {
		n := min(per, len(servers))
		j := simJob{wave: wave, size: n}
		for _, d := range servers[:n] {
			j.dur = max(j.dur, d)
		}
		jobs = append(jobs, j)
		servers = servers[n:]
	}
	return jobs
}
