package ec2

// The contract suite: every Client method through the real aws-sdk-go-v2
// EC2 client against the emulator, in-process through its Transport and
// over HTTP on 127.0.0.1. The emulator's real clock stands still, so
// launches and status checks move only when a test advances emulated
// time.

import (
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsec2 "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/drssim"
)

var simEpoch = time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)

// The emulator's fixed network, as internal/drssim documents it.
const (
	vpcID   = "vpc-0e5a1d00000000001"
	subnetA = "subnet-0e5a1d00000000011"
	subnetB = "subnet-0e5a1d00000000012"
	subnetC = "subnet-0e5a1d00000000013"
	sgDflt  = "sg-0e5a1d00000000021"
	sgDB    = "sg-0e5a1d00000000022"
	sgApp   = "sg-0e5a1d00000000023"
	sgWeb   = "sg-0e5a1d00000000024"
)

// contract is one emulator with an EC2 and a DRS client of it.
type contract struct {
	sim *drssim.Sim
	ec2 *Client
	drs *drs.Client
}

// rawEC2 is a bare SDK EC2 client of the emulator, for writing templates
// the way a team would, around the port.
func (k *contract) rawEC2() *awsec2.Client {
	return awsec2.New(awsec2.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://sim.local"),
		HTTPClient: &http.Client{Transport: k.sim.Transport()}, Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")})
}

// transports are the two ways the suite reaches the emulator.
var transports = []string{"in-process", "loopback"}

func newContract(t *testing.T, how string, opts drssim.Options, cfg Config) *contract {
	t.Helper()
	isolateAWSEnv(t)
	opts.Clock = func() time.Time { return simEpoch }
	sim := drssim.New(opts)

	endpoint := "http://sim.local"
	hc := &http.Client{Transport: sim.Transport()}
	if how == "loopback" {
		srv := httptest.NewServer(sim)
		t.Cleanup(srv.Close)
		endpoint = srv.URL
		// A plain client: the port copies request bodies itself, which is
		// what this transport checks.
		hc = &http.Client{Transport: &http.Transport{}}
		t.Cleanup(hc.CloseIdleConnections)
	}
	cfg.Region = "us-east-1"
	cfg.Endpoint = endpoint
	cfg.HTTPClient = hc
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = time.Millisecond
	}
	e, err := NewClient(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	d, err := drs.NewClient(t.Context(), drs.Config{Region: "us-east-1", Endpoint: endpoint, HTTPClient: hc,
		MaxBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return &contract{sim: sim, ec2: e, drs: d}
}

func (k *contract) requests(op string) int { return k.sim.Stats().Requests[op] }

// drill launches the servers as a drill, runs the job to its end and
// returns each server's EC2 instance ID.
func (k *contract) drill(t *testing.T, ids ...string) map[string]string {
	t.Helper()
	var launches []drs.ServerLaunch
	for _, id := range ids {
		launches = append(launches, drs.ServerLaunch{SourceServerID: id})
	}
	job, err := k.drs.StartRecovery(t.Context(), launches, true, map[string]string{"test": t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	for range 100 {
		jobs, err := k.drs.DescribeJobs(t.Context(), []string{job.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(jobs) == 1 && jobs[0].Status == drs.JobCompleted {
			break
		}
		k.sim.Advance(5 * time.Minute)
	}
	ris, err := k.drs.DescribeRecoveryInstances(t.Context(), ids)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, ri := range ris {
		if ri.JobID == job.ID {
			out[ri.SourceServerID] = ri.EC2InstanceID
		}
	}
	if len(out) != len(ids) {
		t.Fatalf("drill launched %v, want all of %v", out, ids)
	}
	return out
}

func (k *contract) serverIDs(t *testing.T, n int) []string {
	t.Helper()
	var out []string
	for _, s := range k.sim.Servers()[:n] {
		out = append(out, s.ID)
	}
	return out
}

func TestContractNetwork(t *testing.T) {
	for _, how := range transports {
		t.Run(how, func(t *testing.T) {
			k := newContract(t, how, drssim.Options{Servers: 2, Seed: 1}, Config{})
			ctx := t.Context()

			all, err := k.ec2.DescribeSubnets(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := []Subnet{
				{ID: subnetA, VPCID: vpcID, CIDR: "10.10.1.0/24", AvailabilityZone: "us-east-1a"},
				{ID: subnetB, VPCID: vpcID, CIDR: "10.10.2.0/24", AvailabilityZone: "us-east-1b"},
				{ID: subnetC, VPCID: vpcID, CIDR: "10.10.3.0/24", AvailabilityZone: "us-east-1c"},
			}
			if d := cmp.Diff(want, all); d != "" {
				t.Errorf("all subnets mismatch (-want +got):\n%s", d)
			}
			some, err := k.ec2.DescribeSubnets(ctx, []string{subnetC, subnetA, subnetC})
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, s := range some {
				ids = append(ids, s.ID)
			}
			slices.Sort(ids)
			if d := cmp.Diff([]string{subnetA, subnetC}, ids); d != "" {
				t.Errorf("subnets by ID mismatch (-want +got):\n%s", d)
			}

			groups, err := k.ec2.DescribeSecurityGroups(ctx, []string{sgDflt, sgDB, sgApp, sgWeb})
			if err != nil {
				t.Fatal(err)
			}
			names := map[string]string{}
			for _, g := range groups {
				if g.VPCID != vpcID {
					t.Errorf("group %s in VPC %s, want %s", g.ID, g.VPCID, vpcID)
				}
				names[g.ID] = g.Name
			}
			wantNames := map[string]string{sgDflt: "default", sgDB: "db", sgApp: "app", sgWeb: "web"}
			if d := cmp.Diff(wantNames, names); d != "" {
				t.Errorf("security groups mismatch (-want +got):\n%s", d)
			}

			// What the port lists is what the emulator says its network is.
			var simSubnets []Subnet
			for _, s := range k.sim.Network().Subnets {
				simSubnets = append(simSubnets, Subnet{ID: s.ID, VPCID: s.VPCID, CIDR: s.CIDR, AvailabilityZone: s.AvailabilityZone})
			}
			if d := cmp.Diff(simSubnets, all); d != "" {
				t.Errorf("subnets vs the emulator's network mismatch (-emulator +port):\n%s", d)
			}

			_, err = k.ec2.DescribeSubnets(ctx, []string{subnetA, "subnet-0e5a1d00000000099"})
			checkClass(t, err, drs.ErrNotFound)
			_, err = k.ec2.DescribeSecurityGroups(ctx, []string{"sg-0e5a1d00000000099"})
			checkClass(t, err, drs.ErrNotFound)
			_, err = k.ec2.DescribeSubnets(ctx, []string{"not-a-subnet"})
			if err == nil || errors.Is(err, drs.ErrThrottled) || errors.Is(err, drs.ErrTransient) {
				t.Errorf("malformed subnet ID: %v, want a permanent error", err)
			}
		})
	}
}

// TestContractRecoveryInstance: after a drill, the recovery instance is
// described as the emulator holds it, its status checks go from
// initializing to ok and follow an impairment, and its network interface
// is found by its address.
func TestContractRecoveryInstance(t *testing.T) {
	for _, how := range transports {
		t.Run(how, func(t *testing.T) {
			k := newContract(t, how, drssim.Options{Servers: 3, Seed: 2, StatusCheckDelay: 10 * time.Minute}, Config{})
			ctx := t.Context()
			servers := k.serverIDs(t, 2)
			launched := k.drill(t, servers...)
			a, b := launched[servers[0]], launched[servers[1]]
			const unknown = "i-0fffffffffffffff0"

			got, err := k.ec2.DescribeInstances(ctx, []string{a, unknown, b, a})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 {
				t.Fatalf("%d instances, want 2 (the unknown one left out): %+v", len(got), got)
			}
			for _, inst := range got {
				sim, ok := k.sim.Instance(inst.ID)
				if !ok || !sim.Recovery {
					t.Fatalf("instance %s is not a recovery instance of the emulator", inst.ID)
				}
				want := Instance{ID: sim.ID, State: sim.State, InstanceType: sim.InstanceType, PrivateIP: sim.PrivateIP,
					SubnetID: sim.SubnetID, VPCID: vpcID, SecurityGroupIDs: sim.SecurityGroupIDs,
					InstanceProfileARN: sim.InstanceProfileARN, Tags: sim.Tags,
					// EC2 writes times to the millisecond.
					LaunchTime: sim.LaunchTime.Truncate(time.Millisecond)}
				if len(want.Tags) == 0 {
					want.Tags = nil
				}
				if d := cmp.Diff(want, inst); d != "" {
					t.Errorf("instance mismatch (-emulator +port):\n%s", d)
				}
				if inst.State != "running" || inst.PrivateIP == "" || inst.SubnetID == "" {
					t.Errorf("instance %+v is not a running one with an address", inst)
				}
			}

			status := func() map[string][3]string {
				t.Helper()
				sts, err := k.ec2.DescribeInstanceStatus(ctx, []string{a, b, unknown})
				if err != nil {
					t.Fatal(err)
				}
				out := map[string][3]string{}
				for _, s := range sts {
					out[s.ID] = [3]string{s.State, s.SystemStatus, s.InstanceStatus}
				}
				return out
			}
			// The drill took emulated minutes; the checks are due ten
			// minutes after each instance was created.
			first := status()
			for id, s := range first {
				if s[0] != "running" || (s[1] != StatusInitializing && s[1] != StatusOK) {
					t.Errorf("instance %s: %v", id, s)
				}
			}
			k.sim.Advance(15 * time.Minute)
			ok := [3]string{"running", StatusOK, StatusOK}
			if d := cmp.Diff(map[string][3]string{a: ok, b: ok}, status()); d != "" {
				t.Errorf("status after the delay mismatch (-want +got):\n%s", d)
			}
			k.sim.SetInstanceImpaired(b, true)
			if d := cmp.Diff(map[string][3]string{a: ok, b: {"running", StatusImpaired, StatusImpaired}}, status()); d != "" {
				t.Errorf("status while impaired mismatch (-want +got):\n%s", d)
			}

			// The recovery instance's address belongs to its interface.
			inst, _ := k.sim.Instance(a)
			nics, err := k.ec2.NetworkInterfacesWithIPs(ctx, inst.SubnetID, []string{inst.PrivateIP, "10.10.9.9"})
			if err != nil {
				t.Fatal(err)
			}
			if len(nics) != 1 || nics[0].InstanceID != a || !slices.Contains(nics[0].PrivateIPs, inst.PrivateIP) ||
				nics[0].SubnetID != inst.SubnetID || nics[0].Status != "in-use" {
				t.Errorf("interfaces with %s: %+v, want the one of %s", inst.PrivateIP, nics, a)
			}
			other := subnetA
			if inst.SubnetID == subnetA {
				other = subnetB
			}
			nics, err = k.ec2.NetworkInterfacesWithIPs(ctx, other, []string{inst.PrivateIP})
			if err != nil || len(nics) != 0 {
				t.Errorf("interfaces with %s in another subnet: %+v, %v; want none", inst.PrivateIP, nics, err)
			}
		})
	}
}

// TestContractTemplateRoundTrip: the default version of a server's launch
// template reads back, a new version from it carries the data written and
// the members not written, SetDefaultVersion makes it the one read, and a
// drill launches from it.
func TestContractTemplateRoundTrip(t *testing.T) {
	for _, how := range transports {
		t.Run(how, func(t *testing.T) {
			k := newContract(t, how, drssim.Options{Servers: 2, Seed: 3}, Config{})
			ctx := t.Context()
			server := k.serverIDs(t, 1)[0]
			lc, err := k.drs.GetLaunchConfiguration(ctx, server)
			if err != nil {
				t.Fatal(err)
			}
			// Right-sizing off, so that the template's type is the one
			// launched; DRS writes a template version of its own for it,
			// which is why it goes first.
			lc.RightSizingMethod = "NONE"
			if lc, err = k.drs.UpdateLaunchConfiguration(ctx, lc); err != nil {
				t.Fatal(err)
			}
			lt := lc.EC2LaunchTemplateID
			if lt == "" || lt != k.sim.LaunchTemplateID(server) {
				t.Fatalf("launch template %q, emulator says %q", lt, k.sim.LaunchTemplateID(server))
			}

			before, err := k.ec2.DefaultTemplateVersion(ctx, lt)
			if err != nil {
				t.Fatal(err)
			}
			if !before.Default || before.Version < 1 || before.TemplateID != lt {
				t.Fatalf("default version %+v", before)
			}

			data := TemplateData{
				InstanceType: "m5.large", SubnetID: subnetB, SecurityGroupIDs: []string{sgDB, sgApp},
				PrivateIP: "10.10.2.50", InstanceProfile: "drsorch-recovered",
				Tags: map[string]string{"Name": "db-recovered", "env": "dr"}, VolumeTags: map[string]string{"backup": "daily"},
			}
			v, err := k.ec2.CreateTemplateVersion(ctx, lt, before.Version, data, "drsorch: test")
			if err != nil {
				t.Fatal(err)
			}
			if v != before.Version+1 {
				t.Errorf("new version %d, want %d", v, before.Version+1)
			}
			still, err := k.ec2.DefaultTemplateVersion(ctx, lt)
			if err != nil {
				t.Fatal(err)
			}
			if still.Version != before.Version {
				t.Errorf("default moved to %d before SetDefaultVersion", still.Version)
			}

			if err := k.ec2.SetDefaultVersion(ctx, lt, v); err != nil {
				t.Fatal(err)
			}
			after, err := k.ec2.DefaultTemplateVersion(ctx, lt)
			if err != nil {
				t.Fatal(err)
			}
			if after.Version != v || !after.Default || after.Description != "drsorch: test" {
				t.Errorf("default version %d %v %q, want %d, default, described", after.Version, after.Default, after.Description, v)
			}
			if d := cmp.Diff(data, after.Data); d != "" {
				t.Errorf("template data mismatch (-written +read):\n%s", d)
			}

			// An instance profile by ARN reads back by ARN.
			byARN := data
			byARN.InstanceProfile = "arn:aws:iam::123456789012:instance-profile/drsorch-recovered"
			v2, err := k.ec2.CreateTemplateVersion(ctx, lt, v, byARN, "")
			if err != nil {
				t.Fatal(err)
			}
			if err := k.ec2.SetDefaultVersion(ctx, lt, v2); err != nil {
				t.Fatal(err)
			}
			got, err := k.ec2.DefaultTemplateVersion(ctx, lt)
			if err != nil {
				t.Fatal(err)
			}
			if got.Data.InstanceProfile != byARN.InstanceProfile {
				t.Errorf("profile %q, want %q", got.Data.InstanceProfile, byARN.InstanceProfile)
			}

			// The drill's recovery instance comes up as the template says.
			id := k.drill(t, server)[server]
			inst, ok := k.sim.Instance(id)
			if !ok {
				t.Fatalf("no instance %s", id)
			}
			gotInst := [3]string{inst.SubnetID, inst.PrivateIP, inst.InstanceType}
			if d := cmp.Diff([3]string{subnetB, "10.10.2.50", "m5.large"}, gotInst); d != "" {
				t.Errorf("recovery instance mismatch (-template +instance):\n%s", d)
			}

			// Unknown templates and versions are ErrNotFound.
			_, err = k.ec2.DefaultTemplateVersion(ctx, "lt-0fffffffffffffff0")
			checkClass(t, err, drs.ErrNotFound)
			checkClass(t, k.ec2.SetDefaultVersion(ctx, lt, 99), drs.ErrNotFound)
			_, err = k.ec2.CreateTemplateVersion(ctx, "lt-0fffffffffffffff0", 1, data, "")
			checkClass(t, err, drs.ErrNotFound)
		})
	}
}

// TestContractThrottling: the emulator's RequestLimitExceeded is retried
// until an answer comes, within MaxAttempts, and a write retried after a
// throttle makes one version.
func TestContractThrottling(t *testing.T) {
	for _, how := range transports {
		t.Run(how, func(t *testing.T) {
			k := newContract(t, how, drssim.Options{Servers: 2, Seed: 4}, Config{MaxAttempts: 4})
			ctx := t.Context()
			server := k.serverIDs(t, 1)[0]
			src := k.sim.SourceInstanceID(server)
			lt := k.sim.LaunchTemplateID(server)

			if err := k.sim.SetFaults(drssim.Faults{FailNext: []drssim.FailNext{
				{Operation: "DescribeInstances", Count: 3, Kind: "throttle"},
				{Operation: "CreateLaunchTemplateVersion", Count: 1, Kind: "throttle"},
				{Operation: "DescribeSubnets", Count: 4, Kind: "throttle"},
				{Operation: "DescribeInstanceStatus", Count: 1, Kind: "error"},
			}}); err != nil {
				t.Fatal(err)
			}
			got, err := k.ec2.DescribeInstances(ctx, []string{src})
			if err != nil {
				t.Fatalf("describe instances through 3 throttles: %v", err)
			}
			if len(got) != 1 || got[0].ID != src {
				t.Errorf("instances %+v, want %s", got, src)
			}
			if n := k.requests("DescribeInstances"); n != 4 {
				t.Errorf("%d DescribeInstances requests, want 4", n)
			}

			if _, err := k.ec2.DescribeInstanceStatus(ctx, []string{src}); err != nil {
				t.Errorf("describe instance status through a 500: %v", err)
			}
			if n := k.requests("DescribeInstanceStatus"); n != 2 {
				t.Errorf("%d DescribeInstanceStatus requests, want 2", n)
			}

			_, err = k.ec2.DescribeSubnets(ctx, nil)
			checkClass(t, err, drs.ErrThrottled)
			if n := k.requests("DescribeSubnets"); n != 4 {
				t.Errorf("%d DescribeSubnets requests, want 4 (MaxAttempts)", n)
			}

			before, err := k.ec2.DefaultTemplateVersion(ctx, lt)
			if err != nil {
				t.Fatal(err)
			}
			v, err := k.ec2.CreateTemplateVersion(ctx, lt, before.Version, TemplateData{SubnetID: subnetC}, "")
			if err != nil {
				t.Fatalf("create version through a throttle: %v", err)
			}
			if v != before.Version+1 {
				t.Errorf("version %d after a throttled attempt, want %d (one version made)", v, before.Version+1)
			}
			if n := k.requests("CreateLaunchTemplateVersion"); n != 2 {
				t.Errorf("%d CreateLaunchTemplateVersion requests, want 2", n)
			}
		})
	}
}

// TestContractLargeAnswers: hundreds of instances in batches, over both
// transports, in exactly the requests the batching makes. Over loopback a
// request whose connection was lost to the body race the port works
// around would be retried and show here as an extra request and a logged
// retry.
func TestContractLargeAnswers(t *testing.T) {
	for _, how := range transports {
		t.Run(how, func(t *testing.T) {
			rec := &recorder{}
			k := newContract(t, how, drssim.Options{Servers: 250, Seed: 5}, Config{Logger: slog.New(rec)})
			ctx := t.Context()
			var ids, ips []string
			for _, s := range k.sim.Servers() {
				id := k.sim.SourceInstanceID(s.ID)
				ids = append(ids, id)
				inst, _ := k.sim.Instance(id)
				ips = append(ips, inst.PrivateIP)
			}
			for range 3 {
				insts, err := k.ec2.DescribeInstances(ctx, ids)
				if err != nil {
					t.Fatal(err)
				}
				if len(insts) != 250 {
					t.Fatalf("%d instances, want 250", len(insts))
				}
				sts, err := k.ec2.DescribeInstanceStatus(ctx, ids)
				if err != nil {
					t.Fatal(err)
				}
				if len(sts) != 250 {
					t.Fatalf("%d statuses, want 250", len(sts))
				}
				nics, err := k.ec2.NetworkInterfacesWithIPs(ctx, "", ips)
				if err != nil {
					t.Fatal(err)
				}
				if len(nics) < 250 {
					t.Fatalf("%d interfaces, want one per instance", len(nics))
				}
			}
			got := map[string]int{
				"DescribeInstances":         k.requests("DescribeInstances"),
				"DescribeInstanceStatus":    k.requests("DescribeInstanceStatus"),
				"DescribeNetworkInterfaces": k.requests("DescribeNetworkInterfaces"),
				"retries":                   rec.count("retrying ec2 request"),
			}
			// Three rounds of: 2 filter batches, one page each; 3 batches
			// of 100 IDs; 2 filter batches of addresses.
			want := map[string]int{"DescribeInstances": 6, "DescribeInstanceStatus": 9,
				"DescribeNetworkInterfaces": 6, "retries": 0}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("requests mismatch (-want +got):\n%s", d)
			}
		})
	}
}

// TestContractTemplateKeepsWhatItDoesNotManage writes, with the SDK as a
// team would, a template version whose primary interface has members
// drsorch does not manage, a second interface and network-interface tags;
// a version drsorch creates from it carries all of them over, with only
// the managed members replaced.
func TestContractTemplateKeepsWhatItDoesNotManage(t *testing.T) {
	k := newContract(t, "in-process", drssim.Options{Servers: 1, Seed: 5}, Config{})
	ctx := t.Context()
	lt := k.sim.LaunchTemplateID(k.serverIDs(t, 1)[0])
	sdk := k.rawEC2()
	team, err := sdk.CreateLaunchTemplateVersion(ctx, &awsec2.CreateLaunchTemplateVersionInput{
		LaunchTemplateId: aws.String(lt), SourceVersion: aws.String("1"),
		LaunchTemplateData: &types.RequestLaunchTemplateData{
			NetworkInterfaces: []types.LaunchTemplateInstanceNetworkInterfaceSpecificationRequest{
				{DeviceIndex: aws.Int32(0), SubnetId: aws.String(subnetA), Groups: []string{sgDflt},
					DeleteOnTermination: aws.Bool(false), AssociatePublicIpAddress: aws.Bool(true),
					Description: aws.String("primary, kept by the team")},
				{DeviceIndex: aws.Int32(1), SubnetId: aws.String(subnetC), Groups: []string{sgWeb}},
			},
			TagSpecifications: []types.LaunchTemplateTagSpecificationRequest{
				{ResourceType: types.ResourceTypeNetworkInterface, Tags: []types.Tag{{Key: aws.String("nic"), Value: aws.String("kept")}}},
				{ResourceType: types.ResourceTypeInstance, Tags: []types.Tag{{Key: aws.String("old"), Value: aws.String("tag")}}},
			},
		}})
	if err != nil {
		t.Fatal(err)
	}
	src := aws.ToInt64(team.LaunchTemplateVersion.VersionNumber)

	v, err := k.ec2.CreateTemplateVersion(ctx, lt, src, TemplateData{SubnetID: subnetB,
		SecurityGroupIDs: []string{sgDB}, PrivateIP: "10.10.2.60", Tags: map[string]string{"Name": "db"}}, "drsorch: test")
	if err != nil {
		t.Fatal(err)
	}
	out, err := sdk.DescribeLaunchTemplateVersions(ctx, &awsec2.DescribeLaunchTemplateVersionsInput{
		LaunchTemplateId: aws.String(lt), Versions: []string{strconv.FormatInt(v, 10)}})
	if err != nil {
		t.Fatal(err)
	}
	d := out.LaunchTemplateVersions[0].LaunchTemplateData
	type nic struct {
		Index              int32
		Subnet, IP, Desc   string
		Groups             []string
		DeleteOnTerm, IPv4 *bool
	}
	var got []nic
	for _, n := range d.NetworkInterfaces {
		got = append(got, nic{aws.ToInt32(n.DeviceIndex), aws.ToString(n.SubnetId), aws.ToString(n.PrivateIpAddress),
			aws.ToString(n.Description), n.Groups, n.DeleteOnTermination, n.AssociatePublicIpAddress})
	}
	want := []nic{
		{0, subnetB, "10.10.2.60", "primary, kept by the team", []string{sgDB}, aws.Bool(false), aws.Bool(true)},
		{1, subnetC, "", "", []string{sgWeb}, nil, nil},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("network interfaces mismatch (-want +got):\n%s", diff)
	}
	tags := map[types.ResourceType]map[string]string{}
	for _, ts := range d.TagSpecifications {
		tags[ts.ResourceType] = map[string]string{}
		for _, tg := range ts.Tags {
			tags[ts.ResourceType][aws.ToString(tg.Key)] = aws.ToString(tg.Value)
		}
	}
	wantTags := map[types.ResourceType]map[string]string{
		types.ResourceTypeInstance:         {"Name": "db"},
		types.ResourceTypeNetworkInterface: {"nic": "kept"},
	}
	if diff := cmp.Diff(wantTags, tags); diff != "" {
		t.Errorf("tag specifications mismatch (-want +got):\n%s", diff)
	}
}

// TestContractTemplateInstanceLevelGroups: a source version naming
// security groups for the instance cannot take drsorch's network
// interface without a template EC2 would refuse to launch, so the port
// refuses, and writes no version.
func TestContractTemplateInstanceLevelGroups(t *testing.T) {
	k := newContract(t, "in-process", drssim.Options{Servers: 1, Seed: 5}, Config{})
	ctx := t.Context()
	lt := k.sim.LaunchTemplateID(k.serverIDs(t, 1)[0])
	sdk := k.rawEC2()
	team, err := sdk.CreateLaunchTemplateVersion(ctx, &awsec2.CreateLaunchTemplateVersionInput{
		LaunchTemplateId: aws.String(lt), SourceVersion: aws.String("1"),
		LaunchTemplateData: &types.RequestLaunchTemplateData{SecurityGroupIds: []string{sgWeb}}})
	if err != nil {
		t.Fatal(err)
	}
	src := aws.ToInt64(team.LaunchTemplateVersion.VersionNumber)
	_, err = k.ec2.CreateTemplateVersion(ctx, lt, src, TemplateData{SubnetID: subnetB, SecurityGroupIDs: []string{sgDB}}, "")
	if !errors.Is(err, drs.ErrValidation) || !strings.Contains(err.Error(), "names security groups for the instance ("+sgWeb+")") {
		t.Fatalf("error %v, want a validation error naming %s", err, sgWeb)
	}
	out, err := sdk.DescribeLaunchTemplateVersions(ctx, &awsec2.DescribeLaunchTemplateVersionsInput{
		LaunchTemplateId: aws.String(lt), Versions: []string{"$Latest"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToInt64(out.LaunchTemplateVersions[0].VersionNumber); got != src {
		t.Errorf("latest version %d after the refusal, want %d: nothing written", got, src)
	}
}
