package engine

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/drsorch/drsorch/internal/plan"
)

// Classes of jobs by what their duration is expected from: a launch job
// by the slowest operating system among its servers, a terminate job on
// its own.
const (
	classLinux     = "linux" // and anything not known to be slower
	classWindows   = "windows"
	classTerminate = "terminate"
)

// windowsFactor is how much longer a Windows server is assumed to take to
// launch than a Linux one until a job of Windows servers has been seen:
// DRS converts a Windows disk for far longer.
const windowsFactor = 4

// launchClass is the class of one server's launch, from its OS.
func launchClass(l *plan.Launch) string {
	if strings.Contains(strings.ToLower(l.OS), "windows") {
		return classWindows
	}
	return classLinux
}

// jobStats learns how long jobs of one class take, to poll when they are
// due.
type jobStats struct {
	expected time.Duration // moving average of request-to-end times
	dev      time.Duration // moving average of the distance to it
	n        int
}

func (s *jobStats) observe(d time.Duration) {
	if d <= 0 {
		return
	}
	s.n++
	w := time.Duration(min(s.n, 10)) // the average of the last ten or so
	if s.n == 1 {
		s.expected = d
		return
	}
	diff := d - s.expected
	s.expected += diff / w
	s.dev += (max(diff, -diff) - s.dev) / w
}

// expectations are the engine's learnt job durations, by class.
type expectations struct {
	def     time.Duration // ExpectedJobDuration: a Linux launch, unseen
	byClass map[string]*jobStats
}

func newExpectations(def time.Duration) *expectations {
	return &expectations{def: def, byClass: make(map[string]*jobStats)}
}

// of returns the expected duration of a job of the class and how far
// from it jobs of the class have been seen to end. A launch class never
// seen is scaled from the other one, so that one job of Linux servers
// taking longer than assumed moves the Windows guess along with it.
func (x *expectations) of(class string) (expected, dev time.Duration) {
	if s := x.byClass[class]; s != nil && s.n > 0 {
		return s.expected, s.dev
	}
	switch class {
	case classTerminate:
		return x.def, 0
	case classWindows:
		if s := x.byClass[classLinux]; s != nil && s.n > 0 {
			return s.expected * windowsFactor, s.dev * windowsFactor
		}
		return x.def * windowsFactor, 0
	default:
		if s := x.byClass[classWindows]; s != nil && s.n > 0 {
			return s.expected / windowsFactor, s.dev / windowsFactor
		}
		return x.def, 0
	}
}

func (x *expectations) observe(class string, d time.Duration) {
	s := x.byClass[class]
	if s == nil {
		s = &jobStats{}
		x.byClass[class] = s
	}
	s.observe(d)
}

// launch is the expected duration of one server's launch.
func (x *expectations) launch(l *plan.Launch) time.Duration {
	d, _ := x.of(launchClass(l))
	return d
}

// batchClass is the class of a batch's job: a launch batch's is that of
// its slowest server.
func (x *expectations) batchClass(ls []*plan.Launch, kind string) string {
	if kind == plan.BatchTerminate {
		return classTerminate
	}
	class := classLinux
	var longest time.Duration
	for _, l := range ls {
		if d := x.launch(l); d > longest {
			class, longest = launchClass(l), d
		}
	}
	return class
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
			d, _ = x.of(c)
			byClass[c] = d
		}
		ks[i] = keyed{l, d}
	}
	slices.SortStableFunc(ks, func(a, b keyed) int { return cmp.Compare(b.d, a.d) })
	for i, k := range ks {
		ls[i] = k.l
	}
}

// pollDelay is how soon a job should be looked at again. Well before its
// expected end (its class's, less twice the spread seen), half the
// distance to that, so polls come closer as the end nears; from there on
// PollMin, since a job near or past its expected end is the likeliest to
// end next. A job overdue by more than a quarter of its expected duration
// is polled less and less often again, so that one stuck job does not
// keep the region polled at PollMin.
func (e *Engine) pollDelay(r *run, b *plan.Batch, now time.Time) time.Duration {
	expected, dev := e.expect.of(e.expect.batchClass(r.launchesOf(b), b.Kind))
	end := b.RequestTime.Add(expected)
	var d time.Duration
	switch near := max(2*dev, e.opts.PollMin); {
	case now.Before(end.Add(-near)):
		d = end.Add(-near).Sub(now) / 2
	case now.Before(end.Add(expected / 4)):
		d = 0
	default:
		d = now.Sub(end.Add(expected/4)) / 2
	}
	return min(max(d, e.opts.PollMin), e.opts.PollMax)
}
