package web

import (
	"fmt"
	"net/http"

	"github.com/drsorch/drsorch/internal/auth"
	"github.com/drsorch/drsorch/internal/execution"
	"github.com/drsorch/drsorch/internal/plan"
)

// controls are the execution controls the page offers: exactly those the
// execution service would accept now and that would change something.
// The service decides in the end; these mirror its checks so that no
// button is shown only to be refused, and the controls test holds the two
// together by trying every control in every state it builds.
type controls struct {
	Pause, Resume, Cancel, Retry, Cleanup bool
	// Approve lists the waves whose approval gate can be opened.
	Approve []string
}

// Any reports whether any control applies.
func (c controls) Any() bool {
	return c.Pause || c.Resume || c.Cancel || c.Retry || c.Cleanup || len(c.Approve) > 0
}

// CanApprove reports whether wave's gate can be opened.
func (c controls) CanApprove(wave string) bool { return contains(c.Approve, wave) }

// controlsFor is controlsOf for the reader of r: none when its role may
// not control an execution of this mode, as the server would refuse.
func controlsFor(r *http.Request, v *execution.View) controls {
	if !allows(r, auth.ModeRole(v.Mode)) {
		return controls{}
	}
	return controlsOf(v)
}

func controlsOf(v *execution.View) controls {
	e := &v.Execution
	req := e.Requests
	active := plan.Active(e.Status)
	var c controls
	c.Pause = !req.Cancel && !req.Pause && (e.Status == plan.ExecRunning || e.Status == plan.ExecPending)
	c.Resume = !req.Cancel && (req.Pause || e.Status == plan.ExecPaused && !req.Resume)
	c.Cancel = active && !req.Cancel && e.Status != plan.ExecCancelling
	if active && !req.Cancel {
		for _, w := range v.Waves {
			open := w.Status == plan.WavePending || w.Status == plan.WaveAwaitingApproval
			if open && !w.Approved && gated(e.Plan, w.Name) {
				c.Approve = append(c.Approve, w.Name)
			}
		}
	}
	failed, inFlight := 0, 0
	for _, w := range v.Waves {
		failed += w.Failed
		for _, l := range w.Servers {
			switch l.Status {
			case plan.LaunchRequested, plan.LaunchLaunching, plan.LaunchTerminating:
				inFlight++
			}
		}
	}
	cleanupStarted := e.Cleanup != "" && e.Cleanup != plan.CleanupNotStarted
	c.Retry = failed > 0 && !req.Cancel && !req.Retry && !req.Cleanup && !cleanupStarted &&
		e.Status != plan.ExecCancelling && e.Status != plan.ExecCancelled
	c.Cleanup = e.Mode == plan.ModeDrill && !active && inFlight == 0 && !req.Cleanup &&
		e.Cleanup != plan.CleanupRunning && e.Cleanup != plan.CleanupCompleted
	return c
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

// question returns the confirmation question of a control.
func question(action, wave string) string {
	q := controlQuestions[action][0]
	if action == "approve" {
		return fmt.Sprintf(q, wave)
	}
	return q
}

// controlButton is what the _control partial reads.
type controlButton struct {
	ID, Action, Wave, Label, Question string
}

func controlData(id, action, wave, label string) controlButton {
	return controlButton{ID: id, Action: action, Wave: wave, Label: label, Question: question(action, wave)}
}
