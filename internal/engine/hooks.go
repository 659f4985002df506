package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/drsorch/drsorch/internal/plan"
)

// Hook phases.
const (
	PhaseBefore = "before"
	PhaseAfter  = "after"
)

const defaultHookTimeout = 10 * time.Second

// HookPayload is the JSON body POSTed to a wave's webhooks.
type HookPayload struct {
	ExecutionID string       `json:"executionId"`
	PlanID      string       `json:"planId"`
	Mode        string       `json:"mode"`
	Wave        string       `json:"wave"`
	Phase       string       `json:"phase"`
	Servers     []HookServer `json:"servers"`
}

// HookServer is one server of a wave in a HookPayload.
type HookServer struct {
	SourceServerID     string `json:"sourceServerId"`
	Status             string `json:"status"`
	RecoveryInstanceID string `json:"recoveryInstanceId,omitempty"`
	EC2InstanceID      string `json:"ec2InstanceId,omitempty"`
}

// hookResult returns the recorded result of a hook in the wave's current
// run (since its StartTime; a retry starts a new run), or nil.
func (r *run) hookResult(w *plan.WaveRun, phase string, h plan.Hook) *plan.HookResult {
	for i := len(w.Hooks) - 1; i >= 0; i-- {
		res := &w.Hooks[i]
		if res.Phase != phase || res.Name != h.Name || res.URL != h.URL {
			continue
		}
		if w.StartTime != nil && res.Time.Before(*w.StartTime) {
			return nil
		}
		return res
	}
	return nil
}

// beforeDone reports whether every before hook of a wave succeeded in its
// current run, so that its batches may start.
func (r *run) beforeDone(w *plan.WaveRun) bool {
	hs := r.wave(w.Name).Hooks
	if hs == nil {
		return true
	}
	for _, h := range hs.Before {
		if res := r.hookResult(w, PhaseBefore, h); res == nil || !res.OK {
			return false
		}
	}
	return true
}

// dueHooks calls the hooks of the first wave that has some due: the before
// hooks of a LAUNCHING wave, the after hooks of a VERIFYING one whose
// health gate, if any, passed. It reports whether it did anything, so
// that the waves are looked at again.
func (e *Engine) dueHooks(ctx context.Context, r *run) (bool, error) {
	for _, w := range r.waves {
		hs := r.wave(w.Name).Hooks
		if hs == nil {
			hs = &plan.Hooks{}
		}
		switch {
		case w.Status == plan.WaveLaunching && r.ex.Status == plan.ExecRunning && !r.beforeDone(w):
			failed, err := e.callHooks(ctx, r, w, PhaseBefore, hs.Before)
			if err != nil {
				return false, err
			}
			if failed == "" {
				return true, nil
			}
			// The wave never launches: its servers are skipped.
			now := e.now()
			c := &change{}
			w.Status = plan.WaveFailed
			w.Error = failed
			w.EndTime = &now
			c.wave(w)
			for _, l := range r.byWave[w.Name] {
				if l.Status == plan.LaunchPending {
					skipLaunch(c, l, now, failed)
				}
			}
			c.event(now, "wave_failed", w.Name, "", failed)
			return true, e.commit(ctx, r, c)
		case w.Status == plan.WaveVerifying && (w.Gate == nil || w.Gate.Status == plan.GatePassed):
			failed, err := e.callHooks(ctx, r, w, PhaseAfter, hs.After)
			if err != nil {
				return false, err
			}
			c := &change{}
			e.endWave(r, c, w, failed, e.now())
			return true, e.commit(ctx, r, c)
		}
	}
	return false, nil
}

// callHooks calls a phase's hooks in order, each at most once per wave
// run: a result already recorded is not called again. It returns the first
// failure, as the wave's error.
func (e *Engine) callHooks(ctx context.Context, r *run, w *plan.WaveRun, phase string, hooks []plan.Hook) (string, error) {
	for _, h := range hooks {
		res := r.hookResult(w, phase, h)
		if res == nil {
			// A hook may take a while: the lease must outlast it.
			if err := e.renew(ctx, r); err != nil {
				return "", err
			}
			got := e.callHook(ctx, r, w, phase, h)
			if err := ctx.Err(); err != nil {
				return "", fmt.Errorf("%s hook of wave %s: %w", phase, w.Name, err)
			}
			if err := e.crash("hook_called"); err != nil {
				return "", err
			}
			c := &change{}
			w.Hooks = append(w.Hooks, got)
			c.wave(w)
			typ := "hook_succeeded"
			if !got.OK {
				typ = "hook_failed"
			}
			c.event(got.Time, typ, w.Name, "", fmt.Sprintf("%s hook %s: %s", phase, hookName(h), hookOutcome(got)))
			if err := e.commit(ctx, r, c); err != nil {
				return "", err
			}
			res = &w.Hooks[len(w.Hooks)-1]
		}
		if !res.OK {
			return fmt.Sprintf("%s hook %s: %s", phase, hookName(h), hookOutcome(*res)), nil
		}
	}
	return "", nil
}

func hookName(h plan.Hook) string {
	if h.Name != "" {
		return h.Name
	}
	return h.URL
}

func hookOutcome(res plan.HookResult) string {
	if res.OK {
		return fmt.Sprintf("status %d", res.StatusCode)
	}
	return res.Error
}

// callHook POSTs the payload, trying 1+Retries times with backoff (1s
// doubling, with jitter); only a 2xx answer succeeds.
func (e *Engine) callHook(ctx context.Context, r *run, w *plan.WaveRun, phase string, h plan.Hook) plan.HookResult {
	p := HookPayload{
		ExecutionID: r.ex.ID, PlanID: r.ex.PlanID, Mode: r.ex.Mode,
		Wave: w.Name, Phase: phase, Servers: []HookServer{},
	}
	for _, l := range r.byWave[w.Name] {
		p.Servers = append(p.Servers, HookServer{
			SourceServerID: l.SourceServerID, Status: l.Status,
			RecoveryInstanceID: l.RecoveryInstanceID, EC2InstanceID: l.EC2InstanceID,
		})
	}
	body, _ := json.Marshal(p) // plain strings: cannot fail

	timeout := defaultHookTimeout
	if h.TimeoutSeconds > 0 {
		timeout = time.Duration(h.TimeoutSeconds) * time.Second
	}
	res := plan.HookResult{Name: h.Name, Phase: phase, URL: h.URL}
	wait := time.Second
	for attempt := 1; attempt <= 1+max(h.Retries, 0); attempt++ {
		if attempt > 1 {
			t := time.NewTimer(wait/2 + rand.N(wait))
			select {
			case <-ctx.Done():
				t.Stop()
				res.Time = e.now()
				return res
			case <-t.C:
			}
			wait *= 2
		}
		res.Attempts = attempt
		res.StatusCode, res.Error = e.postHook(ctx, h.URL, body, timeout)
		if res.Error == "" {
			res.OK = true
			break
		}
	}
	res.Time = e.now()
	return res
}

func (e *Engine) postHook(ctx context.Context, url string, body []byte, timeout time.Duration) (int, string) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.opts.HookClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Sprintf("status %d", resp.StatusCode)
	}
	return resp.StatusCode, ""
}
