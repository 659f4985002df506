// Package notify tells people about executions and readiness: it follows
// the store's execution events (it changes nothing in the engine) and
// sends notifications to webhooks, Slack-compatible webhooks and SNS
// topics, with retries, recording every delivery.
//
// # Notifications
//
// Each notification is one JSON object POSTed to a webhook:
//
//	{
//	  "id": "ex-…/17",                  // stable; with the target, the delivery key
//	  "type": "execution.failed",
//	  "time": "2026-03-01T12:40:00Z",
//	  "text": "drill of plan shop ended FAILED: 6 of 8 servers launched",
//	  "executionId": "ex-…", "planId": "rp-…", "planName": "shop",
//	  "mode": "drill", "status": "FAILED",
//	  "wave": "web",                    // wave.awaiting_approval only
//	  "message": "6 of 8 servers launched",
//	  "readiness": {"problems": 3, "plans": [{"planId", "planName", "problems", "codes"}]}
//	}
//
// Types: execution.started, wave.awaiting_approval, execution.completed,
// execution.failed (FAILED or PARTIAL), execution.cancelled and
// readiness.problems (sent when a scheduled check finds problems
// different from the last one notified). A Slack webhook gets
// {"text": "<text>"} instead.
//
// # Delivery
//
// A notification is sent to each target that wants its type, with
// 1+Retries attempts and a doubling backoff; a 2xx answer succeeds. Each
// outcome is recorded: in the store when it implements
// store.DeliveryStore, in memory otherwise. With a DeliveryStore a
// restarted notifier replays the events of executions that are active or
// ended within ReplayWindow and skips what was already delivered; without
// one it starts from the events present at its start.
package notify

import (
	"fmt"
	"strings"
	"time"

	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/readiness"
)

// Notification types.
const (
	TypeExecutionStarted     = "execution.started"
	TypeWaveAwaitingApproval = "wave.awaiting_approval"
	TypeExecutionCompleted   = "execution.completed"
	TypeExecutionFailed      = "execution.failed"
	TypeExecutionCancelled   = "execution.cancelled"
	TypeReadinessProblems    = "readiness.problems"
)

// Types lists every notification type.
var Types = []string{TypeExecutionStarted, TypeWaveAwaitingApproval, TypeExecutionCompleted,
	TypeExecutionFailed, TypeExecutionCancelled, TypeReadinessProblems}

// Notification is what a target is sent.
type Notification struct {
	ID          string            `json:"id"`
	Type        string            `json:"type"`
	Time        time.Time         `json:"time"`
	Text        string            `json:"text"`
	ExecutionID string            `json:"executionId,omitempty"`
	PlanID      string            `json:"planId,omitempty"`
	PlanName    string            `json:"planName,omitempty"`
	Mode        string            `json:"mode,omitempty"`
	Status      string            `json:"status,omitempty"`
	Wave        string            `json:"wave,omitempty"`
	Message     string            `json:"message,omitempty"`
	Readiness   *ReadinessSummary `json:"readiness,omitempty"`
}

// ReadinessSummary is the part of a readiness result a notification
// carries.
type ReadinessSummary struct {
	Problems int             `json:"problems"`
	Plans    []ReadinessPlan `json:"plans"`
}

// ReadinessPlan is one plan that is not ready.
type ReadinessPlan struct {
	PlanID   string   `json:"planId"`
	PlanName string   `json:"planName"`
	Problems int      `json:"problems"`
	Codes    []string `json:"codes"`
}

// typeOf maps an execution event to a notification type, "" for none.
func typeOf(eventType string) string {
	switch eventType {
	case "execution_started":
		return TypeExecutionStarted
	case "wave_awaiting_approval":
		return TypeWaveAwaitingApproval
	case "execution_" + strings.ToLower(plan.ExecCompleted):
		return TypeExecutionCompleted
	case "execution_" + strings.ToLower(plan.ExecFailed), "execution_" + strings.ToLower(plan.ExecPartial):
		return TypeExecutionFailed
	case "execution_" + strings.ToLower(plan.ExecCancelled):
		return TypeExecutionCancelled
	}
	return ""
}

// fromEvent builds the notification of an execution event.
func fromEvent(e *plan.Execution, ev plan.Event, typ string) *Notification {
	n := &Notification{ID: fmt.Sprintf("%s/%d", e.ID, ev.Seq), Type: typ, Time: ev.Time,
		ExecutionID: e.ID, PlanID: e.PlanID, PlanName: e.PlanName, Mode: e.Mode,
		Wave: ev.Wave, Message: ev.Message}
	what := fmt.Sprintf("%s of plan %s (%s)", e.Mode, e.PlanName, e.ID)
	switch typ {
	case TypeExecutionStarted:
		n.Status = plan.ExecRunning
		n.Text = what + " started"
		if e.StartedBy != "" {
			n.Text += " by " + e.StartedBy
		}
	case TypeWaveAwaitingApproval:
		n.Status = plan.ExecRunning
		n.Text = fmt.Sprintf("%s: wave %s awaits approval", what, ev.Wave)
	default:
		n.Status = strings.ToUpper(strings.TrimPrefix(ev.Type, "execution_"))
		n.Text = fmt.Sprintf("%s ended %s", what, n.Status)
		if ev.Message != "" {
			n.Text += ": " + ev.Message
		}
	}
	return n
}

// fromReadiness builds the notification of a readiness result with
// problems.
func fromReadiness(r *readiness.Result) *Notification {
	sum := &ReadinessSummary{Problems: r.Problems, Plans: []ReadinessPlan{}}
	for _, p := range r.Plans {
		if p.Ready {
			continue
		}
		rp := ReadinessPlan{PlanID: p.PlanID, PlanName: p.PlanName, Problems: len(p.Problems)}
		seen := map[string]bool{}
		for _, pr := range p.Problems {
			if !seen[pr.Code] {
				seen[pr.Code] = true
				rp.Codes = append(rp.Codes, pr.Code)
			}
		}
		sum.Plans = append(sum.Plans, rp)
	}
	return &Notification{
		ID:   "readiness/" + r.CheckedAt.UTC().Format(time.RFC3339Nano),
		Type: TypeReadinessProblems, Time: r.CheckedAt, Readiness: sum,
		Text: fmt.Sprintf("readiness: %d problems in %d of %d plans", r.Problems, len(sum.Plans), len(r.Plans)),
	}
}
