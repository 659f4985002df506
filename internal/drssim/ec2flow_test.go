package drssim_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/drs"
	drstypes "github.com/aws/aws-sdk-go-v2/service/drs/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/drssim"
)

// ec2Sim is an emulator on a fake clock with DRS and EC2 clients through
// its Transport.
func ec2Sim(t *testing.T, opts drssim.Options) (*drssim.Sim, *drs.Client, *ec2.Client) {
	t.Helper()
	clock := newFakeClock()
	opts.Clock = clock.Now
	sim := drssim.New(opts)
	return sim, inProcess(sim), ec2InProcess(sim)
}

// drill launches ids as a drill and runs the job to its end.
func drill(t *testing.T, sim *drssim.Sim, c *drs.Client, ids ...string) *drstypes.Job {
	t.Helper()
	out, err := c.StartRecovery(t.Context(), &drs.StartRecoveryInput{SourceServers: sources(ids...), IsDrill: aws.Bool(true)})
	if err != nil {
		t.Fatalf("start drill: %v", err)
	}
	sim.Advance(2 * time.Hour)
	jobs, err := c.DescribeJobs(t.Context(), &drs.DescribeJobsInput{Filters: &drstypes.DescribeJobsRequestFilters{JobIDs: []string{*out.Job.JobID}}})
	if err != nil || len(jobs.Items) != 1 {
		t.Fatalf("describe job: %v", err)
	}
	return &jobs.Items[0]
}

// launched returns the recovery instance ID of each server of job, ""
// for one that failed.
func launched(job *drstypes.Job) map[string]string {
	out := map[string]string{}
	for _, ps := range job.ParticipatingServers {
		out[aws.ToString(ps.SourceServerID)] = aws.ToString(ps.RecoveryInstanceID)
	}
	return out
}

func defaultVersion(t *testing.T, c *ec2.Client, lt string) ec2types.LaunchTemplateVersion {
	t.Helper()
	out, err := c.DescribeLaunchTemplateVersions(t.Context(), &ec2.DescribeLaunchTemplateVersionsInput{
		LaunchTemplateId: aws.String(lt), Versions: []string{"$Default"},
	})
	if err != nil || len(out.LaunchTemplateVersions) != 1 {
		t.Fatalf("describe default version of %s: %v", lt, err)
	}
	return out.LaunchTemplateVersions[0]
}

func newVersion(t *testing.T, c *ec2.Client, lt, source string, data *ec2types.RequestLaunchTemplateData) int64 {
	t.Helper()
	out, err := c.CreateLaunchTemplateVersion(t.Context(), &ec2.CreateLaunchTemplateVersionInput{
		LaunchTemplateId: aws.String(lt), SourceVersion: aws.String(source), LaunchTemplateData: data,
		VersionDescription: aws.String("drsorch"),
	})
	if err != nil {
		t.Fatalf("create version: %v", err)
	}
	n := aws.ToInt64(out.LaunchTemplateVersion.VersionNumber)
	if _, err := c.ModifyLaunchTemplate(t.Context(), &ec2.ModifyLaunchTemplateInput{
		LaunchTemplateId: aws.String(lt), DefaultVersion: aws.String(fmt.Sprint(n)),
	}); err != nil {
		t.Fatalf("set default version: %v", err)
	}
	return n
}

func nic(subnet, ip string, sgs ...string) []ec2types.LaunchTemplateInstanceNetworkInterfaceSpecificationRequest {
	n := ec2types.LaunchTemplateInstanceNetworkInterfaceSpecificationRequest{DeviceIndex: aws.Int32(0), SubnetId: aws.String(subnet), Groups: sgs}
	if ip != "" {
		n.PrivateIpAddress = aws.String(ip)
	}
	return []ec2types.LaunchTemplateInstanceNetworkInterfaceSpecificationRequest{n}
}

// launchFailedError is the rawError of the last LAUNCH_FAILED entry of a
// job's log, "" without one.
func launchFailedError(t *testing.T, dc *drs.Client, jobID *string) string {
	t.Helper()
	logs, err := dc.DescribeJobLogItems(t.Context(), &drs.DescribeJobLogItemsInput{JobID: jobID})
	if err != nil {
		t.Fatal(err)
	}
	raw := ""
	for _, item := range logs.Items {
		if item.Event == drstypes.JobLogEventLaunchFailed {
			raw = aws.ToString(item.EventData.RawError)
		}
	}
	return raw
}

func lcOf(t *testing.T, c *drs.Client, id string) *drs.GetLaunchConfigurationOutput {
	t.Helper()
	out, err := c.GetLaunchConfiguration(t.Context(), &drs.GetLaunchConfigurationInput{SourceServerID: aws.String(id)})
	if err != nil {
		t.Fatalf("get launch configuration: %v", err)
	}
	return out
}

// TestEC2DrillHonoursTemplate configures one server with a subnet, a
// static IP, security groups, a type, a profile and tags, and checks what
// the drill brought up; a second server with defaults gets the first
// subnet, the default group and an allocated address.
func TestEC2DrillHonoursTemplate(t *testing.T) {
	sim, dc, c := ec2Sim(t, drssim.Options{Servers: 3, Seed: 7})
	ids := serverIDs(t, sim, 3)
	if _, err := dc.UpdateLaunchConfiguration(t.Context(), &drs.UpdateLaunchConfigurationInput{
		SourceServerID: aws.String(ids[0]), TargetInstanceTypeRightSizingMethod: drstypes.TargetInstanceTypeRightSizingMethodNone,
	}); err != nil {
		t.Fatal(err)
	}
	lt := aws.ToString(lcOf(t, dc, ids[0]).Ec2LaunchTemplateID)
	newVersion(t, c, lt, "$Default", &ec2types.RequestLaunchTemplateData{
		InstanceType:       ec2types.InstanceTypeM6i2xlarge,
		IamInstanceProfile: &ec2types.LaunchTemplateIamInstanceProfileSpecificationRequest{Name: aws.String("recovery")},
		NetworkInterfaces:  nic("subnet-0e5a1d00000000012", "10.10.2.50", "sg-0e5a1d00000000023", "sg-0e5a1d00000000024"),
		TagSpecifications: []ec2types.LaunchTemplateTagSpecificationRequest{{
			ResourceType: ec2types.ResourceTypeInstance,
			Tags:         []ec2types.Tag{{Key: aws.String("Drill"), Value: aws.String("yes")}, {Key: aws.String("env"), Value: aws.String("dr")}},
		}},
	})
	job := drill(t, sim, dc, ids[0], ids[1])
	got := launched(job)
	first, ok := sim.Instance(got[ids[0]])
	if !ok {
		t.Fatalf("no EC2 instance %q for %s", got[ids[0]], ids[0])
	}
	srcTags := sim.Servers()[0].Tags
	wantTags := map[string]string{"Drill": "yes", "Name": sim.Servers()[0].Hostname}
	for k, v := range srcTags {
		wantTags[k] = v // copyTags: the source server's tags win over the template's
	}
	want := drssim.EC2Instance{
		ID: got[ids[0]], SourceServerID: ids[0], Recovery: true, State: "running",
		InstanceType: "m6i.2xlarge", SubnetID: "subnet-0e5a1d00000000012", PrivateIP: "10.10.2.50",
		SecurityGroupIDs:   []string{"sg-0e5a1d00000000023", "sg-0e5a1d00000000024"},
		InstanceProfileARN: "arn:aws:iam::123456789012:instance-profile/recovery",
		Tags:               wantTags, LaunchTime: first.LaunchTime,
		SystemStatus: "ok", InstanceStatus: "ok",
	}
	if diff := cmp.Diff(want, first); diff != "" {
		t.Errorf("configured instance mismatch (-want +got):\n%s", diff)
	}
	second, _ := sim.Instance(got[ids[1]])
	if second.SubnetID != "subnet-0e5a1d00000000011" || !cmp.Equal(second.SecurityGroupIDs, []string{"sg-0e5a1d00000000021"}) ||
		!netip.MustParsePrefix("10.10.1.0/24").Contains(netip.MustParseAddr(second.PrivateIP)) {
		t.Errorf("default instance: subnet %s, groups %v, ip %s", second.SubnetID, second.SecurityGroupIDs, second.PrivateIP)
	}

	// DescribeInstances and DescribeNetworkInterfaces see the same.
	di, err := c.DescribeInstances(t.Context(), &ec2.DescribeInstancesInput{InstanceIds: []string{got[ids[0]]}})
	if err != nil {
		t.Fatal(err)
	}
	inst := di.Reservations[0].Instances[0]
	gotWire := []string{string(inst.InstanceType), aws.ToString(inst.SubnetId), aws.ToString(inst.PrivateIpAddress),
		string(inst.State.Name), aws.ToString(inst.IamInstanceProfile.Arn), aws.ToString(inst.VpcId)}
	wantWire := []string{"m6i.2xlarge", "subnet-0e5a1d00000000012", "10.10.2.50", "running",
		"arn:aws:iam::123456789012:instance-profile/recovery", "vpc-0e5a1d00000000001"}
	if diff := cmp.Diff(wantWire, gotWire); diff != "" {
		t.Errorf("DescribeInstances mismatch (-want +got):\n%s", diff)
	}
	enis, err := c.DescribeNetworkInterfaces(t.Context(), &ec2.DescribeNetworkInterfacesInput{Filters: []ec2types.Filter{
		filter("subnet-id", "subnet-0e5a1d00000000012"), filter("addresses.private-ip-address", "10.10.2.50", "10.10.2.51"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(enis.NetworkInterfaces) != 1 || aws.ToString(enis.NetworkInterfaces[0].Attachment.InstanceId) != got[ids[0]] {
		t.Errorf("ENIs at 10.10.2.50: %+v", enis.NetworkInterfaces)
	}
	// DRS reports the EC2 address too.
	ri, err := dc.DescribeRecoveryInstances(t.Context(), &drs.DescribeRecoveryInstancesInput{
		Filters: &drstypes.DescribeRecoveryInstancesRequestFilters{SourceServerIDs: []string{ids[0]}},
	})
	if err != nil || len(ri.Items) != 1 {
		t.Fatalf("describe recovery instances: %v", err)
	}
	if ip := ri.Items[0].RecoveryInstanceProperties.NetworkInterfaces[0].Ips[0]; ip != "10.10.2.50" || aws.ToString(ri.Items[0].Ec2InstanceID) != got[ids[0]] {
		t.Errorf("recovery instance: ec2 %s ip %s", aws.ToString(ri.Items[0].Ec2InstanceID), ip)
	}
}

// TestEC2TemplateInheritance creates versions from a source version and
// checks what each inherits, and the version selectors and errors.
func TestEC2TemplateInheritance(t *testing.T) {
	sim, dc, c := ec2Sim(t, drssim.Options{Servers: 1, Seed: 3})
	id := serverIDs(t, sim, 1)[0]
	lt := aws.ToString(lcOf(t, dc, id).Ec2LaunchTemplateID)
	if lt != sim.LaunchTemplateID(id) {
		t.Fatalf("launch configuration names %s, LaunchTemplateID %s", lt, sim.LaunchTemplateID(id))
	}
	v1 := defaultVersion(t, c, lt)
	if aws.ToInt64(v1.VersionNumber) != 1 || v1.LaunchTemplateData.InstanceType == "" {
		t.Fatalf("version 1: %d %q", aws.ToInt64(v1.VersionNumber), v1.LaunchTemplateData.InstanceType)
	}
	v2 := newVersion(t, c, lt, "1", &ec2types.RequestLaunchTemplateData{
		NetworkInterfaces: nic("subnet-0e5a1d00000000013", "10.10.3.10", "sg-0e5a1d00000000024"),
		TagSpecifications: []ec2types.LaunchTemplateTagSpecificationRequest{{ResourceType: ec2types.ResourceTypeInstance, Tags: []ec2types.Tag{{Key: aws.String("a"), Value: aws.String("1")}}}},
	})
	// Version 3 changes only the type: the network and tags come from 2.
	out, err := c.CreateLaunchTemplateVersion(t.Context(), &ec2.CreateLaunchTemplateVersionInput{
		LaunchTemplateId: aws.String(lt), SourceVersion: aws.String("$Latest"),
		LaunchTemplateData: &ec2types.RequestLaunchTemplateData{InstanceType: ec2types.InstanceTypeC6iLarge},
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := aws.ToInt64(out.LaunchTemplateVersion.VersionNumber); n != 3 || aws.ToBool(out.LaunchTemplateVersion.DefaultVersion) {
		t.Fatalf("version %d default %v, want 3 and not default", n, aws.ToBool(out.LaunchTemplateVersion.DefaultVersion))
	}
	// Version 4 from 3 replaces the tag specifications as a whole.
	newVersion(t, c, lt, "3", &ec2types.RequestLaunchTemplateData{
		TagSpecifications: []ec2types.LaunchTemplateTagSpecificationRequest{{ResourceType: ec2types.ResourceTypeInstance, Tags: []ec2types.Tag{{Key: aws.String("b"), Value: aws.String("2")}}}},
	})
	all, err := c.DescribeLaunchTemplateVersions(t.Context(), &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: aws.String(lt)})
	if err != nil {
		t.Fatal(err)
	}
	type view struct {
		N       int64
		Default bool
		Type    string
		Subnet  string
		IP      string
		Groups  []string
		Tags    string
	}
	var got []view
	for _, v := range all.LaunchTemplateVersions {
		d := v.LaunchTemplateData
		x := view{N: aws.ToInt64(v.VersionNumber), Default: aws.ToBool(v.DefaultVersion), Type: string(d.InstanceType)}
		if len(d.NetworkInterfaces) > 0 {
			x.Subnet, x.IP, x.Groups = aws.ToString(d.NetworkInterfaces[0].SubnetId), aws.ToString(d.NetworkInterfaces[0].PrivateIpAddress), d.NetworkInterfaces[0].Groups
		}
		for _, ts := range d.TagSpecifications {
			for _, tg := range ts.Tags {
				x.Tags += string(ts.ResourceType) + ":" + aws.ToString(tg.Key) + "=" + aws.ToString(tg.Value)
			}
		}
		got = append(got, x)
	}
	t1 := string(v1.LaunchTemplateData.InstanceType)
	net := []string{"sg-0e5a1d00000000024"}
	want := []view{
		{1, false, t1, "", "", nil, ""},
		{v2, false, t1, "subnet-0e5a1d00000000013", "10.10.3.10", net, "instance:a=1"},
		{3, false, "c6i.large", "subnet-0e5a1d00000000013", "10.10.3.10", net, "instance:a=1"},
		{4, true, "c6i.large", "subnet-0e5a1d00000000013", "10.10.3.10", net, "instance:b=2"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("versions mismatch (-want +got):\n%s", diff)
	}

	page, err := c.DescribeLaunchTemplateVersions(t.Context(), &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: aws.String(lt), MaxResults: aws.Int32(3)})
	if err != nil || len(page.LaunchTemplateVersions) != 3 || page.NextToken == nil {
		t.Fatalf("first page: %v, %d versions", err, len(page.LaunchTemplateVersions))
	}
	rest, err := c.DescribeLaunchTemplateVersions(t.Context(), &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: aws.String(lt), MaxResults: aws.Int32(3), NextToken: page.NextToken})
	if err != nil || len(rest.LaunchTemplateVersions) != 1 || aws.ToInt64(rest.LaunchTemplateVersions[0].VersionNumber) != 4 || rest.NextToken != nil {
		t.Fatalf("second page: %v, %+v", err, rest)
	}

	errs := []struct {
		name string
		call func() error
		code string
	}{
		{"unknown template", func() error {
			_, err := c.DescribeLaunchTemplateVersions(t.Context(), &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: aws.String("lt-0123456789abcdef0")})
			return err
		}, "InvalidLaunchTemplateId.NotFound"},
		{"malformed template", func() error {
			_, err := c.DescribeLaunchTemplateVersions(t.Context(), &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: aws.String("template")})
			return err
		}, "InvalidLaunchTemplateId.Malformed"},
		{"no template", func() error {
			_, err := c.DescribeLaunchTemplateVersions(t.Context(), &ec2.DescribeLaunchTemplateVersionsInput{})
			return err
		}, "MissingParameter"},
		{"unknown version", func() error {
			_, err := c.DescribeLaunchTemplateVersions(t.Context(), &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: aws.String(lt), Versions: []string{"9"}})
			return err
		}, "InvalidLaunchTemplateId.VersionNotFound"},
		{"bad version", func() error {
			_, err := c.DescribeLaunchTemplateVersions(t.Context(), &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: aws.String(lt), Versions: []string{"latest"}})
			return err
		}, "InvalidParameterValue"},
		{"unknown source version", func() error {
			_, err := c.CreateLaunchTemplateVersion(t.Context(), &ec2.CreateLaunchTemplateVersionInput{LaunchTemplateId: aws.String(lt), SourceVersion: aws.String("12"),
				LaunchTemplateData: &ec2types.RequestLaunchTemplateData{InstanceType: ec2types.InstanceTypeC6iLarge}})
			return err
		}, "InvalidLaunchTemplateId.VersionNotFound"},
		{"no data", func() error {
			_, err := c.CreateLaunchTemplateVersion(t.Context(), &ec2.CreateLaunchTemplateVersionInput{LaunchTemplateId: aws.String(lt), LaunchTemplateData: &ec2types.RequestLaunchTemplateData{}})
			return err
		}, "MissingParameter"},
		{"bad address", func() error {
			_, err := c.CreateLaunchTemplateVersion(t.Context(), &ec2.CreateLaunchTemplateVersionInput{LaunchTemplateId: aws.String(lt),
				LaunchTemplateData: &ec2types.RequestLaunchTemplateData{NetworkInterfaces: nic("subnet-0e5a1d00000000013", "10.10.3.300")}})
			return err
		}, "InvalidParameterValue"},
		{"default to unknown version", func() error {
			_, err := c.ModifyLaunchTemplate(t.Context(), &ec2.ModifyLaunchTemplateInput{LaunchTemplateId: aws.String(lt), DefaultVersion: aws.String("99")})
			return err
		}, "InvalidLaunchTemplateId.VersionNotFound"},
	}
	for _, tt := range errs {
		if code := apiCode(t, tt.call()); code != tt.code {
			t.Errorf("%s: code %q, want %q", tt.name, code, tt.code)
		}
	}
	mod, err := c.ModifyLaunchTemplate(t.Context(), &ec2.ModifyLaunchTemplateInput{LaunchTemplateId: aws.String(lt), DefaultVersion: aws.String("2")})
	if err != nil || aws.ToInt64(mod.LaunchTemplate.DefaultVersionNumber) != 2 || aws.ToInt64(mod.LaunchTemplate.LatestVersionNumber) != 4 {
		t.Fatalf("modify: %v %+v", err, mod)
	}
}

// TestEC2UpdateLaunchConfigurationOverwritesEC2Edits: DRS writes its own
// default version from the latest one it wrote, so an EC2-level edit made
// before it is gone from the default, and the right-sizing decides the
// type.
func TestEC2UpdateLaunchConfigurationOverwritesEC2Edits(t *testing.T) {
	sim, dc, c := ec2Sim(t, drssim.Options{Servers: 1, Seed: 3})
	id := serverIDs(t, sim, 1)[0]
	inv := sim.Servers()[0]
	lt := sim.LaunchTemplateID(id)
	newVersion(t, c, lt, "$Default", &ec2types.RequestLaunchTemplateData{
		InstanceType: ec2types.InstanceTypeX2iednXlarge, NetworkInterfaces: nic("subnet-0e5a1d00000000012", "10.10.2.77"),
	})
	tests := []struct {
		rightSizing drstypes.TargetInstanceTypeRightSizingMethod
		wantType    string
		wantVersion int64
	}{
		{drstypes.TargetInstanceTypeRightSizingMethodInAws, inv.InstanceType, 3},
		{drstypes.TargetInstanceTypeRightSizingMethodNone, inv.InstanceType, 4}, // kept from DRS's version 3
		{drstypes.TargetInstanceTypeRightSizingMethodBasic, string(defaultVersion(t, c, lt).LaunchTemplateData.InstanceType), 5},
	}
	// BASIC's choice is what version 1 had; read it before anything else.
	v1, err := c.DescribeLaunchTemplateVersions(t.Context(), &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: aws.String(lt), Versions: []string{"1"}})
	if err != nil {
		t.Fatal(err)
	}
	tests[2].wantType = string(v1.LaunchTemplateVersions[0].LaunchTemplateData.InstanceType)
	for _, tt := range tests {
		if _, err := dc.UpdateLaunchConfiguration(t.Context(), &drs.UpdateLaunchConfigurationInput{
			SourceServerID: aws.String(id), TargetInstanceTypeRightSizingMethod: tt.rightSizing,
		}); err != nil {
			t.Fatal(err)
		}
		d := defaultVersion(t, c, lt)
		got := []any{aws.ToInt64(d.VersionNumber), string(d.LaunchTemplateData.InstanceType), len(d.LaunchTemplateData.NetworkInterfaces)}
		if diff := cmp.Diff([]any{tt.wantVersion, tt.wantType, 0}, got); diff != "" {
			t.Errorf("%s: default version mismatch (-want +got):\n%s", tt.rightSizing, diff)
		}
	}
}

// TestEC2Addresses: allocated addresses skip the reserved five and are
// never handed out twice, not even after an instance is terminated; a
// static address in use fails that server's launch.
func TestEC2Addresses(t *testing.T) {
	sim, dc, c := ec2Sim(t, drssim.Options{Servers: 6, Seed: 5})
	ids := serverIDs(t, sim, 6)
	job := drill(t, sim, dc, ids[:4]...)
	got := launched(job)
	seen := map[string]bool{}
	for _, id := range ids[:4] {
		inst, _ := sim.Instance(got[id])
		last := inst.PrivateIP[strings.LastIndex(inst.PrivateIP, ".")+1:]
		if !strings.HasPrefix(inst.PrivateIP, "10.10.1.") || last == "0" || last == "1" || last == "2" || last == "3" || last == "255" || seen[inst.PrivateIP] {
			t.Errorf("allocated %s (seen before: %v)", inst.PrivateIP, seen[inst.PrivateIP])
		}
		seen[inst.PrivateIP] = true
	}
	// Terminate one; the next launch gets a new address, not the freed one.
	freedID := got[ids[0]]
	freed, _ := sim.Instance(freedID)
	if _, err := dc.TerminateRecoveryInstances(t.Context(), &drs.TerminateRecoveryInstancesInput{RecoveryInstanceIDs: []string{freedID}}); err != nil {
		t.Fatal(err)
	}
	sim.Advance(time.Hour)
	if inst, _ := sim.Instance(freedID); inst.State != "terminated" {
		t.Fatalf("terminated instance state %q", inst.State)
	}
	enis, err := c.DescribeNetworkInterfaces(t.Context(), &ec2.DescribeNetworkInterfacesInput{Filters: []ec2types.Filter{filter("private-ip-address", freed.PrivateIP), filter("subnet-id", freed.SubnetID)}})
	if err != nil || len(enis.NetworkInterfaces) != 0 {
		t.Fatalf("interfaces at the freed %s: %v %d", freed.PrivateIP, err, len(enis.NetworkInterfaces))
	}
	next := launched(drill(t, sim, dc, ids[4]))
	if inst, _ := sim.Instance(next[ids[4]]); seen[inst.PrivateIP] {
		t.Errorf("new instance got %s, an address handed out before", inst.PrivateIP)
	}

	// A static address held by another instance fails the launch.
	held, _ := sim.Instance(got[ids[1]])
	newVersion(t, c, sim.LaunchTemplateID(ids[5]), "$Default", &ec2types.RequestLaunchTemplateData{
		NetworkInterfaces: nic("subnet-0e5a1d00000000011", held.PrivateIP),
	})
	failed := drill(t, sim, dc, ids[5])
	if st := failed.ParticipatingServers[0].LaunchStatus; st != drstypes.LaunchStatusFailed {
		t.Fatalf("launch status %s, want FAILED", st)
	}
	raw := launchFailedError(t, dc, failed.JobID)
	if !strings.Contains(raw, "InvalidIPAddress.InUse") || !strings.Contains(raw, held.PrivateIP) {
		t.Errorf("rawError %q, want InvalidIPAddress.InUse naming %s", raw, held.PrivateIP)
	}
}

// TestEC2StatusChecks: initializing until StatusCheckDelay, then ok;
// impaired while set; a stopped instance is not-applicable and listed
// only with IncludeAllInstances.
func TestEC2StatusChecks(t *testing.T) {
	sim, dc, c := ec2Sim(t, drssim.Options{Servers: 2, Seed: 9, StatusCheckDelay: 10 * time.Minute})
	ids := serverIDs(t, sim, 2)
	if _, err := dc.UpdateLaunchConfiguration(t.Context(), &drs.UpdateLaunchConfigurationInput{
		SourceServerID: aws.String(ids[1]), LaunchDisposition: drstypes.LaunchDispositionStopped,
	}); err != nil {
		t.Fatal(err)
	}
	out, err := dc.StartRecovery(t.Context(), &drs.StartRecoveryInput{SourceServers: sources(ids...), IsDrill: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	// Step the clock until the running one's instance exists.
	var running string
	for range 200 {
		sim.Advance(30 * time.Second)
		jobs, _ := dc.DescribeJobs(t.Context(), &drs.DescribeJobsInput{Filters: &drstypes.DescribeJobsRequestFilters{JobIDs: []string{*out.Job.JobID}}})
		running = launched(&jobs.Items[0])[ids[0]]
		if running != "" {
			break
		}
	}
	if running == "" {
		t.Fatal("no instance after 100 emulated minutes")
	}
	status := func(all bool, id string) []string {
		t.Helper()
		in := &ec2.DescribeInstanceStatusInput{InstanceIds: []string{id}}
		if all {
			in.IncludeAllInstances = aws.Bool(true)
		}
		out, err := c.DescribeInstanceStatus(t.Context(), in)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, s := range out.InstanceStatuses {
			got = append(got, string(s.InstanceState.Name), string(s.SystemStatus.Status), string(s.InstanceStatus.Status))
		}
		return got
	}
	check := func(what string, got, want []string) {
		t.Helper()
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: mismatch (-want +got):\n%s", what, diff)
		}
	}
	check("just launched", status(false, running), []string{"running", "initializing", "initializing"})
	sim.Advance(10 * time.Minute)
	check("after the delay", status(false, running), []string{"running", "ok", "ok"})
	sim.SetInstanceImpaired(running, true)
	check("impaired", status(false, running), []string{"running", "impaired", "impaired"})
	sim.SetInstanceImpaired(running, false)
	check("cleared", status(false, running), []string{"running", "ok", "ok"})

	sim.Advance(time.Hour)
	stopped := launched(func() *drstypes.Job {
		jobs, _ := dc.DescribeJobs(t.Context(), &drs.DescribeJobsInput{Filters: &drstypes.DescribeJobsRequestFilters{JobIDs: []string{*out.Job.JobID}}})
		return &jobs.Items[0]
	}())[ids[1]]
	check("stopped, running only", status(false, stopped), nil)
	check("stopped, all", status(true, stopped), []string{"stopped", "not-applicable", "not-applicable"})

	_, err = c.DescribeInstanceStatus(t.Context(), &ec2.DescribeInstanceStatusInput{InstanceIds: []string{"i-0123456789abcdef0"}})
	if code := apiCode(t, err); code != "InvalidInstanceID.NotFound" {
		t.Errorf("unknown instance: code %q", code)
	}
}

// TestEC2SourceInstances: every source server names its own EC2 instance
// and origin; DescribeInstances pages through them, treats unknown IDs as
// EC2 does, and tags change the way a team would change them.
func TestEC2SourceInstances(t *testing.T) {
	sim, dc, c := ec2Sim(t, drssim.Options{Servers: 12, Seed: 2})
	ids := serverIDs(t, sim, 12)
	ss, err := dc.DescribeSourceServers(t.Context(), &drs.DescribeSourceServersInput{})
	if err != nil {
		t.Fatal(err)
	}
	var instIDs []string
	for i, srv := range ss.Items {
		hint := aws.ToString(srv.SourceProperties.IdentificationHints.AwsInstanceID)
		cloud := srv.SourceCloudProperties
		if hint == "" || hint != sim.SourceInstanceID(ids[i]) || cloud == nil ||
			aws.ToString(cloud.OriginAccountID) != "123456789012" || aws.ToString(cloud.OriginRegion) != "us-east-1" {
			t.Fatalf("server %s: hint %q (want %q), cloud %+v", ids[i], hint, sim.SourceInstanceID(ids[i]), cloud)
		}
		inst, ok := sim.Instance(hint)
		if !ok || inst.PrivateIP != srv.SourceProperties.NetworkInterfaces[0].Ips[0] || inst.Tags["Name"] != sim.Servers()[i].Hostname || inst.Tags["Team"] == "" || inst.Recovery {
			t.Fatalf("source instance %s: %+v", hint, inst)
		}
		instIDs = append(instIDs, hint)
	}

	var paged []string
	p := ec2.NewDescribeInstancesPaginator(c, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(5)})
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, r := range out.Reservations {
			for _, i := range r.Instances {
				paged = append(paged, aws.ToString(i.InstanceId))
			}
		}
	}
	if diff := cmp.Diff(instIDs, paged); diff != "" || pages != 3 {
		t.Errorf("paged instances (%d pages) mismatch (-want +got):\n%s", pages, diff)
	}

	unknown := "i-0123456789abcdef0"
	_, err = c.DescribeInstances(t.Context(), &ec2.DescribeInstancesInput{InstanceIds: []string{instIDs[0], unknown}})
	if code := apiCode(t, err); code != "InvalidInstanceID.NotFound" {
		t.Errorf("unknown InstanceId: code %q", code)
	}
	_, err = c.DescribeInstances(t.Context(), &ec2.DescribeInstancesInput{InstanceIds: []string{"i-zz"}})
	if code := apiCode(t, err); code != "InvalidInstanceID.Malformed" {
		t.Errorf("malformed InstanceId: code %q", code)
	}
	out, err := c.DescribeInstances(t.Context(), &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{filter("instance-id", unknown, instIDs[3], instIDs[1])}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range out.Reservations {
		got = append(got, aws.ToString(r.Instances[0].InstanceId))
	}
	if diff := cmp.Diff([]string{instIDs[1], instIDs[3]}, got); diff != "" {
		t.Errorf("instance-id filter mismatch (-want +got):\n%s", diff)
	}

	if _, err := c.CreateTags(t.Context(), &ec2.CreateTagsInput{Resources: []string{instIDs[0]}, Tags: []ec2types.Tag{
		{Key: aws.String("Team"), Value: aws.String("payments")}, {Key: aws.String("Tier"), Value: aws.String("gold")},
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteTags(t.Context(), &ec2.DeleteTagsInput{Resources: []string{instIDs[0]}, Tags: []ec2types.Tag{
		{Key: aws.String("CostCenter")}, {Key: aws.String("Name"), Value: aws.String("not-its-name")},
	}}); err != nil {
		t.Fatal(err)
	}
	inst, _ := sim.Instance(instIDs[0])
	if inst.Tags["Team"] != "payments" || inst.Tags["Tier"] != "gold" || inst.Tags["CostCenter"] != "" || inst.Tags["Name"] == "" {
		t.Errorf("tags after create and delete: %v", inst.Tags)
	}
	_, err = c.CreateTags(t.Context(), &ec2.CreateTagsInput{Resources: []string{unknown}, Tags: []ec2types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}})
	if code := apiCode(t, err); code != "InvalidInstanceID.NotFound" {
		t.Errorf("tag unknown instance: code %q", code)
	}
	// Source tags are EC2's own: the DRS source server does not change.
	if tags := ss.Items[0].Tags; tags["Team"] != "" {
		t.Errorf("DRS source server already has Team=%q", tags["Team"])
	}
}

// TestEC2CopyPrivateIP: copyPrivateIp brings the recovery instance up at
// the source server's address, inside the recovery subnet of its CIDR.
func TestEC2CopyPrivateIP(t *testing.T) {
	sim, dc, c := ec2Sim(t, drssim.Options{Servers: 1, Seed: 4})
	id := serverIDs(t, sim, 1)[0] // a db server: 10.10.1.x
	if _, err := dc.UpdateLaunchConfiguration(t.Context(), &drs.UpdateLaunchConfigurationInput{SourceServerID: aws.String(id), CopyPrivateIp: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	src, _ := sim.Instance(sim.SourceInstanceID(id))
	got := launched(drill(t, sim, dc, id))
	inst, _ := sim.Instance(got[id])
	if inst.PrivateIP != src.PrivateIP || inst.SubnetID != "subnet-0e5a1d00000000011" {
		t.Errorf("recovery instance at %s in %s, want %s in the first subnet", inst.PrivateIP, inst.SubnetID, src.PrivateIP)
	}
	enis, err := c.DescribeNetworkInterfaces(t.Context(), &ec2.DescribeNetworkInterfacesInput{Filters: []ec2types.Filter{filter("attachment.instance-id", got[id])}})
	if err != nil || len(enis.NetworkInterfaces) != 1 || aws.ToString(enis.NetworkInterfaces[0].PrivateIpAddress) != src.PrivateIP {
		t.Fatalf("interface of %s: %v %+v", got[id], err, enis)
	}
}

// TestEC2NetworkInterfacesPages walks every interface in pages of five.
func TestEC2NetworkInterfacesPages(t *testing.T) {
	sim, _, c := ec2Sim(t, drssim.Options{Servers: 11, Seed: 2})
	p := ec2.NewDescribeNetworkInterfacesPaginator(c, &ec2.DescribeNetworkInterfacesInput{MaxResults: aws.Int32(5)})
	seen := map[string]bool{}
	for p.HasMorePages() {
		out, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range out.NetworkInterfaces {
			seen[aws.ToString(n.Attachment.InstanceId)] = true
		}
	}
	for _, s := range sim.Servers() {
		if !seen[sim.SourceInstanceID(s.ID)] {
			t.Errorf("no interface for the source instance of %s", s.ID)
		}
	}
	if len(seen) != 11 {
		t.Errorf("%d instances with interfaces, want 11", len(seen))
	}
	_, err := c.DescribeNetworkInterfaces(t.Context(), &ec2.DescribeNetworkInterfacesInput{MaxResults: aws.Int32(5), NextToken: aws.String("bogus")})
	if code := apiCode(t, err); code != "InvalidPaginationToken" {
		t.Errorf("bogus token: code %q", code)
	}
}

// TestEC2Control covers GET /_sim/ec2 and PUT /_sim/ec2/impaired.
func TestEC2Control(t *testing.T) {
	sim, _, c := ec2Sim(t, drssim.Options{Servers: 2, Seed: 2})
	rt := sim.Transport()
	req, _ := http.NewRequest("GET", "http://drs.local/_sim/ec2", nil)
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	var view struct {
		Network         drssim.Network `json:"network"`
		LaunchTemplates []struct {
			ID             string `json:"id"`
			SourceServerID string `json:"sourceServerId"`
			DefaultVersion int64  `json:"defaultVersion"`
		} `json:"launchTemplates"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&view); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sim.Network(), view.Network); diff != "" || len(view.LaunchTemplates) != 2 || view.LaunchTemplates[0].ID != sim.LaunchTemplateID(view.LaunchTemplates[0].SourceServerID) {
		t.Errorf("GET /_sim/ec2: %+v\n%s", view.LaunchTemplates, diff)
	}
	if n := sim.Network(); len(n.Subnets) != 3 || len(n.SecurityGroups) != 4 || n.VPC.ID != "vpc-0e5a1d00000000001" {
		t.Errorf("network: %+v", n)
	}

	src := sim.SourceInstanceID(sim.Servers()[0].ID)
	put := func(body string) int {
		req, _ := http.NewRequest("PUT", "http://drs.local/_sim/ec2/impaired", strings.NewReader(body))
		resp, err := rt.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode
	}
	if code := put(`{"instanceIds": ["` + src + `"], "impaired": true}`); code != 200 {
		t.Fatalf("PUT impaired: %d", code)
	}
	out, err := c.DescribeInstanceStatus(t.Context(), &ec2.DescribeInstanceStatusInput{InstanceIds: []string{src}})
	if err != nil || string(out.InstanceStatuses[0].InstanceStatus.Status) != "impaired" {
		t.Fatalf("after PUT impaired: %v %+v", err, out)
	}
	if code := put(`{"instanceIds": ["i-0123456789abcdef0"], "impaired": true}`); code != 404 {
		t.Errorf("PUT impaired of an unknown instance: %d, want 404", code)
	}
}

// TestEC2LaunchRefusesGroupsAtBothLevels: a default version naming
// security groups for the instance and a network interface fails the
// launch, as EC2 refuses such a request.
func TestEC2LaunchRefusesGroupsAtBothLevels(t *testing.T) {
	sim, dc, c := ec2Sim(t, drssim.Options{Servers: 1, Seed: 5})
	id := serverIDs(t, sim, 1)[0]
	newVersion(t, c, sim.LaunchTemplateID(id), "$Default", &ec2types.RequestLaunchTemplateData{
		SecurityGroupIds:  []string{"sg-0e5a1d00000000024"},
		NetworkInterfaces: nic("subnet-0e5a1d00000000011", ""),
	})
	job := drill(t, sim, dc, id)
	if st := job.ParticipatingServers[0].LaunchStatus; st != drstypes.LaunchStatusFailed {
		t.Fatalf("launch status %s, want FAILED", st)
	}
	raw := launchFailedError(t, dc, job.JobID)
	if !strings.Contains(raw, "InvalidParameterCombination") {
		t.Errorf("rawError %q, want InvalidParameterCombination", raw)
	}
}

// TestEC2CreateVersionClientToken: a request repeated with its
// ClientToken gets the version the first made, and no other; the token
// with a different request is refused.
func TestEC2CreateVersionClientToken(t *testing.T) {
	sim, _, c := ec2Sim(t, drssim.Options{Servers: 1, Seed: 5})
	lt := sim.LaunchTemplateID(serverIDs(t, sim, 1)[0])
	in := func(typ string) *ec2.CreateLaunchTemplateVersionInput {
		return &ec2.CreateLaunchTemplateVersionInput{LaunchTemplateId: aws.String(lt), SourceVersion: aws.String("1"),
			ClientToken: aws.String("tok-1"), LaunchTemplateData: &ec2types.RequestLaunchTemplateData{InstanceType: ec2types.InstanceType(typ)}}
	}
	var got []int64
	for range 2 {
		out, err := c.CreateLaunchTemplateVersion(t.Context(), in("m6i.large"))
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, aws.ToInt64(out.LaunchTemplateVersion.VersionNumber))
	}
	if got[0] != got[1] {
		t.Errorf("versions %v for one token, want one version", got)
	}
	latest, err := c.DescribeLaunchTemplateVersions(t.Context(), &ec2.DescribeLaunchTemplateVersionsInput{
		LaunchTemplateId: aws.String(lt), Versions: []string{"$Latest"}})
	if err != nil {
		t.Fatal(err)
	}
	if n := aws.ToInt64(latest.LaunchTemplateVersions[0].VersionNumber); n != got[0] {
		t.Errorf("latest version %d, want %d", n, got[0])
	}
	_, err = c.CreateLaunchTemplateVersion(t.Context(), in("c6i.large"))
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "IdempotentParameterMismatch" {
		t.Errorf("the token for another request: %v, want IdempotentParameterMismatch", err)
	}
}
