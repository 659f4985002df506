package bench

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"
)

// Targets the report is measured against.
const (
	targetMakespan   = 0.05            // within 5% of the bound
	targetSaved      = 1.0             // DRS calls saved per server
	targetTransition = 5 * time.Second // wave to wave
	targetAPI        = 0.5             // of the ceiling's throughput
)

// WriteMarkdown writes the report as the BENCHMARKS.md document: the
// method, one table per scenario, the targets and what explains a miss.
func WriteMarkdown(w io.Writer, r *Report, command string) error {
	p := &printer{w: w}
	p.header(r, command)
	has := func(n int) bool { return slices.Contains(r.Scenarios, n) }
	p.targets(r, has)
	if has(ScenarioMakespan) {
		p.makespan(r)
	}
	if has(ScenarioNaive) {
		p.naive(r)
	}
	if has(ScenarioCalls) {
		p.calls(r)
	}
	if has(ScenarioTransitions) {
		p.transitions(r)
	}
	if r.Concurrent != nil {
		p.concurrent(r.Concurrent)
	}
	if r.API != nil {
		p.api(r.API, r.Machine.Cores)
	}
	if r.Cost != nil {
		p.cost(r)
	}
	return p.err
}

// printer writes lines and keeps the first error.
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) f(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

func (p *printer) row(cells ...string) {
	p.f("| %s |\n", strings.Join(cells, " | "))
}

// table writes a header row and its rule.
func (p *printer) table(cells ...string) {
	p.row(cells...)
	rule := make([]string, len(cells))
	for i := range rule {
		rule[i] = "---"
	}
	p.row(rule...)
}

// em formats an emulated duration to the second.
func em(d time.Duration) string {
	if d < time.Minute {
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func pct(x float64) string { return fmt.Sprintf("%+.1f%%", 100*(x-1)) }

func (p *printer) header(r *Report, command string) {
	p.f("# drsorch benchmarks\n\n")
	p.f("How close drsorch comes to what DRS allows, next to naive orchestrators,\n")
	p.f("on the in-process DRS emulator. This file is generated; to reproduce it:\n\n")
	p.f("    %s\n\n", command)
	mode := "full"
	if r.Quick {
		mode = "quick (small plans; not the published numbers)"
	}
	p.f("Machine: %s, %d cores, %s, %s. Seed %d, %s run, %s of real time.\n\n",
		r.Machine.CPU, r.Machine.Cores, r.Machine.GoVersion, r.Machine.OS, r.Seed, mode, r.Wall.Round(time.Second))
	p.f("%s", methodText)
}

const methodText = `## Method

- **Emulated time.** The engine (package engine, default options: rounds
  every 5 s, a region's jobs polled 5 s apart inside the window in which
  each job is expected to end, from the launch durations seen per OS
  class, and up to 60 s apart outside it) and the emulator (package
  drssim) share a fake clock.
  ` + "`drsorch bench`" + ` runs a round with Reconcile, then moves the clock on by the
  engine's round interval, exactly what the engine's own loop does, with no
  time spent inside a round. The real DRS client (aws-sdk-go-v2) talks to the
  emulator in process, one attempt per call. The store is SQLite in memory.
- **Stable durations.** The emulator runs with StableDurations: each
  server's launch time (about 5 minutes for Linux, 20 for Windows, ±30%)
  depends on the seed and the server only, and every job stays PENDING for
  exactly 15 s before its servers start. Every strategy therefore meets the
  same durations, and the bound is computed from them (PlannedLaunch)
  before the run. Makespans depend only on the seed.
- **Makespan** runs from the moment the plan is handed over to the end of
  the last server's launch, as the emulator recorded it.
- **Plans** are chains: each wave depends on the one before it. Default DRS
  quotas: 100 servers per job, 20 active jobs, 500 servers in active jobs.

### The bound

Per wave, in dependency order, a wave starting the instant its
dependencies' last launch ends (zero orchestration overhead):

- **Greedy bound** (a valid schedule, so at least the optimum): sort the
  wave's servers longest first, cut them into jobs of 100, and start the
  jobs in that order, each as soon as fewer than 20 jobs and at most 500 −
  its size servers are active. A job lasts 15 s (PENDING) plus its slowest
  server, and holds its quota until then, as in DRS.
- **Lower bound** (at most the optimum): the longer of 15 s plus the wave's
  longest server, and the wave's total server-time (15 s plus its duration,
  per server) divided by 500.

The plan's bounds are these summed along the dependencies. The ratios
below are against both; the optimum lies between them.

### Naive strategies

Written directly on drs.Client, each on a fresh emulator of the same seed:

- **per-server**: for each wave, one StartRecovery per server, 1 s apart,
  then DescribeJobs of the wave's jobs every 30 s until all have ended,
  then the next wave. A refused server is given up.
- **per-server+retry**: the same, asking again, after each poll, for the
  servers refused by a quota, a conflict or throttling.
- **per-wave**: for each wave, one StartRecovery of all its servers, then
  DescribeJobs every 30 s until the job ends. A refused wave (more than 100
  servers is a quota error, more than 200 a validation error) is given up
  and the next wave started.

`

func (p *printer) targets(r *Report, has func(int) bool) {
	p.f("## Targets\n\n")
	p.table("target", "measured", "met")
	if has(ScenarioMakespan) {
		for _, pr := range r.Plans {
			x := ratio(pr.Outcomes[0].Makespan, pr.Greedy)
			p.row(fmt.Sprintf("makespan within 5%% of the bound, %d servers", pr.Servers),
				fmt.Sprintf("%s of the greedy bound (%s of the lower bound)", pct(x), pct(ratio(pr.Outcomes[0].Makespan, pr.Lower))),
				verdict(x <= 1+targetMakespan, fmt.Sprintf("missed by %.1f points", 100*(x-1-targetMakespan))))
		}
	}
	if has(ScenarioCalls) {
		for _, pr := range r.Plans {
			// Per recovered server, as the scenario is named: the
			// per-server strategy without retries gives most servers
			// up, and its calls per server of the plan would flatter it.
			d := find(pr, stratDrsorch).callsPerRecovered()
			ps, psr := find(pr, stratPerServer).callsPerRecovered(), find(pr, stratPerServerRetry).callsPerRecovered()
			saved := min(ps, psr) - d
			p.row(fmt.Sprintf("at least one DRS call saved per recovered server, %d servers", pr.Servers),
				fmt.Sprintf("%.3f per recovered server, against %.3f per-server and %.2f per-server+retry", d, ps, psr),
				verdict(saved >= targetSaved, fmt.Sprintf("missed by %.3f", targetSaved-saved)))
		}
	}
	if has(ScenarioTransitions) {
		for _, pr := range r.Plans {
			_, mid, hi := spread(pr.Outcomes[0].Transitions)
			p.row(fmt.Sprintf("wave transition under 5 s, %d servers", pr.Servers),
				fmt.Sprintf("median %s, max %s", em(mid), em(hi)),
				verdict(hi < targetTransition, fmt.Sprintf("max missed by %s", em(hi-targetTransition))))
		}
	}
	if r.API != nil {
		x := r.API.Ratio()
		p.row("API at least half the ceiling's throughput",
			fmt.Sprintf("%.2f of the ceiling", x),
			verdict(x >= targetAPI, fmt.Sprintf("missed: %.0f%% of the target", 100*x/targetAPI)))
	}
	p.f("\n")
}

func verdict(ok bool, miss string) string {
	if ok {
		return "yes"
	}
	return "**no**, " + miss
}

func find(pr PlanResult, strategy string) Outcome {
	for _, o := range pr.Outcomes {
		if o.Strategy == strategy {
			return o
		}
	}
	return Outcome{Strategy: strategy}
}

func waves(sizes []int) string {
	parts := make([]string, len(sizes))
	for i, n := range sizes {
		parts[i] = fmt.Sprint(n)
	}
	return strings.Join(parts, "+")
}

func (p *printer) makespan(r *Report) {
	p.f("## 1. Makespan against the bound\n\n")
	p.table("servers", "waves", "lower bound", "greedy bound", "drsorch", "vs greedy", "vs lower",
		"its batches, no overhead", "jobs seen ending (mean, max)", "rounds", "real time")
	for _, pr := range r.Plans {
		o, a := pr.Outcomes[0], pr.Analysis
		p.row(fmt.Sprint(pr.Servers), waves(pr.Waves), em(pr.Lower), em(pr.Greedy), em(o.Makespan),
			pct(ratio(o.Makespan, pr.Greedy)), pct(ratio(o.Makespan, pr.Lower)),
			em(a.Packed), em(a.DetectMean)+", "+em(a.DetectMax),
			fmt.Sprint(pr.Rounds), o.Wall.Round(time.Millisecond).String())
	}
	p.f("\n\"Its batches, no overhead\" schedules the batches drsorch actually made\n")
	p.f("(each wave's, in the order it requested them) like the greedy bound, with\n")
	p.f("no delay at all: the difference to the greedy bound is the cost of which\n")
	p.f("servers share a job; the difference to drsorch's makespan is the cost of\n")
	p.f("its polling (seeing a job end, requesting the next). \"Jobs seen ending\" is,\n")
	p.f("per job, from its last launch to the round that recorded its end; a\n")
	p.f("job whose end nothing waits for (section 4) is polled every 60 s, and\n")
	p.f("seen up to that late.\n\n")
	for _, pr := range r.Plans {
		o, a := pr.Outcomes[0], pr.Analysis
		p.f("- %d servers (%d of them over 10 minutes, Windows): %s over the greedy bound,\n", pr.Servers, a.Long, em(o.Makespan-pr.Greedy))
		p.f("  of which packing %s and polling %s. Its %d jobs last %s on average, the\n",
			em(a.Packed-pr.Greedy), em(o.Makespan-a.Packed), a.Batches, em(a.JobMean))
		p.f("  greedy bound's %s.\n", em(a.GreedyJobMean))
	}
	p.f("\n")
	exact := 0
	for _, pr := range r.Plans {
		if pr.Lower == pr.Greedy {
			exact++
		}
	}
	if exact > 0 {
		p.f("In %d of %d plans the two bounds are equal: every wave is as long as its\n", exact, len(r.Plans))
		p.f("longest server plus the pending delay, so the greedy schedule is optimal\n")
		p.f("and the bound exact.\n\n")
	}
	var missed []string
	for _, pr := range r.Plans {
		o, a := pr.Outcomes[0], pr.Analysis
		if ratio(o.Makespan, pr.Greedy) > 1+targetMakespan {
			missed = append(missed, fmt.Sprintf("%d servers: %.0f%% of the gap is packing",
				pr.Servers, 100*ratio(a.Packed-pr.Greedy, o.Makespan-pr.Greedy)))
		}
	}
	if len(missed) == 0 {
		p.f("Every plan is within the target.\n\n")
		return
	}
	p.f("Where drsorch misses the target (%s), the gap is mostly the packing, not\n", strings.Join(missed, "; "))
	p.f("the polling. %s", packingText)
}

const packingText = `The engine cuts a wave into batches longest expected
first: each launch carries its source server's OS (recorded when the
execution starts), Windows servers are expected to take longer, and
batches are cut from the wave's PENDING launches in that order, so the
long servers share few jobs while the short jobs cycle through the
remaining places. What is left is in-class order (the engine knows the
class, not each server's time) and how soon freed places are seen.

`

func (p *printer) naive(r *Report) {
	p.f("## 2. Naive strategies\n\n")
	p.table("servers", "strategy", "makespan", "vs greedy bound", "launched", "not launched",
		"refused calls", "DRS calls", "real time")
	for _, pr := range r.Plans {
		for _, o := range pr.Outcomes {
			calls := 0
			for _, v := range o.Calls {
				calls += v
			}
			mk := em(o.Makespan)
			if o.NotLaunched > 0 {
				mk += " (incomplete)"
			}
			p.row(fmt.Sprint(pr.Servers), o.Strategy, mk, pct(ratio(o.Makespan, pr.Greedy)),
				fmt.Sprint(o.Launched), fmt.Sprint(o.NotLaunched), fmt.Sprint(o.RefusedCalls),
				fmt.Sprint(calls), o.Wall.Round(time.Millisecond).String())
		}
	}
	p.f("\nA makespan marked incomplete is that of the servers that did launch.\n")
	p.f("per-server launches at most 20 servers at a time (one job each, 20 active\n")
	p.f("jobs) and gives the rest up; with retries it launches everything, 20 at a\n")
	p.f("time, at the cost of many refused calls. per-wave is refused for every\n")
	p.f("wave over 100 servers (by DRS's quota up to 200, by the client above).\n\n")
}

// opNames are the emulator operations, in the order the tables show them.
func opNames(r *Report) []string {
	seen := map[string]bool{}
	for _, pr := range r.Plans {
		for _, o := range pr.Outcomes {
			for k := range o.Calls {
				seen[k] = true
			}
		}
	}
	var out []string
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (p *printer) calls(r *Report) {
	p.f("## 3. DRS API calls per recovered server\n\n")
	p.f("Requests the emulator counted, by operation, over the servers of the plan\n")
	p.f("(DescribeJobs includes drsorch's searches by date of REQUESTING batches),\n")
	p.f("then all of them over the servers each strategy recovered: the targets\n")
	p.f("compare the latter, since a strategy that gives servers up spends its\n")
	p.f("calls on fewer of them.\n\n")
	ops := opNames(r)
	head := append([]string{"servers", "strategy"}, ops...)
	head = append(head, "total per server", "per recovered server", "saved vs per-server+retry")
	p.table(head...)
	for _, pr := range r.Plans {
		ref := find(pr, stratPerServerRetry).callsPerServer()
		for _, o := range pr.Outcomes {
			cells := []string{fmt.Sprint(pr.Servers), o.Strategy}
			for _, op := range ops {
				cells = append(cells, fmt.Sprintf("%.3f", float64(o.Calls[op])/float64(max(o.Servers, 1))))
			}
			cells = append(cells, fmt.Sprintf("%.3f", o.callsPerServer()), fmt.Sprintf("%.3f", o.callsPerRecovered()),
				fmt.Sprintf("%.3f", ref-o.callsPerServer()))
			p.row(cells...)
		}
	}
	p.f("\n")
}

func (p *printer) transitions(r *Report) {
	p.f("## 4. Wave transitions\n\n")
	p.f("From the end of a wave's last launch (emulator) to the next wave's first\n")
	p.f("StartRecovery (emulator), per wave after the first.\n\n")
	p.table("servers", "strategy", "transitions", "min", "median", "max", "all")
	for _, pr := range r.Plans {
		for _, o := range pr.Outcomes {
			lo, mid, hi := spread(o.Transitions)
			all := make([]string, len(o.Transitions))
			for i, d := range o.Transitions {
				all[i] = fmt.Sprintf("%.1f", d.Seconds())
			}
			p.row(fmt.Sprint(pr.Servers), o.Strategy, fmt.Sprint(len(o.Transitions)), em(lo), em(mid), em(hi), strings.Join(all, " "))
		}
	}
	p.f("\n")
	p.f("%s", transitionText)
}

const transitionText = `A drsorch transition is the time the engine takes to see the wave's last
job end: the next wave's first request goes out in that same round (the
engine's TestLargePlan asserts it). The engine keeps the durations of the
last 1,000 server launches per class (Windows or not, from the OS on the
launch; each known to lie between the poll that last saw it running and
the one that saw it launched, learnt once its job has ended) and, before
10 of a class, a prior: 5 min for Linux, 20 for Windows, ±30% uniform.
A job of n servers ends with the largest of n draws, so its window opens
when that largest has ended with probability 0.2 and closes when it has
with probability 0.99, given how long the servers still running have run.
Inside the window, and 15 s past it, the region is polled every 5 s;
before it, at the opening or 60 s on, whichever comes first; after it,
less and less often. A job whose end nothing waits for (another job of
its wave surely ends later, and no launch waits for room in the quotas)
is polled every 60 s. The price of opening at 0.2: one job in five that
ends a wave is expected to end before its window opens, and is then seen
up to a minute late; opening at 0.05 sees nearly every end within 5 s,
at 14% (3,000 servers) to 75% (100 servers) more DescribeJobs calls on
seed 1.

`

func (p *printer) concurrent(c *ConcurrentResult) {
	p.f("## 5. Executions sharing an account and region\n\n")
	p.f("%d plans of %d servers (waves %s) started together on one engine, then\n", c.Plans, c.Servers, waves(c.Waves))
	p.f("each alone on a fresh emulator.\n\n")
	p.table("execution", "together", "alone", "together / alone", "last wave's requests spread over")
	slow := c.Slowdowns()
	for i, m := range c.Makespans {
		p.row(fmt.Sprint(i+1), em(m), em(c.Alone[i]), fmt.Sprintf("%.3f", slow[i]), em(c.Waits[i]))
	}
	p.row("all", em(c.Total), em(c.BackToBack)+" back to back", fmt.Sprintf("%.3f", ratio(c.Total, c.BackToBack)), "")
	lo, _, hi := spread(c.Makespans)
	p.f("\nFairness, the largest slowdown over the smallest: %.3f (the makespans\n", c.Fairness())
	p.f("together, longest over shortest: %.3f). The plans' greedy bounds back to\n", ratio(hi, lo))
	p.f("back: %s. %d DRS calls, %d rounds.\n\n", em(c.Greedy), sum(c.Outcome.Calls), c.Rounds)
	if c.Plans*c.Waves[len(c.Waves)-1] > defaultQuotas.activeServers {
		p.f("%s", concurrentText)
	} else {
		p.f("The last waves together fit in the servers active jobs may hold: the\n")
		p.f("executions do not compete (the full run makes them).\n\n")
	}
}

const concurrentText = `The last waves ask for more servers together than active jobs may hold
(500). The engine gives each execution one batch in turn while room
lasts; the batches left over wait for a job to end, and the execution
they belong to ends that much later (the last column: from a wave's first
request to its last). Which execution that is follows from the turn
order, not from how long each has waited, so the cost of sharing falls on
one execution rather than being spread; a scheduler that gave the next
free room to the execution furthest behind its own pace would spread it.

`

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func (p *printer) api(a *APIResult, cores int) {
	limit := float64(cores) / max((a.Read+a.Encode).Seconds(), 1e-9)
	p.f("## 6. API under load\n\n")
	p.f("GET /api/v1/executions/{id} of the largest execution above (%d launches,\n", a.Launches)
	p.f("%d bytes), %d concurrent readers over 127.0.0.1, next to the same bytes\n", a.Bytes, a.Readers)
	p.f("served from memory by a handler of the same server process (the ceiling).\n")
	p.f("The execution is copied into a SQLite file in WAL mode, as drsorch serve\n")
	p.f("uses (the in-memory store of the runs has a single connection).\n")
	p.f("Real time, on a machine shared with other work: expect noise.\n\n")
	p.table("", "requests", "elapsed", "p50", "p99", "requests/s", "MB/s")
	for _, x := range []struct {
		name string
		l    APILoad
	}{{"API", a.API}, {"ceiling", a.Ceiling}} {
		p.row(x.name, fmt.Sprint(x.l.Requests), x.l.Elapsed.Round(time.Millisecond).String(), ms(x.l.P50), ms(x.l.P99),
			fmt.Sprintf("%.0f", x.l.PerSecond), fmt.Sprintf("%.0f", x.l.PerSecond*float64(a.Bytes)/1e6))
	}
	p.f("\nRatio of throughputs: %.3f. One request alone: %s reading the store and\n", a.Ratio(), ms(a.Read))
	p.f("building the view (execution.Service.Get), %s encoding it to JSON. At that\n", ms(a.Encode))
	p.f("cost, %d cores could serve no more than %.0f requests/s that each missed the\n", cores, limit)
	p.f("cache below (%.2f of the ceiling), before any HTTP work; the load above\n", limit/max(a.Ceiling.PerSecond, 1))
	p.f("reads an unchanged execution, whose requests hit it.\n\n")
	p.f("%s", apiText)
}

const apiText = `The API keeps the encoded body of each execution (64 MB, least recently
used first out) with the execution's Revision, which the store moves on with
every commit to the execution; a request reads that revision alone (one
column on SQLite, through store.RevisionReader; the header on a store
without it, such as DynamoDB), compares it and writes the kept bytes, and
answers If-None-Match with 304.
The one-request costs above are those of a miss (the first request after a
change); the load measures hits, as readers of an execution that does not
change in between see them.

`

func (p *printer) cost(r *Report) {
	c := r.Cost
	p.f("## 7. Engine cost\n\n")
	p.f("One round while the engine drives %d active launches (10 jobs of 100) and\n", c.Launches)
	p.f("nothing changes: the emulator's clock stands still, the engine's moves 60 s\n")
	p.f("a round so that every round polls. Mean of %d rounds, whole process (engine,\n", c.Rounds)
	p.f("SQLite store, DRS client and the emulator answering in process).\n\n")
	p.table("per round", "value")
	p.row("CPU", ms(c.CPU))
	p.row("of which the DescribeJobs call alone (SDK and emulator)", ms(c.DRSCPU))
	p.row("engine and store, the difference", ms(c.CPU-min(c.DRSCPU, c.CPU)))
	p.row("real time", ms(c.Wall))
	p.row("allocated", fmt.Sprintf("%d KB in %d allocations", c.Bytes/1024, c.Allocs))
	p.row("DescribeJobs calls", fmt.Sprintf("%.2f", float64(c.Polls)/float64(c.Rounds)))
	p.row("store records written", fmt.Sprintf("%.2f", float64(c.Records)/float64(c.Rounds)))
	p.f("\nLive Go heap the run holds (engine, store and emulator state for the\n")
	p.f("1,000 launches; SQLite's own pages are outside the Go heap): %d KB.\n\n", c.Heap/1024)
	if len(r.Plans) > 0 {
		p.f("Store writes per poll over whole executions (records: waves, launches,\n")
		p.f("batches; a launch is written three times in all: REQUESTED, LAUNCHING, LAUNCHED):\n\n")
		p.table("servers", "polls", "commits", "records", "commits per poll", "records per poll", "records per server")
		for _, pr := range r.Plans {
			o := pr.Outcomes[0]
			p.row(fmt.Sprint(pr.Servers), fmt.Sprint(o.Polls), fmt.Sprint(pr.Commits), fmt.Sprint(pr.Records),
				fmt.Sprintf("%.2f", float64(pr.Commits)/float64(max(o.Polls, 1))),
				fmt.Sprintf("%.2f", float64(pr.Records)/float64(max(o.Polls, 1))),
				fmt.Sprintf("%.2f", float64(pr.Records)/float64(pr.Servers)))
		}
		p.f("\n")
	}
}
