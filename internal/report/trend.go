package report

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
)

// TrendOptions is the alert rule of a trend: a completed drill alerts
// when its total duration exceeds the median of the Window completed
// drills before it by more than Margin (0.2: 20%). The zero value means
// Margin 0.2, Window 5, MinBaseline 3.
type TrendOptions struct {
	Margin float64
	Window int
	// MinBaseline is how many earlier completed drills a drill needs
	// before it can alert; one earlier drill is too noisy a baseline.
	MinBaseline int
}

func (o TrendOptions) withDefaults() TrendOptions {
	if o.Margin <= 0 {
		o.Margin = 0.2
	}
	if o.Window <= 0 {
		o.Window = 5
	}
	if o.MinBaseline <= 0 {
		o.MinBaseline = min(3, o.Window)
	}
	return o
}

// Trend is the drill history of a plan, oldest first.
type Trend struct {
	PlanID        string       `json:"planId"`
	PlanName      string       `json:"planName"`
	RTOMinutes    int          `json:"rtoMinutes,omitempty"`
	MarginPercent float64      `json:"marginPercent"`
	Window        int          `json:"window"`
	Drills        []DrillPoint `json:"drills"`
	// Alert reports whether the latest drill alerts.
	Alert bool `json:"alert"`
}

// DrillPoint is one finished drill of a Trend.
type DrillPoint struct {
	ExecutionID string    `json:"executionId"`
	Status      string    `json:"status"`
	StartedBy   string    `json:"startedBy,omitempty"`
	CreatedAt   time.Time `json:"createdAt"`
	EndTime     time.Time `json:"endTime"`
	// DurationSeconds is EndTime minus CreatedAt, as in a Report.
	DurationSeconds float64        `json:"durationSeconds"`
	Waves           []WaveDuration `json:"waves"`
	RTOMet          *bool          `json:"rtoMet,omitempty"`
	// BaselineSeconds is the median duration of the completed drills
	// before this one (at most Window of them), when there are enough.
	BaselineSeconds *float64 `json:"baselineSeconds,omitempty"`
	Alert           bool     `json:"alert"`
	AlertReason     string   `json:"alertReason,omitempty"`
}

// WaveDuration is one wave's duration in a drill; absent for a wave that
// did not run.
type WaveDuration struct {
	Name            string   `json:"name"`
	Status          string   `json:"status"`
	DurationSeconds *float64 `json:"durationSeconds,omitempty"`
}

// trendStatuses are the drills a trend shows: those that ran to an end.
// A cancelled drill says nothing about how long the plan takes.
var trendStatuses = []string{plan.ExecCompleted, plan.ExecPartial, plan.ExecFailed}

// Trend returns the last limit finished drills of a plan (limit <= 0: 50)
// with their alerts. A zero opts takes the Service's rule.
func (s *Service) Trend(ctx context.Context, planID string, limit int, opts TrendOptions) (*Trend, error) {
	p, err := s.store.GetPlan(ctx, planID)
	if err != nil {
		return nil, fmt.Errorf("load plan %q: %w", planID, err)
	}
	if opts == (TrendOptions{}) {
		opts = s.trend
	}
	opts = opts.withDefaults()
	if limit <= 0 {
		limit = 50
	}
	// The earliest drill shown needs Window more before it as a baseline.
	execs, err := s.drills(ctx, planID, limit+opts.Window)
	if err != nil {
		return nil, err
	}
	points := make([]DrillPoint, 0, len(execs))
	for _, e := range execs {
		waves, err := s.store.ListWaves(ctx, e.ID)
		if err != nil {
			return nil, fmt.Errorf("list waves of %s: %w", e.ID, err)
		}
		points = append(points, drillPoint(&e, waves))
	}
	slices.Reverse(points) // oldest first
	Alerts(points, opts)
	if len(points) > limit {
		points = points[len(points)-limit:]
	}
	t := &Trend{PlanID: p.ID, PlanName: p.Name, RTOMinutes: p.RTOMinutes,
		MarginPercent: opts.Margin * 100, Window: opts.Window, Drills: points}
	if n := len(points); n > 0 {
		t.Alert = points[n-1].Alert
	}
	return t, nil
}

// drills returns up to n finished drills of a plan, newest first.
func (s *Service) drills(ctx context.Context, planID string, n int) ([]plan.Execution, error) {
	var out []plan.Execution
	opts := store.ListOptions{Limit: 200}
	for {
		page, err := s.store.ListExecutions(ctx, store.ExecutionFilter{PlanID: planID,
			Statuses: trendStatuses}, opts)
		if err != nil {
			return nil, fmt.Errorf("list executions of %s: %w", planID, err)
		}
		for _, e := range page.Items {
			if e.Mode == plan.ModeDrill && e.EndTime != nil {
				out = append(out, e)
			}
			if len(out) == n {
				return out, nil
			}
		}
		if page.NextToken == "" {
			return out, nil
		}
		opts.NextToken = page.NextToken
	}
}

func drillPoint(e *plan.Execution, waves []plan.WaveRun) DrillPoint {
	d := DrillPoint{ExecutionID: e.ID, Status: e.Status, StartedBy: e.StartedBy,
		CreatedAt: e.CreatedAt, EndTime: *e.EndTime,
		DurationSeconds: seconds(e.EndTime.Sub(e.CreatedAt)), Waves: []WaveDuration{}}
	if rto := e.Plan.RTOMinutes; rto > 0 {
		met := d.DurationSeconds <= float64(rto*60)
		d.RTOMet = &met
	}
	for _, w := range waves {
		wd := WaveDuration{Name: w.Name, Status: w.Status}
		if w.StartTime != nil && w.EndTime != nil {
			v := seconds(w.EndTime.Sub(*w.StartTime))
			wd.DurationSeconds = &v
		}
		d.Waves = append(d.Waves, wd)
	}
	return d
}

// Alerts sets BaselineSeconds, Alert and AlertReason of every point
// (oldest first) by opts. Only COMPLETED drills form baselines and alert:
// a failed drill's duration is not comparable with a good one's.
func Alerts(points []DrillPoint, opts TrendOptions) {
	opts = opts.withDefaults()
	var done []float64 // durations of completed drills so far
	for i := range points {
		p := &points[i]
		p.BaselineSeconds, p.Alert, p.AlertReason = nil, false, ""
		if p.Status != plan.ExecCompleted {
			continue
		}
		prev := done[max(0, len(done)-opts.Window):]
		if len(prev) >= opts.MinBaseline {
			m := median(prev)
			p.BaselineSeconds = &m
			if p.DurationSeconds > m*(1+opts.Margin) {
				p.Alert = true
				p.AlertReason = fmt.Sprintf("took %s, %.0f%% more than the median %s of the %d drills before",
					FormatSeconds(p.DurationSeconds), (p.DurationSeconds/m-1)*100,
					FormatSeconds(m), len(prev))
			}
		}
		done = append(done, p.DurationSeconds)
	}
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
