package launchcfg

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sdkdrs "github.com/aws/aws-sdk-go-v2/service/drs"
	sdkec2 "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/drssim"
	"github.com/drsorch/drsorch/internal/ec2"
	"github.com/drsorch/drsorch/internal/plan"
)

// The emulator's well-known network.
const (
	simVPC     = "vpc-0e5a1d00000000001"
	simSubnet1 = "subnet-0e5a1d00000000011" // 10.10.1.0/24
	simSubnet2 = "subnet-0e5a1d00000000012" // 10.10.2.0/24
	simSubnet3 = "subnet-0e5a1d00000000013" // 10.10.3.0/24
	simSGDB    = "sg-0e5a1d00000000022"
	simSGApp   = "sg-0e5a1d00000000023"
	simSGWeb   = "sg-0e5a1d00000000024"
	simRegion  = "us-east-1"
	simAccount = "123456789012"
)

// counter counts the requests that reach the emulator, by operation: the
// path of a DRS REST-JSON request, the Action of an EC2 Query one.
type counter struct {
	next http.RoundTripper
	mu   sync.Mutex
	ops  map[string]int
}

func (c *counter) RoundTrip(r *http.Request) (*http.Response, error) {
	op := strings.TrimPrefix(r.URL.Path, "/")
	if op == "" && r.Body != nil {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		r.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(body))
		if form, err := url.ParseQuery(string(body)); err == nil {
			op = form.Get("Action")
		}
	}
	if r.Body == nil {
		// The emulator's Transport reads every request's body; a client
		// request without one (a DELETE) may carry nil.
		r.Body = http.NoBody
	}
	if i := strings.IndexByte(op, '/'); i >= 0 {
		op = op[:i]
	}
	c.mu.Lock()
	c.ops[op]++
	c.mu.Unlock()
	return c.next.RoundTrip(r)
}

// take returns the counts since the last take and starts again.
func (c *counter) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.ops
	c.ops = map[string]int{}
	return out
}

func total(ops map[string]int) int {
	n := 0
	for _, v := range ops {
		n += v
	}
	return n
}

// writes returns the counts of the operations that change something.
func writes(ops map[string]int) map[string]int {
	out := map[string]int{}
	for op, n := range ops {
		if strings.HasPrefix(op, "Update") || strings.HasPrefix(op, "Create") ||
			strings.HasPrefix(op, "Modify") || strings.HasPrefix(op, "Tag") || strings.HasPrefix(op, "tags") {
			out[op] = n
		}
	}
	return out
}

// harness is the emulator behind the real ports and raw SDK clients, and
// a Service on the ports.
type harness struct {
	sim     *drssim.Sim
	drs     *drs.Client
	ec2     *ec2.Client
	rawDRS  *sdkdrs.Client
	rawEC2  *sdkec2.Client
	svc     *Service
	calls   *counter
	servers []string
}

func newHarness(tb testing.TB, servers int) *harness {
	tb.Helper()
	return newHarnessWith(tb, drssim.Options{Servers: servers})
}

func newHarnessWith(tb testing.TB, opts drssim.Options) *harness {
	tb.Helper()
	opts.Seed, opts.Account, opts.Region = 7, simAccount, simRegion
	sim := drssim.New(opts)
	// The emulator builds its EC2 side on first use, and until then its
	// source servers name no source instance; Network is such a use.
	sim.Network()
	calls := &counter{next: sim.Transport(), ops: map[string]int{}}
	hc := &http.Client{Transport: calls}
	creds := credentials.NewStaticCredentialsProvider("AKIDLOCAL", "secretlocal", "")
	const endpoint = "http://sim.in-process"
	ctx := context.Background()
	d, err := drs.NewClient(ctx, drs.Config{Region: simRegion, Endpoint: endpoint, HTTPClient: hc, Credentials: creds})
	if err != nil {
		tb.Fatal(err)
	}
	e, err := ec2.NewClient(ctx, ec2.Config{Region: simRegion, Endpoint: endpoint, HTTPClient: hc, Credentials: creds})
	if err != nil {
		tb.Fatal(err)
	}
	h := &harness{sim: sim, drs: d, ec2: e, calls: calls,
		rawDRS: sdkdrs.New(sdkdrs.Options{Region: simRegion, BaseEndpoint: aws.String(endpoint),
			Credentials: creds, HTTPClient: drs.BufferedBodies(hc)}),
		rawEC2: sdkec2.New(sdkec2.Options{Region: simRegion, BaseEndpoint: aws.String(endpoint),
			Credentials: creds, HTTPClient: drs.BufferedBodies(hc)}),
	}
	h.svc = New(Options{
		DRS: func(context.Context, string, string) (DRS, error) { return d, nil },
		EC2: func(context.Context, string, string) (EC2, error) { return e, nil },
	})
	for _, s := range sim.Servers() {
		h.servers = append(h.servers, s.ID)
	}
	return h
}

// state is what DRS and EC2 hold for one server.
type state struct {
	LC       drs.LaunchConfiguration
	Template ec2.TemplateVersion
}

func (h *harness) state(tb testing.TB, serverID string) state {
	tb.Helper()
	ctx := context.Background()
	lc, err := h.drs.GetLaunchConfiguration(ctx, serverID)
	if err != nil {
		tb.Fatalf("get launch configuration of %s: %v", serverID, err)
	}
	tv, err := h.ec2.DefaultTemplateVersion(ctx, lc.EC2LaunchTemplateID)
	if err != nil {
		tb.Fatalf("default version of %s: %v", lc.EC2LaunchTemplateID, err)
	}
	return state{LC: lc, Template: tv}
}

// drill launches the servers as a drill, lets the emulator finish the
// job, and returns each server's recovery instance as EC2 holds it.
func (h *harness) drill(tb testing.TB, serverIDs []string) map[string]drssim.EC2Instance {
	tb.Helper()
	ctx := context.Background()
	var launches []drs.ServerLaunch
	for _, id := range serverIDs {
		launches = append(launches, drs.ServerLaunch{SourceServerID: id})
	}
	if _, err := h.drs.StartRecovery(ctx, launches, true, nil); err != nil {
		tb.Fatalf("start recovery: %v", err)
	}
	h.sim.Advance(3 * time.Hour)
	ris, err := h.drs.DescribeRecoveryInstances(ctx, serverIDs)
	if err != nil {
		tb.Fatalf("describe recovery instances: %v", err)
	}
	out := map[string]drssim.EC2Instance{}
	for _, ri := range ris {
		in, ok := h.sim.Instance(ri.EC2InstanceID)
		if !ok {
			tb.Fatalf("recovery instance %s of %s: EC2 instance %q unknown to the emulator", ri.ID, ri.SourceServerID, ri.EC2InstanceID)
		}
		out[ri.SourceServerID] = in
	}
	if len(out) != len(serverIDs) {
		tb.Fatalf("%d recovery instances for %d servers", len(out), len(serverIDs))
	}
	return out
}

func group(servers []string, ls *plan.LaunchSettings, per map[string]plan.LaunchSettings) plan.ProtectionGroup {
	return plan.ProtectionGroup{ID: "pg-launch", Name: "launch", AccountID: "", Region: simRegion,
		SourceServerIDs: servers, LaunchSettings: ls, ServerLaunchSettings: per}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// cmpEmpty treats a nil and an empty slice alike.
var cmpEmpty = cmpopts.EquateEmpty()

var cmpIgnoreTime = cmpopts.IgnoreFields(plan.TagSyncResult{}, "Time")

// arn returns a source server's ARN as DRS reports it.
func (h *harness) arn(tb testing.TB, serverID string) string {
	tb.Helper()
	ss, err := h.drs.DescribeSourceServers(context.Background(), []string{serverID})
	if err != nil || len(ss) != 1 || ss[0].ARN == "" {
		tb.Fatalf("describe %s: %v, %v", serverID, ss, err)
	}
	return ss[0].ARN
}
