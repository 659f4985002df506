package engine

import (
	"cmp"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/drsorch/drsorch/internal/plan"
)

// Classes of durations: a server's launch by its operating system, a
// terminate job on its own.
const (
	classLinux     = "linux" // and anything not known to be slower
	classWindows   = "windows"
	classTerminate = "terminate"
)

// windowsFactor is how much longer a Windows server is assumed to take to
// launch than a Linux one until enough Windows launches have been seen:
// DRS converts a Windows disk for far longer.
const windowsFactor = 4

// priorSpread is the half width, as a share of the center, of the uniform
// distribution assumed for a class before it has been seen.
const priorSpread = 0.3

// maxSamples bounds the durations kept per class (the latest ones), and
// minSamples is how many a class needs before they replace the prior.
const (
	maxSamples = 1000
	minSamples = 10
)

// qStart and qEnd bound the window in which a job is polled at PollMin:
// the probabilities that the job has ended by its start and by its end.
// qStart and qEnd bound the window in which a job is polled at PollMin:
// the probabilities that the job has ended by its opening and by its
// close. qStart trades calls for latency: a job ends before its window
// opens one time in five, and is then seen up to PollMax late; 0.05
// would see nearly every end within PollMin, at 14% to 75% more calls
// in drsorch bench (more for small plans, whose few Windows servers
// make wide windows).
const (
	qStart = 0.2
	qEnd   = 0.99
)

// launchClass is the class of one server's launch, from its OS.
func launchClass(l *plan.Launch) string {
	if strings.Contains(strings.ToLower(l.OS), "windows") {
		return classWindows
	}
	return classLinux
}

// ring keeps the latest maxSamples durations of a class and a sorted copy
// of them, made again when asked for after a change.
type ring struct {
	vals   []time.Duration
	next   int
	sorted []time.Duration
}

func (g *ring) add(d time.Duration) {
	if len(g.vals) < maxSamples {
		g.vals = append(g.vals, d)
	} else {
		g.vals[g.next] = d
		g.next = (g.next + 1) % maxSamples
	}
	g.sorted = nil
}

func (g *ring) sortedVals() []time.Duration {
	if g.sorted == nil {
		g.sorted = slices.Clone(g.vals)
		slices.Sort(g.sorted)
	}
	return g.sorted
}

// samples are a class's observed durations. A duration is only known to
// lie between two polls, the last that saw the launch running and the
// first that saw it ended: low keeps the former, high the latter, so that
// a window is opened early from low and closed late from high.
type samples struct{ low, high ring }

// dist is a distribution of durations, a piecewise linear CDF through
// knots: P(D <= x[i]) = p[i], p rising from 0 to 1.
type dist struct {
	x, p []float64
	m    int // the samples it was made from; 0 for a prior
}

// uniform is the distribution even between lo and hi.
func uniform(lo, hi time.Duration) dist {
	return dist{x: []float64{float64(lo), float64(hi)}, p: []float64{0, 1}}
}

// empirical is the distribution of sorted samples (at least two): the
// i-th of m at probability i/(m+1), the expected place of the i-th
// order statistic, reaching 0 and 1 one mean gap beyond the smallest
// and the largest, where a uniform's ends are expected to be.
func empirical(xs []time.Duration) dist {
	m := len(xs)
	gap := float64(xs[m-1]-xs[0]) / float64(m-1)
	d := dist{x: make([]float64, 0, m+2), p: make([]float64, 0, m+2), m: m}
	d.x = append(d.x, max(float64(xs[0])-gap, 0))
	d.p = append(d.p, 0)
	for i, x := range xs {
		d.x = append(d.x, float64(x))
		d.p = append(d.p, float64(i+1)/float64(m+1))
	}
	d.x = append(d.x, float64(xs[m-1])+gap)
	d.p = append(d.p, 1)
	return d
}

// scaled is the distribution of f times a duration of d.
func (d dist) scaled(f float64) dist {
	out := dist{x: make([]float64, len(d.x)), p: d.p, m: d.m}
	for i, x := range d.x {
		out.x[i] = x * f
	}
	return out
}

// cdf is P(D <= t).
func (d dist) cdf(t float64) float64 {
	i := sort.SearchFloat64s(d.x, t) // first knot at or after t
	for i < len(d.x) && d.x[i] == t {
		i++ // past equal knots: the largest probability at t
	}
	switch {
	case i == 0:
		return 0
	case i == len(d.x):
		return 1
	}
	x0, x1 := d.x[i-1], d.x[i]
	return d.p[i-1] + (d.p[i]-d.p[i-1])*(t-x0)/(x1-x0)
}

// quantile is the least t with P(D <= t) >= q.
func (d dist) quantile(q float64) float64 {
	i := sort.SearchFloat64s(d.p, q)
	switch {
	case i == 0:
		return d.x[0]
	case i == len(d.p):
		return d.x[len(d.x)-1]
	}
	p0, p1 := d.p[i-1], d.p[i]
	return d.x[i-1] + (d.x[i]-d.x[i-1])*(q-p0)/(p1-p0)
}

func (d dist) top() float64 { return d.x[len(d.x)-1] }

// expectations are the durations the engine has seen, by class, from a
// request to the poll that saw the server launched (a terminate job: the
// job ended).
type expectations struct {
	def     time.Duration // ExpectedJobDuration: a Linux launch, unseen
	byClass map[string]*samples
	seen    map[string]time.Time    // batch ID: its job's latest poll
	held    map[string][]heldSample // batch ID: its durations so far
}

// heldSample is a duration seen in a job that has not ended. A job's
// durations are learnt only once it has ended, all of them together:
// those seen while it runs are its quickest, and learnt alone they would
// make its slow servers look late.
type heldSample struct {
	class     string
	low, high time.Duration
}

func newExpectations(def time.Duration) *expectations {
	return &expectations{def: def, byClass: make(map[string]*samples),
		seen: make(map[string]time.Time), held: make(map[string][]heldSample)}
}

// hold keeps a duration of a batch's job until the job ends.
func (x *expectations) hold(batchID, class string, low, high time.Duration) {
	x.held[batchID] = append(x.held[batchID], heldSample{class, low, high})
}

// ended learns the durations held for a batch whose job has ended.
func (x *expectations) ended(batchID string) {
	for _, h := range x.held[batchID] {
		x.observe(h.class, h.low, h.high)
	}
	delete(x.held, batchID)
	delete(x.seen, batchID)
}

// observe records one duration, known to lie between low and high.
func (x *expectations) observe(class string, low, high time.Duration) {
	if high <= 0 {
		return
	}
	s := x.byClass[class]
	if s == nil {
		s = &samples{}
		x.byClass[class] = s
	}
	s.low.add(max(low, 0))
	s.high.add(high)
}

// dist returns the distribution of a class's durations, from the low or
// the high samples. A class seen fewer than minSamples times has the
// prior: uniform within ±30% of ExpectedJobDuration (four times that for
// Windows), centered instead on the other launch class's median (scaled
// by four) once that one has been seen enough, so that Linux launches
// longer than assumed move the Windows guess along. Only the center is
// scaled: the other class's spread, four times over, would be mostly
// the time between polls.
func (x *expectations) dist(class string, high bool) dist {
	get := func(c string) []time.Duration {
		s := x.byClass[c]
		if s == nil {
			return nil
		}
		if high {
			return s.high.sortedVals()
		}
		return s.low.sortedVals()
	}
	if xs := get(class); len(xs) >= minSamples {
		return empirical(xs)
	}
	center, other, f := x.def, "", 1.0
	switch class {
	case classWindows:
		center, other, f = x.def*windowsFactor, classLinux, windowsFactor
	case classLinux:
		other, f = classWindows, 1.0/windowsFactor
	}
	if xs := get(other); other != "" && len(xs) >= minSamples {
		center = time.Duration(empirical(xs).quantile(0.5) * f)
	}
	spread := time.Duration(float64(center) * priorSpread)
	return uniform(center-spread, center+spread)
}

// median is a class's typical duration.
func (x *expectations) median(class string) time.Duration {
	return time.Duration(x.dist(class, true).quantile(0.5))
}

// maxQuantile returns when the last of n[class] durations, each drawn from
// its class's distribution given that it exceeds elapsed, has ended with
// probability q: P(max <= t) = Π_c ((F_c(t)-F_c(e))/(1-F_c(e)))^n_c.
// With no durations left it is elapsed; ok is false when some class has
// no probability left beyond elapsed (they are all overdue).
func (x *expectations) maxQuantile(n map[string]int, elapsed time.Duration, q float64, high bool) (t time.Duration, ok bool) {
	type term struct {
		d    dist
		f0   float64
		n    float64
		only bool
	}
	e := float64(elapsed)
	var terms []term
	hi := e
	for _, c := range slices.Sorted(mapKeys(n)) {
		if n[c] <= 0 {
			continue
		}
		d := x.dist(c, high)
		f0 := d.cdf(e)
		if f0 >= 1 {
			return elapsed, false
		}
		k := n[c]
		if !high && d.m > 0 {
			// m samples place nothing finer than 1/m: the opening of
			// a window for more servers than that would rest on the
			// one or two largest samples alone.
			k = min(k, max(d.m/2, 1))
		}
		terms = append(terms, term{d: d, f0: f0, n: float64(k)})
		hi = max(hi, d.top())
	}
	if len(terms) == 0 {
		return elapsed, true
	}
	if len(terms) == 1 {
		// One class: the quantile of the max of n is that of one draw at
		// q^(1/n), n/(n+1) of the way up being its expectation.
		tm := terms[0]
		p := tm.f0 + (1-tm.f0)*math.Pow(q, 1/tm.n)
		return time.Duration(max(tm.d.quantile(p), e)), true
	}
	prob := func(t float64) float64 {
		out := 1.0
		for _, tm := range terms {
			out *= math.Pow(max(tm.d.cdf(t)-tm.f0, 0)/(1-tm.f0), tm.n)
		}
		return out
	}
	lo := e
	for range 60 { // to well under a millisecond over hours
		mid := (lo + hi) / 2
		if prob(mid) >= q {
			hi = mid
		} else {
			lo = mid
		}
	}
	return time.Duration(hi), true
}

func mapKeys(m map[string]int) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// sortLongestFirst orders launches by expected duration, longest first,
// keeping the order of equals, so that the batches cut from them put the
// long servers together: a job holds its place in the quotas until its
// slowest server is done, and one slow server in each of many jobs holds
// them all.
func (x *expectations) sortLongestFirst(ls []*plan.Launch) {
	type keyed struct {
		l *plan.Launch
		d time.Duration
	}
	byClass := make(map[string]time.Duration, 2)
	ks := make([]keyed, len(ls))
	for i, l := range ls {
		c := launchClass(l)
		d, ok := byClass[c]
		if !ok {
			d = x.median(c)
			byClass[c] = d
		}
		ks[i] = keyed{l, d}
	}
	slices.SortStableFunc(ks, func(a, b keyed) int { return cmp.Compare(b.d, a.d) })
	for i, k := range ks {
		ls[i] = k.l
	}
}

// afterWindow is how long past its window a job is still polled at
// PollMin, for the durations not seen yet that lie beyond those seen.
const afterWindow = 3 // times PollMin

// window returns, from a batch's request, when its job is expected to
// end: open when it has ended with probability qStart, from the
// distribution of the largest of its servers' durations (low samples),
// and closeAt when it has with probability qEnd, given that the servers
// still running have run for as long as they have (high samples), so
// that a job whose slow servers have launched closes early, plus
// afterWindow.
func (e *Engine) window(r *run, b *plan.Batch, now time.Time) (open, closeAt time.Duration) {
	all := make(map[string]int, 2)
	running := make(map[string]int, 2)
	if b.Kind == plan.BatchTerminate {
		all[classTerminate], running[classTerminate] = 1, 1
	} else {
		for _, l := range r.launchesOf(b) {
			c := launchClass(l)
			all[c]++
			if l.Status == plan.LaunchLaunching || l.Status == plan.LaunchRequested {
				running[c]++
			}
		}
	}
	elapsed := max(now.Sub(b.RequestTime), 0)
	open, _ = e.expect.maxQuantile(all, 0, qStart, false)
	// Its slow servers done, the rest of a job may end before its window
	// opens: theirs opens when, given how long they have run, they have
	// ended with probability qStart.
	if o, ok := e.expect.maxQuantile(running, elapsed, qStart, false); ok {
		open = min(open, o)
	}
	closeAt, ok := e.expect.maxQuantile(running, elapsed, qEnd, true)
	if !ok {
		closeAt, _ = e.expect.maxQuantile(all, 0, qEnd, true)
	}
	return open, closeAt + afterWindow*e.opts.PollMin
}

// pollDelay is how soon a batch's job should be looked at again. Before
// its window, at its opening (at most PollMax away); inside it, PollMin;
// after it, half the time overdue, so that one stuck job does not keep
// the region polled at PollMin. A job whose end nothing waits for is
// polled at PollMax throughout: one that is sure to end before another
// job of its wave may (the wave waits for that one), while no launch of
// its account and region waits for room in the quotas.
func (e *Engine) pollDelay(r *run, b *plan.Batch, now time.Time) time.Duration {
	open, closeAt := e.window(r, b, now)
	if b.Kind == plan.BatchLaunch && !e.waitingFor(batchKey(b)) && e.outlasted(r, b, closeAt, now) {
		return e.opts.PollMax
	}
	elapsed := max(now.Sub(b.RequestTime), 0)
	var d time.Duration
	switch {
	case elapsed < open:
		d = open - elapsed
	case elapsed < closeAt:
		d = 0
	default:
		d = (elapsed - closeAt) / 2
	}
	return min(max(d, e.opts.PollMin), e.opts.PollMax)
}

// outlasted tells whether another running job of b's wave is sure to end
// after b's job (its window opens after b's closes), so that the end of
// b's job alone ends nothing.
func (e *Engine) outlasted(r *run, b *plan.Batch, closeAt time.Duration, now time.Time) bool {
	end := b.RequestTime.Add(closeAt)
	for _, o := range r.batches {
		if o == b || o.Wave != b.Wave || o.Kind != plan.BatchLaunch || !batchActive(o) || o.EndTime != nil {
			continue
		}
		if open, _ := e.window(r, o, now); o.RequestTime.Add(open).After(end) {
			return true
		}
	}
	return false
}

// waitingFor tells whether launches wait for room in an account and
// region's quotas: pending in a launching wave of a running execution.
func (e *Engine) waitingFor(k regionKey) bool {
	for _, r := range e.runs {
		if r.ex.Status != plan.ExecRunning {
			continue
		}
		for _, w := range r.waves {
			if w.Status != plan.WaveLaunching {
				continue
			}
			for _, l := range r.byWave[w.Name] {
				if l.Status == plan.LaunchPending && launchKey(l) == k {
					return true
				}
			}
		}
	}
	return false
}
