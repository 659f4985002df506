package report

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/execution"
	"github.com/drsorch/drsorch/internal/plan"
)

// Typical launch durations, for servers never measured: what DRS usually
// takes for a Linux and a Windows server.
const (
	TypicalLinux   = 5 * time.Minute
	TypicalWindows = 20 * time.Minute
)

// Sources of a server's estimate.
const (
	SourceMeasured       = "measured"
	SourceTypicalLinux   = "typical-linux"
	SourceTypicalWindows = "typical-windows"
)

// predictionDrills is how many of the latest drills a prediction learns
// from.
const predictionDrills = 10

// Quotas are the DRS limits that force a wave into batches; zero fields
// take the DRS defaults (100, 20, 500).
type Quotas struct {
	ServersPerJob       int `json:"serversPerJob"`
	ActiveJobs          int `json:"activeJobs"`
	ServersInActiveJobs int `json:"serversInActiveJobs"`
}

func (q Quotas) withDefaults() Quotas {
	if q.ServersPerJob <= 0 {
		q.ServersPerJob = 100
	}
	if q.ActiveJobs <= 0 {
		q.ActiveJobs = 20
	}
	if q.ServersInActiveJobs <= 0 {
		q.ServersInActiveJobs = 500
	}
	return q
}

// Prediction is the estimated makespan of a plan if it started now.
type Prediction struct {
	PlanID     string `json:"planId"`
	PlanName   string `json:"planName"`
	RTOMinutes int    `json:"rtoMinutes,omitempty"`
	// MakespanSeconds runs from the request to the end, as a Report's
	// DurationSeconds does, with no time spent waiting for approvals.
	MakespanSeconds float64 `json:"makespanSeconds"`
	RTOMet          *bool   `json:"rtoMet,omitempty"`
	// CriticalPath names the waves, first to last, whose ends decided the
	// makespan.
	CriticalPath []string `json:"criticalPath"`
	// ApprovalGates are the gated waves; the wait for their approval is
	// not in the estimate.
	ApprovalGates []string         `json:"approvalGates"`
	Servers       int              `json:"servers"`
	Measured      int              `json:"measured"`
	DrillsUsed    int              `json:"drillsUsed"`
	Quotas        Quotas           `json:"quotas"`
	Waves         []WavePrediction `json:"waves"`
	Warnings      []string         `json:"warnings"`
	GeneratedAt   time.Time        `json:"generatedAt"`
}

// WavePrediction is one wave of a Prediction. Times are seconds after the
// request.
type WavePrediction struct {
	Name      string   `json:"name"`
	DependsOn []string `json:"dependsOn"`
	Gated     bool     `json:"gated,omitempty"`
	Servers   int      `json:"servers"`
	// Jobs is how many StartRecovery calls the quotas split the wave
	// into.
	Jobs            int              `json:"jobs"`
	StartSeconds    float64          `json:"startSeconds"`
	EndSeconds      float64          `json:"endSeconds"`
	DurationSeconds float64          `json:"durationSeconds"`
	OverheadSeconds float64          `json:"overheadSeconds"`
	Critical        bool             `json:"critical,omitempty"`
	Estimates       []ServerEstimate `json:"estimates"`
}

// ServerEstimate is the launch duration expected of one server.
type ServerEstimate struct {
	SourceServerID string  `json:"sourceServerId"`
	OS             string  `json:"os,omitempty"`
	Seconds        float64 `json:"seconds"`
	Source         string  `json:"source"`
}

// history is what past drills of a plan measured.
type history struct {
	drills int
	launch map[string][]time.Duration // by source server
	// overhead is a wave's time beyond the span of its jobs: the wait
	// for its first request, its hooks, the last observation.
	overhead map[string][]time.Duration // by wave name
	// lead is the time before the first wave starts plus the time after
	// the last one ends.
	lead []time.Duration
}

// Predict estimates the makespan of a plan if it started now: each server
// from its measured launch times in the plan's latest drills (the median),
// else the typical duration of its operating system; each wave as the
// DRS jobs the quotas allow, run as soon as capacity frees, after the
// waves it depends on; approval gates taken as instant. The quotas are
// the Service's.
func (s *Service) Predict(ctx context.Context, planID string) (*Prediction, error) {
	if s.drs == nil {
		return nil, errors.New("report: no DRS configured for predictions")
	}
	p, err := s.store.GetPlan(ctx, planID)
	if err != nil {
		return nil, fmt.Errorf("load plan %q: %w", planID, err)
	}
	h, err := s.history(ctx, planID)
	if err != nil {
		return nil, err
	}
	pr := &Prediction{PlanID: p.ID, PlanName: p.Name, RTOMinutes: p.RTOMinutes,
		Quotas: s.quotas, DrillsUsed: h.drills, CriticalPath: []string{},
		ApprovalGates: []string{}, Warnings: []string{}, GeneratedAt: s.now().UTC()}
	members, err := s.members(ctx, p, pr)
	if err != nil {
		return nil, err
	}
	waves := make([]simWave, len(p.Waves))
	index := map[string]int{}
	for i, w := range p.Waves {
		index[w.Name] = i
	}
	for i, w := range p.Waves {
		wp := WavePrediction{Name: w.Name, DependsOn: w.DependsOn, Gated: w.PauseBefore,
			Estimates: []ServerEstimate{}}
		if wp.DependsOn == nil {
			wp.DependsOn = []string{}
		}
		if w.PauseBefore {
			pr.ApprovalGates = append(pr.ApprovalGates, w.Name)
		}
		sw := simWave{overhead: medianDuration(h.overhead[w.Name])}
		for _, d := range w.DependsOn {
			if j, ok := index[d]; ok {
				sw.deps = append(sw.deps, j)
			}
		}
		for _, m := range members[i] {
			est := estimate(m.srv, h.launch[m.srv.ID])
			wp.Estimates = append(wp.Estimates, est)
			if est.Source == SourceMeasured {
				pr.Measured++
			}
			sw.add(m.key, time.Duration(est.Seconds*float64(time.Second)))
		}
		wp.Servers = len(wp.Estimates)
		pr.Servers += wp.Servers
		pr.Waves = append(pr.Waves, wp)
		waves[i] = sw
	}

	lead := medianDuration(h.lead)
	end, last := simulate(waves, pr.Quotas)
	pr.MakespanSeconds = seconds(lead + end)
	for i := range waves {
		w := &pr.Waves[i]
		w.Jobs = waves[i].jobCount
		w.StartSeconds = seconds(lead + waves[i].start)
		w.EndSeconds = seconds(lead + waves[i].end)
		w.DurationSeconds = seconds(waves[i].end - waves[i].start)
		w.OverheadSeconds = seconds(waves[i].overhead)
	}
	for i := last; i >= 0; i = waves[i].critical {
		pr.Waves[i].Critical = true
		pr.CriticalPath = append(pr.CriticalPath, pr.Waves[i].Name)
	}
	slices.Reverse(pr.CriticalPath)
	if p.RTOMinutes > 0 {
		met := pr.MakespanSeconds <= float64(p.RTOMinutes*60)
		pr.RTOMet = &met
	}
	return pr, nil
}

// member is one server of a wave and the account and region it launches
// in.
type member struct {
	key regionKey
	srv drs.SourceServer
}

type regionKey struct{ account, region string }

// members resolves every wave's groups against DRS now, as a start would.
func (s *Service) members(ctx context.Context, p *plan.RecoveryPlan, pr *Prediction) ([][]member, error) {
	inventories := map[regionKey][]drs.SourceServer{}
	out := make([][]member, len(p.Waves))
	for i, w := range p.Waves {
		for _, gid := range w.ProtectionGroupIDs {
			g, err := s.store.GetGroup(ctx, gid)
			if err != nil {
				return nil, fmt.Errorf("load group %q: %w", gid, err)
			}
			key := regionKey{g.AccountID, g.Region}
			inv, ok := inventories[key]
			if !ok {
				c, err := s.drs(ctx, g.AccountID, g.Region)
				if err != nil {
					return nil, fmt.Errorf("drs client for %s/%s: %w", g.AccountID, g.Region, err)
				}
				if inv, err = c.DescribeSourceServers(ctx, nil); err != nil {
					return nil, fmt.Errorf("describe source servers in %s: %w", g.Region, err)
				}
				inventories[key] = inv
			}
			servers, unknown := execution.ResolveGroup(*g, inv)
			for _, id := range unknown {
				pr.Warnings = append(pr.Warnings, fmt.Sprintf(
					"group %q: source server %s does not exist in %s; counted as a typical Linux server",
					g.Name, id, g.Region))
				servers = append(servers, drs.SourceServer{ID: id})
			}
			for _, srv := range servers {
				out[i] = append(out[i], member{key: key, srv: srv})
			}
		}
	}
	return out, nil
}

// estimate is a server's expected launch duration.
func estimate(srv drs.SourceServer, measured []time.Duration) ServerEstimate {
	e := ServerEstimate{SourceServerID: srv.ID, OS: srv.OS}
	switch {
	case len(measured) > 0:
		e.Seconds, e.Source = seconds(medianDuration(measured)), SourceMeasured
	case strings.Contains(strings.ToLower(srv.OS), "windows"):
		e.Seconds, e.Source = seconds(TypicalWindows), SourceTypicalWindows
	default:
		e.Seconds, e.Source = seconds(TypicalLinux), SourceTypicalLinux
	}
	return e
}

// history reads the latest finished drills of a plan that launched
// servers.
func (s *Service) history(ctx context.Context, planID string) (*history, error) {
	execs, err := s.drills(ctx, planID, predictionDrills)
	if err != nil {
		return nil, err
	}
	h := &history{launch: map[string][]time.Duration{}, overhead: map[string][]time.Duration{}}
	for _, e := range execs {
		waves, err := s.store.ListWaves(ctx, e.ID)
		if err != nil {
			return nil, fmt.Errorf("list waves of %s: %w", e.ID, err)
		}
		launches, err := s.store.ListLaunches(ctx, e.ID)
		if err != nil {
			return nil, fmt.Errorf("list launches of %s: %w", e.ID, err)
		}
		if h.learn(&e, waves, launches) {
			h.drills++
		}
	}
	return h, nil
}

// learn adds one drill's measurements and reports whether it had any.
func (h *history) learn(e *plan.Execution, waves []plan.WaveRun, launches []plan.Launch) bool {
	type span struct{ first, last time.Time }
	spans := map[string]*span{}
	any := false
	for _, l := range launches {
		if l.RequestTime == nil || l.LaunchTime == nil {
			continue
		}
		any = true
		h.launch[l.SourceServerID] = append(h.launch[l.SourceServerID], l.LaunchTime.Sub(*l.RequestTime))
		sp := spans[l.Wave]
		if sp == nil {
			sp = &span{*l.RequestTime, *l.LaunchTime}
			spans[l.Wave] = sp
		}
		if l.RequestTime.Before(sp.first) {
			sp.first = *l.RequestTime
		}
		if l.LaunchTime.After(sp.last) {
			sp.last = *l.LaunchTime
		}
	}
	if !any || e.StartTime == nil || e.EndTime == nil {
		return any
	}
	defs := map[string]plan.Wave{}
	for _, w := range e.Plan.Waves {
		defs[w.Name] = w
	}
	ends := map[string]time.Time{}
	var last time.Time
	for _, w := range waves {
		if w.StartTime == nil || w.EndTime == nil {
			continue
		}
		ends[w.Name] = *w.EndTime
		if w.EndTime.After(last) {
			last = *w.EndTime
		}
	}
	for _, w := range waves {
		if w.StartTime == nil || w.EndTime == nil || w.Status == plan.WaveSkipped {
			continue
		}
		// An ungated wave's overhead counts from the moment it could
		// start; a gated one's from its approval.
		from := *w.StartTime
		if def := defs[w.Name]; !def.PauseBefore {
			from = *e.StartTime
			for _, d := range def.DependsOn {
				if t, ok := ends[d]; ok && t.After(from) {
					from = t
				}
			}
		}
		busy := time.Duration(0)
		if sp := spans[w.Name]; sp != nil {
			busy = sp.last.Sub(sp.first)
		}
		h.overhead[w.Name] = append(h.overhead[w.Name], max(0, w.EndTime.Sub(from)-busy))
	}
	if !last.IsZero() {
		h.lead = append(h.lead, max(0, e.StartTime.Sub(e.CreatedAt))+max(0, e.EndTime.Sub(last)))
	}
	return true
}

func medianDuration(v []time.Duration) time.Duration {
	if len(v) == 0 {
		return 0
	}
	f := make([]float64, len(v))
	for i, d := range v {
		f[i] = float64(d)
	}
	return time.Duration(median(f))
}
