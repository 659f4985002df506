package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/drsorch/drsorch/internal/ec2"
	"github.com/drsorch/drsorch/internal/plan"
)

// gateAttemptTimeout bounds one call of a gate's check URL.
const gateAttemptTimeout = 10 * time.Second

// gateNamed is how many instances a status check's message names.
const gateNamed = 3

// statusChecksDue reports whether a gate's status checks still run: they
// refresh the instances' states themselves.
func statusChecksDue(g *plan.GateRun) bool {
	for _, ch := range g.Checks {
		if ch.Kind == plan.CheckStatusChecks && !ch.OK {
			return true
		}
	}
	return false
}

// gateRunning reports whether a wave waits for its health gate.
func gateRunning(w *plan.WaveRun) bool {
	return w.Status == plan.WaveVerifying && w.Gate != nil && w.Gate.Status == plan.GateChecking
}

// gateNext returns when a gate's checks are due again: at once before
// the first attempt, then Interval after the latest one.
func gateNext(g *plan.GateRun, hg *plan.HealthGate) time.Time {
	var last time.Time
	for _, ch := range g.Checks {
		if ch.Attempts > 0 && ch.Time.After(last) {
			last = ch.Time
		}
	}
	if last.IsZero() {
		return g.StartTime
	}
	iv := plan.HealthGate{}.Interval()
	if hg != nil {
		iv = hg.Interval()
	}
	return last.Add(iv)
}

func gateDue(g *plan.GateRun, hg *plan.HealthGate, now time.Time) bool {
	return !now.Before(gateNext(g, hg))
}

// startGate begins the health gate of a settled wave: VERIFYING with its
// gate CHECKING, one check per kind the gate names. It reports whether it
// did: a wave without a gate, with no server launched, or of a cancelled
// execution goes on without one.
func (e *Engine) startGate(r *run, c *change, w *plan.WaveRun, now time.Time) bool {
	hg := r.wave(w.Name).HealthGate
	if hg == nil || w.Gate != nil || r.ex.Status == plan.ExecCancelling {
		return false
	}
	n := 0
	for _, l := range r.byWave[w.Name] {
		if l.Status == plan.LaunchLaunched {
			n++
		}
	}
	if n == 0 {
		return false
	}
	g := &plan.GateRun{Status: plan.GateChecking, StartTime: now, Checks: []plan.GateCheck{}}
	var kinds []string
	if hg.StatusChecks {
		g.Checks = append(g.Checks, plan.GateCheck{Kind: plan.CheckStatusChecks})
		kinds = append(kinds, plan.CheckStatusChecks)
	}
	if hg.CheckURL != "" {
		g.Checks = append(g.Checks, plan.GateCheck{Kind: plan.CheckURL})
		kinds = append(kinds, plan.CheckURL)
	}
	w.Status = plan.WaveVerifying
	w.Gate = g
	c.wave(w)
	c.event(now, "wave_verifying", w.Name, "", "waiting for the health gate")
	c.event(now, "gate_started", w.Name, "", fmt.Sprintf("%s on %d instances, timeout %s",
		strings.Join(kinds, ", "), n, hg.Timeout()))
	return true
}

// cancelGate ends a wave whose gate a cancel cut short: it never verified.
func (e *Engine) cancelGate(c *change, w *plan.WaveRun, now time.Time) {
	const msg = "execution cancelled before the health gate passed"
	w.Gate.Status = plan.GateFailed
	w.Gate.EndTime = &now
	w.Gate.Error = msg
	w.Status = plan.WaveCancelled
	w.Error = msg
	w.EndTime = &now
	c.wave(w)
	c.event(now, "gate_failed", w.Name, "", msg)
	c.event(now, "wave_cancelled", w.Name, "", msg)
}

// dueGates runs the checks of every health gate that is due, each check
// not yet passed once, and passes or fails the gates that are decided. It
// reports whether a gate ended, so that the waves are looked at again.
// Gates go on while the execution is paused: their checks only read, and
// their timeout runs on.
func (e *Engine) dueGates(ctx context.Context, r *run) (bool, error) {
	ended := false
	for _, w := range r.waves {
		if !gateRunning(w) {
			continue
		}
		hg := r.wave(w.Name).HealthGate
		if hg == nil {
			hg = &plan.HealthGate{} // the plan lost it: nothing to check
		}
		g := w.Gate
		c := &change{}
		now := e.now()
		if gateDue(g, hg, now) {
			if err := e.renewIfShort(ctx, r); err != nil {
				return false, err
			}
			for i := range g.Checks {
				ch := &g.Checks[i]
				if ch.OK {
					continue
				}
				ok, code, msg := e.runCheck(ctx, r, c, w, hg, ch.Kind, ch.Attempts+1)
				if err := ctx.Err(); err != nil {
					return false, fmt.Errorf("health gate of wave %s: %w", w.Name, err)
				}
				changed := ch.Attempts == 0 || ch.Message != msg
				ch.Attempts++
				ch.OK, ch.StatusCode, ch.Message, ch.Time = ok, code, msg, now
				if ok {
					at := e.now()
					ch.PassedAt = &at
				} else if changed {
					c.event(now, "gate_check_failed", w.Name, "", ch.Kind+": "+msg)
				}
			}
			c.wave(w)
		}

		now = e.now()
		var pending *plan.GateCheck
		for i := range g.Checks {
			if !g.Checks[i].OK {
				pending = &g.Checks[i]
				break
			}
		}
		switch {
		case pending == nil:
			g.Status = plan.GatePassed
			g.EndTime = &now
			c.wave(w)
			took := now.Sub(g.StartTime).Round(time.Second)
			c.event(now, "gate_passed", w.Name, "", fmt.Sprintf("after %s", took))
			ended = true
		case !now.Before(g.StartTime.Add(hg.Timeout())):
			msg := pending.Message
			if msg == "" {
				msg = "not checked"
			}
			g.Status = plan.GateFailed
			g.EndTime = &now
			g.Error = fmt.Sprintf("health gate: %s: %s", pending.Kind, msg)
			c.event(now, "gate_failed", w.Name, "", g.Error)
			e.endWave(r, c, w, g.Error, now)
			ended = true
		default:
			next := gateNext(g, hg)
			if deadline := g.StartTime.Add(hg.Timeout()); deadline.Before(next) {
				next = deadline
			}
			if e.nextGate.IsZero() || next.Before(e.nextGate) {
				e.nextGate = next
			}
		}
		if err := e.commit(ctx, r, c); err != nil {
			return false, err
		}
	}
	return ended, nil
}

// renewIfShort renews the lease when less than half of it is left, so
// that the calls of a round do not outlast it.
func (e *Engine) renewIfShort(ctx context.Context, r *run) error {
	if r.leaseExpiry.Sub(e.now()) >= e.opts.LeaseDuration/2 {
		return nil
	}
	return e.renew(ctx, r)
}

// runCheck makes one attempt of a check and says what it saw.
func (e *Engine) runCheck(ctx context.Context, r *run, c *change, w *plan.WaveRun,
	hg *plan.HealthGate, kind string, attempt int) (ok bool, code int, msg string) {
	switch kind {
	case plan.CheckStatusChecks:
		ok, msg = e.statusChecks(ctx, r, c, w)
		return ok, 0, msg
	case plan.CheckURL:
		return e.checkURL(ctx, r, w, hg.CheckURL, attempt)
	}
	return false, 0, "unknown check " + kind
}

// gateLaunches returns the launches of a wave whose instances a gate
// checks.
func gateLaunches(r *run, w *plan.WaveRun) []*plan.Launch {
	var out []*plan.Launch
	for _, l := range r.byWave[w.Name] {
		if l.Status == plan.LaunchLaunched && l.EC2InstanceID != "" {
			out = append(out, l)
		}
	}
	return out
}

// statusChecks passes when every launched instance of the wave is running
// with both status checks ok: one DescribeInstanceStatus call per account
// and region. The states it reads refresh the launches' InstanceState.
func (e *Engine) statusChecks(ctx context.Context, r *run, c *change, w *plan.WaveRun) (bool, string) {
	if e.opts.EC2 == nil {
		return false, "no EC2 client"
	}
	ls := gateLaunches(r, w)
	byRegion := make(map[regionKey][]string)
	for _, l := range ls {
		byRegion[launchKey(l)] = append(byRegion[launchKey(l)], l.EC2InstanceID)
	}
	byInstance := make(map[string]*plan.Launch, len(ls))
	for _, l := range ls {
		byInstance[l.EC2InstanceID] = l
	}
	// A launched server whose instance DRS has not named cannot be
	// checked, and an unchecked server never passes the gate.
	var bad []string
	launched := len(ls)
	for _, l := range r.byWave[w.Name] {
		if l.Status == plan.LaunchLaunched && l.EC2InstanceID == "" {
			bad = append(bad, l.SourceServerID+" (no EC2 instance ID)")
			launched++
		}
	}
	for _, k := range sortedKeys(byRegion) {
		ids := byRegion[k]
		cl, err := e.ec2Client(ctx, k)
		if err != nil {
			return false, err.Error()
		}
		cctx, cancel := context.WithTimeout(ctx, e.opts.CallTimeout)
		e.calls.instanceStatus++
		sts, err := cl.DescribeInstanceStatus(cctx, ids)
		cancel()
		if err != nil {
			return false, fmt.Sprintf("describe instance status in %s: %v", k, err)
		}
		byID := make(map[string]ec2.InstanceStatus, len(sts))
		for _, st := range sts {
			byID[st.ID] = st
			if l := byInstance[st.ID]; l != nil && st.State != "" && l.InstanceState != st.State {
				l.InstanceState = st.State
				c.launch(l)
			}
		}
		for _, id := range ids {
			st, found := byID[id]
			if why := notOK(st, found); why != "" {
				bad = append(bad, fmt.Sprintf("%s (%s)", id, why))
			}
		}
	}
	if len(bad) == 0 {
		return true, fmt.Sprintf("%d instances ok", len(ls))
	}
	named := bad[:min(len(bad), gateNamed)]
	msg := fmt.Sprintf("%d of %d instances not ok: %s", len(bad), launched, strings.Join(named, ", "))
	if len(bad) > len(named) {
		msg += ", …"
	}
	return false, msg
}

// notOK says why an instance does not pass its status checks, "" when it
// does.
func notOK(st ec2.InstanceStatus, found bool) string {
	switch {
	case !found:
		return "not found"
	case st.State != "running":
		return st.State
	case st.SystemStatus != ec2.StatusOK:
		return "system " + st.SystemStatus
	case st.InstanceStatus != ec2.StatusOK:
		return "instance " + st.InstanceStatus
	}
	return ""
}

// checkURL POSTs the gate request once; only a 2xx answer passes.
func (e *Engine) checkURL(ctx context.Context, r *run, w *plan.WaveRun, url string, attempt int) (bool, int, string) {
	req := plan.GateRequest{
		ExecutionID: r.ex.ID, PlanID: r.ex.PlanID, PlanName: r.ex.PlanName, Mode: r.ex.Mode,
		Wave: w.Name, Attempt: attempt, Instances: []plan.GateInstance{},
	}
	for _, l := range gateLaunches(r, w) {
		req.Instances = append(req.Instances, plan.GateInstance{
			SourceServerID: l.SourceServerID, Hostname: l.Hostname,
			EC2InstanceID: l.EC2InstanceID, PrivateIP: l.PrivateIP,
		})
	}
	body, _ := json.Marshal(req) // plain strings: cannot fail

	ctx, cancel := context.WithTimeout(ctx, gateAttemptTimeout)
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return false, 0, err.Error()
	}
	hr.Header.Set("Content-Type", "application/json")
	e.calls.gateURL++
	resp, err := e.opts.GateClient.Do(hr)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return false, 0, fmt.Sprintf("no answer within %s", gateAttemptTimeout)
		}
		return false, 0, err.Error()
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return false, resp.StatusCode, fmt.Sprintf("status %d", resp.StatusCode)
	}
	return true, resp.StatusCode, fmt.Sprintf("status %d", resp.StatusCode)
}
