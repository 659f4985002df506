package engine

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/plan"
)

// gateServer answers health gate check URLs on 127.0.0.1: /gate with 503
// for its first `unready` calls and 200 after, /down with 500 while down
// is set and 200 otherwise. It records every request body.
type gateServer struct {
	*httptest.Server
	mu      sync.Mutex
	unready int
	down    bool
	reqs    map[string][]plan.GateRequest // by path
}

// newGateServer starts outside any synctest bubble (see newHookServer).
func newGateServer(t *testing.T, unready int) *gateServer {
	gs := &gateServer{unready: unready, down: true, reqs: make(map[string][]plan.GateRequest)}
	gs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req plan.GateRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		gs.mu.Lock()
		gs.reqs[r.URL.Path] = append(gs.reqs[r.URL.Path], req)
		n := len(gs.reqs[r.URL.Path])
		down := gs.down
		gs.mu.Unlock()
		switch {
		case r.URL.Path == "/gate" && n <= gs.unready:
			http.Error(w, "warming up", http.StatusServiceUnavailable)
		case r.URL.Path == "/down" && down:
			http.Error(w, "broken", http.StatusInternalServerError)
		}
	}))
	t.Cleanup(gs.Close)
	return gs
}

func (gs *gateServer) requests(path string) []plan.GateRequest {
	gs.mu.Lock()
	defer gs.mu.Unlock()
	return append([]plan.GateRequest(nil), gs.reqs[path]...)
}

func (gs *gateServer) setDown(down bool) {
	gs.mu.Lock()
	gs.down = down
	gs.mu.Unlock()
}

// gateChecks strips a gate's checks down to what a test can know.
type gateCheck struct {
	Kind       string
	OK         bool
	Attempts   int
	StatusCode int
	Message    string
}

func checksOf(g *plan.GateRun) []gateCheck {
	if g == nil {
		return nil
	}
	var out []gateCheck
	for _, c := range g.Checks {
		out = append(out, gateCheck{c.Kind, c.OK, c.Attempts, c.StatusCode, c.Message})
	}
	return out
}

// TestGateCheckURL holds a wave in VERIFYING until its check URL answers
// 200 (after three 503s), one attempt per interval; the next wave starts
// only after the gate passed and the wave ended.
func TestGateCheckURL(t *testing.T) {
	isolateAWSEnv(t)
	gs := newGateServer(t, 3)
	hs := newHookServer(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, linuxServers(10), 1)
		ws := chain(wave("db", 2), wave("app", 2))
		ws[0].HealthGate = &plan.HealthGate{CheckURL: gs.URL + "/gate", IntervalSeconds: 20}
		ws[0].Hooks = &plan.Hooks{After: []plan.Hook{{Name: "post", URL: hs.URL + "/ok"}}}
		id := h.start(plan.ModeDrill, ws)
		e := h.engine("e1", func(o *Options) {
			o.GateClient = hookClient()
			o.HookClient = hookClient()
		})

		// While the gate waits, the wave is VERIFYING and app waits.
		h.until(e, 500, func() bool { return len(gs.requests("/gate")) == 2 })
		if got := h.waveStatuses(id); got["db"] != plan.WaveVerifying || got["app"] != plan.WavePending {
			t.Errorf("while the gate waits: waves %v, want db VERIFYING, app PENDING", got)
		}
		if n := hs.countFor(id, PhaseAfter); n != 0 {
			t.Errorf("after hook called %d times before the gate passed", n)
		}
		// The loop wakes for the next attempt.
		if g := h.waves(id)["db"].Gate; !e.nextGate.Equal(g.Checks[0].Time.Add(20 * time.Second)) {
			t.Errorf("next gate wake %v, want the last attempt %v + 20s", e.nextGate, g.Checks[0].Time)
		}

		ex := h.finish(e, id, 1000)
		if ex.Status != plan.ExecCompleted {
			t.Errorf("status %s, want COMPLETED", ex.Status)
		}
		waves := h.waves(id)
		db, app := waves["db"], waves["app"]
		want := []gateCheck{{plan.CheckURL, true, 4, 200, "status 200"}}
		if diff := cmp.Diff(want, checksOf(db.Gate)); diff != "" {
			t.Errorf("gate checks mismatch (-want +got):\n%s", diff)
		}
		if db.Gate.Status != plan.GatePassed || db.Gate.EndTime == nil {
			t.Fatalf("gate %+v, want PASSED with an end time", db.Gate)
		}
		if app.StartTime == nil || app.StartTime.Before(*db.Gate.EndTime) || db.EndTime.Before(*db.Gate.EndTime) {
			t.Errorf("gate ended %v, db ended %v, app started %v; want the gate, then db, then app",
				db.Gate.EndTime, db.EndTime, app.StartTime)
		}
		if app.Gate != nil {
			t.Errorf("app has a gate %+v, want none", app.Gate)
		}

		reqs := gs.requests("/gate")
		var attempts []int
		for _, r := range reqs {
			attempts = append(attempts, r.Attempt)
			if r.ExecutionID != id || r.Wave != "db" || r.Mode != plan.ModeDrill || r.PlanName != "test" ||
				len(r.Instances) != 2 || r.Instances[0].EC2InstanceID == "" {
				t.Errorf("gate request %+v", r)
			}
		}
		if diff := cmp.Diff([]int{1, 2, 3, 4}, attempts); diff != "" {
			t.Errorf("attempts mismatch (-want +got):\n%s", diff)
		}
		// One attempt per interval: 20s apart on the engine's clock.
		if d := db.Gate.EndTime.Sub(db.Gate.StartTime); d < 60*time.Second || d > 80*time.Second {
			t.Errorf("gate took %s, want three intervals of 20s (60s to 80s with 5s rounds)", d)
		}
		evs := eventTypes(h.events(id))
		for typ, n := range map[string]int{"gate_started": 1, "gate_check_failed": 1, "gate_passed": 1, "gate_failed": 0} {
			if evs[typ] != n {
				t.Errorf("%d %s events, want %d", evs[typ], typ, n)
			}
		}
		if n := hs.countFor(id, PhaseAfter); n != 1 {
			t.Errorf("after hook called %d times, want 1", n)
		}
		h.checkOnce(id, 1)
	})
}

// TestGateTimeout fails a wave whose check URL never answers 2xx within
// the gate's timeout: "stop" skips the later waves, "continue" goes on.
// A retry of the stopped execution runs the gate again.
func TestGateTimeout(t *testing.T) {
	isolateAWSEnv(t)
	for _, policy := range []string{plan.FailureStop, plan.FailureContinue} {
		t.Run(policy, func(t *testing.T) {
			gs := newGateServer(t, 0)
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, linuxServers(10), 1)
				ws := chain(wave("db", 2), wave("app", 2))
				ws[0].HealthGate = &plan.HealthGate{CheckURL: gs.URL + "/down", TimeoutMinutes: 2, IntervalSeconds: 30}
				ws[0].FailurePolicy = policy
				id := h.start(plan.ModeRecovery, ws)
				e := h.engine("e1", func(o *Options) { o.GateClient = hookClient() })
				ex := h.finish(e, id, 1000)

				waves := h.waves(id)
				db := waves["db"]
				const msg = "health gate: checkUrl: status 500"
				if db.Status != plan.WaveFailed || db.Error != msg || db.Gate == nil ||
					db.Gate.Status != plan.GateFailed || db.Gate.Error != msg {
					t.Fatalf("db %s %q gate %+v; want FAILED with %q", db.Status, db.Error, db.Gate, msg)
				}
				if d := db.Gate.EndTime.Sub(db.Gate.StartTime); d < 2*time.Minute || d > 2*time.Minute+10*time.Second {
					t.Errorf("gate failed after %s, want its 2m timeout", d)
				}
				// Attempts at 0, 30s, …, 2m.
				if n := len(gs.requests("/down")); n != 5 {
					t.Errorf("%d attempts, want 5", n)
				}
				evs := eventTypes(h.events(id))
				if evs["gate_check_failed"] != 1 || evs["gate_failed"] != 1 {
					t.Errorf("events %v, want one gate_check_failed and one gate_failed", evs)
				}
				wantApp, wantEx := plan.WaveSkipped, plan.ExecFailed
				if policy == plan.FailureContinue {
					wantApp, wantEx = plan.WaveCompleted, plan.ExecPartial
				}
				if waves["app"].Status != wantApp || ex.Status != wantEx {
					t.Fatalf("app %s, execution %s; want %s, %s", waves["app"].Status, ex.Status, wantApp, wantEx)
				}
				if policy != plan.FailureStop {
					return
				}

				// The check URL is fixed; a retry runs the gate again and
				// the plan goes on, no server launched again.
				gs.setDown(false)
				h.control(id, func(ex *plan.Execution) { ex.Requests.Retry = true })
				ex = h.finish(e, id, 1000)
				waves = h.waves(id)
				if ex.Status != plan.ExecCompleted || waves["db"].Status != plan.WaveCompleted ||
					waves["db"].Gate.Status != plan.GatePassed || waves["app"].Status != plan.WaveCompleted {
					t.Errorf("after retry: execution %s, db %s gate %+v, app %s; want all COMPLETED, gate PASSED",
						ex.Status, waves["db"].Status, waves["db"].Gate, waves["app"].Status)
				}
				if want := []gateCheck{{plan.CheckURL, true, 1, 200, "status 200"}}; !cmp.Equal(want, checksOf(waves["db"].Gate)) {
					t.Errorf("after retry: gate checks %+v, want one passed attempt", checksOf(waves["db"].Gate))
				}
				h.checkOnce(id, 1)
			})
		})
	}
}

// TestGateCancelAndPause: a pause does not stop a gate (its checks go on
// and it passes), but no wave starts until resumed; a cancel ends a wave
// waiting for its gate at once.
func TestGateCancelAndPause(t *testing.T) {
	isolateAWSEnv(t)
	gs := newGateServer(t, 0)
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, linuxServers(10), 1)
		ws := chain(wave("a", 2), wave("b", 2), wave("c", 2))
		ws[0].HealthGate = &plan.HealthGate{CheckURL: gs.URL + "/down", IntervalSeconds: 10}
		ws[1].HealthGate = &plan.HealthGate{CheckURL: gs.URL + "/down", IntervalSeconds: 10}
		id := h.start(plan.ModeRecovery, ws)
		e := h.engine("e1", func(o *Options) { o.GateClient = hookClient() })

		h.until(e, 500, func() bool { return len(gs.requests("/down")) == 1 })
		h.control(id, func(ex *plan.Execution) { ex.Requests.Pause = true })
		h.until(e, 20, func() bool { return len(gs.requests("/down")) == 3 })
		gs.setDown(false)
		h.until(e, 20, func() bool { return h.waves(id)["a"].Status == plan.WaveCompleted })
		for range 10 {
			h.step(e, e.opts.PollMin)
		}
		if ex, b := h.get(id), h.waves(id)["b"]; ex.Status != plan.ExecPaused || b.Status != plan.WavePending {
			t.Fatalf("paused: execution %s, wave b %s; want PAUSED, PENDING", ex.Status, b.Status)
		}
		gs.setDown(true)
		h.control(id, func(ex *plan.Execution) { ex.Requests.Resume = true })
		h.until(e, 500, func() bool { return gateRunning(ptr(h.waves(id)["b"])) })
		h.control(id, func(ex *plan.Execution) { ex.Requests.Cancel = true })
		ex := h.finish(e, id, 50)

		waves := h.waves(id)
		got := map[string]string{"a": waves["a"].Status, "b": waves["b"].Status, "c": waves["c"].Status,
			"exec": ex.Status, "b gate": waves["b"].Gate.Status}
		want := map[string]string{"a": plan.WaveCompleted, "b": plan.WaveCancelled, "c": plan.WaveCancelled,
			"exec": plan.ExecCancelled, "b gate": plan.GateFailed}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("statuses mismatch (-want +got):\n%s", diff)
		}
		if !strings.Contains(waves["b"].Error, "cancelled") {
			t.Errorf("wave b error %q, want the cancel", waves["b"].Error)
		}
	})
}

func ptr[T any](v T) *T { return &v }

// TestGateNoLaunchedServer: a wave with a gate whose servers all failed
// skips the gate.
func TestGateNoLaunchedServer(t *testing.T) {
	isolateAWSEnv(t)
	gs := newGateServer(t, 0)
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, linuxServers(10), 1)
		ws := chain(wave("db", 2))
		ws[0].HealthGate = &plan.HealthGate{CheckURL: gs.URL + "/gate"}
		h.prepare = func(ex *plan.Execution) {
			ex.Groups[0].LaunchSettings = &plan.LaunchSettings{InstanceType: "m6i.large"}
		}
		id := h.start(plan.ModeRecovery, ws)
		e := h.engine("e1", func(o *Options) { o.GateClient = hookClient() }) // no applier: the launches fail
		ex := h.finish(e, id, 200)
		db := h.waves(id)["db"]
		if ex.Status != plan.ExecFailed || db.Status != plan.WaveFailed || db.Gate != nil {
			t.Errorf("execution %s, db %s gate %+v; want FAILED, FAILED, no gate", ex.Status, db.Status, db.Gate)
		}
		if n := len(gs.requests("/gate")); n != 0 {
			t.Errorf("%d gate requests, want 0", n)
		}
	})
}

// TestWait: the loop sleeps PollMin, or less until a gate's next attempt.
func TestWait(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		nextGate time.Time
		want     time.Duration
	}{
		{"no gate", time.Time{}, 30 * time.Second},
		{"gate sooner", now.Add(7 * time.Second), 7 * time.Second},
		{"gate later", now.Add(time.Minute), 30 * time.Second},
		{"gate overdue", now.Add(-time.Second), 100 * time.Millisecond},
	} {
		e := New(Options{PollMin: 30 * time.Second, Clock: func() time.Time { return now }})
		e.nextGate = tc.nextGate
		if got := e.wait(); got != tc.want {
			t.Errorf("%s: wait %s, want %s", tc.name, got, tc.want)
		}
	}
}

// noEC2 is an EC2Source that no call may reach.
type noEC2 struct{ t *testing.T }

func (n noEC2) For(context.Context, string, string) (EC2, error) {
	n.t.Error("EC2 called for instances that have no ID")
	return nil, errors.New("no EC2 here")
}

// TestStatusChecksNeedInstanceIDs: a launched server whose instance DRS
// has not named cannot pass a status-check gate, even when no instance
// of the wave has an ID to check.
func TestStatusChecksNeedInstanceIDs(t *testing.T) {
	e := New(Options{Store: nil, DRS: nil, Owner: "e1", EC2: noEC2{t}, Logger: testLogger()})
	ex := &plan.Execution{ID: "ex-1", Plan: plan.RecoveryPlan{Waves: []plan.Wave{{Name: "db"}}}}
	r := newRun(ex, []plan.WaveRun{{ExecutionID: "ex-1", Name: "db", Status: plan.WaveVerifying}},
		[]plan.Launch{{ExecutionID: "ex-1", Wave: "db", SourceServerID: "s-0123456789abcdef0",
			Region: "us-east-1", Status: plan.LaunchLaunched}}, nil)
	ok, msg := e.statusChecks(t.Context(), r, &change{}, r.waves[0])
	if ok || msg != "1 of 1 instances not ok: s-0123456789abcdef0 (no EC2 instance ID)" {
		t.Errorf("status checks ok=%v %q; want not ok naming the server", ok, msg)
	}
}
