package reliability

import (
	"context"
	"errors"
	"flag"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/drssim"
	"github.com/drsorch/drsorch/internal/engine"
	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
	"github.com/drsorch/drsorch/internal/store/sqlitestore"
)

// long selects the full campaigns (go test ./internal/reliability -long).
var long = flag.Bool("long", false, "run the long soak, crash and load campaigns")

const (
	account = "123456789012"
	region  = "us-east-1"
)

// isolateAWS keeps the SDK away from the machine's AWS configuration.
func isolateAWS(t testing.TB) {
	t.Helper()
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "secrettest", "AWS_SESSION_TOKEN": "",
		"AWS_PROFILE": "", "AWS_CONFIG_FILE": filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"), "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_REGION": "", "AWS_ENDPOINT_URL": "", "AWS_ENDPOINT_URL_DRS": "", "AWS_MAX_ATTEMPTS": "",
		"AWS_RETRY_MODE": "",
	} {
		t.Setenv(k, v)
	}
}

// world is a store, the emulator and the real DRS client over its
// in-process transport. Built inside a synctest bubble, all three read the
// bubble's clock.
type world struct {
	t       testing.TB
	ctx     context.Context
	st      *sqlitestore.Store
	sim     *drssim.Sim
	clients *drs.Clients
	servers []string
}

func newWorld(t testing.TB, opts drssim.Options, attempts int) *world {
	t.Helper()
	ctx := context.Background()
	st, err := sqlitestore.Open(ctx, ":memory:")
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	sim := drssim.New(opts)
	clients := drs.NewClients(ctx, drs.Config{
		Region: region, Endpoint: "http://drs.local", MaxAttempts: attempts,
		HTTPClient: &http.Client{Transport: sim.Transport()},
	})
	w := &world{t: t, ctx: ctx, st: st, sim: sim, clients: clients}
	for _, s := range sim.Servers() {
		w.servers = append(w.servers, s.ID)
	}
	return w
}

// client returns a DRS client of its own (not the engine's), for checks.
func (w *world) client() *drs.Client {
	w.t.Helper()
	c, err := drs.NewClient(w.ctx, drs.Config{Region: region, Endpoint: "http://drs.local", MaxAttempts: 1,
		HTTPClient: &http.Client{Transport: w.sim.Transport()}})
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

// start writes an execution the way the execution service does: one wave
// per entry of waves, each a group of the next sizes[i] servers.
func (w *world) start(mode string, waves []plan.Wave, sizes []int) string {
	w.t.Helper()
	ex := &plan.Execution{ID: plan.NewID(plan.PrefixExecution), PlanID: plan.NewID(plan.PrefixPlan),
		PlanName: "soak", Mode: mode, Status: plan.ExecPending, CreatedAt: time.Now()}
	if mode == plan.ModeDrill {
		ex.Cleanup = plan.CleanupNotStarted
	}
	var runs []plan.WaveRun
	var launches []plan.Launch
	next := 0
	for i, pw := range waves {
		g := plan.ProtectionGroup{ID: "pg-" + pw.Name, Name: pw.Name, AccountID: account, Region: region}
		pw.ProtectionGroupIDs = []string{g.ID}
		for range sizes[i] {
			id := w.servers[next]
			next++
			g.SourceServerIDs = append(g.SourceServerIDs, id)
			launches = append(launches, plan.Launch{ExecutionID: ex.ID, Wave: pw.Name, GroupID: g.ID,
				SourceServerID: id, AccountID: account, Region: region, Status: plan.LaunchPending})
		}
		ex.Plan.Waves = append(ex.Plan.Waves, pw)
		ex.Groups = append(ex.Groups, g)
		runs = append(runs, plan.WaveRun{ExecutionID: ex.ID, Index: i, Name: pw.Name, Status: plan.WavePending})
	}
	ex.Plan.ID, ex.Plan.Name = ex.PlanID, ex.PlanName
	ex.Plan = plan.NormalizePlan(ex.Plan)
	if err := w.st.CreateExecution(w.ctx, ex, runs, launches, nil); err != nil {
		w.t.Fatalf("create execution: %v", err)
	}
	return ex.ID
}

// control writes an operator request the way the API does.
func (w *world) control(id string, change func(*plan.Execution)) {
	w.t.Helper()
	for range 5 {
		ex, err := w.st.GetExecution(w.ctx, id)
		if err != nil {
			w.t.Fatal(err)
		}
		change(ex)
		err = w.st.Commit(w.ctx, &store.Change{ExecutionID: id, Execution: ex})
		if errors.Is(err, store.ErrVersionConflict) {
			continue
		}
		if err != nil {
			w.t.Fatalf("control: %v", err)
		}
		return
	}
	w.t.Fatal("control: version conflicts")
}

func (w *world) launches(id string) []plan.Launch {
	w.t.Helper()
	ls, err := w.st.ListLaunches(w.ctx, id)
	if err != nil {
		w.t.Fatal(err)
	}
	return ls
}

func (w *world) execution(id string) *plan.Execution {
	w.t.Helper()
	ex, err := w.st.GetExecution(w.ctx, id)
	if err != nil {
		w.t.Fatal(err)
	}
	return ex
}

// rounds runs engine rounds, poll apart, until done holds or max rounds
// have run; it returns the rounds run and whether done held.
func (w *world) rounds(e *engine.Engine, poll time.Duration, max int, done func() bool) (int, bool) {
	for i := 1; i <= max; i++ {
		ctx, cancel := context.WithTimeout(w.ctx, 5*time.Minute)
		e.Reconcile(ctx) // errors are the faults'; the outcome is checked
		cancel()
		time.Sleep(poll)
		if i%5 == 0 && done() {
			return i, true
		}
	}
	return max, done()
}

// ended reports whether an execution has ended with nothing left to do.
func (w *world) ended(id string) func() bool {
	return func() bool {
		ex := w.execution(id)
		return !plan.Active(ex.Status) && !ex.Requests.Retry && !ex.Requests.Cleanup &&
			ex.Cleanup != plan.CleanupRunning
	}
}

// counts counts launches per status.
func counts(ls []plan.Launch) map[string]int {
	out := map[string]int{}
	for _, l := range ls {
		out[l.Status]++
	}
	return out
}
