package engine

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/drssim"
	"github.com/drsorch/drsorch/internal/plan"
)

// hookServer answers webhooks on 127.0.0.1: /ok with 200, /fail with 500,
// /flaky with 503 the first time and 200 after; it records every call.
type hookServer struct {
	*httptest.Server
	mu    sync.Mutex
	calls []HookPayload
	paths []string
	flaky int
}

// newHookServer starts outside any synctest bubble: its goroutines wait on
// the network, which would keep the bubble's clock from moving.
func newHookServer(t *testing.T) *hookServer {
	hs := &hookServer{}
	hs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p HookPayload
		if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		hs.mu.Lock()
		hs.calls = append(hs.calls, p)
		hs.paths = append(hs.paths, r.URL.Path)
		n := 0
		if r.URL.Path == "/flaky" {
			hs.flaky++
			n = hs.flaky
		}
		hs.mu.Unlock()
		switch {
		case r.URL.Path == "/fail", r.URL.Path == "/flaky" && n == 1:
			http.Error(w, "no", http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(hs.Close)
	return hs
}

func (hs *hookServer) count(path, phase string) int {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	n := 0
	for i, p := range hs.paths {
		if p == path && hs.calls[i].Phase == phase {
			n++
		}
	}
	return n
}

// countFor counts the calls of an execution's hooks of a phase.
func (hs *hookServer) countFor(executionID, phase string) int {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	n := 0
	for _, p := range hs.calls {
		if p.ExecutionID == executionID && p.Phase == phase {
			n++
		}
	}
	return n
}

// hookClient keeps no idle connections, whose reading goroutines would
// keep a synctest bubble's clock still.
func hookClient() *http.Client {
	return &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
}

func TestHooks(t *testing.T) {
	isolateAWSEnv(t)
	hs := newHookServer(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, drssim.Options{Servers: 20}, 1)
		ws := chain(wave("db", 2), wave("app", 3))
		ws[0].Hooks = &plan.Hooks{
			Before: []plan.Hook{{Name: "flaky", URL: hs.URL + "/flaky", Retries: 1}},
			After:  []plan.Hook{{Name: "check", URL: hs.URL + "/ok"}},
		}
		ws[1].Hooks = &plan.Hooks{Before: []plan.Hook{{Name: "gate", URL: hs.URL + "/fail", Retries: 2}}}
		id := h.start(plan.ModeDrill, ws)
		e := h.engine("e1", func(o *Options) { o.HookClient = hookClient() })
		ex := h.finish(e, id, 1000)

		if ex.Status != plan.ExecFailed {
			t.Errorf("status %s, want FAILED (app's before hook fails and the policy is stop)", ex.Status)
		}
		waves := h.waves(id)
		type res struct {
			Name, Phase string
			Status      int
			Attempts    int
			OK          bool
		}
		var got []res
		for _, name := range []string{"db", "app"} {
			for _, r := range waves[name].Hooks {
				got = append(got, res{r.Name, r.Phase, r.StatusCode, r.Attempts, r.OK})
			}
		}
		want := []res{
			{"flaky", PhaseBefore, 200, 2, true},
			{"check", PhaseAfter, 200, 1, true},
			{"gate", PhaseBefore, 503, 3, false},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("hook results mismatch (-want +got):\n%s", diff)
		}
		if waves["db"].Status != plan.WaveCompleted || waves["app"].Status != plan.WaveFailed ||
			!strings.Contains(waves["app"].Error, "before hook gate") {
			t.Errorf("waves db %s, app %s (%q); want COMPLETED and FAILED by the hook", waves["db"].Status, waves["app"].Status, waves["app"].Error)
		}
		for _, l := range h.launches(id) {
			if l.Wave == "app" && (l.Status != plan.LaunchSkipped || !strings.Contains(l.Error, "before hook gate")) {
				t.Errorf("app launch %s: %s %q, want SKIPPED with the hook error", l.SourceServerID, l.Status, l.Error)
			}
		}
		if got := h.sim.Launches(); len(got) != 2 {
			t.Errorf("%d servers launched, want db's 2 only", len(got))
		}

		// The after hook saw the launched servers.
		hs.mu.Lock()
		var after HookPayload
		for i, p := range hs.calls {
			if hs.paths[i] == "/ok" {
				after = p
			}
		}
		hs.mu.Unlock()
		if after.ExecutionID != id || after.Mode != plan.ModeDrill || after.Wave != "db" || after.Phase != PhaseAfter ||
			len(after.Servers) != 2 || after.Servers[0].Status != plan.LaunchLaunched || after.Servers[0].RecoveryInstanceID == "" ||
			after.Servers[0].EC2InstanceID == "" {
			t.Errorf("after hook payload %+v", after)
		}
		if n := hs.count("/flaky", PhaseBefore) + hs.count("/ok", PhaseAfter); n != 3 {
			t.Errorf("%d calls of db's hooks, want 3 (2 attempts, 1 attempt)", n)
		}
	})
}
