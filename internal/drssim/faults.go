package drssim

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Faults are the failures the emulator injects. Every decision is a hash
// of the seed and a stable key (the request's sequence number, the job ID,
// the server ID), so a run with the same seed and the same sequence of
// requests fails in the same places.
type Faults struct {
	// Throttle and Error are the fractions of DRS requests answered with
	// ThrottlingException (429) and InternalServerException (500).
	Throttle float64 `json:"throttle,omitempty"`
	Error    float64 `json:"error,omitempty"`
	// LaunchFail is the fraction of servers in launch jobs whose launch
	// fails (LAUNCH_FAILED, launchStatus FAILED).
	LaunchFail float64 `json:"launchFail,omitempty"`
	// Slow is the fraction of jobs whose phases last SlowFactor times as
	// long (default 5).
	Slow       float64 `json:"slow,omitempty"`
	SlowFactor float64 `json:"slowFactor,omitempty"`
	// Stuck is the fraction of jobs that never finish: their servers stay
	// IN_PROGRESS and the job stays STARTED.
	Stuck float64 `json:"stuck,omitempty"`
	// FailServers always fail to launch.
	FailServers []string `json:"failServers,omitempty"`
	// FailNext fails the next Count requests of an operation.
	FailNext []FailNext `json:"failNext,omitempty"`
}

// FailNext fails the next Count requests of Operation (a DRS operation
// name such as "StartRecovery") with Kind: "error" (500, the default) or
// "throttle" (429).
type FailNext struct {
	Operation string `json:"operation"`
	Count     int    `json:"count"`
	Kind      string `json:"kind,omitempty"`
}

// ParseFaults reads the compact form used by --faults, comma-separated
// key=value pairs:
//
//	throttle=0.05,error=0.02,launchfail=0.1,slow=0.1,slowfactor=5,stuck=0.01,
//	failservers=s-…;s-…,failnext=StartRecovery:2;DescribeJobs:1:throttle
//
// Rates are fractions in [0, 1]. An empty string means no faults.
func ParseFaults(v string) (Faults, error) {
	var f Faults
	for _, pair := range strings.Split(v, ",") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		key, val, ok := strings.Cut(pair, "=")
		if !ok {
			return Faults{}, fmt.Errorf("fault %q: want key=value", pair)
		}
		key = strings.ToLower(strings.TrimSpace(key))
		val = strings.TrimSpace(val)
		rates := map[string]*float64{
			"throttle": &f.Throttle, "error": &f.Error, "launchfail": &f.LaunchFail,
			"slow": &f.Slow, "stuck": &f.Stuck,
		}
		switch {
		case rates[key] != nil:
			r, err := strconv.ParseFloat(val, 64)
			if err != nil || !(r >= 0 && r <= 1) { // NaN too
				return Faults{}, fmt.Errorf("fault %s: rate %q is not a number in [0, 1]", key, val)
			}
			*rates[key] = r
		case key == "slowfactor":
			r, err := strconv.ParseFloat(val, 64)
			if err != nil || !(r >= 1) || math.IsInf(r, 1) {
				return Faults{}, fmt.Errorf("fault slowfactor: %q is not a number >= 1", val)
			}
			f.SlowFactor = r
		case key == "failservers":
			for _, id := range strings.Split(val, ";") {
				if id = strings.TrimSpace(id); id != "" {
					f.FailServers = append(f.FailServers, id)
				}
			}
		case key == "failnext":
			for _, spec := range strings.Split(val, ";") {
				if spec = strings.TrimSpace(spec); spec == "" {
					continue
				}
				fn, err := parseFailNext(spec)
				if err != nil {
					return Faults{}, err
				}
				f.FailNext = append(f.FailNext, fn)
			}
		default:
			return Faults{}, fmt.Errorf("unknown fault %q", key)
		}
	}
	return f, f.validate()
}

func parseFailNext(spec string) (FailNext, error) {
	parts := strings.Split(spec, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return FailNext{}, fmt.Errorf("failnext %q: want Operation:Count[:error|throttle]", spec)
	}
	n, err := strconv.Atoi(parts[1])
	if err != nil {
		return FailNext{}, fmt.Errorf("failnext %q: count: %w", spec, err)
	}
	fn := FailNext{Operation: parts[0], Count: n}
	if len(parts) == 3 {
		fn.Kind = parts[2]
	}
	return fn, nil
}

func (f Faults) validate() error {
	for _, r := range []float64{f.Throttle, f.Error, f.LaunchFail, f.Slow, f.Stuck} {
		if !(r >= 0 && r <= 1) {
			return fmt.Errorf("fault rate %v is outside [0, 1]", r)
		}
	}
	if f.SlowFactor != 0 && (!(f.SlowFactor >= 1) || math.IsInf(f.SlowFactor, 1)) {
		return fmt.Errorf("slow factor %v is below 1", f.SlowFactor)
	}
	for _, id := range f.FailServers {
		if !validServerID(id) {
			return fmt.Errorf("fail server %q is not a source server ID", id)
		}
	}
	for _, fn := range f.FailNext {
		if fn.Operation == "" || fn.Count < 0 {
			return fmt.Errorf("failnext %s:%d: want an operation and a count >= 0", fn.Operation, fn.Count)
		}
		if fn.Kind != "" && fn.Kind != "error" && fn.Kind != "throttle" {
			return fmt.Errorf("failnext %s: kind %q is neither error nor throttle", fn.Operation, fn.Kind)
		}
	}
	return nil
}

// String renders f in the form ParseFaults reads.
func (f Faults) String() string {
	var parts []string
	add := func(k string, v float64) {
		if v != 0 {
			parts = append(parts, k+"="+strconv.FormatFloat(v, 'g', -1, 64))
		}
	}
	add("throttle", f.Throttle)
	add("error", f.Error)
	add("launchfail", f.LaunchFail)
	add("slow", f.Slow)
	add("slowfactor", f.SlowFactor)
	add("stuck", f.Stuck)
	if len(f.FailServers) > 0 {
		parts = append(parts, "failservers="+strings.Join(f.FailServers, ";"))
	}
	var next []string
	for _, fn := range f.FailNext {
		s := fn.Operation + ":" + strconv.Itoa(fn.Count)
		if fn.Kind != "" {
			s += ":" + fn.Kind
		}
		next = append(next, s)
	}
	if len(next) > 0 {
		parts = append(parts, "failnext="+strings.Join(next, ";"))
	}
	return strings.Join(parts, ",")
}

func (f Faults) clone() Faults {
	f.FailServers = slices.Clone(f.FailServers)
	f.FailNext = slices.Clone(f.FailNext)
	return f
}

func (f Faults) slowFactor() float64 {
	if f.SlowFactor == 0 {
		return 5
	}
	return f.SlowFactor
}

// requestFault decides whether request number seq of operation op fails,
// consuming a FailNext budget when one matches. Callers hold s.mu.
func (s *Sim) requestFault(op string, seq uint64) *apiError {
	for i := range s.faults.FailNext {
		fn := &s.faults.FailNext[i]
		if fn.Operation != op || fn.Count <= 0 {
			continue
		}
		fn.Count--
		if fn.Kind == "throttle" {
			return throttled()
		}
		return internalError()
	}
	n := strconv.FormatUint(seq, 10)
	if s.faults.Throttle > 0 && s.unit("fault-throttle", n) < s.faults.Throttle {
		return throttled()
	}
	if s.faults.Error > 0 && s.unit("fault-error", n) < s.faults.Error {
		return internalError()
	}
	return nil
}

// launchFails reports whether srv's launch in job fails.
func (s *Sim) launchFails(jobID, serverID string) bool {
	if slices.Contains(s.faults.FailServers, serverID) {
		return true
	}
	return s.faults.LaunchFail > 0 && s.unit("fault-launch", jobID, serverID) < s.faults.LaunchFail
}
