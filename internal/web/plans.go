package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/drsorch/drsorch/internal/auth"
	"github.com/drsorch/drsorch/internal/execution"
	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
)

type plansPage struct {
	layout
	Plans []planRow
}

type planRow struct {
	plan.RecoveryPlan
	Last *recentRow
}

func (s *Server) planList(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	plans, err := s.allPlans(ctx)
	if err != nil {
		return err
	}
	d := &plansPage{layout: layout{Title: "Recovery plans", Nav: "plans"}}
	for _, p := range plans {
		row := planRow{RecoveryPlan: p}
		page, err := s.executions.List(ctx, execution.Filter{PlanID: p.ID}, store.ListOptions{Limit: 1})
		if err != nil {
			return err
		}
		if len(page.Items) > 0 {
			last := recentOf(page.Items[0])
			row.Last = &last
		}
		d.Plans = append(d.Plans, row)
	}
	return s.page(w, r, http.StatusOK, "plans", d)
}

// planPage shows a plan with its recent executions and the start forms.
type planPage struct {
	layout
	Plan       plan.RecoveryPlan
	GroupNames map[string]string
	Runs       []recentRow
	Active     *plan.Execution
	Errors     *fieldErrors
	// Mode and PointInTime echo a refused start form.
	Mode, PointInTime string
	// Trend is the plan's drill history, nil without reports; CanPredict
	// shows the prediction button.
	Trend      *trendPanel
	CanPredict bool
	// CanDrill and CanRecover offer the start forms the reader's role
	// may submit.
	CanDrill, CanRecover bool
}

func (s *Server) loadPlan(r *http.Request) (*plan.RecoveryPlan, error) {
	p, err := s.store.GetPlan(r.Context(), r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		return nil, pageError(http.StatusNotFound, "there is no recovery plan %q", r.PathValue("id"))
	}
	return p, err
}

func (s *Server) planShow(w http.ResponseWriter, r *http.Request) error {
	p, err := s.loadPlan(r)
	if err != nil {
		return err
	}
	return s.showPlan(w, r, http.StatusOK, &planPage{Plan: *p})
}

func (s *Server) showPlan(w http.ResponseWriter, r *http.Request, status int, d *planPage) error {
	ctx := r.Context()
	d.layout.Title, d.Nav = "Recovery plan "+d.Plan.Name, "plans"
	d.CanDrill = allows(r, auth.ModeRole(plan.ModeDrill))
	d.CanRecover = allows(r, auth.ModeRole(plan.ModeRecovery))
	groups, err := s.allGroups(ctx)
	if err != nil {
		return err
	}
	d.GroupNames = map[string]string{}
	for _, g := range groups {
		d.GroupNames[g.ID] = g.Name
	}
	page, err := s.executions.List(ctx, execution.Filter{PlanID: d.Plan.ID}, store.ListOptions{Limit: recentCount})
	if err != nil {
		return err
	}
	for _, e := range page.Items {
		if plan.Active(e.Status) && d.Active == nil {
			e := e
			d.Active = &e
		}
		d.Runs = append(d.Runs, recentOf(e))
	}
	d.Trend, d.CanPredict = s.planTrend(ctx, d.Plan.ID), s.reports != nil
	return s.page(w, r, status, "plan", d)
}

// planStart starts a drill, or a recovery once the plan's name was typed
// to confirm it.
func (s *Server) planStart(w http.ResponseWriter, r *http.Request) error {
	p, err := s.loadPlan(r)
	if err != nil {
		return err
	}
	f := r.PostForm
	d := &planPage{Plan: *p, Mode: f.Get("mode"), PointInTime: strings.TrimSpace(f.Get("pointInTime"))}
	pit, err := execution.ParsePointInTime(d.PointInTime)
	if err != nil {
		d.Errors = invalidForm([]problem{{Field: "pointInTime",
			Message: fmt.Sprintf("%q is not a time such as 2026-03-01T12:00:00Z, nor %q",
				d.PointInTime, execution.PointInTimeConsistent)}})
		return s.showPlan(w, r, http.StatusBadRequest, d)
	}
	switch d.Mode {
	case plan.ModeDrill:
	case plan.ModeRecovery:
		// A recovery launches production instances: the plan's name,
		// typed, is the confirmation.
		if f.Get("confirmName") != p.Name {
			d.Errors = invalidForm([]problem{{Field: "confirmName",
				Message: fmt.Sprintf("type the plan's name, %s, to confirm the recovery", p.Name)}})
			return s.showPlan(w, r, http.StatusBadRequest, d)
		}
	default:
		return pageError(http.StatusBadRequest, "mode %q is neither drill nor recovery", d.Mode)
	}
	res, err := s.executions.StartAt(r.Context(), p.ID, d.Mode, pit, caller(r))
	if err != nil {
		fe, status, ok := formErrors(err)
		if !ok {
			return err
		}
		d.Errors = fe
		return s.showPlan(w, r, status, d)
	}
	fl := flash{Notice: fmt.Sprintf("The %s of %q started.", d.Mode, p.Name)}
	for _, wn := range res.Warnings {
		fl.Warnings = append(fl.Warnings, wn.Message)
	}
	setFlash(w, fl)
	return redirect(w, r, "/executions/"+res.ExecutionID)
}

// planForm is the data of the plan editor.
type planForm struct {
	layout
	New    bool
	Plan   plan.RecoveryPlan
	Waves  []waveForm
	Errors *fieldErrors
}

// waveForm is one wave of the editor with its choices.
type waveForm struct {
	plan.Wave
	Index       int
	First, Last bool
	Groups      []choice
	Deps        []choice
	Before      []plan.Hook
	After       []plan.Hook
	MinSuccess  string
	// LaunchTimeout is the wave's launchTimeoutMinutes, empty for the
	// engine's default.
	LaunchTimeout string
}

// choice is one checkbox: a value, its label and whether it is checked.
type choice struct {
	Value, Label, Detail string
	Checked              bool
}

func (s *Server) planNew(w http.ResponseWriter, r *http.Request) error {
	p := plan.RecoveryPlan{}
	applyOp(&p, "add")
	return s.showPlanForm(w, r, http.StatusOK, &planForm{New: true, Plan: p})
}

func (s *Server) planEdit(w http.ResponseWriter, r *http.Request) error {
	p, err := s.loadPlan(r)
	if err != nil {
		return err
	}
	return s.showPlanForm(w, r, http.StatusOK, &planForm{Plan: *p})
}

// planSubmit saves the editor's plan, or applies an editing button to it
// and shows the draft again.
func (s *Server) planSubmit(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id := r.PathValue("id")
	p, problems := readPlan(r)
	p.ID = id
	d := &planForm{New: id == "", Plan: p}
	if applyOp(&d.Plan, r.PostForm.Get("op")) {
		return s.showPlanForm(w, r, http.StatusOK, d)
	}
	if len(problems) > 0 {
		d.Errors = invalidForm(problems)
		return s.showPlanForm(w, r, http.StatusBadRequest, d)
	}
	var err error
	if d.New {
		err = s.defs.CreatePlan(ctx, &p)
	} else {
		err = s.defs.ReplacePlan(ctx, &p)
	}
	if err != nil {
		fe, status, ok := formErrors(err)
		if !ok {
			return err
		}
		d.Errors = fe
		return s.showPlanForm(w, r, status, d)
	}
	setFlash(w, flash{Notice: fmt.Sprintf("Recovery plan %q saved.", p.Name)})
	return redirect(w, r, "/plans/"+p.ID)
}

func (s *Server) showPlanForm(w http.ResponseWriter, r *http.Request, status int, d *planForm) error {
	d.layout.Title, d.Nav = "Edit recovery plan "+d.Plan.Name, "plans"
	if d.New {
		d.layout.Title = "New recovery plan"
	}
	groups, err := s.allGroups(r.Context())
	if err != nil {
		return err
	}
	for i, w := range d.Plan.Waves {
		wf := waveForm{Wave: w, Index: i, First: i == 0, Last: i == len(d.Plan.Waves)-1}
		for _, g := range groups {
			wf.Groups = append(wf.Groups, choice{Value: g.ID, Label: g.Name, Detail: g.Region,
				Checked: contains(w.ProtectionGroupIDs, g.ID)})
		}
		// Groups the wave names that are gone still show, so that the
		// validation error about them has a checkbox to uncheck.
		for _, id := range w.ProtectionGroupIDs {
			if !containsChoice(wf.Groups, id) {
				wf.Groups = append(wf.Groups, choice{Value: id, Label: id, Detail: "unknown", Checked: true})
			}
		}
		for j, o := range d.Plan.Waves {
			if j != i {
				wf.Deps = append(wf.Deps, choice{Value: fmt.Sprint(j), Label: o.Name,
					Checked: contains(w.DependsOn, o.Name)})
			}
		}
		if w.Hooks != nil {
			wf.Before, wf.After = w.Hooks.Before, w.Hooks.After
		}
		wf.Before = append(append([]plan.Hook{}, wf.Before...), plan.Hook{})
		wf.After = append(append([]plan.Hook{}, wf.After...), plan.Hook{})
		if w.MinSuccessPercent != nil {
			wf.MinSuccess = fmt.Sprint(*w.MinSuccessPercent)
		}
		if w.LaunchTimeoutMinutes != 0 {
			wf.LaunchTimeout = fmt.Sprint(w.LaunchTimeoutMinutes)
		}
		if wf.FailurePolicy == "" {
			wf.FailurePolicy = plan.FailureStop
		}
		d.Waves = append(d.Waves, wf)
	}
	return s.page(w, r, status, "planedit", d)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func containsChoice(list []choice, v string) bool {
	for _, c := range list {
		if c.Value == v {
			return true
		}
	}
	return false
}
