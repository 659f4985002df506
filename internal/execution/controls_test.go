package execution

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
)

func TestControls(t *testing.T) {
	type records struct {
		exec     *plan.Execution
		waves    []*plan.WaveRun
		launches []*plan.Launch
	}
	status := func(s string) func(r records) {
		return func(r records) { r.exec.Status = s }
	}
	pause := func(ctx context.Context, s *Service, id string) (*View, error) { return s.Pause(ctx, id, "op") }
	resume := func(ctx context.Context, s *Service, id string) (*View, error) { return s.Resume(ctx, id, "op") }
	cancel := func(ctx context.Context, s *Service, id string) (*View, error) { return s.Cancel(ctx, id, "op") }
	retry := func(ctx context.Context, s *Service, id string) (*View, error) { return s.Retry(ctx, id, "op") }
	cleanup := func(ctx context.Context, s *Service, id string) (*View, error) { return s.Cleanup(ctx, id, "op") }
	approve := func(wave string) func(ctx context.Context, s *Service, id string) (*View, error) {
		return func(ctx context.Context, s *Service, id string) (*View, error) { return s.Approve(ctx, id, wave, "op") }
	}
	failOne := func(r records) {
		r.exec.Status = plan.ExecFailed
		r.launches[0].Status = plan.LaunchFailed
	}

	tests := []struct {
		name     string
		mode     string
		setup    func(r records)
		op       func(ctx context.Context, s *Service, id string) (*View, error)
		kind     Kind // 0: accepted
		want     plan.Requests
		approved bool   // of wave "application"
		event    string // appended; "" for none
	}{
		{name: "pause pending", setup: status(plan.ExecPending), op: pause,
			want: plan.Requests{Pause: true}, event: EventPauseRequested},
		{name: "pause running", setup: status(plan.ExecRunning), op: pause,
			want: plan.Requests{Pause: true}, event: EventPauseRequested},
		{name: "pause paused", setup: status(plan.ExecPaused), op: pause, kind: KindConflict},
		{name: "pause completed", setup: status(plan.ExecCompleted), op: pause, kind: KindConflict},
		{name: "pause twice", op: pause,
			setup: func(r records) { r.exec.Status, r.exec.Requests.Pause = plan.ExecRunning, true },
			want:  plan.Requests{Pause: true}},
		{name: "pause while cancelling", op: pause, kind: KindConflict,
			setup: func(r records) { r.exec.Status, r.exec.Requests.Cancel = plan.ExecRunning, true },
			want:  plan.Requests{Cancel: true}},
		{name: "resume paused", setup: status(plan.ExecPaused), op: resume,
			want: plan.Requests{Resume: true}, event: EventResumeRequested},
		{name: "resume before the pause took", op: resume,
			setup: func(r records) { r.exec.Status, r.exec.Requests.Pause = plan.ExecRunning, true },
			event: EventResumeRequested},
		{name: "resume running", setup: status(plan.ExecRunning), op: resume, kind: KindConflict},
		{name: "cancel running", op: cancel,
			setup: func(r records) { r.exec.Status, r.exec.Requests.Pause = plan.ExecRunning, true },
			want:  plan.Requests{Cancel: true}, event: EventCancelRequested},
		{name: "cancel paused", setup: status(plan.ExecPaused), op: cancel,
			want: plan.Requests{Cancel: true}, event: EventCancelRequested},
		{name: "cancel cancelling", setup: status(plan.ExecCancelling), op: cancel},
		{name: "cancel completed", setup: status(plan.ExecCompleted), op: cancel, kind: KindConflict},
		{name: "approve gated wave", setup: status(plan.ExecRunning), op: approve("application"),
			approved: true, event: EventWaveApproved},
		{name: "approve waiting wave", op: approve("application"),
			setup: func(r records) {
				r.exec.Status = plan.ExecRunning
				r.waves[1].Status = plan.WaveAwaitingApproval
			},
			approved: true, event: EventWaveApproved},
		{name: "approve ungated wave", setup: status(plan.ExecRunning), op: approve("database"),
			kind: KindConflict},
		{name: "approve unknown wave", setup: status(plan.ExecRunning), op: approve("nope"),
			kind: KindNotFound},
		{name: "approve launching wave", op: approve("application"), kind: KindConflict,
			setup: func(r records) {
				r.exec.Status = plan.ExecRunning
				r.waves[1].Status = plan.WaveLaunching
			}},
		{name: "approve in a final execution", setup: status(plan.ExecFailed), op: approve("application"),
			kind: KindConflict},
		{name: "retry failed launches", setup: failOne, op: retry,
			want: plan.Requests{Retry: true}, event: EventRetryRequested},
		{name: "retry without failures", setup: status(plan.ExecPartial), op: retry, kind: KindConflict},
		{name: "retry cancelled", op: retry, kind: KindConflict,
			setup: func(r records) { failOne(r); r.exec.Status = plan.ExecCancelled }},
		{name: "cleanup finished drill", setup: status(plan.ExecCompleted), op: cleanup,
			want: plan.Requests{Cleanup: true}, event: EventCleanupRequested},
		{name: "cleanup recovery", mode: plan.ModeRecovery, setup: status(plan.ExecCompleted),
			op: cleanup, kind: KindConflict},
		{name: "cleanup running drill", setup: status(plan.ExecRunning), op: cleanup, kind: KindConflict},
		{name: "cleanup with a launch in flight", op: cleanup, kind: KindConflict,
			setup: func(r records) {
				r.exec.Status = plan.ExecCancelled
				r.launches[0].Status = plan.LaunchLaunching
			}},
		{name: "cleanup done", op: cleanup, kind: KindConflict,
			setup: func(r records) { r.exec.Status, r.exec.Cleanup = plan.ExecCompleted, plan.CleanupCompleted }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			ctx := t.Context()
			mode := tt.mode
			if mode == "" {
				mode = plan.ModeDrill
			}
			res, err := f.svc.Start(ctx, f.plan.ID, mode, nil, "")
			if err != nil {
				t.Fatal(err)
			}
			id := res.ExecutionID
			st, err := f.svc.readState(ctx, id, true)
			if err != nil {
				t.Fatal(err)
			}
			r := records{exec: st.exec}
			for i := range st.waves {
				r.waves = append(r.waves, &st.waves[i])
			}
			for i := range st.launches {
				r.launches = append(r.launches, &st.launches[i])
			}
			tt.setup(r)
			// As the engine would write it.
			if err := f.store.Commit(ctx, &store.Change{ExecutionID: id, Execution: r.exec,
				Waves: r.waves, Launches: r.launches}); err != nil {
				t.Fatal(err)
			}
			before, _, err := f.svc.Events(ctx, id, 0, 0)
			if err != nil {
				t.Fatal(err)
			}

			v, err := tt.op(ctx, f.svc, id)
			var e *Error
			switch {
			case tt.kind == 0 && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.kind != 0 && (!errors.As(err, &e) || e.Kind != tt.kind):
				t.Fatalf("error = %v, want kind %v", err, tt.kind)
			}

			got, err := f.svc.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if tt.kind == 0 && v.Version != got.Version {
				t.Errorf("returned version %d, stored %d", v.Version, got.Version)
			}
			if diff := cmp.Diff(tt.want, got.Requests); diff != "" {
				t.Errorf("requests mismatch (-want +got):\n%s", diff)
			}
			if got.Waves[1].Approved != tt.approved {
				t.Errorf("application approved = %v, want %v", got.Waves[1].Approved, tt.approved)
			}
			after, _, err := f.svc.Events(ctx, id, before[len(before)-1].Seq, 0)
			if err != nil {
				t.Fatal(err)
			}
			var types []string
			for _, ev := range after {
				types = append(types, ev.Type)
			}
			var want []string
			if tt.event != "" {
				want = []string{tt.event}
			}
			if diff := cmp.Diff(want, types); diff != "" {
				t.Errorf("events mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestControlRetriesConflict checks that a control that loses a race with
// another writer reads again and applies to the new state.
func TestControlRetriesConflict(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	res, err := f.svc.Start(ctx, f.plan.ID, plan.ModeDrill, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	raced := false
	v, err := f.svc.control(ctx, res.ExecutionID, false, func(st *state) (*store.Change, error) {
		if !raced {
			raced = true
			other := *st.exec
			other.Status = plan.ExecRunning
			if err := f.store.Commit(ctx, &store.Change{ExecutionID: other.ID, Execution: &other}); err != nil {
				t.Fatal(err)
			}
		}
		st.exec.Requests.Pause = true
		return header(st.exec, EventPauseRequested, "test"), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != plan.ExecRunning || !v.Requests.Pause {
		t.Errorf("status %s, requests %+v; want RUNNING with pause requested", v.Status, v.Requests)
	}
}
