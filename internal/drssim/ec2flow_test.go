package drssim_test

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/drs"
	drstypes "github.com/aws/aws-sdk-go-v2/service/drs/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
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

var _ = strings.Contains
