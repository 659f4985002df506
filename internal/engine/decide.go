package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/drsorch/drsorch/internal/plan"
)

// decide carries out an execution's controls and moves its waves and the
// execution itself along, calling the hooks that are due.
func (e *Engine) decide(ctx context.Context, r *run) error {
	now := e.now()
	c := &change{}
	ex := r.ex
	if ex.Status == plan.ExecPending {
		ex.Status = plan.ExecRunning
		ex.StartTime = &now
		c.header = true
		c.event(now, "execution_started", "", "", ex.Mode)
	}
	e.controls(r, c, now)

	for {
		e.advanceWaves(r, c, now)
		if err := e.commitDecision(ctx, r, c); err != nil {
			return err
		}
		called, err := e.dueHooks(ctx, r)
		if err == nil && !called {
			called, err = e.applySettings(ctx, r)
		}
		if err == nil && !called {
			called, err = e.dueGates(ctx, r)
		}
		if err == nil && !called {
			called, err = e.findLateInstances(ctx, r)
		}
		if err != nil {
			return err
		}
		if !called {
			break
		}
		now = e.now()
	}

	e.finishExecution(r, c, now)
	e.finishCleanup(r, c, now)
	return e.commitDecision(ctx, r, c)
}

// commitDecision commits and, when something was written, offers a test
// crash point.
func (e *Engine) commitDecision(ctx context.Context, r *run, c *change) error {
	if c.empty() {
		return nil
	}
	if err := e.commit(ctx, r, c); err != nil {
		return err
	}
	return e.crash("decision_committed")
}

// controls carries out the requests the API wrote, clearing each flag it
// has acted on. A cleanup waits for the execution to end.
func (e *Engine) controls(r *run, c *change, now time.Time) {
	ex := r.ex
	rq := &ex.Requests
	done := func(flag *bool) {
		*flag = false
		c.header = true
	}
	set := func(status, typ string) {
		ex.Status = status
		c.header = true
		c.event(now, typ, "", "", "")
	}
	active := plan.Active(ex.Status)

	if rq.Pause {
		if ex.Status == plan.ExecRunning {
			set(plan.ExecPaused, "execution_paused")
		}
		done(&rq.Pause)
	}
	if rq.Resume {
		if ex.Status == plan.ExecPaused {
			set(plan.ExecRunning, "execution_resumed")
		}
		done(&rq.Resume)
	}
	if rq.Cancel {
		if active && ex.Status != plan.ExecCancelling {
			set(plan.ExecCancelling, "execution_cancelling")
		}
		done(&rq.Cancel)
	}
	if rq.Retry {
		done(&rq.Retry)
		if ex.Status == plan.ExecCancelling || ex.Status == plan.ExecCancelled {
			c.event(now, "retry_ignored", "", "", "the execution is cancelled")
		} else {
			e.retry(r, c, now)
		}
	}
	if rq.Cleanup && !plan.Active(ex.Status) {
		switch {
		case ex.Mode != plan.ModeDrill:
			done(&rq.Cleanup)
			c.event(now, "cleanup_refused", "", "", "only a drill's instances are cleaned up")
		case ex.Cleanup != plan.CleanupRunning:
			// The flag stays set until the cleanup ends, so that the
			// execution stays actionable (and claimed) meanwhile.
			ex.Cleanup = plan.CleanupRunning
			c.header = true
			c.event(now, "cleanup_started", "", "", "")
			for _, l := range r.launches {
				if strings.HasPrefix(l.Error, terminatePrefix) {
					l.Error = ""
					c.launch(l)
				}
			}
		}
	}
}

// retry puts the FAILED launches back to PENDING in their waves, and the
// waves the stop policy skipped back to PENDING; an ended execution runs
// again.
func (e *Engine) retry(r *run, c *change, now time.Time) {
	again := make(map[string]bool)
	n, gates := 0, 0
	for _, w := range r.waves {
		// A wave its health gate failed runs again, its servers as they
		// are: the gate starts over.
		if w.Status == plan.WaveFailed && w.Gate != nil && w.Gate.Status == plan.GateFailed {
			again[w.Name] = true
			gates++
		}
	}
	for _, l := range r.launches {
		if l.Status != plan.LaunchFailed {
			continue
		}
		resetLaunch(l)
		l.Attempts++
		c.launch(l)
		again[l.Wave] = true
		n++
	}
	skipped := 0
	for _, w := range r.waves {
		switch {
		case again[w.Name] && waveTerminal(w.Status):
			// A new run of the wave: its hooks are called again.
			w.Status = plan.WaveLaunching
			w.StartTime = &now
			w.EndTime = nil
			w.Error = ""
			w.Gate = nil
			c.wave(w)
		case again[w.Name] && w.Status == plan.WaveVerifying:
			w.Status = plan.WaveLaunching
			w.Gate = nil
			c.wave(w)
		case w.Status == plan.WaveSkipped:
			w.Status = plan.WavePending
			w.StartTime, w.EndTime, w.Error = nil, nil, ""
			c.wave(w)
			skipped++
			for _, l := range r.byWave[w.Name] {
				if l.Status == plan.LaunchSkipped {
					resetLaunch(l)
					c.launch(l)
				}
			}
		}
	}
	if n == 0 && skipped == 0 && gates == 0 {
		c.event(now, "retry_ignored", "", "", "no failed server to retry")
		return
	}
	if !plan.Active(r.ex.Status) {
		r.ex.Status = plan.ExecRunning
		r.ex.EndTime = nil
	}
	c.header = true
	msg := fmt.Sprintf("%d failed servers, %d skipped waves", n, skipped)
	if gates > 0 {
		msg += fmt.Sprintf(", %d failed health gates", gates)
	}
	c.event(now, "execution_retried", "", "", msg)
}

func resetLaunch(l *plan.Launch) {
	l.Status = plan.LaunchPending
	l.BatchID, l.JobID, l.Error = "", "", ""
	l.RecoveryInstanceID, l.EC2InstanceID = "", ""
	l.RequestTime, l.LaunchTime, l.EndTime = nil, nil, nil
	// Settings are applied again before the new attempt, and the new
	// instance is described again.
	l.SettingsAppliedAt, l.LaunchTemplateVersion, l.SettingsError = nil, 0, ""
	l.PrivateIP, l.InstanceType, l.InstanceState, l.SubnetID = "", "", "", ""
}

// advanceWaves moves waves whose conditions hold, until nothing moves.
func (e *Engine) advanceWaves(r *run, c *change, now time.Time) {
	ex := r.ex
	for moved := true; moved; {
		moved = false
		for _, w := range r.waves {
			before := w.Status
			switch w.Status {
			case plan.WavePending, plan.WaveAwaitingApproval:
				e.advancePending(r, c, w, r.stoppedBy(), now)
			case plan.WaveLaunching:
				if ex.Status == plan.ExecCancelling {
					for _, l := range r.byWave[w.Name] {
						if l.Status == plan.LaunchPending {
							skipLaunch(c, l, now, "execution cancelled")
						}
					}
				}
				if !r.beforeDone(w) && ex.Status != plan.ExecCancelling {
					continue
				}
				if !r.settled(w) {
					continue
				}
				if e.startGate(r, c, w, now) {
					continue
				}
				if r.wave(w.Name).Hooks != nil && len(r.wave(w.Name).Hooks.After) > 0 {
					w.Status = plan.WaveVerifying
					c.wave(w)
					c.event(now, "wave_verifying", w.Name, "", "calling the after hooks")
					continue
				}
				e.endWave(r, c, w, "", now)
			case plan.WaveVerifying:
				// A cancel does not wait for a gate.
				if ex.Status == plan.ExecCancelling && gateRunning(w) {
					e.cancelGate(c, w, now)
				}
			}
			if w.Status != before {
				moved = true
			}
		}
	}
}

func (e *Engine) advancePending(r *run, c *change, w *plan.WaveRun, stopped string, now time.Time) {
	ex := r.ex
	switch {
	case ex.Status == plan.ExecCancelling:
		e.endUnstarted(r, c, w, plan.WaveCancelled, "execution cancelled", now)
	case stopped != "":
		e.endUnstarted(r, c, w, plan.WaveSkipped, fmt.Sprintf("wave %s failed and its policy is stop", stopped), now)
	case ex.Status != plan.ExecRunning || !r.depsDone(w):
	case r.wave(w.Name).PauseBefore && !w.Approved:
		if w.Status != plan.WaveAwaitingApproval {
			w.Status = plan.WaveAwaitingApproval
			c.wave(w)
			c.event(now, "wave_awaiting_approval", w.Name, "", "")
		}
	default:
		msg := ""
		if w.Approved {
			msg = "approved by " + w.ApprovedBy
		}
		w.Status = plan.WaveLaunching
		w.StartTime = &now
		w.EndTime = nil
		c.wave(w)
		c.event(now, "wave_started", w.Name, "", msg)
	}
}

// endUnstarted ends a wave that never launched, and its launches.
func (e *Engine) endUnstarted(r *run, c *change, w *plan.WaveRun, status, msg string, now time.Time) {
	w.Status = status
	w.EndTime = &now
	w.Error = msg
	c.wave(w)
	for _, l := range r.byWave[w.Name] {
		if l.Status == plan.LaunchPending {
			skipLaunch(c, l, now, msg)
		}
	}
	c.event(now, "wave_"+lower(status), w.Name, "", msg)
}

// settled reports whether every launch of a wave is terminal.
func (r *run) settled(w *plan.WaveRun) bool {
	for _, l := range r.byWave[w.Name] {
		if !launchTerminal(l.Status) {
			return false
		}
	}
	return true
}

// endWave gives a settled wave its final status. hookErr is a failed
// after hook, which fails the wave as a failed health check would.
func (e *Engine) endWave(r *run, c *change, w *plan.WaveRun, hookErr string, now time.Time) {
	ls := r.byWave[w.Name]
	up, skipped := 0, 0
	for _, l := range ls {
		switch {
		case launched(l.Status):
			up++
		case l.Status == plan.LaunchSkipped:
			skipped++
		}
	}
	status := plan.WaveCompleted
	switch {
	case hookErr != "":
		status = plan.WaveFailed
		w.Error = hookErr
	case up == len(ls):
	case r.ex.Status == plan.ExecCancelling && skipped > 0:
		status = plan.WaveCancelled
	case up*100 >= r.minSuccess(w.Name)*len(ls):
		status = plan.WavePartial
	default:
		status = plan.WaveFailed
	}
	if status == plan.WaveFailed && w.Error == "" {
		w.Error = fmt.Sprintf("%d of %d servers launched, below the %d%% required", up, len(ls), r.minSuccess(w.Name))
	}
	w.Status = status
	w.EndTime = &now
	c.wave(w)
	c.event(now, "wave_"+lower(status), w.Name, "", fmt.Sprintf("%d of %d servers launched", up, len(ls)))
}

// finishExecution ends an execution whose waves have all ended:
// CANCELLED when cancelled, COMPLETED when every wave completed, FAILED
// when the stop policy stopped it or no server launched, PARTIAL otherwise.
func (e *Engine) finishExecution(r *run, c *change, now time.Time) {
	ex := r.ex
	if !plan.Active(ex.Status) || ex.Status == plan.ExecPending {
		return
	}
	all := true
	for _, w := range r.waves {
		if !waveTerminal(w.Status) {
			return
		}
		all = all && w.Status == plan.WaveCompleted
	}
	up := 0
	for _, l := range r.launches {
		if launched(l.Status) {
			up++
		}
	}
	status := plan.ExecPartial
	switch {
	case ex.Status == plan.ExecCancelling:
		status = plan.ExecCancelled
	case all:
		status = plan.ExecCompleted
	case r.stoppedBy() != "", up == 0:
		status = plan.ExecFailed
	}
	ex.Status = status
	ex.EndTime = &now
	if ex.Mode == plan.ModeDrill && ex.Cleanup == "" {
		ex.Cleanup = plan.CleanupNotStarted
	}
	c.header = true
	c.event(now, "execution_"+lower(status), "", "", fmt.Sprintf("%d of %d servers launched", up, len(r.launches)))
	e.log.Info("execution ended", "execution_id", ex.ID, "status", status,
		"launched", up, "servers", len(r.launches))
}

// finishCleanup ends a cleanup whose terminate jobs have all settled.
func (e *Engine) finishCleanup(r *run, c *change, now time.Time) {
	ex := r.ex
	if ex.Cleanup != plan.CleanupRunning {
		return
	}
	for _, b := range r.batches {
		if b.Kind == plan.BatchTerminate && batchActive(b) {
			return
		}
	}
	failed := 0
	for _, l := range r.launches {
		switch {
		case l.Status == plan.LaunchTerminating, terminable(l):
			return
		case strings.HasPrefix(l.Error, terminatePrefix):
			failed++
		}
	}
	ex.Cleanup = plan.CleanupCompleted
	typ, msg := "cleanup_completed", ""
	if failed > 0 {
		ex.Cleanup = plan.CleanupFailed
		typ, msg = "cleanup_failed", fmt.Sprintf("%d recovery instances not terminated", failed)
	}
	ex.Requests.Cleanup = false
	c.header = true
	c.event(now, typ, "", "", msg)
}

// terminable reports whether a cleanup still has to terminate a launch's
// recovery instance.
func terminable(l *plan.Launch) bool {
	return l.Status == plan.LaunchLaunched && l.RecoveryInstanceID != "" &&
		!strings.HasPrefix(l.Error, terminatePrefix)
}
