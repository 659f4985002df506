package readiness

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/awstest"
	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/drssim"
	"github.com/drsorch/drsorch/internal/engine"
	"github.com/drsorch/drsorch/internal/execution"
	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store/sqlitestore"
)

func isolateAWSEnv(t testing.TB) { awstest.IsolateEnv(t) }

// env is the real store, engine and DRS client on the emulator.
type env struct {
	t       *testing.T
	ctx     context.Context
	st      *sqlitestore.Store
	sim     *drssim.Sim
	clients *drs.Clients
	mon     *Monitor
	groups  map[string]*plan.ProtectionGroup
	plan    *plan.RecoveryPlan
}

// newEnv stores groups db, app and web (by tier tag) and a plan "shop" of
// them.
func newEnv(t *testing.T, opts drssim.Options) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlitestore.Open(ctx, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sim := drssim.New(opts)
	clients := drs.NewClients(ctx, drs.Config{Region: "us-east-1", Endpoint: "http://drs.local",
		MaxAttempts: 1, HTTPClient: &http.Client{Transport: sim.Transport()}})
	e := &env{t: t, ctx: ctx, st: st, sim: sim, clients: clients,
		groups: map[string]*plan.ProtectionGroup{}}
	e.mon = New(Options{Store: st, DRS: DRSOf(clients.For)})
	var waves []plan.Wave
	for _, tier := range []string{"db", "app", "web"} {
		g := &plan.ProtectionGroup{Name: tier, Region: "us-east-1",
			ServerSelector: &plan.Selector{Tags: map[string]string{"tier": tier}}}
		if err := st.CreateGroup(ctx, g); err != nil {
			t.Fatal(err)
		}
		e.groups[tier] = g
		waves = append(waves, plan.Wave{Name: tier, ProtectionGroupIDs: []string{g.ID}})
	}
	p := plan.NormalizePlan(plan.RecoveryPlan{Name: "shop", Waves: waves})
	if err := st.CreatePlan(ctx, &p); err != nil {
		t.Fatal(err)
	}
	e.plan = &p
	return e
}

// servers returns the emulator's servers by ID.
func (e *env) servers() map[string]drs.SourceServer {
	e.t.Helper()
	c, err := e.clients.For(e.ctx, "", "us-east-1")
	if err != nil {
		e.t.Fatal(err)
	}
	list, err := c.DescribeSourceServers(e.ctx, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]drs.SourceServer{}
	for _, s := range list {
		out[s.ID] = s
	}
	return out
}

// tag sets tags on a source server through the DRS API.
func (e *env) tag(srv drs.SourceServer, tags map[string]string) {
	e.t.Helper()
	body, _ := json.Marshal(map[string]any{"tags": tags})
	req, _ := http.NewRequest("POST", "http://drs.local/tags/"+url.PathEscape(srv.ARN), bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Transport: e.sim.Transport()}).Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("tag %s: status %d", srv.ID, resp.StatusCode)
	}
}

// drill runs a drill of the plan to its end.
func (e *env) drill() string {
	e.t.Helper()
	log := slog.New(slog.DiscardHandler)
	x := execution.New(execution.Options{Store: e.st, DRS: execution.Clients(e.clients.For), Logger: log})
	eng := engine.New(engine.Options{Store: e.st, DRS: engine.FromClients(e.clients), Owner: "t", Logger: log})
	res, err := x.Start(e.ctx, e.plan.ID, plan.ModeDrill, nil, "tester")
	if err != nil {
		e.t.Fatalf("start: %v", err)
	}
	for range 2000 {
		if err := eng.Reconcile(e.ctx); err != nil {
			e.t.Fatal(err)
		}
		ex, err := e.st.GetExecution(e.ctx, res.ExecutionID)
		if err != nil {
			e.t.Fatal(err)
		}
		if !plan.Active(ex.Status) {
			return ex.ID
		}
		time.Sleep(5 * time.Second)
	}
	e.t.Fatal("drill did not end")
	return ""
}

// problems lists a plan result's problems as code/server pairs, sorted.
func problems(p PlanResult) [][2]string {
	var out [][2]string
	for _, pr := range p.Problems {
		out = append(out, [2]string{pr.Code, pr.SourceServerID})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i][0] != out[j][0] {
			return out[i][0] < out[j][0]
		}
		return out[i][1] < out[j][1]
	})
	return out
}

func TestStalledAndDuplicateServers(t *testing.T) {
	isolateAWSEnv(t)
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, drssim.Options{Servers: 16, Seed: 5, StalledCount: 1})
		var stalled string
		for id, s := range e.servers() {
			if s.ReplicationState == drs.StateStalled {
				stalled = id
			}
		}
		if stalled == "" {
			t.Fatal("the emulator has no stalled server")
		}
		// A group outside every plan claims a server of the plan too.
		var dup string
		for id, s := range e.servers() {
			if s.Tags["tier"] == "web" {
				dup = id
				break
			}
		}
		extra := &plan.ProtectionGroup{Name: "extra", Region: "us-east-1", SourceServerIDs: []string{dup}}
		if err := e.st.CreateGroup(e.ctx, extra); err != nil {
			t.Fatal(err)
		}

		r, err := e.mon.Check(e.ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if r.Ready || len(r.Plans) != 1 || r.Plans[0].Servers != 16 {
			t.Fatalf("ready %v, %d plans, %+v", r.Ready, len(r.Plans), r.Plans)
		}
		want := [][2]string{{CodeDuplicate, dup}, {CodeUnhealthy, stalled}, {CodeStaleSnapshot, stalled}}
		sort.Slice(want, func(i, j int) bool { return want[i][0] < want[j][0] })
		if diff := cmp.Diff(want, problems(r.Plans[0])); diff != "" {
			t.Errorf("problems mismatch (-want +got):\n%s", diff)
		}
		if r.Plans[0].Drift != nil {
			t.Errorf("drift %+v for a plan never drilled", r.Plans[0].Drift)
		}
		if got := e.mon.Latest(); got != r {
			t.Error("a full check is not the cached result")
		}

		// Fix both: the extra group goes, and the stalled server is
		// retagged out of the plan.
		if err := e.st.DeleteGroup(e.ctx, extra.ID, extra.Version); err != nil {
			t.Fatal(err)
		}
		e.tag(e.servers()[stalled], map[string]string{"tier": "retired"})
		cached, err := e.mon.Get(e.ctx, e.plan.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		if cached.CheckedAt != r.CheckedAt || cached.Ready {
			t.Error("a fresh cached result was not served")
		}
		fresh, err := e.mon.Get(e.ctx, e.plan.ID, true)
		if err != nil {
			t.Fatal(err)
		}
		if !fresh.Ready || fresh.Plans[0].Servers != 15 {
			t.Errorf("after the fix: ready %v, %d servers, problems %v", fresh.Ready,
				fresh.Plans[0].Servers, problems(fresh.Plans[0]))
		}
	})
}

func TestSnapshotAge(t *testing.T) {
	isolateAWSEnv(t)
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, drssim.Options{Servers: 8, Seed: 5})
		// The emulator snapshots every 10 minutes: a 5-minute limit
		// finds some servers between snapshots.
		for _, tt := range []struct {
			age        time.Duration
			wantStale  bool
			wantAllBad bool
		}{{time.Hour, false, false}, {time.Second, true, true}} {
			m := New(Options{Store: e.st, DRS: DRSOf(e.clients.For), MaxSnapshotAge: tt.age})
			r, err := m.Check(e.ctx, e.plan.ID)
			if err != nil {
				t.Fatal(err)
			}
			stale := 0
			for _, p := range r.Plans[0].Problems {
				if p.Code == CodeStaleSnapshot {
					stale++
				}
			}
			if (stale > 0) != tt.wantStale || (stale == 8) != tt.wantAllBad {
				t.Errorf("max age %s: %d of 8 servers stale", tt.age, stale)
			}
		}
	})
}

func TestDriftSinceLastDrill(t *testing.T) {
	isolateAWSEnv(t)
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, drssim.Options{Servers: 16, Seed: 9})
		drill := e.drill()
		r, err := e.mon.Check(e.ctx, e.plan.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d := r.Plans[0].Drift; d == nil || d.ExecutionID != drill || d.Changed || !r.Ready {
			t.Fatalf("right after the drill: ready %v, drift %+v", r.Ready, d)
		}

		// One web server leaves the plan, one app server moves to db.
		var gone, moved drs.SourceServer
		for _, s := range e.servers() {
			switch {
			case s.Tags["tier"] == "web" && gone.ID == "":
				gone = s
			case s.Tags["tier"] == "app" && moved.ID == "":
				moved = s
			}
		}
		e.tag(gone, map[string]string{"tier": "none"})
		e.tag(moved, map[string]string{"tier": "db"})
		r, err = e.mon.Check(e.ctx, e.plan.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := &Drift{ExecutionID: drill, Changed: true,
			Added: []DriftServer{{moved.ID, e.groups["db"].ID}},
			Removed: sortDrift([]DriftServer{{gone.ID, e.groups["web"].ID},
				{moved.ID, e.groups["app"].ID}})}
		got := r.Plans[0].Drift
		if got != nil {
			got.DrillTime = time.Time{}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("drift mismatch (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([][2]string{{CodeDrift, ""}}, problems(r.Plans[0])); diff != "" {
			t.Errorf("problems mismatch (-want +got):\n%s", diff)
		}
	})
}

func sortDrift(d []DriftServer) []DriftServer {
	sort.Slice(d, func(i, j int) bool { return d[i].SourceServerID < d[j].SourceServerID })
	return d
}

// TestMonitorSchedule checks that Start checks at once and again every
// interval, and that Stop ends the loop.
func TestMonitorSchedule(t *testing.T) {
	isolateAWSEnv(t)
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, drssim.Options{Servers: 8, Seed: 5})
		var mu sync.Mutex
		var results []*Result
		m := New(Options{Store: e.st, DRS: DRSOf(e.clients.For), Interval: 10 * time.Minute,
			OnResult: func(r *Result) { mu.Lock(); results = append(results, r); mu.Unlock() }})
		defer mu.Unlock()
		m.Start(e.ctx)
		synctest.Wait()
		mu.Lock()
		if len(results) != 1 {
			t.Fatalf("%d checks right after Start, want 1", len(results))
		}
		mu.Unlock()
		time.Sleep(25 * time.Minute)
		synctest.Wait()
		m.Stop()
		mu.Lock()
		if len(results) != 3 {
			t.Fatalf("%d checks after 25 minutes at a 10-minute interval, want 3", len(results))
		}
		if got := results[2].CheckedAt.Sub(results[1].CheckedAt); got != 10*time.Minute {
			t.Errorf("checks %s apart, want 10m", got)
		}
	})
}
