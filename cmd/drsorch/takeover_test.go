package main

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drsorch/drsorch/internal/client"
	"github.com/drsorch/drsorch/internal/execution"
	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
	"github.com/drsorch/drsorch/internal/store/dynamostore"
)

// TestTakeoverDynamoDB is two serve replicas sharing a DynamoDB store: a
// drill of 300 servers starts, the replica that holds its lease is killed
// with SIGKILL in the middle of a wave, and the other one must take the
// execution over and finish it, every server launched exactly once.
func TestTakeoverDynamoDB(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs processes")
	}
	endpoint := os.Getenv("DRSORCH_TEST_DYNAMODB_ENDPOINT")
	if endpoint == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("DRSORCH_TEST_DYNAMODB_ENDPOINT is not set; .ci/run starts DynamoDB Local and sets it")
		}
		t.Skip("DRSORCH_TEST_DYNAMODB_ENDPOINT not set (scripts/dynamodb-local.sh start)")
	}
	const servers = 300
	dir := t.TempDir()
	bin := filepath.Join(dir, "drsorch")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_REGION": "us-east-1"} {
		t.Setenv(k, v)
	}
	env := os.Environ()
	ctx := t.Context()

	storeURL := fmt.Sprintf("dynamodb://takeover-%d-%d?region=us-east-1&endpoint=%s",
		os.Getpid(), time.Now().UnixNano()%1e9, endpoint)
	if out, err := exec.Command(bin, "store", "init", "--store", storeURL).CombinedOutput(); err != nil {
		t.Fatalf("store init: %v\n%s", err, out)
	}
	st, err := dynamostore.Open(ctx, storeURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.DeleteTables(t.Context()) })

	simAddr := freeAddr(t)
	simURL := "http://" + simAddr
	sim := startProcess(t, env, filepath.Join(dir, "sim.log"), bin, "sim", "--listen", simAddr,
		"--servers", fmt.Sprint(servers), "--seed", "5", "--time-scale", "600",
		"--stalled", "0", "--disconnected", "0", "--log-level", "warn")
	defer stopProcess(sim)
	waitHTTP(t, simURL+"/_sim/stats")

	type replica struct {
		owner, url, log string
		cmd             *exec.Cmd
	}
	replicas := map[string]*replica{}
	for _, owner := range []string{"replica-a", "replica-b"} {
		addr := freeAddr(t)
		r := &replica{owner: owner, url: "http://" + addr, log: filepath.Join(dir, owner+".log")}
		r.cmd = startProcess(t, env, r.log, bin, "serve", "--listen", addr, "--store", storeURL,
			"--drs-endpoint", simURL, "--region", "us-east-1", "--log-level", "info",
			"--owner", owner, "--lease-duration", "5s", "--poll-interval", "100ms", "--poll-max", "300ms",
			"--drs-call-timeout", "5s", "--drs-landing-margin", "2s")
		defer func() { stopProcess(r.cmd) }()
		waitHTTP(t, r.url+"/readyz")
		replicas[owner] = r
	}

	// Groups and plan through one replica, the drill started through the
	// other: the store is all they share, tokens included.
	token := binaryToken(t, bin, storeURL)
	ca, err := client.New(replicas["replica-a"].url, &http.Client{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ca.Token = token
	var waves []plan.Wave
	for _, tier := range []string{"db", "app", "web"} {
		g, _, err := ca.CreateGroup(ctx, plan.ProtectionGroup{Name: tier, Region: "us-east-1",
			ServerSelector: &plan.Selector{Tags: map[string]string{"env": "prod", "tier": tier}}})
		if err != nil {
			t.Fatal(err)
		}
		waves = append(waves, plan.Wave{Name: tier, ProtectionGroupIDs: []string{g.ID}})
	}
	p, _, err := ca.CreatePlan(ctx, plan.RecoveryPlan{Name: "shop", Waves: waves})
	if err != nil {
		t.Fatal(err)
	}
	cb, err := client.New(replicas["replica-b"].url, &http.Client{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	cb.Token = token
	res, err := cb.StartExecution(ctx, p.ID, plan.ModeDrill, nil)
	if err != nil {
		t.Fatal(err)
	}
	id := res.ExecutionID

	// Wait for a wave in flight: some of its servers requested, not all
	// launched. The lease in the store says who drives it.
	var owner string
	deadline := time.Now().Add(30 * time.Second)
	for {
		e, err := st.GetExecution(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		launches, err := st.ListLaunches(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		started, launched := 0, 0
		for _, l := range launches {
			if l.Status != plan.LaunchPending {
				started++
			}
			if l.Status == plan.LaunchLaunched {
				launched++
			}
		}
		if e.LeaseOwner != "" && started > 0 && launched < len(launches)/3 {
			owner = e.LeaseOwner
			t.Logf("killing %s: %d of %d launches started, %d launched; %s",
				owner, started, len(launches), launched, lastStatus(replicas[owner].url, token, id))
			break
		}
		if !plan.Active(e.Status) || time.Now().After(deadline) {
			t.Fatalf("no wave in flight to kill in (status %s, %d started, %d launched)", e.Status, started, launched)
		}
		time.Sleep(20 * time.Millisecond)
	}
	victim := replicas[owner]
	var survivor *replica
	for _, r := range replicas {
		if r != victim {
			survivor = r
		}
	}
	before, err := st.GetExecution(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	lastSeq := int64(0)
	if evs, err := st.ListEvents(ctx, id, 0, 0); err == nil && len(evs) > 0 {
		lastSeq = evs[len(evs)-1].Seq
	}
	if err := victim.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	victim.cmd.Wait()
	killed := time.Now()

	// Takeover: the survivor's claim, then its first commit (a new event
	// or a new header version).
	var claimed, committed time.Duration
	for claimed == 0 || committed == 0 {
		e, err := st.GetExecution(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if claimed == 0 && e.LeaseOwner == survivor.owner {
			claimed = time.Since(killed)
		}
		if claimed != 0 && committed == 0 {
			evs, err := st.ListEvents(ctx, id, lastSeq, 1)
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) > 0 || e.Version != before.Version {
				committed = time.Since(killed)
			}
		}
		if !plan.Active(e.Status) && claimed != 0 {
			committed = max(committed, claimed)
		}
		if time.Since(killed) > 30*time.Second {
			t.Fatalf("%s has not taken over 30s after the kill (lease %q until %v); its log:\n%s",
				survivor.owner, e.LeaseOwner, e.LeaseExpiry, readFile(survivor.log))
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("takeover by %s: claimed %v after the kill, first commit %v after (lease 5s)",
		survivor.owner, claimed.Round(time.Millisecond), committed.Round(time.Millisecond))

	cs, err := client.New(survivor.url, &http.Client{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	cs.Token = token
	deadline = time.Now().Add(45 * time.Second)
	var e *execution.View
	for {
		e, err = cs.GetExecution(ctx, id)
		if err == nil && !plan.Active(e.Status) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("execution not finished 45s after the kill (%s, %v); survivor log:\n%s",
				lastStatus(survivor.url, token, id), err, readFile(survivor.log))
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("finished %s %v after the kill", e.Status, time.Since(killed).Round(time.Millisecond))
	if e.Status != plan.ExecCompleted {
		t.Errorf("execution ended %s, want COMPLETED", e.Status)
	}
	if !strings.Contains(readFile(survivor.log), "execution claimed") {
		t.Errorf("survivor's log has no claim of the execution")
	}

	// What DRS itself says.
	checkLaunchedOnce(t, simURL, e, servers)
	// Nothing of the plan is left active, and no lease is held by the dead.
	active, err := st.ListExecutions(ctx, store.ExecutionFilter{Actionable: true}, store.ListOptions{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range active.Items {
		t.Errorf("execution %s still actionable: %s, lease %q", x.ID, x.Status, x.LeaseOwner)
	}
}
