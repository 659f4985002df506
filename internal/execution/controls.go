package execution

import (
	"context"
	"errors"
	"fmt"

	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
)

// Event types of the controls.
const (
	EventPauseRequested   = "pause_requested"
	EventResumeRequested  = "resume_requested"
	EventCancelRequested  = "cancel_requested"
	EventWaveApproved     = "wave_approved"
	EventRetryRequested   = "retry_requested"
	EventCleanupRequested = "cleanup_requested"
)

// commitAttempts bounds the retries of a control that lost a race with
// the engine's writes.
const commitAttempts = 5

// state is what a control reads before deciding.
type state struct {
	exec     *plan.Execution
	waves    []plan.WaveRun
	launches []plan.Launch
}

// transition decides a control from the state: it returns the change to
// commit (without ExecutionID and Now), nil when nothing needs writing, or
// an *Error refusing it.
type transition func(st *state) (*store.Change, error)

// control reads the execution, applies t and commits the result with the
// versions read, starting over when the engine wrote in between. It
// returns the execution as stored afterwards.
func (s *Service) control(ctx context.Context, id string, withLaunches bool, t transition) (*View, error) {
	for attempt := 1; ; attempt++ {
		st, err := s.readState(ctx, id, withLaunches)
		if err != nil {
			return nil, err
		}
		c, err := t(st)
		if err != nil {
			return nil, err
		}
		if c == nil {
			return s.Get(ctx, id)
		}
		c.ExecutionID, c.Now = id, s.now().UTC()
		for _, ev := range c.Events {
			ev.ExecutionID, ev.Time = id, c.Now
		}
		err = s.store.Commit(ctx, c)
		if err == nil {
			return s.Get(ctx, id)
		}
		if !errors.Is(err, store.ErrVersionConflict) || attempt == commitAttempts {
			return nil, fmt.Errorf("commit control on %s: %w", id, err)
		}
	}
}

func (s *Service) readState(ctx context.Context, id string, withLaunches bool) (*state, error) {
	e, err := s.store.GetExecution(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("execution %q not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("load execution %q: %w", id, err)
	}
	st := &state{exec: e}
	if st.waves, err = s.store.ListWaves(ctx, id); err != nil {
		return nil, fmt.Errorf("list waves of %s: %w", id, err)
	}
	if withLaunches {
		if st.launches, err = s.store.ListLaunches(ctx, id); err != nil {
			return nil, fmt.Errorf("list launches of %s: %w", id, err)
		}
	}
	return st, nil
}

// header returns a change of the execution header with one event.
func header(e *plan.Execution, typ, msg string) *store.Change {
	return &store.Change{Execution: e, Events: []*plan.Event{{Type: typ, Message: msg}}}
}

func who(by string) string {
	if by == "" {
		return "anonymous"
	}
	return by
}

// Pause asks the engine to stop starting new launches. Launches already
// requested carry on.
func (s *Service) Pause(ctx context.Context, id, by string) (*View, error) {
	return s.control(ctx, id, false, func(st *state) (*store.Change, error) {
		e := st.exec
		if e.Requests.Cancel || (e.Status != plan.ExecRunning && e.Status != plan.ExecPending) {
			return nil, conflict(e.Status, "execution %s is %s%s: only a running or pending execution can pause",
				e.ID, e.Status, cancelNote(e))
		}
		if e.Requests.Pause {
			return nil, nil
		}
		e.Requests.Pause, e.Requests.Resume = true, false
		return header(e, EventPauseRequested, who(by)+" asked to pause"), nil
	})
}

// Resume undoes a pause, or a pause still only requested.
func (s *Service) Resume(ctx context.Context, id, by string) (*View, error) {
	return s.control(ctx, id, false, func(st *state) (*store.Change, error) {
		e := st.exec
		switch {
		case e.Requests.Cancel:
			return nil, conflict(e.Status, "execution %s is %s%s: it cannot resume",
				e.ID, e.Status, cancelNote(e))
		case e.Status == plan.ExecPaused:
			if e.Requests.Resume && !e.Requests.Pause {
				return nil, nil
			}
			e.Requests.Pause, e.Requests.Resume = false, true
		case e.Requests.Pause:
			// Not paused yet: withdrawing the request is the whole resume.
			e.Requests.Pause = false
		default:
			return nil, conflict(e.Status, "execution %s is %s: only a paused execution can resume",
				e.ID, e.Status)
		}
		return header(e, EventResumeRequested, who(by)+" asked to resume"), nil
	})
}

// Cancel asks the engine to stop the execution: no new launches, and the
// remaining waves cancelled.
func (s *Service) Cancel(ctx context.Context, id, by string) (*View, error) {
	return s.control(ctx, id, false, func(st *state) (*store.Change, error) {
		e := st.exec
		if !plan.Active(e.Status) {
			return nil, conflict(e.Status, "execution %s is %s: only an active execution can be cancelled",
				e.ID, e.Status)
		}
		if e.Requests.Cancel || e.Status == plan.ExecCancelling {
			return nil, nil
		}
		e.Requests.Cancel, e.Requests.Pause, e.Requests.Resume = true, false, false
		return header(e, EventCancelRequested, who(by)+" asked to cancel"), nil
	})
}

// Approve opens the approval gate of a wave that has pauseBefore, before
// or while it waits.
func (s *Service) Approve(ctx context.Context, id, wave, by string) (*View, error) {
	return s.control(ctx, id, false, func(st *state) (*store.Change, error) {
		e := st.exec
		var w *plan.WaveRun
		for i := range st.waves {
			if st.waves[i].Name == wave {
				w = &st.waves[i]
			}
		}
		if w == nil {
			return nil, notFound("execution %s has no wave %q", e.ID, wave)
		}
		if !gated(e.Plan, wave) {
			return nil, conflict(e.Status, "wave %q of execution %s has no approval gate", wave, e.ID)
		}
		if !plan.Active(e.Status) || e.Requests.Cancel {
			return nil, conflict(e.Status, "execution %s is %s%s: nothing to approve",
				e.ID, e.Status, cancelNote(e))
		}
		if w.Status != plan.WavePending && w.Status != plan.WaveAwaitingApproval {
			return nil, conflict(w.Status, "wave %q of execution %s is %s: only a pending or waiting wave can be approved",
				wave, e.ID, w.Status)
		}
		if w.Approved {
			return nil, nil
		}
		w.Approved, w.ApprovedBy = true, who(by)
		return &store.Change{Waves: []*plan.WaveRun{w}, Events: []*plan.Event{{
			Type: EventWaveApproved, Wave: wave,
			Message: fmt.Sprintf("%s approved wave %q", who(by), wave)}}}, nil
	})
}

// Retry asks the engine to launch the execution's failed servers again.
func (s *Service) Retry(ctx context.Context, id, by string) (*View, error) {
	return s.control(ctx, id, true, func(st *state) (*store.Change, error) {
		e := st.exec
		if e.Status == plan.ExecCancelling || e.Status == plan.ExecCancelled || e.Requests.Cancel {
			return nil, conflict(e.Status, "execution %s is %s%s: it cannot retry",
				e.ID, e.Status, cancelNote(e))
		}
		if e.Requests.Cleanup || e.Cleanup != "" && e.Cleanup != plan.CleanupNotStarted {
			return nil, conflict(e.Status, "execution %s is being cleaned up or was: it cannot retry", e.ID)
		}
		failed := count(st.launches, plan.LaunchFailed)
		if failed == 0 {
			return nil, conflict(e.Status, "execution %s is %s and has no failed launches to retry",
				e.ID, e.Status)
		}
		if e.Requests.Retry {
			return nil, nil
		}
		e.Requests.Retry = true
		return header(e, EventRetryRequested,
			fmt.Sprintf("%s asked to retry %d failed launches", who(by), failed)), nil
	})
}

// Cleanup asks the engine to terminate the recovery instances a finished
// drill launched.
func (s *Service) Cleanup(ctx context.Context, id, by string) (*View, error) {
	return s.control(ctx, id, true, func(st *state) (*store.Change, error) {
		e := st.exec
		if e.Mode != plan.ModeDrill {
			return nil, conflict(e.Status, "execution %s is a %s: only drills are cleaned up", e.ID, e.Mode)
		}
		if plan.Active(e.Status) {
			return nil, conflict(e.Status, "execution %s is %s: cancel it or let it finish before cleanup",
				e.ID, e.Status)
		}
		if n := inFlight(st.launches); n > 0 {
			return nil, conflict(e.Status, "execution %s has %d launches still in flight", e.ID, n)
		}
		if e.Requests.Cleanup || e.Cleanup == plan.CleanupRunning {
			return nil, nil
		}
		if e.Cleanup == plan.CleanupCompleted {
			return nil, conflict(e.Status, "execution %s is already cleaned up", e.ID)
		}
		e.Requests.Cleanup = true
		return header(e, EventCleanupRequested, who(by)+" asked to clean up the drill instances"), nil
	})
}

func cancelNote(e *plan.Execution) string {
	if e.Requests.Cancel {
		return " (cancel requested)"
	}
	return ""
}

// gated reports whether the frozen plan's wave waits for approval.
func gated(p plan.RecoveryPlan, wave string) bool {
	for _, w := range p.Waves {
		if w.Name == wave {
			return w.PauseBefore
		}
	}
	return false
}

func count(launches []plan.Launch, status string) int {
	n := 0
	for _, l := range launches {
		if l.Status == status {
			n++
		}
	}
	return n
}

// inFlight counts launches with a DRS job still working on them.
func inFlight(launches []plan.Launch) int {
	return count(launches, plan.LaunchRequested) + count(launches, plan.LaunchLaunching) +
		count(launches, plan.LaunchTerminating)
}
