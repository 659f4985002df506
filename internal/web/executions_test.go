package web

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
)

// execState describes an execution to store: a drill or recovery of two
// waves, the second gated, with two servers each.
type execState struct {
	name     string
	mode     string
	status   string
	requests plan.Requests
	cleanup  string
	waves    [2]string    // wave statuses
	approved bool         // the second wave's gate
	launches [2][2]string // launch statuses per wave
	// edit, when set, changes the records before they are stored.
	edit func(waves []plan.WaveRun, launches []plan.Launch)
}

// store writes the state as a new execution of a plan of its own and
// returns its ID.
func (s execState) store(t *testing.T, st store.Store) string {
	t.Helper()
	mode := s.mode
	if mode == "" {
		mode = plan.ModeDrill
	}
	cleanup := s.cleanup
	if mode == plan.ModeDrill && cleanup == "" {
		cleanup = plan.CleanupNotStarted
	}
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ex := &plan.Execution{ID: plan.NewID(plan.PrefixExecution), PlanID: plan.NewID(plan.PrefixPlan),
		PlanName: s.name, Mode: mode, Status: s.status, Requests: s.requests, Cleanup: cleanup,
		StartTime: &start,
		Plan: plan.RecoveryPlan{Name: s.name, Waves: []plan.Wave{
			{Name: "first", ProtectionGroupIDs: []string{"pg-1"}},
			{Name: "second", ProtectionGroupIDs: []string{"pg-2"}, PauseBefore: true},
		}}}
	var waves []plan.WaveRun
	var launches []plan.Launch
	for i, name := range []string{"first", "second"} {
		w := plan.WaveRun{Index: i, Name: name, Status: s.waves[i]}
		if i == 1 && s.approved {
			w.Approved, w.ApprovedBy = true, "someone"
		}
		waves = append(waves, w)
		for j, status := range s.launches[i] {
			l := plan.Launch{Wave: name, GroupID: fmt.Sprintf("pg-%d", i+1), Region: "us-east-1",
				SourceServerID: fmt.Sprintf("s-%d%016d", i, j), Hostname: fmt.Sprintf("%s-%d", name, j),
				Status: status}
			if status == plan.LaunchLaunched {
				l.JobID, l.RecoveryInstanceID, l.EC2InstanceID = "drsjob-1", "i-rec", fmt.Sprintf("i-0%d%d", i, j)
				l.LaunchTime = &start
			}
			if status == plan.LaunchFailed {
				l.Error = "launch failed: no capacity"
			}
			launches = append(launches, l)
		}
	}
	if s.edit != nil {
		s.edit(waves, launches)
	}
	events := []plan.Event{{Type: "execution_created", Time: start, Message: "stored by the test"}}
	if err := st.CreateExecution(t.Context(), ex, waves, launches, events); err != nil {
		t.Fatal(err)
	}
	return ex.ID
}

var (
	pending2  = [2]string{plan.LaunchPending, plan.LaunchPending}
	launched2 = [2]string{plan.LaunchLaunched, plan.LaunchLaunched}
	mixed2    = [2]string{plan.LaunchLaunched, plan.LaunchFailed}
	flying2   = [2]string{plan.LaunchLaunching, plan.LaunchLaunching}
)

var controlStates = []execState{
	{name: "pending", status: plan.ExecPending, waves: [2]string{"PENDING", "PENDING"},
		launches: [2][2]string{pending2, pending2}},
	{name: "running", status: plan.ExecRunning, waves: [2]string{"LAUNCHING", "PENDING"},
		launches: [2][2]string{flying2, pending2}},
	{name: "pause requested", status: plan.ExecRunning, requests: plan.Requests{Pause: true},
		waves: [2]string{"LAUNCHING", "PENDING"}, launches: [2][2]string{flying2, pending2}},
	{name: "paused", status: plan.ExecPaused, waves: [2]string{"COMPLETED", "PENDING"},
		launches: [2][2]string{launched2, pending2}},
	{name: "resume requested", status: plan.ExecPaused, requests: plan.Requests{Resume: true},
		waves: [2]string{"COMPLETED", "PENDING"}, launches: [2][2]string{launched2, pending2}},
	{name: "cancel requested", status: plan.ExecRunning, requests: plan.Requests{Cancel: true},
		waves: [2]string{"LAUNCHING", "PENDING"}, launches: [2][2]string{flying2, pending2}},
	{name: "cancelling", status: plan.ExecCancelling, waves: [2]string{"LAUNCHING", "CANCELLED"},
		launches: [2][2]string{flying2, pending2}},
	{name: "awaiting approval", status: plan.ExecRunning, waves: [2]string{"COMPLETED", "AWAITING_APPROVAL"},
		launches: [2][2]string{mixed2, pending2}},
	{name: "approved early", status: plan.ExecRunning, approved: true,
		waves: [2]string{"LAUNCHING", "PENDING"}, launches: [2][2]string{flying2, pending2}},
	{name: "completed drill", status: plan.ExecCompleted, approved: true,
		waves: [2]string{"COMPLETED", "COMPLETED"}, launches: [2][2]string{launched2, launched2}},
	{name: "partial drill", status: plan.ExecPartial, approved: true,
		waves: [2]string{"COMPLETED", "PARTIAL"}, launches: [2][2]string{launched2, mixed2}},
	{name: "cleanup requested", status: plan.ExecPartial, approved: true, requests: plan.Requests{Cleanup: true},
		waves: [2]string{"COMPLETED", "PARTIAL"}, launches: [2][2]string{launched2, mixed2}},
	{name: "cleaning up", status: plan.ExecCompleted, approved: true, cleanup: plan.CleanupRunning,
		waves:    [2]string{"COMPLETED", "COMPLETED"},
		launches: [2][2]string{{plan.LaunchTerminating, plan.LaunchTerminated}, launched2}},
	{name: "cleaned up", status: plan.ExecCompleted, approved: true, cleanup: plan.CleanupCompleted,
		waves:    [2]string{"COMPLETED", "COMPLETED"},
		launches: [2][2]string{{plan.LaunchTerminated, plan.LaunchTerminated}, {plan.LaunchTerminated, plan.LaunchTerminated}}},
	{name: "cleanup failed", status: plan.ExecCompleted, approved: true, cleanup: plan.CleanupFailed,
		waves: [2]string{"COMPLETED", "COMPLETED"}, launches: [2][2]string{launched2, launched2}},
	{name: "completed recovery", mode: plan.ModeRecovery, status: plan.ExecCompleted, approved: true,
		waves: [2]string{"COMPLETED", "COMPLETED"}, launches: [2][2]string{launched2, launched2}},
	{name: "failed recovery", mode: plan.ModeRecovery, status: plan.ExecFailed,
		waves:    [2]string{"FAILED", "SKIPPED"},
		launches: [2][2]string{mixed2, {plan.LaunchSkipped, plan.LaunchSkipped}}},
	{name: "cancelled", status: plan.ExecCancelled, waves: [2]string{"PARTIAL", "CANCELLED"},
		launches: [2][2]string{mixed2, pending2}},
}

// TestControlsMatchService builds executions in many states and, for each,
// tries every control through the execution service on a fresh copy: the
// page must show a control exactly when the service accepts it and it
// changes something.
func TestControlsMatchService(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	type try func(ctx context.Context, id string) error
	svc := e.exec
	actions := []struct {
		name  string
		shown func(controls) bool
		do    try
	}{
		{"pause", func(c controls) bool { return c.Pause },
			func(ctx context.Context, id string) error { _, err := svc.Pause(ctx, id, "t"); return err }},
		{"resume", func(c controls) bool { return c.Resume },
			func(ctx context.Context, id string) error { _, err := svc.Resume(ctx, id, "t"); return err }},
		{"cancel", func(c controls) bool { return c.Cancel },
			func(ctx context.Context, id string) error { _, err := svc.Cancel(ctx, id, "t"); return err }},
		{"retry", func(c controls) bool { return c.Retry },
			func(ctx context.Context, id string) error { _, err := svc.Retry(ctx, id, "t"); return err }},
		{"cleanup", func(c controls) bool { return c.Cleanup },
			func(ctx context.Context, id string) error { _, err := svc.Cleanup(ctx, id, "t"); return err }},
		{"approve first", func(c controls) bool { return c.CanApprove("first") },
			func(ctx context.Context, id string) error { _, err := svc.Approve(ctx, id, "first", "t"); return err }},
		{"approve second", func(c controls) bool { return c.CanApprove("second") },
			func(ctx context.Context, id string) error { _, err := svc.Approve(ctx, id, "second", "t"); return err }},
	}
	events := func(id string) int {
		evs, err := e.store.ListEvents(ctx, id, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		return len(evs)
	}
	for _, st := range controlStates {
		for _, a := range actions {
			id := st.store(t, e.store)
			v, err := svc.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			shown := a.shown(controlsOf(v))
			before := events(id)
			err = a.do(ctx, id)
			changed := err == nil && events(id) > before
			if shown != changed {
				t.Errorf("%s, %s: shown %v, but the service accepted it and changed something: %v (error %v)",
					st.name, a.name, shown, changed, err)
			}
		}
	}
}

func TestExecutionPage(t *testing.T) {
	e := newEnv(t)
	id := (execState{name: "p", status: plan.ExecRunning, waves: [2]string{"COMPLETED", "AWAITING_APPROVAL"},
		launches: [2][2]string{mixed2, pending2}}).store(t, e.store)

	rec, doc := e.get("/executions/" + id)
	if rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	live := doc.byID("live")
	if live.attr("data-execution") != id || live.attr("data-final") != "false" || live.attr("data-after") != "1" {
		t.Errorf("live element: %s", live[:min(len(live), 200)])
	}
	row := live.with("data-server", "s-00000000000000000")
	link := row.with("class", "ec2")
	want := "https://us-east-1.console.aws.amazon.com/ec2/home?region=us-east-1#InstanceDetails:instanceId=i-000"
	if link.attr("href") != want || link.text() != "i-000" {
		t.Errorf("EC2 link %q (%q), want %q", link.attr("href"), link.text(), want)
	}
	if !strings.Contains(row.text(), "drsjob-1") || !strings.Contains(row.text(), "2026-03-01 12:00:00 UTC") {
		t.Errorf("launched row: %s", row.text())
	}
	if failed := live.with("data-server", "s-00000000000000001"); !strings.Contains(failed.text(), "no capacity") {
		t.Errorf("failed row: %s", failed.text())
	}
	for _, want := range []string{"control-pause", "control-cancel", "control-retry", "control-approve-second"} {
		if !live.has(want) {
			t.Errorf("no %s", want)
		}
	}
	for _, absent := range []string{"control-resume", "control-cleanup", "control-approve-first"} {
		if live.has(absent) {
			t.Errorf("%s shown", absent)
		}
	}
	if got := doc.byID("timeline").attrs("data-wave"); strings.Join(got, ",") != "first,second" {
		t.Errorf("timeline waves %v", got)
	}

	// The live part alone, for the script to swap in.
	rec, frag := e.get("/executions/" + id + "?fragment=live")
	if rec.Code != 200 || !strings.HasPrefix(strings.TrimSpace(string(frag)), `<div id="live"`) ||
		strings.Contains(string(frag), "<html") {
		t.Errorf("fragment: status %d, %.80s", rec.Code, frag)
	}
}

func TestControlNeedsConfirmation(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	id := e.startDrill()

	// Without confirmation the page asks, and nothing changes.
	rec, doc := e.post("/executions/"+id+"/pause", url.Values{"confirm": {""}})
	if rec.Code != 200 || !doc.has("confirm") || !strings.Contains(doc.byID("confirm").text(), "Pause this execution?") {
		t.Fatalf("status %d, confirm: %s", rec.Code, doc.byID("confirm").text())
	}
	if ex, _ := e.store.GetExecution(ctx, id); ex.Requests.Pause {
		t.Fatal("paused before confirmation")
	}
	rec, _ = e.post("/executions/"+id+"/pause", url.Values{"confirm": {"yes"}})
	if rec.Code != 303 || rec.Header().Get("Location") != "/executions/"+id {
		t.Fatalf("confirmed: status %d, Location %q", rec.Code, rec.Header().Get("Location"))
	}
	if ex, _ := e.store.GetExecution(ctx, id); !ex.Requests.Pause {
		t.Fatal("not paused after confirmation")
	}

	// Approval of a gated wave goes through the wave's own path.
	rec, _ = e.post("/executions/"+id+"/waves/application/approve", url.Values{"confirm": {"yes"}})
	if rec.Code != 303 {
		t.Fatalf("approve: status %d", rec.Code)
	}
	waves, err := e.store.ListWaves(ctx, id)
	if err != nil || !waves[1].Approved || !strings.HasPrefix(waves[1].ApprovedBy, "test-admin (") {
		t.Errorf("waves after approval: %+v, %v", waves, err)
	}

	// A refused control says why, in the service's words.
	rec, doc = e.post("/executions/"+id+"/cleanup", url.Values{"confirm": {"yes"}})
	if rec.Code != 409 || !strings.Contains(doc.byID("page-error").text(), "cancel it or let it finish before cleanup") {
		t.Errorf("refused cleanup: status %d, error %q", rec.Code, doc.byID("page-error").text())
	}
	if rec, _ := e.post("/executions/"+id+"/explode", url.Values{"confirm": {"yes"}}); rec.Code != 404 {
		t.Errorf("unknown control: status %d", rec.Code)
	}
	if rec, _ := e.post("/executions/ex-none/pause", url.Values{"confirm": {"yes"}}); rec.Code != 404 {
		t.Errorf("unknown execution: status %d", rec.Code)
	}
}
