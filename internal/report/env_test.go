package report

import (
	"context"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/drsorch/drsorch/internal/awstest"
	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/drssim"
	"github.com/drsorch/drsorch/internal/engine"
	"github.com/drsorch/drsorch/internal/execution"
	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store/sqlitestore"
)

// isolateAWSEnv keeps the SDK away from the machine's AWS configuration.
// Call it outside a synctest bubble.
func isolateAWSEnv(t testing.TB) { awstest.IsolateEnv(t) }

// pollEvery is the engine's round interval in the tests.
const pollEvery = 20 * time.Second

// env is the real store, engine and execution service on the emulator,
// all in process. Build it inside a synctest bubble, whose clock they all
// read.
type env struct {
	t       *testing.T
	ctx     context.Context
	st      *sqlitestore.Store
	sim     *drssim.Sim
	clients *drs.Clients
	eng     *engine.Engine
	exec    *execution.Service
	rep     *Service
}

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
	log := slog.New(slog.DiscardHandler)
	e := &env{t: t, ctx: ctx, st: st, sim: sim, clients: clients,
		// Rounds every 20s of the bubble's clock rather than 5s: a drill
		// takes a quarter of the rounds, and launch times are still
		// measured to the round.
		eng: engine.New(engine.Options{Store: st, DRS: engine.FromClients(clients),
			Owner: "test", Logger: log, PollMin: pollEvery, PollMax: 3 * pollEvery}),
		exec: execution.New(execution.Options{Store: st, DRS: execution.Clients(clients.For), Logger: log}),
	}
	e.rep = New(Options{Store: st, DRS: DRSOf(clients.For)})
	return e
}

// group stores a group of the servers tagged tier=tier.
func (e *env) group(name, tier string) *plan.ProtectionGroup {
	e.t.Helper()
	g := &plan.ProtectionGroup{Name: name, Region: "us-east-1",
		ServerSelector: &plan.Selector{Tags: map[string]string{"tier": tier}}}
	if err := e.st.CreateGroup(e.ctx, g); err != nil {
		e.t.Fatal(err)
	}
	return g
}

// plan stores a plan.
func (e *env) plan(p plan.RecoveryPlan) *plan.RecoveryPlan {
	e.t.Helper()
	n := plan.NormalizePlan(p)
	if err := e.st.CreatePlan(e.ctx, &n); err != nil {
		e.t.Fatal(err)
	}
	return &n
}

// shop stores groups db, app and web and a plan of three waves, one after
// the other.
func (e *env) shop(rto int) *plan.RecoveryPlan {
	db, app, web := e.group("db", "db"), e.group("app", "app"), e.group("web", "web")
	return e.plan(plan.RecoveryPlan{Name: "shop", RTOMinutes: rto, Waves: []plan.Wave{
		{Name: "database", ProtectionGroupIDs: []string{db.ID}},
		{Name: "application", ProtectionGroupIDs: []string{app.ID}},
		{Name: "web", ProtectionGroupIDs: []string{web.ID}},
	}})
}

// run starts planID in mode and drives the engine until the execution
// has ended; approve opens every gate on the way.
func (e *env) run(planID, mode, by string) *plan.Execution {
	e.t.Helper()
	res, err := e.exec.Start(e.ctx, planID, mode, nil, by)
	if err != nil {
		e.t.Fatalf("start: %v", err)
	}
	for range 5000 {
		if err := e.eng.Reconcile(e.ctx); err != nil {
			e.t.Fatalf("reconcile: %v", err)
		}
		v, err := e.exec.Get(e.ctx, res.ExecutionID)
		if err != nil {
			e.t.Fatal(err)
		}
		for _, w := range v.Waves {
			if w.Status == plan.WaveAwaitingApproval {
				if _, err := e.exec.Approve(e.ctx, v.ID, w.Name, "approver"); err != nil {
					e.t.Fatal(err)
				}
			}
		}
		if !plan.Active(v.Status) {
			return &v.Execution
		}
		time.Sleep(pollEvery)
	}
	e.t.Fatalf("execution %s did not end", res.ExecutionID)
	return nil
}
