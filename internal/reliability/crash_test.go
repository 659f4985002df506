package reliability

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drsorch/drsorch/internal/auth"
	"github.com/drsorch/drsorch/internal/client"
	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store/sqlitestore"
)

// tableOut, when set, receives the crash campaign's table in Markdown.
var tableOut = os.Getenv("DRSORCH_CRASH_TABLE")

// cluster is a standalone emulator and a drsorch serve process on it, the
// store in dir.
type cluster struct {
	t                *testing.T
	bin, dir         string
	env              []string
	simURL, apiURL   string
	serveArgs        []string
	serveLog, simLog string
	sim, serve       *proc
	c                *client.Client
	drs              *drs.Client
	token            string // an admin bearer token
	store            string // the SQLite file
}

// adminToken writes an admin token into the SQLite store at path, before
// any drsorch process opens it, and returns its secret.
func adminToken(t *testing.T, path string) string {
	t.Helper()
	st, err := sqlitestore.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	secret, _, err := auth.ForStore(st).CreateToken(t.Context(), "reliability", auth.RoleAdmin, 24*time.Hour, "test")
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// tokens writes n more admin tokens into the running cluster's store.
func (cl *cluster) tokens(n int) []string {
	cl.t.Helper()
	var out []string
	for range n {
		out = append(out, adminToken(cl.t, cl.store))
	}
	return out
}

// get sends an authenticated GET to the API.
func (cl *cluster) get(ctx context.Context, hc *http.Client, path string, hdr ...string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", cl.apiURL+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+cl.token)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return hc.Do(req)
}

func newCluster(t *testing.T, servers int, seed int64, store string, simEndpoint func(simAddr string) string) *cluster {
	t.Helper()
	bin := binary(t)
	cl := &cluster{t: t, bin: bin, dir: t.TempDir(), env: processEnv(t)}
	simAddr, apiAddr := freeAddr(t), freeAddr(t)
	cl.simURL, cl.apiURL = "http://"+simAddr, "http://"+apiAddr
	cl.simLog, cl.serveLog = filepath.Join(cl.dir, "sim.log"), filepath.Join(cl.dir, "serve.log")
	cl.sim = startProc(t, cl.env, cl.simLog, bin, "sim", "--listen", simAddr, "--servers", fmt.Sprint(servers),
		"--seed", fmt.Sprint(seed), "--time-scale", "600", "--stalled", "0", "--disconnected", "0", "--log-level", "warn")
	waitHTTP(t, cl.simURL+"/_sim/stats")
	endpoint := cl.simURL
	if simEndpoint != nil {
		endpoint = simEndpoint(simAddr)
	}
	if store == "" {
		store = filepath.Join(cl.dir, "drsorch.db")
	}
	cl.serveArgs = []string{"serve", "--listen", apiAddr, "--store", "sqlite:" + store,
		"--drs-endpoint", endpoint, "--region", "us-east-1", "--log-level", "warn",
		"--lease-duration", "1s", "--poll-interval", "50ms", "--poll-max", "200ms",
		"--drs-call-timeout", "2s", "--drs-landing-margin", "1s"}
	cl.store = store
	cl.token = adminToken(t, store)
	cl.startServe()
	var err error
	if cl.c, err = client.New(cl.apiURL, &http.Client{Timeout: 10 * time.Second}); err != nil {
		t.Fatal(err)
	}
	cl.c.Token = cl.token
	if cl.drs, err = drs.NewClient(t.Context(), drs.Config{Region: "us-east-1", Endpoint: cl.simURL}); err != nil {
		t.Fatal(err)
	}
	return cl
}

func (cl *cluster) startServe() {
	cl.serve = startProc(cl.t, cl.env, cl.serveLog, cl.bin, cl.serveArgs...)
	waitHTTP(cl.t, cl.apiURL+"/healthz")
}

// restart kills the serve process with SIGKILL and starts it again.
func (cl *cluster) restart() {
	cl.serve.kill()
	cl.startServe()
}

// drillPlan makes one group and one wave per entry of sizes, in a chain,
// over the emulator's servers, and returns the plan's ID.
func (cl *cluster) drillPlan(sizes []int) string {
	t := cl.t
	ctx := t.Context()
	srvs, err := cl.drs.DescribeSourceServers(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var waves []plan.Wave
	next := 0
	for i, n := range sizes {
		var ids []string
		for _, s := range srvs[next : next+n] {
			ids = append(ids, s.ID)
		}
		next += n
		g, _, err := cl.c.CreateGroup(ctx, plan.ProtectionGroup{Name: fmt.Sprintf("g%d", i), Region: "us-east-1", SourceServerIDs: ids})
		if err != nil {
			t.Fatal(err)
		}
		waves = append(waves, plan.Wave{Name: fmt.Sprintf("w%d", i), ProtectionGroupIDs: []string{g.ID}})
	}
	p, _, err := cl.c.CreatePlan(ctx, plan.RecoveryPlan{Name: "campaign", Waves: waves})
	if err != nil {
		t.Fatal(err)
	}
	return p.ID
}

// eventCount returns how many events an execution has recorded (0 when
// the API does not answer).
func (cl *cluster) eventCount(id string) int64 {
	evs, err := cl.c.ExecutionEvents(cl.t.Context(), id, 0, 1000)
	if err != nil || len(evs) == 0 {
		return 0
	}
	return evs[len(evs)-1].Seq
}

// waitFor polls the execution until done holds, for at most d.
func (cl *cluster) waitFor(id string, d time.Duration, what string, done func(*plan.Execution) bool) {
	cl.t.Helper()
	deadline := time.Now().Add(d)
	for {
		v, err := cl.c.GetExecution(cl.t.Context(), id)
		if err == nil && done(&v.Execution) {
			return
		}
		if time.Now().After(deadline) {
			cl.t.Fatalf("%s: not reached in %s (last: %+v, %v); serve log:\n%s", what, d, v, err, readFile(cl.serveLog))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// killDuring kills the serve process at kills random moments while
// the execution records events from base up to about base+span, each
// after a random share of them and a random delay; it restarts it each
// time. It stops early when stop holds.
func (cl *cluster) killDuring(rng *rand.Rand, id string, base, span int64, kills int, stop func(*plan.Execution) bool) int {
	done := 0
	for i := range kills {
		mark := base + 1 + int64(i)*span/int64(kills) + rng.Int64N(max(span/int64(kills), 1))
		deadline := time.Now().Add(20 * time.Second)
		for cl.eventCount(id) < mark && time.Now().Before(deadline) {
			if v, err := cl.c.GetExecution(cl.t.Context(), id); err == nil && stop(&v.Execution) {
				return done
			}
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(time.Duration(rng.IntN(250)) * time.Millisecond)
		cl.restart()
		done++
	}
	return done
}

// campaignRun is one row of the crash table.
type campaignRun struct {
	run, drillKills, cleanupKills, servers, launchedOnce, terminatedOnce, leftOver int
	outcome                                                                        string
}

// TestCrashCampaign kills the built binary with SIGKILL at random moments
// of drills and of their cleanups, restarting it each time. DRS must show
// every server launched exactly once and every drill instance terminated
// exactly once, with none left running.
func TestCrashCampaign(t *testing.T) {
	runs, kills, servers := 2, 4, 40
	if *long {
		runs, kills, servers = 10, 8, 90
	}
	seed := time.Now().UnixNano()
	if v := os.Getenv("DRSORCH_CRASH_SEED"); v != "" {
		fmt.Sscan(v, &seed)
	}
	t.Logf("kill schedule seed %d (DRSORCH_CRASH_SEED repeats it)", seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	var rows []campaignRun
	for r := 1; r <= runs; r++ {
		t.Run(fmt.Sprint("run", r), func(t *testing.T) {
			row := campaign(t, rng, r, servers, kills)
			rows = append(rows, row)
		})
	}
	var b strings.Builder
	fmt.Fprintf(&b, "| run | kills in drill | kills in cleanup | servers | launched once | terminated once | left running | outcome |\n")
	fmt.Fprintf(&b, "| --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %d | %d | %d | %d | %d | %d | %d | %s |\n",
			r.run, r.drillKills, r.cleanupKills, r.servers, r.launchedOnce, r.terminatedOnce, r.leftOver, r.outcome)
	}
	t.Logf("crash campaign, seed %d:\n%s", seed, b.String())
	if tableOut != "" {
		os.WriteFile(tableOut, []byte(b.String()), 0o644)
	}
}

func campaign(t *testing.T, rng *rand.Rand, run, servers, kills int) campaignRun {
	cl := newCluster(t, servers, int64(run), "", nil)
	ctx := t.Context()
	// Waves of random sizes, so that kills meet batches of all sizes.
	var sizes []int
	for left := servers; left > 0; {
		n := min(left, 5+rng.IntN(20))
		sizes = append(sizes, n)
		left -= n
	}
	pid := cl.drillPlan(sizes)
	res, err := cl.c.StartExecution(ctx, pid, plan.ModeDrill, nil)
	if err != nil {
		t.Fatal(err)
	}
	id := res.ExecutionID
	ended := func(e *plan.Execution) bool { return !plan.Active(e.Status) }
	row := campaignRun{run: run, servers: servers}
	// About one event per server and three per wave.
	row.drillKills = cl.killDuring(rng, id, 0, int64(servers+3*len(sizes)), kills, ended)
	cl.waitFor(id, 60*time.Second, "drill ended", ended)

	base := cl.eventCount(id)
	if _, err := cl.c.ControlExecution(ctx, id, "cleanup"); err != nil {
		t.Fatal(err)
	}
	cleaned := func(e *plan.Execution) bool {
		return e.Cleanup == plan.CleanupCompleted || e.Cleanup == plan.CleanupFailed
	}
	row.cleanupKills = cl.killDuring(rng, id, base, int64(servers+4), kills, cleaned)
	cl.waitFor(id, 60*time.Second, "cleanup ended", cleaned)

	v, err := cl.c.GetExecution(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var launches map[string]int
	getJSON(t, cl.simURL+"/_sim/launches", &launches)
	jobs, err := cl.drs.FindJobs(ctx, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	terminated := map[string]int{}
	for _, j := range jobs {
		if j.Type == drs.JobTypeTerminate {
			for _, s := range j.Servers {
				terminated[s.SourceServerID]++
			}
		}
	}
	left, err := cl.drs.DescribeRecoveryInstances(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	row.leftOver = len(left)
	n := 0
	for _, w := range v.Waves {
		for _, l := range w.Servers {
			n++
			if launches[l.SourceServerID] == 1 {
				row.launchedOnce++
			} else {
				t.Errorf("server %s: launched %d times, want 1 (%s %s)", l.SourceServerID, launches[l.SourceServerID], l.Status, l.Error)
			}
			if terminated[l.SourceServerID] == 1 {
				row.terminatedOnce++
			} else {
				t.Errorf("server %s: its instance terminated %d times, want 1 (%s %s)", l.SourceServerID, terminated[l.SourceServerID], l.Status, l.Error)
			}
		}
	}
	if n != servers || len(launches) != servers || row.leftOver != 0 {
		t.Errorf("%d launches, %d servers launched, %d instances left; want %d, %d, 0", n, len(launches), row.leftOver, servers, servers)
	}
	row.outcome = v.Status + ", cleanup " + v.Cleanup
	if v.Status != plan.ExecCompleted || v.Cleanup != plan.CleanupCompleted {
		t.Errorf("execution %s, cleanup %s; want COMPLETED and COMPLETED", v.Status, v.Cleanup)
	}
	if t.Failed() {
		t.Logf("serve log:\n%s", readFile(cl.serveLog))
	}
	return row
}
