package drssim_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/drs"
	"github.com/aws/aws-sdk-go-v2/service/drs/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/drssim"
)

func TestParseFaults(t *testing.T) {
	tests := []struct {
		in      string
		want    drssim.Faults
		wantErr bool
	}{
		{"", drssim.Faults{}, false},
		{"throttle=0.05,error=0.02,launchfail=0.1,slow=0.1,stuck=0.01", drssim.Faults{
			Throttle: 0.05, Error: 0.02, LaunchFail: 0.1, Slow: 0.1, Stuck: 0.01,
		}, false},
		{"slow=1,slowfactor=3,failservers=s-0123456789abcdef0;s-0123456789abcdef1", drssim.Faults{
			Slow: 1, SlowFactor: 3, FailServers: []string{"s-0123456789abcdef0", "s-0123456789abcdef1"},
		}, false},
		{"failnext=StartRecovery:2;DescribeJobs:1:throttle", drssim.Faults{FailNext: []drssim.FailNext{
			{Operation: "StartRecovery", Count: 2}, {Operation: "DescribeJobs", Count: 1, Kind: "throttle"},
		}}, false},
		{"throttle=2", drssim.Faults{}, true},
		{"bogus=1", drssim.Faults{}, true},
		{"throttle", drssim.Faults{}, true},
		{"failservers=x-1", drssim.Faults{}, true},
		{"failnext=StartRecovery", drssim.Faults{}, true},
		{"failnext=StartRecovery:1:explode", drssim.Faults{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := drssim.ParseFaults(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
			// String round-trips.
			again, err := drssim.ParseFaults(got.String())
			if err != nil {
				t.Fatalf("reparse %q: %v", got.String(), err)
			}
			if diff := cmp.Diff(got, again); diff != "" {
				t.Errorf("round trip mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// requestPattern runs n DescribeSourceServers calls and returns which
// failed, as a string of '.' and the first letter of the error code.
func requestPattern(t *testing.T, seed int64, n int) string {
	t.Helper()
	_, _, c := newSim(t, drssim.Options{Servers: 1, Seed: seed, Faults: drssim.Faults{Throttle: 0.2, Error: 0.1}})
	var b strings.Builder
	for range n {
		_, err := c.DescribeSourceServers(t.Context(), &drs.DescribeSourceServersInput{})
		var ae smithy.APIError
		switch {
		case err == nil:
			b.WriteByte('.')
		case errors.As(err, &ae):
			b.WriteByte(ae.ErrorCode()[0])
		default:
			t.Fatalf("call: %v", err)
		}
	}
	return b.String()
}

func TestRequestFaultsDeterministic(t *testing.T) {
	a, b := requestPattern(t, 1, 200), requestPattern(t, 1, 200)
	if a != b {
		t.Fatalf("same seed, different faults:\n%s\n%s", a, b)
	}
	if c := requestPattern(t, 2, 200); c == a {
		t.Errorf("different seeds, same faults: %s", a)
	}
	throttled, internal := strings.Count(a, "T"), strings.Count(a, "I")
	// 20% and about 8% (10% of the rest) of 200, loosely.
	if throttled < 20 || throttled > 60 || internal < 5 || internal > 35 {
		t.Errorf("%d throttled and %d internal errors of 200: %s", throttled, internal, a)
	}
}

// launchOutcome launches 40 servers with launchfail=0.5 and returns the
// servers whose launch failed.
func launchOutcome(t *testing.T, seed int64) []string {
	t.Helper()
	sim, clock, c := newSim(t, drssim.Options{Servers: 40, Seed: seed, Faults: drssim.Faults{LaunchFail: 0.5}})
	job := startRecovery(t, c, true, serverIDs(t, sim, 40)...)
	clock.Add(2 * time.Hour)
	j := describeJob(t, c, *job.JobID)
	if j.Status != types.JobStatusCompleted {
		t.Fatalf("job %s", j.Status)
	}
	var failed []string
	for _, ps := range j.ParticipatingServers {
		if ps.LaunchStatus == types.LaunchStatusFailed {
			failed = append(failed, *ps.SourceServerID)
			if ps.RecoveryInstanceID != nil {
				t.Errorf("failed server %s has instance %s", *ps.SourceServerID, *ps.RecoveryInstanceID)
			}
		}
	}
	return failed
}

func TestLaunchFailuresDeterministic(t *testing.T) {
	a, b := launchOutcome(t, 5), launchOutcome(t, 5)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Fatalf("same seed, different failures (-first +second):\n%s", diff)
	}
	if len(a) < 10 || len(a) > 30 {
		t.Errorf("%d of 40 launches failed at rate 0.5", len(a))
	}
}

func TestFailServersAndAllFailed(t *testing.T) {
	sim, clock, c := newSim(t, drssim.Options{Servers: 2, Seed: 5})
	ids := serverIDs(t, sim, 2)
	if err := sim.SetFaults(drssim.Faults{FailServers: ids}); err != nil {
		t.Fatal(err)
	}
	job := startRecovery(t, c, false, ids...)
	clock.Add(2 * time.Hour)
	j := describeJob(t, c, *job.JobID)
	// A job whose servers all failed still completes.
	if j.Status != types.JobStatusCompleted {
		t.Fatalf("status %s", j.Status)
	}
	if diff := cmp.Diff([]types.LaunchStatus{types.LaunchStatusFailed, types.LaunchStatusFailed}, launchStatuses(j)); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	logs, err := c.DescribeJobLogItems(t.Context(), &drs.DescribeJobLogItemsInput{JobID: job.JobID})
	if err != nil {
		t.Fatal(err)
	}
	failures := 0
	for _, item := range logs.Items {
		if item.Event == types.JobLogEventLaunchFailed {
			failures++
			if aws.ToString(item.EventData.RawError) == "" {
				t.Error("LAUNCH_FAILED without rawError")
			}
		}
	}
	if failures != 2 {
		t.Errorf("%d LAUNCH_FAILED events, want 2", failures)
	}
	out, err := c.DescribeSourceServers(t.Context(), &drs.DescribeSourceServersInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range out.Items {
		if s.LastLaunchResult != types.LastLaunchResultFailed || s.RecoveryInstanceId != nil {
			t.Errorf("server %s: lastLaunchResult %s instance %v", *s.SourceServerID, s.LastLaunchResult, s.RecoveryInstanceId)
		}
	}
}

func TestSlowAndStuckJobs(t *testing.T) {
	inv := []drssim.Server{{ID: "s-0000000000000000a", OS: "linux"}}
	tests := []struct {
		name   string
		faults drssim.Faults
		after  time.Duration
		want   types.JobStatus
	}{
		{"normal", drssim.Faults{}, 8 * time.Minute, types.JobStatusCompleted},
		{"slow", drssim.Faults{Slow: 1, SlowFactor: 10}, 8 * time.Minute, types.JobStatusStarted},
		{"slow finishes", drssim.Faults{Slow: 1, SlowFactor: 10}, 70 * time.Minute, types.JobStatusCompleted},
		{"stuck", drssim.Faults{Stuck: 1}, 100 * time.Hour, types.JobStatusStarted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, clock, c := newSim(t, drssim.Options{Inventory: inv, Seed: 1, Faults: tt.faults})
			job := startRecovery(t, c, true, inv[0].ID)
			clock.Add(tt.after)
			if got := describeJob(t, c, *job.JobID).Status; got != tt.want {
				t.Errorf("after %v: %s, want %s", tt.after, got, tt.want)
			}
		})
	}
}

func TestControlAPI(t *testing.T) {
	sim, _, c := newSim(t, drssim.Options{Servers: 4, Seed: 3})
	_, ts := start(t, sim)
	id := serverIDs(t, sim, 1)[0]
	startRecovery(t, c, true, id)

	getJSON := func(method, path, body string, v any) int {
		t.Helper()
		resp, b := rawCall(t, ts.URL, method, path, body)
		if v != nil {
			if err := json.Unmarshal(b, v); err != nil {
				t.Fatalf("%s %s: %v: %s", method, path, err, b)
			}
		}
		return resp.StatusCode
	}

	var launches map[string]int
	getJSON("GET", "/_sim/launches", "", &launches)
	if diff := cmp.Diff(map[string]int{id: 1}, launches); diff != "" {
		t.Errorf("launches mismatch (-want +got):\n%s", diff)
	}

	var servers []drssim.Server
	getJSON("GET", "/_sim/servers", "", &servers)
	if len(servers) != 4 || servers[0].ID != id {
		t.Errorf("servers: %+v", servers)
	}

	var clock struct {
		Now       string  `json:"now"`
		TimeScale float64 `json:"timeScale"`
	}
	getJSON("GET", "/_sim/clock", "", &clock)
	before, _ := time.Parse(time.RFC3339Nano, clock.Now)
	getJSON("POST", "/_sim/clock/advance?by=10m", "", &clock)
	after, _ := time.Parse(time.RFC3339Nano, clock.Now)
	if after.Sub(before) != 10*time.Minute {
		t.Errorf("advance by 10m moved the clock %v", after.Sub(before))
	}
	if code := getJSON("POST", "/_sim/clock/advance?by=soon", "", nil); code != 400 {
		t.Errorf("bad duration: %d", code)
	}

	var faults drssim.Faults
	if code := getJSON("PUT", "/_sim/faults", "throttle=0.5,failnext=DescribeJobs:1", &faults); code != 200 {
		t.Fatalf("put faults: %d", code)
	}
	if faults.Throttle != 0.5 || len(faults.FailNext) != 1 {
		t.Errorf("faults after PUT: %+v", faults)
	}
	getJSON("PUT", "/_sim/faults", `{"launchFail":0.25}`, nil)
	faults = drssim.Faults{}
	getJSON("GET", "/_sim/faults", "", &faults)
	if diff := cmp.Diff(drssim.Faults{LaunchFail: 0.25}, faults); diff != "" {
		t.Errorf("faults mismatch (-want +got):\n%s", diff)
	}
	if code := getJSON("PUT", "/_sim/faults", "throttle=7", nil); code != 400 {
		t.Errorf("bad faults: %d", code)
	}

	rawCall(t, ts.URL, "POST", "/DescribeJobs", `{"filters":{"jobIDs":["bad"]}}`)
	var stats drssim.Stats
	getJSON("GET", "/_sim/stats", "", &stats)
	if stats.Requests["StartRecovery"] != 1 || stats.Requests["DescribeJobs"] != 1 {
		t.Errorf("requests %v", stats.Requests)
	}
	if stats.Errors["ValidationException"] != 1 || stats.ErrorsByOperation["DescribeJobs"]["ValidationException"] != 1 {
		t.Errorf("errors %v by operation %v", stats.Errors, stats.ErrorsByOperation)
	}
	if stats.ActiveJobs != 0 || stats.MaxActiveJobs != 1 || stats.Jobs != 1 || stats.RecoveryInstances != 1 {
		t.Errorf("stats %+v", stats)
	}
	if code := getJSON("GET", "/_sim/nothing", "", nil); code != 404 {
		t.Errorf("unknown control path: %d", code)
	}
}

// TestConcurrentClients runs clients in parallel (meaningful under -race)
// and checks the quotas held throughout.
func TestConcurrentClients(t *testing.T) {
	sim, clock, c := newSim(t, drssim.Options{Servers: 400, Seed: 6})
	ids := serverIDs(t, sim, 400)
	errs := make(chan error, 16)
	for w := range 8 {
		go func() {
			var err error
			for round := range 5 {
				batch := ids[w*50 : w*50+50]
				_, e := c.StartRecovery(t.Context(), &drs.StartRecoveryInput{SourceServers: sources(batch...)})
				var qe *types.ServiceQuotaExceededException
				var ce *types.ConflictException
				if e != nil && !errors.As(e, &qe) && !errors.As(e, &ce) {
					err = fmt.Errorf("round %d: %w", round, e)
					break
				}
				if _, e := c.DescribeJobs(t.Context(), &drs.DescribeJobsInput{}); e != nil {
					err = e
					break
				}
				clock.Add(3 * time.Minute)
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	st := sim.Stats()
	q := st.Quotas
	if st.MaxActiveJobs > q.ActiveJobs || st.MaxServersInActiveJobs > q.ServersInActiveJobs ||
		st.MaxJobsPerServer > q.JobsPerServer || st.MaxServersInJob > q.ServersPerJob {
		t.Errorf("quota exceeded: %+v", st)
	}
	if st.Jobs == 0 {
		t.Error("no job was accepted")
	}
}
