package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/drsorch/drsorch/internal/client"
	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/execution"
	"github.com/drsorch/drsorch/internal/plan"
)

// TestKillServeDuringDrill is the whole program under crashes: the built
// binary serves against a standalone emulator, is killed with SIGKILL at
// random moments of a drill and started again each time, and in the end
// DRS must show every server of the plan launched exactly once.
func TestKillServeDuringDrill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs processes")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "drsorch")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// The emulator checks no signature; the processes and this test's
	// own DRS client only need something to sign with.
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_REGION": "us-east-1"} {
		t.Setenv(k, v)
	}
	env := os.Environ()

	simAddr, apiAddr := freeAddr(t), freeAddr(t)
	simURL, apiURL := "http://"+simAddr, "http://"+apiAddr
	sim := startProcess(t, env, filepath.Join(dir, "sim.log"), bin, "sim", "--listen", simAddr,
		"--servers", "40", "--seed", "3", "--time-scale", "600", "--stalled", "0", "--disconnected", "0",
		"--log-level", "warn")
	defer stopProcess(sim)
	waitHTTP(t, simURL+"/_sim/stats")

	serveArgs := []string{"serve", "--listen", apiAddr, "--store", "sqlite:" + filepath.Join(dir, "drsorch.db"),
		"--drs-endpoint", simURL, "--region", "us-east-1", "--log-level", "warn",
		"--lease-duration", "1s", "--poll-interval", "50ms", "--poll-max", "200ms",
		"--drs-call-timeout", "5s", "--drs-landing-margin", "2s"}
	serveLog := filepath.Join(dir, "serve.log")
	serve := startProcess(t, env, serveLog, bin, serveArgs...)
	defer func() { stopProcess(serve) }()
	waitHTTP(t, apiURL+"/readyz")

	ctx := t.Context()
	token := binaryToken(t, bin, "sqlite:"+filepath.Join(dir, "drsorch.db"))
	c, err := client.New(apiURL, &http.Client{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	c.Token = token
	var waves []plan.Wave
	for _, tier := range []string{"db", "app", "web"} {
		g, _, err := c.CreateGroup(ctx, plan.ProtectionGroup{Name: tier, Region: "us-east-1",
			ServerSelector: &plan.Selector{Tags: map[string]string{"env": "prod", "tier": tier}}})
		if err != nil {
			t.Fatal(err)
		}
		waves = append(waves, plan.Wave{Name: tier, ProtectionGroupIDs: []string{g.ID}})
	}
	p, _, err := c.CreatePlan(ctx, plan.RecoveryPlan{Name: "everything", Waves: waves})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.StartExecution(ctx, p.ID, plan.ModeDrill, nil)
	if err != nil {
		t.Fatal(err)
	}

	// Kills fall at random points of the execution's history: after a
	// random number of its events (about 60 in all), plus a random delay,
	// so that they land in every phase rather than all in the first wave.
	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	marks := []int64{int64(1 + rng.IntN(5)), int64(5 + rng.IntN(15)), int64(20 + rng.IntN(15)), int64(35 + rng.IntN(20))}
	t.Logf("kill schedule seed %d: after events %v", seed, marks)
	for i, mark := range marks {
		waitEvents(t, c, res.ExecutionID, mark)
		time.Sleep(time.Duration(rng.IntN(300)) * time.Millisecond)
		t.Logf("kill %d: execution %s", i+1, lastStatus(apiURL, token, res.ExecutionID))
		if err := serve.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		serve.Wait()
		serve = startProcess(t, env, serveLog, bin, serveArgs...)
		waitHTTP(t, apiURL+"/readyz")
	}

	deadline := time.Now().Add(40 * time.Second)
	var final string
	for {
		e, err := c.GetExecution(ctx, res.ExecutionID)
		if err == nil && !plan.Active(e.Status) {
			final = e.Status
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("execution not finished 40s after the last restart (last: %+v, %v); serve log:\n%s",
				e, err, readFile(serveLog))
		}
		time.Sleep(200 * time.Millisecond)
	}
	e, err := c.GetExecution(ctx, res.ExecutionID)
	if err != nil {
		t.Fatal(err)
	}
	if final != plan.ExecCompleted {
		t.Errorf("execution ended %s, want COMPLETED", final)
	}

	// What DRS itself says.
	checkLaunchedOnce(t, simURL, e, 40)
}

// waitEvents waits, for at most 20 seconds, until an execution has
// recorded seq events or has ended.
func waitEvents(t *testing.T, c *client.Client, id string, seq int64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		events, err := c.ExecutionEvents(t.Context(), id, seq-1, 1)
		if err == nil && len(events) > 0 {
			return
		}
		if e, err := c.GetExecution(t.Context(), id); err == nil && !plan.Active(e.Status) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("execution %s has not reached event %d in 20s", id, seq)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startProcess starts the binary with its output appended to logPath.
func startProcess(t *testing.T, env []string, logPath, bin string, args ...string) *exec.Cmd {
	t.Helper()
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command(bin, args...)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, f, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

func stopProcess(cmd *exec.Cmd) {
	cmd.Process.Kill()
	cmd.Wait()
}

// waitHTTP waits for url to answer 200, for at most ten seconds.
func waitHTTP(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not come up: %v", url, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// getJSON reads url, with the token of DRSORCH_TOKEN when it is set.
func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tok := os.Getenv("DRSORCH_TOKEN"); tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// lastStatus describes an execution's progress through the API, for the
// log.
func lastStatus(apiURL, token, id string) string {
	c, err := client.New(apiURL, &http.Client{Timeout: time.Second})
	if err != nil {
		return err.Error()
	}
	c.Token = token
	e, err := c.GetExecution(context.Background(), id)
	if err != nil {
		return "unreadable: " + err.Error()
	}
	s := e.Status
	for _, w := range e.Waves {
		s += fmt.Sprintf(", %s %s (%d launched, %d pending)", w.Name, w.Status, w.Launched, w.Pending)
	}
	return s
}

func readFile(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprint(err)
	}
	return string(b)
}

// checkLaunchedOnce checks, through the emulator at simURL and the DRS API,
// that every server of the execution was launched exactly once and has
// exactly one recovery instance, and that there are want of them.
func checkLaunchedOnce(t *testing.T, simURL string, e *execution.View, want int) {
	t.Helper()
	ctx := t.Context()
	var launches map[string]int
	getJSON(t, simURL+"/_sim/launches", &launches)
	drsc, err := drs.NewClient(ctx, drs.Config{Region: "us-east-1", Endpoint: simURL})
	if err != nil {
		t.Fatal(err)
	}
	instances, err := drsc.DescribeRecoveryInstances(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	perServer := map[string]int{}
	for _, ri := range instances {
		perServer[ri.SourceServerID]++
	}
	n := 0
	for _, w := range e.Waves {
		for _, l := range w.Servers {
			n++
			if launches[l.SourceServerID] != 1 || perServer[l.SourceServerID] != 1 {
				t.Errorf("server %s: launched %d times, %d recovery instances; want 1 and 1 (launch %s %s)",
					l.SourceServerID, launches[l.SourceServerID], perServer[l.SourceServerID], l.Status, l.Error)
			}
		}
	}
	if n != want || len(launches) != want || len(instances) != want {
		t.Errorf("%d launches in the execution, %d servers launched, %d instances; want %d each",
			n, len(launches), len(instances), want)
	}
}
