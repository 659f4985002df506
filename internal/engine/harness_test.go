package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/drsorch/drsorch/internal/awstest"
	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/drssim"
	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
	"github.com/drsorch/drsorch/internal/store/sqlitestore"
)

const (
	testAccount = "123456789012"
	testRegion  = "us-east-1"
)

// isolateAWSEnv keeps the SDK away from the machine's AWS configuration.
// It is called outside the synctest bubble.
func isolateAWSEnv(t testing.TB) { awstest.IsolateEnv(t) }

// harness is the real store, the real DRS client and the emulator, in
// process. It is built inside a synctest bubble, whose clock all three
// read.
type harness struct {
	t       testing.TB
	ctx     context.Context
	st      *sqlitestore.Store
	sim     *drssim.Sim
	src     ClientSource
	clients *drs.Clients
	servers []string // the emulator's source server IDs, in order
	next    int      // the next server handed to a wave
	errs    []error  // errors Reconcile returned
	// prepare, when set, adjusts each new execution before it is written
	// (launch settings on its groups, say).
	prepare func(ex *plan.Execution)
}

func newHarness(t testing.TB, simOpts drssim.Options, attempts int) *harness {
	t.Helper()
	ctx := context.Background()
	st, err := sqlitestore.Open(ctx, ":memory:")
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	if simOpts.Servers == 0 {
		simOpts.Servers = 50
	}
	sim := drssim.New(simOpts)
	clients := drs.NewClients(ctx, drs.Config{
		Region:      testRegion,
		Endpoint:    "http://drs.local",
		MaxAttempts: attempts,
		HTTPClient:  &http.Client{Transport: sim.Transport()},
	})
	h := &harness{t: t, ctx: ctx, st: st, sim: sim, src: FromClients(clients), clients: clients}
	for _, s := range sim.Servers() {
		h.servers = append(h.servers, s.ID)
	}
	return h
}

func testLogger() *slog.Logger {
	if os.Getenv("DRSORCH_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// engine returns an Engine on the harness; change adjusts its options.
func (h *harness) engine(owner string, change func(*Options)) *Engine {
	o := Options{Store: h.st, DRS: h.src, Owner: owner, Logger: testLogger()}
	if change != nil {
		change(&o)
	}
	return New(o)
}

// testWave is a wave of a test plan and its number of servers.
type testWave struct {
	plan.Wave
	n int
}

func wave(name string, n int, deps ...string) testWave {
	if deps == nil {
		deps = []string{}
	}
	return testWave{Wave: plan.Wave{Name: name, DependsOn: deps}, n: n}
}

// chain makes each wave depend on the one before it.
func chain(ws ...testWave) []testWave {
	for i := range ws {
		if i > 0 && len(ws[i].DependsOn) == 0 {
			ws[i].DependsOn = []string{ws[i-1].Name}
		}
	}
	return ws
}

// start writes a new execution the way the execution service does: header
// PENDING, waves PENDING, launches PENDING, each wave with a group of its
// own of the next servers of the emulator.
func (h *harness) start(mode string, ws []testWave) string {
	h.t.Helper()
	ex := &plan.Execution{
		ID:        plan.NewID(plan.PrefixExecution),
		PlanID:    plan.NewID(plan.PrefixPlan),
		PlanName:  "test",
		Mode:      mode,
		Status:    plan.ExecPending,
		CreatedAt: time.Now(),
	}
	if mode == plan.ModeDrill {
		ex.Cleanup = plan.CleanupNotStarted
	}
	var waves []plan.WaveRun
	var launches []plan.Launch
	for i, w := range ws {
		g := plan.ProtectionGroup{ID: "pg-" + w.Name, Name: w.Name, AccountID: testAccount, Region: testRegion}
		pw := w.Wave
		pw.ProtectionGroupIDs = []string{g.ID}
		for range w.n {
			if h.next >= len(h.servers) {
				h.t.Fatalf("plan needs more than the emulator's %d servers", len(h.servers))
			}
			id := h.servers[h.next]
			h.next++
			g.SourceServerIDs = append(g.SourceServerIDs, id)
			launches = append(launches, plan.Launch{
				ExecutionID: ex.ID, Wave: w.Name, GroupID: g.ID, SourceServerID: id,
				AccountID: testAccount, Region: testRegion, Status: plan.LaunchPending,
			})
		}
		ex.Plan.Waves = append(ex.Plan.Waves, pw)
		ex.Groups = append(ex.Groups, g)
		waves = append(waves, plan.WaveRun{ExecutionID: ex.ID, Index: i, Name: w.Name, Status: plan.WavePending})
	}
	ex.Plan.ID, ex.Plan.Name = ex.PlanID, ex.PlanName
	if h.prepare != nil {
		h.prepare(ex)
	}
	if err := h.st.CreateExecution(h.ctx, ex, waves, launches, nil); err != nil {
		h.t.Fatalf("create execution: %v", err)
	}
	return ex.ID
}

func (h *harness) get(id string) *plan.Execution {
	h.t.Helper()
	ex, err := h.st.GetExecution(h.ctx, id)
	if err != nil {
		h.t.Fatalf("get execution: %v", err)
	}
	return ex
}

func (h *harness) launches(id string) []plan.Launch {
	h.t.Helper()
	ls, err := h.st.ListLaunches(h.ctx, id)
	if err != nil {
		h.t.Fatalf("list launches: %v", err)
	}
	return ls
}

func (h *harness) waves(id string) map[string]plan.WaveRun {
	h.t.Helper()
	ws, err := h.st.ListWaves(h.ctx, id)
	if err != nil {
		h.t.Fatalf("list waves: %v", err)
	}
	out := make(map[string]plan.WaveRun)
	for _, w := range ws {
		out[w.Name] = w
	}
	return out
}

func (h *harness) events(id string) []plan.Event {
	h.t.Helper()
	evs, err := h.st.ListEvents(h.ctx, id, 0, 0)
	if err != nil {
		h.t.Fatalf("list events: %v", err)
	}
	return evs
}

// waveStatuses maps each wave to its status.
// eventCount counts the execution's events of type typ.
func (h *harness) eventCount(id, typ string) int {
	n := 0
	for _, ev := range h.events(id) {
		if ev.Type == typ {
			n++
		}
	}
	return n
}

func (h *harness) waveStatuses(id string) map[string]string {
	out := make(map[string]string)
	for n, w := range h.waves(id) {
		out[n] = w.Status
	}
	return out
}

// launchStatuses counts launches per status.
func (h *harness) launchStatuses(id string) map[string]int {
	out := make(map[string]int)
	for _, l := range h.launches(id) {
		out[l.Status]++
	}
	return out
}

// control writes operator requests the way the API does: a versioned
// commit without an owner.
func (h *harness) control(id string, change func(*plan.Execution)) {
	h.t.Helper()
	for range 5 {
		ex := h.get(id)
		change(ex)
		err := h.st.Commit(h.ctx, &store.Change{ExecutionID: id, Execution: ex})
		if errors.Is(err, store.ErrVersionConflict) {
			continue
		}
		if err != nil {
			h.t.Fatalf("control: %v", err)
		}
		return
	}
	h.t.Fatalf("control: version conflicts")
}

// approve approves a wave the way the API does.
func (h *harness) approve(id, name string) {
	h.t.Helper()
	w := h.waves(id)[name]
	w.Approved, w.ApprovedBy = true, "tester"
	if err := h.st.Commit(h.ctx, &store.Change{ExecutionID: id, Waves: []*plan.WaveRun{&w}}); err != nil {
		h.t.Fatalf("approve: %v", err)
	}
}

// step runs one round and then lets step of emulated time pass.
func (h *harness) step(e *Engine, d time.Duration) error {
	ctx, cancel := context.WithTimeout(h.ctx, e.opts.RoundTimeout)
	err := e.Reconcile(ctx)
	cancel()
	if err != nil {
		h.errs = append(h.errs, err)
	}
	time.Sleep(d)
	return err
}

// until runs rounds until cond holds, at most rounds of them.
func (h *harness) until(e *Engine, rounds int, cond func() bool) {
	h.t.Helper()
	for range rounds {
		if err := h.step(e, e.opts.PollMin); errors.Is(err, errCrash) {
			h.t.Fatalf("unexpected crash: %v", err)
		}
		if cond() {
			return
		}
	}
	h.t.Fatalf("condition not reached after %d rounds; errors: %v", rounds, h.lastErrs())
}

// finish runs rounds until the execution has ended.
func (h *harness) finish(e *Engine, id string, rounds int) *plan.Execution {
	h.t.Helper()
	var ex *plan.Execution
	n := 0
	h.until(e, rounds, func() bool {
		// Reading a large header every round would be most of the
		// test's time: look while the engine still holds it only now
		// and then.
		if n++; e.runs[id] != nil && plan.Active(e.runs[id].ex.Status) && n%10 != 0 {
			return false
		}
		ex = h.get(id)
		return !plan.Active(ex.Status) && !ex.Requests.Retry && ex.Cleanup != plan.CleanupRunning && !ex.Requests.Cleanup
	})
	return ex
}

func (h *harness) lastErrs() []error {
	if len(h.errs) > 3 {
		return h.errs[len(h.errs)-3:]
	}
	return h.errs
}

// statusOf returns a function reporting whether the execution has status.
func (h *harness) statusIs(id, status string) func() bool {
	return func() bool { return h.get(id).Status == status }
}

// checkOnce fails unless every server of the execution was launched
// exactly once by an accepted StartRecovery (the emulator's count).
func (h *harness) checkOnce(id string, want int) {
	h.t.Helper()
	got := h.sim.Launches()
	bad := 0
	for _, l := range h.launches(id) {
		if got[l.SourceServerID] != want {
			if bad < 5 {
				h.t.Errorf("server %s (%s): launched %d times, want %d", l.SourceServerID, l.Status, got[l.SourceServerID], want)
			}
			bad++
		}
	}
	if bad > 0 {
		h.t.Errorf("%d servers launched a wrong number of times", bad)
	}
}

// checkQuotas fails if the emulator ever saw more than the default quotas.
func (h *harness) checkQuotas() {
	h.t.Helper()
	st := h.sim.Stats()
	if st.MaxActiveJobs > 20 || st.MaxServersInActiveJobs > 500 || st.MaxServersInJob > 100 {
		h.t.Errorf("quotas exceeded: max active jobs %d, max servers in active jobs %d, max servers in a job %d",
			st.MaxActiveJobs, st.MaxServersInActiveJobs, st.MaxServersInJob)
	}
}

func percent(p int) *int { return &p }

func eventTypes(evs []plan.Event) map[string]int {
	out := make(map[string]int)
	for _, e := range evs {
		out[e.Type]++
	}
	return out
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

var _ = fmt.Sprintf
