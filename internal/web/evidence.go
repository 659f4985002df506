package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/drsorch/drsorch/internal/readiness"
	"github.com/drsorch/drsorch/internal/report"
	"github.com/drsorch/drsorch/internal/store"
)

// Reports is the part of the report service the UI shows: a plan's drill
// trend and its predicted RTO. *report.Service is one.
type Reports interface {
	Trend(ctx context.Context, planID string, limit int, opts report.TrendOptions) (*report.Trend, error)
	Predict(ctx context.Context, planID string) (*report.Prediction, error)
}

// Readiness has the latest readiness check; *readiness.Monitor is one.
// The overview reads the cached result only, so that loading it never
// makes DRS calls of its own.
type Readiness interface {
	Latest() *readiness.Result
}

// trendDrills is how many drills the plan page's trend shows.
const trendDrills = 20

// shownDeliveries is how many notification deliveries the overview lists.
const shownDeliveries = 10

// trendPanel is a plan's RTO trend as its page shows it.
type trendPanel struct {
	*report.Trend
	// Latest is the newest drill, when there is one.
	Latest *report.DrillPoint
	// Recent are the newest drills, newest first.
	Recent []report.DrillPoint
}

// planTrend reads a plan's trend, or nil without a report service. A
// trend that cannot be read is logged and left out: the plan page is
// still worth showing.
func (s *Server) planTrend(ctx context.Context, planID string) *trendPanel {
	if s.reports == nil {
		return nil
	}
	t, err := s.reports.Trend(ctx, planID, trendDrills, report.TrendOptions{})
	if err != nil {
		s.log.WarnContext(ctx, "read trend", "plan_id", planID, "error", err)
		return nil
	}
	p := &trendPanel{Trend: t}
	for i := len(t.Drills) - 1; i >= 0 && len(p.Recent) < 5; i-- {
		p.Recent = append(p.Recent, t.Drills[i])
	}
	if len(p.Recent) > 0 {
		p.Latest = &p.Recent[0]
	}
	return p
}

// predictPage shows a plan's predicted RTO.
type predictPage struct {
	layout
	Prediction *report.Prediction
}

func (s *Server) planPredict(w http.ResponseWriter, r *http.Request) error {
	if s.reports == nil {
		return pageError(http.StatusNotFound, "predictions are not configured")
	}
	p, err := s.loadPlan(r)
	if err != nil {
		return err
	}
	pr, err := s.reports.Predict(r.Context(), p.ID)
	if errors.Is(err, store.ErrNotFound) {
		return pageError(http.StatusNotFound, "there is no recovery plan %q", p.ID)
	}
	if err != nil {
		return err
	}
	d := &predictPage{layout: layout{Title: "Predicted RTO of " + p.Name, Nav: "plans"},
		Prediction: pr}
	return s.page(w, r, http.StatusOK, "predict", d)
}

// readinessPanel is the latest readiness check as the overview shows it.
type readinessPanel struct {
	*readiness.Result
	// Age is how long ago the check ran.
	Age time.Duration
}

// deliveriesPanel is the latest notification deliveries, or why they
// could not be read.
type deliveriesPanel struct {
	Items []store.Delivery
	Error string
}

// addEvidence fills the overview's readiness and delivery panels.
func (s *Server) addEvidence(ctx context.Context, d *overviewPage) {
	if s.readiness != nil {
		d.Readiness = &readinessPanel{}
		if res := s.readiness.Latest(); res != nil {
			d.Readiness.Result = res
			d.Readiness.Age = s.now().Sub(res.CheckedAt)
		}
	}
	if s.deliveries != nil {
		d.Deliveries = &deliveriesPanel{}
		items, err := s.deliveries.Deliveries(ctx, shownDeliveries)
		if err != nil {
			s.log.WarnContext(ctx, "list deliveries", "error", err)
			d.Deliveries.Error = fmt.Sprintf("deliveries could not be read: %s", short(err))
			return
		}
		d.Deliveries.Items = items
	}
}

// formatSeconds renders a float64 or *float64 of seconds as report pages
// do ("6m 05s"), and a nil one as "–".
func formatSeconds(v any) string {
	switch x := v.(type) {
	case float64:
		return report.FormatSeconds(x)
	case *float64:
		if x != nil {
			return report.FormatSeconds(*x)
		}
	}
	return "–"
}

// verdict renders whether an RTO was met: "met", "not met", or "" when
// unknown.
func verdict(met *bool) string {
	switch {
	case met == nil:
		return ""
	case *met:
		return "met"
	}
	return "not met"
}
