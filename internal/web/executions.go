package web

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/drsorch/drsorch/internal/execution"
	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
)

// shownEvents is how many of an execution's latest events its page lists.
const shownEvents = 25

type executionPage struct {
	layout
	View     *execution.View
	Controls controls
	Timeline []timelineRow
	Events   []plan.Event
	// LastSeq is where the live stream resumes; Final tells the script
	// that nothing will change any more.
	LastSeq  int64
	Final    bool
	Duration time.Duration
	RTO      time.Duration
	Total    int
	Launched int
	Failed   int
	// Confirm, when set, is the control waiting for confirmation.
	Confirm *pendingControl
	// Refresh, in seconds, asks the script to fetch the page again even
	// without news on the event stream: while a health gate checks or
	// launched instances wait for their EC2 details, what changes need
	// not come with an event.
	Refresh int
}

// liveRefresh is the wait between two refreshes while Refresh applies.
const liveRefresh = 5

// timelineRow is one wave on the timeline: when it ran, placed on the
// span of the whole execution.
type timelineRow struct {
	execution.WaveView
	Gated    bool
	Duration time.Duration
	// Bar says whether the wave has a bar on the timeline, and Left and
	// Width place it, in percent of the execution's span. They are SVG
	// attributes rather than a style attribute, which the page's Content
	// Security Policy refuses.
	Bar         bool
	Left, Width float64
}

func (s *Server) executionShow(w http.ResponseWriter, r *http.Request) error {
	d, err := s.executionData(r)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("fragment") == "live" {
		return s.render(w, r, http.StatusOK, "execution", "live", d)
	}
	return s.page(w, r, http.StatusOK, "execution", d)
}

// executionData reads everything the execution page shows.
func (s *Server) executionData(r *http.Request) (*executionPage, error) {
	ctx := r.Context()
	id := r.PathValue("id")
	v, err := s.executions.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	// TODO: read only the latest events once the store can list them
	// newest first; an execution of thousands of servers has many.
	events, final, err := s.executions.Events(ctx, id, 0, 0)
	if err != nil {
		return nil, err
	}
	d := &executionPage{
		layout:   layout{Title: fmt.Sprintf("%s of %s", v.Mode, v.PlanName), Nav: "executions"},
		View:     v,
		Controls: controlsFor(r, v),
		Final:    final,
		Duration: -1,
		RTO:      time.Duration(v.Plan.RTOMinutes) * time.Minute,
	}
	if n := len(events); n > 0 {
		d.LastSeq = events[n-1].Seq
	}
	for i := len(events) - 1; i >= 0 && len(d.Events) < shownEvents; i-- {
		d.Events = append(d.Events, events[i])
	}
	now := s.now()
	if v.StartTime != nil {
		end := now
		if v.EndTime != nil {
			end = *v.EndTime
		}
		d.Duration = end.Sub(*v.StartTime)
	}
	d.Timeline = timeline(v, now)
	for _, wv := range v.Waves {
		d.Total += len(wv.Servers)
		d.Launched += wv.Launched
		d.Failed += wv.Failed
	}
	if !final && awaitsDetail(v) {
		d.Refresh = liveRefresh
	}
	return d, nil
}

// awaitsDetail reports whether a health gate of v is checking or a
// launched instance still lacks what EC2 says of it.
func awaitsDetail(v *execution.View) bool {
	for _, w := range v.Waves {
		if w.Gate != nil && w.Gate.Status == plan.GateChecking {
			return true
		}
		for _, l := range w.Servers {
			if l.Status == plan.LaunchLaunched && l.EC2InstanceID != "" && l.PrivateIP == "" {
				return true
			}
		}
	}
	return false
}

// gateOf describes the health gate of the frozen plan's wave, "" without
// one.
func gateOf(p plan.RecoveryPlan, wave string) string {
	for _, w := range p.Waves {
		if w.Name != wave || w.HealthGate == nil {
			continue
		}
		g := w.HealthGate
		var checks []string
		if g.StatusChecks {
			checks = append(checks, "EC2 status checks")
		}
		if g.CheckURL != "" {
			checks = append(checks, "check URL "+g.CheckURL)
		}
		return fmt.Sprintf("%s, every %s, for up to %s", strings.Join(checks, " and "),
			g.Interval(), g.Timeout())
	}
	return ""
}

// timeline places each wave that started on the span from the
// execution's start to its end (or now).
func timeline(v *execution.View, now time.Time) []timelineRow {
	var start, end time.Time
	if v.StartTime != nil {
		start = *v.StartTime
	}
	end = now
	if v.EndTime != nil {
		end = *v.EndTime
	}
	span := end.Sub(start)
	rows := make([]timelineRow, len(v.Waves))
	for i, w := range v.Waves {
		rows[i] = timelineRow{WaveView: w, Gated: gated(v.Plan, w.Name), Duration: -1}
		if w.StartTime == nil || start.IsZero() || span <= 0 {
			continue
		}
		we := now
		if w.EndTime != nil {
			we = *w.EndTime
		}
		rows[i].Duration = we.Sub(*w.StartTime)
		left := float64(w.StartTime.Sub(start)) / float64(span) * 100
		width := float64(we.Sub(*w.StartTime)) / float64(span) * 100
		left = min(max(left, 0), 100)
		width = min(max(width, 1), 100-left)
		rows[i].Bar, rows[i].Left, rows[i].Width = true, left, width
	}
	return rows
}

// pendingControl is a control shown for confirmation before it runs.
type pendingControl struct {
	Action, Wave, Question, Button string
}

// controlQuestions are the confirmation questions of the controls.
var controlQuestions = map[string][2]string{
	"pause":   {"Pause this execution? Launches already requested carry on; no new ones start.", "Pause"},
	"resume":  {"Resume this execution?", "Resume"},
	"cancel":  {"Cancel this execution? Its remaining waves will not run.", "Cancel execution"},
	"retry":   {"Launch the failed servers of this execution again?", "Retry failed"},
	"cleanup": {"Terminate every recovery instance this drill launched?", "Clean up drill"},
	"approve": {"Approve wave %q? Its servers will launch once the waves before it are done.", "Approve"},
}

// executionControl carries out a control once confirmed; before that it
// shows the execution with the question, which the script asks in place.
func (s *Server) executionControl(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id, wave, action := r.PathValue("id"), r.PathValue("wave"), r.PathValue("action")
	if wave != "" {
		action = "approve"
	}
	q, ok := controlQuestions[action]
	if !ok {
		return pageError(http.StatusNotFound, "there is no control %q", action)
	}
	if r.PostForm.Get("confirm") != "yes" {
		d, err := s.executionData(r)
		if err != nil {
			return err
		}
		question := q[0]
		if action == "approve" {
			question = fmt.Sprintf(q[0], wave)
		}
		d.Confirm = &pendingControl{Action: action, Wave: wave, Question: question, Button: q[1]}
		return s.page(w, r, http.StatusOK, "execution", d)
	}

	by := caller(r)
	svc := s.executions
	var err error
	switch action {
	case "pause":
		_, err = svc.Pause(ctx, id, by)
	case "resume":
		_, err = svc.Resume(ctx, id, by)
	case "cancel":
		_, err = svc.Cancel(ctx, id, by)
	case "retry":
		_, err = svc.Retry(ctx, id, by)
	case "cleanup":
		_, err = svc.Cleanup(ctx, id, by)
	case "approve":
		_, err = svc.Approve(ctx, id, wave, by)
	}
	if err != nil {
		fe, status, ok := formErrors(err)
		if !ok {
			return err
		}
		d, derr := s.executionData(r)
		if derr != nil {
			return derr
		}
		d.Error = fe.Message
		return s.page(w, r, status, "execution", d)
	}
	notice := map[string]string{
		"pause":   "Pause requested.",
		"resume":  "Resume requested.",
		"cancel":  "Cancel requested.",
		"retry":   "Retry of the failed servers requested.",
		"cleanup": "Cleanup of the drill instances requested.",
		"approve": fmt.Sprintf("Wave %q approved.", wave),
	}[action]
	setFlash(w, flash{Notice: notice})
	return redirect(w, r, "/executions/"+id)
}

// historyPage lists executions, filtered.
type historyPage struct {
	layout
	Plans    []plan.RecoveryPlan
	Outcomes []string
	Filter   historyFilter
	Rows     []recentRow
	Next     string
}

type historyFilter struct{ Plan, Mode, Outcome string }

// historyScan bounds the pages of executions one history page reads while
// looking for ones that match a mode.
const historyScan = 10

// historyLimit is how many executions one history page lists.
const historyLimit = 50

var executionStatuses = []string{plan.ExecPending, plan.ExecRunning, plan.ExecPaused,
	plan.ExecCancelling, plan.ExecCompleted, plan.ExecPartial, plan.ExecFailed, plan.ExecCancelled}

func (s *Server) history(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := r.URL.Query()
	f := historyFilter{Plan: q.Get("plan"), Mode: q.Get("mode"), Outcome: q.Get("outcome")}
	if f.Outcome != "" && !slices.Contains(executionStatuses, f.Outcome) {
		return pageError(http.StatusBadRequest, "outcome %q is not one of %v", f.Outcome, executionStatuses)
	}
	if f.Mode != "" && f.Mode != plan.ModeDrill && f.Mode != plan.ModeRecovery {
		return pageError(http.StatusBadRequest, "mode %q is neither drill nor recovery", f.Mode)
	}
	plans, err := s.allPlans(ctx)
	if err != nil {
		return err
	}
	d := &historyPage{layout: layout{Title: "History", Nav: "executions"}, Plans: plans,
		Outcomes: executionStatuses, Filter: f}
	opts := store.ListOptions{Limit: historyLimit, NextToken: q.Get("next")}
	// The store filters by plan and status; the mode is filtered here, a
	// bounded number of pages at a time.
	for range historyScan {
		page, err := s.executions.List(ctx, execution.Filter{PlanID: f.Plan, Status: f.Outcome}, opts)
		if err != nil {
			return err
		}
		for _, e := range page.Items {
			if f.Mode == "" || e.Mode == f.Mode {
				d.Rows = append(d.Rows, recentOf(e))
			}
		}
		d.Next = page.NextToken
		if page.NextToken == "" || len(d.Rows) >= historyLimit {
			break
		}
		opts.NextToken = page.NextToken
	}
	return s.page(w, r, http.StatusOK, "history", d)
}
