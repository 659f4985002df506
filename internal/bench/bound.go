package bench

import (
	"sort"
	"time"
)

// benchPlan is a recovery plan reduced to what the scenarios need: waves
// of source servers, each wave depending on the waves before it.
type benchPlan struct {
	Name  string
	Waves []benchWave
}

type benchWave struct {
	Name      string
	Servers   []string
	DependsOn []string
}

// size is the plan's number of servers.
func (p benchPlan) size() int {
	n := 0
	for _, w := range p.Waves {
		n += len(w.Servers)
	}
	return n
}

// chainPlan takes the servers for waves of the given sizes from ids, each
// wave depending on the previous one.
func chainPlan(name string, sizes []int, ids []string) benchPlan {
	p := benchPlan{Name: name}
	next := 0
	for i, n := range sizes {
		w := benchWave{Name: string(rune('a' + i)), Servers: ids[next : next+n]}
		next += n
		if i > 0 {
			w.DependsOn = []string{p.Waves[i-1].Name}
		}
		p.Waves = append(p.Waves, w)
	}
	return p
}

// quotas are the DRS limits the bound schedules under.
type quotas struct {
	perJob, activeJobs, activeServers int
}

var defaultQuotas = quotas{perJob: 100, activeJobs: 20, activeServers: 500}

// bound is the makespan of a plan with no orchestration overhead at all.
type bound struct {
	// Greedy is a valid schedule, so at least the optimum: every wave
	// starts the instant its dependencies end, its servers sorted longest
	// first and cut into jobs of perJob, jobs started in that order as
	// soon as the active-job and active-server quotas allow.
	Greedy time.Duration
	// Lower is at most the optimum: per wave, the longer of its longest
	// server and its total server-time (each server held from its job's
	// start: pending delay plus its own duration) over the servers
	// allowed in active jobs, summed along the dependencies.
	Lower time.Duration
}

// planBound computes both bounds for p, given each server's launch
// duration and the fixed PENDING delay of a job.
func planBound(p benchPlan, dur func(string) time.Duration, pending time.Duration, q quotas) bound {
	greedyEnd := map[string]time.Duration{}
	lowerEnd := map[string]time.Duration{}
	var b bound
	for _, w := range p.Waves {
		var gStart, lStart time.Duration
		for _, d := range w.DependsOn {
			gStart = max(gStart, greedyEnd[d])
			lStart = max(lStart, lowerEnd[d])
		}
		ds := make([]time.Duration, len(w.Servers))
		for i, id := range w.Servers {
			ds[i] = dur(id)
		}
		greedyEnd[w.Name] = gStart + greedyWave(ds, pending, q)
		lowerEnd[w.Name] = lStart + lowerWave(ds, pending, q)
		b.Greedy = max(b.Greedy, greedyEnd[w.Name])
		b.Lower = max(b.Lower, lowerEnd[w.Name])
	}
	return b
}

// greedyWave schedules one wave's servers from time zero and returns when
// its last job ends.
func greedyWave(ds []time.Duration, pending time.Duration, q quotas) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	sorted := append([]time.Duration(nil), ds...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] > sorted[j] })
	var jobs []jobSpec
	for i := 0; i < len(sorted); i += q.perJob {
		n := min(q.perJob, len(sorted)-i)
		// Sorted longest first: a job lasts as long as its first server.
		jobs = append(jobs, jobSpec{n: n, dur: pending + sorted[i]})
	}
	return scheduleJobs(jobs, q)
}

// jobSpec is a job of n servers that lasts dur from its request.
type jobSpec struct {
	n   int
	dur time.Duration
}

// scheduleJobs starts jobs in their order, each as soon as the active-job
// and active-server quotas allow, from time zero, and returns when the
// last ends.
func scheduleJobs(jobs []jobSpec, q quotas) time.Duration {
	type active struct {
		end time.Duration
		n   int
	}
	var running []active
	var now, end time.Duration
	servers := 0
	for _, j := range jobs {
		// Wait for the earliest ends until this job fits.
		for len(running) > 0 && (len(running) >= q.activeJobs || servers+j.n > q.activeServers) {
			sort.Slice(running, func(a, b int) bool { return running[a].end < running[b].end })
			now = max(now, running[0].end)
			servers -= running[0].n
			running = running[1:]
		}
		running = append(running, active{end: now + j.dur, n: j.n})
		servers += j.n
		end = max(end, now+j.dur)
	}
	return end
}

// lowerWave is a simple lower bound of one wave's makespan.
func lowerWave(ds []time.Duration, pending time.Duration, q quotas) time.Duration {
	var longest, total time.Duration
	for _, d := range ds {
		longest = max(longest, d)
		total += pending + d
	}
	if len(ds) == 0 {
		return 0
	}
	return max(pending+longest, total/time.Duration(q.activeServers))
}
