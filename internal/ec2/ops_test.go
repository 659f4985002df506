package ec2

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/drs"
)

func instanceID(i int) string { return fmt.Sprintf("i-%017x", i) }

func fakeInstances(n int) []types.Instance {
	var out []types.Instance
	for i := range n {
		out = append(out, types.Instance{
			InstanceId: aws.String(instanceID(i)), InstanceType: types.InstanceTypeT3Micro,
			State:            &types.InstanceState{Name: types.InstanceStateNameRunning},
			PrivateIpAddress: aws.String(fmt.Sprintf("10.10.1.%d", 10+i%200)),
		})
	}
	return out
}

// inputsOf returns the recorded inputs of one type.
func inputsOf[T any](f *fakeAPI) []T {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []T
	for _, in := range f.inputs {
		if v, ok := in.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

// TestDescribeInstancesBatches: IDs go by the instance-id filter in
// batches of 200, duplicates and empty IDs dropped, unknown IDs left out of
// the answer, every page followed.
func TestDescribeInstancesBatches(t *testing.T) {
	f := &fakeAPI{pageSize: 150, instances: fakeInstances(450)}
	c := newFakeClient(f)

	var ids []string
	for i := range 450 {
		ids = append(ids, instanceID(i))
	}
	ids = append(ids, instanceID(3), "", "i-0ffffffffffffffff") // a duplicate, an empty, an unknown
	got, err := c.DescribeInstances(t.Context(), ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 450 {
		t.Fatalf("%d instances, want 450", len(got))
	}
	var sizes []int
	for _, in := range inputsOf[*ec2.DescribeInstancesInput](f) {
		if in.NextToken == nil {
			sizes = append(sizes, len(in.Filters[0].Values))
		}
		if aws.ToString(in.Filters[0].Name) != "instance-id" || len(in.InstanceIds) != 0 {
			t.Errorf("request %+v does not ask by the instance-id filter alone", in)
		}
	}
	if d := cmp.Diff([]int{200, 200, 51}, sizes); d != "" {
		t.Errorf("filter batch sizes mismatch (-want +got):\n%s", d)
	}
	// 200 + 200 in two pages of 150 each, 51 in one.
	if n := len(inputsOf[*ec2.DescribeInstancesInput](f)); n != 5 {
		t.Errorf("%d DescribeInstances requests, want 5", n)
	}

	none, err := c.DescribeInstances(t.Context(), nil)
	if err != nil || none != nil {
		t.Errorf("no IDs: %v, %v; want nothing", none, err)
	}
	if n := len(inputsOf[*ec2.DescribeInstancesInput](f)); n != 5 {
		t.Errorf("no IDs made a request")
	}
}

// TestDescribeInstanceStatusBatches: batches of 100 with
// IncludeAllInstances; an unknown instance, which EC2 answers with
// InvalidInstanceID.NotFound, is left out and its batch asked again.
func TestDescribeInstanceStatusBatches(t *testing.T) {
	f := &fakeAPI{instances: fakeInstances(250)}
	c := newFakeClient(f)
	var ids []string
	for i := range 250 {
		ids = append(ids, instanceID(i))
	}
	got, err := c.DescribeInstanceStatus(t.Context(), ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 250 {
		t.Fatalf("%d statuses, want 250", len(got))
	}
	want := InstanceStatus{ID: instanceID(0), State: "running", SystemStatus: StatusOK, InstanceStatus: StatusInitializing}
	if d := cmp.Diff(want, got[0]); d != "" {
		t.Errorf("status mismatch (-want +got):\n%s", d)
	}
	var sizes []int
	for _, in := range inputsOf[*ec2.DescribeInstanceStatusInput](f) {
		sizes = append(sizes, len(in.InstanceIds))
		if !aws.ToBool(in.IncludeAllInstances) {
			t.Error("a request without IncludeAllInstances")
		}
	}
	if d := cmp.Diff([]int{100, 100, 50}, sizes); d != "" {
		t.Errorf("batch sizes mismatch (-want +got):\n%s", d)
	}

	f.inputs = nil
	gone := []string{"i-0aaaaaaaaaaaaaaa1", instanceID(1), "i-0aaaaaaaaaaaaaaa2", instanceID(2)}
	got, err = c.DescribeInstanceStatus(t.Context(), gone)
	if err != nil {
		t.Fatal(err)
	}
	var gotIDs []string
	for _, s := range got {
		gotIDs = append(gotIDs, s.ID)
	}
	if d := cmp.Diff([]string{instanceID(1), instanceID(2)}, gotIDs); d != "" {
		t.Errorf("statuses mismatch (-want +got):\n%s", d)
	}
	if n := len(inputsOf[*ec2.DescribeInstanceStatusInput](f)); n != 2 {
		t.Errorf("%d requests, want 2 (one refused, one without the unknown IDs)", n)
	}

	// Only unknown IDs: no status, no error.
	got, err = c.DescribeInstanceStatus(t.Context(), []string{"i-0aaaaaaaaaaaaaaa1"})
	if err != nil || len(got) != 0 {
		t.Errorf("only unknown IDs: %v, %v; want nothing", got, err)
	}
}

// TestStuckPagination: a service that repeats its token fails the call
// instead of looping.
func TestStuckPagination(t *testing.T) {
	f := &fakeAPI{stuck: true, subnets: []types.Subnet{{SubnetId: aws.String("subnet-1")}, {SubnetId: aws.String("subnet-2")}}}
	c := newFakeClient(f)
	_, err := c.DescribeSubnets(t.Context(), nil)
	if !errors.Is(err, drs.ErrStuckPages) {
		t.Fatalf("error %v, want ErrStuckPages", err)
	}
	if n := len(f.inputs); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}

// TestNilAndEmptyIDs: nil lists everything in one request, empty asks
// nothing.
func TestNilAndEmptyIDs(t *testing.T) {
	f := &fakeAPI{
		subnets: []types.Subnet{{SubnetId: aws.String("subnet-1")}, {SubnetId: aws.String("subnet-2")}},
		groups:  []types.SecurityGroup{{GroupId: aws.String("sg-1"), GroupName: aws.String("default"), VpcId: aws.String("vpc-1")}},
	}
	c := newFakeClient(f)
	ctx := t.Context()
	all, err := c.DescribeSubnets(ctx, nil)
	if err != nil || len(all) != 2 {
		t.Fatalf("all subnets: %v, %v", all, err)
	}
	none, err := c.DescribeSubnets(ctx, []string{})
	if err != nil || none != nil {
		t.Fatalf("no subnets: %v, %v", none, err)
	}
	groups, err := c.DescribeSecurityGroups(ctx, []string{"sg-1"})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]SecurityGroup{{ID: "sg-1", Name: "default", VPCID: "vpc-1"}}, groups); d != "" {
		t.Errorf("groups mismatch (-want +got):\n%s", d)
	}
	nics, err := c.NetworkInterfacesWithIPs(ctx, "subnet-1", nil)
	if err != nil || nics != nil {
		t.Fatalf("no IPs: %v, %v", nics, err)
	}
	if n := len(f.inputs); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
	_, err = c.DescribeSubnets(ctx, []string{"subnet-1", "subnet-9"})
	if !errors.Is(err, drs.ErrNotFound) {
		t.Errorf("unknown subnet: %v, want drs.ErrNotFound", err)
	}
}

func TestNetworkInterfacesWithIPs(t *testing.T) {
	f := &fakeAPI{nics: []types.NetworkInterface{
		{NetworkInterfaceId: aws.String("eni-1"), SubnetId: aws.String("subnet-1"), Status: types.NetworkInterfaceStatusInUse,
			PrivateIpAddress: aws.String("10.10.1.20"),
			PrivateIpAddresses: []types.NetworkInterfacePrivateIpAddress{
				{PrivateIpAddress: aws.String("10.10.1.20"), Primary: aws.Bool(true)},
				{PrivateIpAddress: aws.String("10.10.1.21")}},
			Attachment: &types.NetworkInterfaceAttachment{InstanceId: aws.String("i-1")}},
		{NetworkInterfaceId: aws.String("eni-2"), SubnetId: aws.String("subnet-2"), Status: types.NetworkInterfaceStatusAvailable,
			PrivateIpAddresses: []types.NetworkInterfacePrivateIpAddress{{PrivateIpAddress: aws.String("10.10.1.21")}}},
	}}
	c := newFakeClient(f)
	got, err := c.NetworkInterfacesWithIPs(t.Context(), "subnet-1", []string{"10.10.1.21", "10.10.1.99"})
	if err != nil {
		t.Fatal(err)
	}
	want := []NetworkInterface{{ID: "eni-1", SubnetID: "subnet-1", PrivateIPs: []string{"10.10.1.20", "10.10.1.21"},
		InstanceID: "i-1", Status: "in-use"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("interfaces mismatch (-want +got):\n%s", d)
	}
	in := inputsOf[*ec2.DescribeNetworkInterfacesInput](f)[0]
	wantFilters := map[string][]string{"addresses.private-ip-address": {"10.10.1.21", "10.10.1.99"}, "subnet-id": {"subnet-1"}}
	gotFilters := map[string][]string{}
	for _, fl := range in.Filters {
		gotFilters[aws.ToString(fl.Name)] = fl.Values
	}
	if d := cmp.Diff(wantFilters, gotFilters); d != "" {
		t.Errorf("filters mismatch (-want +got):\n%s", d)
	}

	// Without a subnet, every subnet.
	got, err = c.NetworkInterfacesWithIPs(t.Context(), "", []string{"10.10.1.21"})
	if err != nil || len(got) != 2 {
		t.Errorf("any subnet: %d interfaces, %v; want 2", len(got), err)
	}
}

func TestInstanceMapping(t *testing.T) {
	launched := time.Date(2026, 12, 3, 9, 5, 0, 0, time.UTC)
	f := &fakeAPI{instances: []types.Instance{{
		InstanceId: aws.String("i-0123456789abcdef0"), InstanceType: types.InstanceTypeM5Large,
		State:            &types.InstanceState{Name: types.InstanceStateNamePending},
		PrivateIpAddress: aws.String("10.10.2.30"), SubnetId: aws.String("subnet-2"), VpcId: aws.String("vpc-1"),
		SecurityGroups:     []types.GroupIdentifier{{GroupId: aws.String("sg-2")}, {GroupId: aws.String("sg-3")}},
		IamInstanceProfile: &types.IamInstanceProfile{Arn: aws.String("arn:aws:iam::123456789012:instance-profile/app")},
		Tags:               []types.Tag{{Key: aws.String("Name"), Value: aws.String("app-1")}},
		LaunchTime:         &launched,
	}}}
	got, err := newFakeClient(f).DescribeInstances(t.Context(), []string{"i-0123456789abcdef0"})
	if err != nil {
		t.Fatal(err)
	}
	want := []Instance{{ID: "i-0123456789abcdef0", State: "pending", InstanceType: "m5.large",
		PrivateIP: "10.10.2.30", SubnetID: "subnet-2", VPCID: "vpc-1", SecurityGroupIDs: []string{"sg-2", "sg-3"},
		InstanceProfileARN: "arn:aws:iam::123456789012:instance-profile/app", Tags: map[string]string{"Name": "app-1"},
		LaunchTime: launched}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("instance mismatch (-want +got):\n%s", d)
	}
}

// TestTemplateDataRoundTrip: what CreateTemplateVersion writes reads back
// as the same TemplateData, the profile by ARN or by name.
func TestTemplateDataRoundTrip(t *testing.T) {
	for _, d := range []TemplateData{
		{InstanceType: "t3.large", SubnetID: "subnet-1", SecurityGroupIDs: []string{"sg-2", "sg-1"},
			PrivateIP: "10.10.1.50", InstanceProfile: "arn:aws:iam::123456789012:instance-profile/db",
			Tags: map[string]string{"Name": "db", "env": "dr"}, VolumeTags: map[string]string{"backup": "no"}},
		{SubnetID: "subnet-3", InstanceProfile: "app-profile", Tags: map[string]string{"a": "b"}},
		{},
	} {
		req := templateDataRequest(nil, d)
		if n := len(req.NetworkInterfaces); n != 1 || aws.ToInt32(req.NetworkInterfaces[0].DeviceIndex) != 0 ||
			req.NetworkInterfaces[0].DeviceIndex == nil {
			t.Errorf("%+v: network interfaces %+v, want one at device index 0", d, req.NetworkInterfaces)
		}
		got := templateDataFrom(responseOf(req))
		if d2 := cmp.Diff(d, got); d2 != "" {
			t.Errorf("round trip mismatch (-want +got):\n%s", d2)
		}
	}

	byName := templateDataRequest(nil, TemplateData{InstanceProfile: "app-profile"}).IamInstanceProfile
	if aws.ToString(byName.Name) != "app-profile" || byName.Arn != nil {
		t.Errorf("profile by name written as %+v", byName)
	}
}

// responseOf reads a request's data as EC2 would describe it back.
func responseOf(r *types.RequestLaunchTemplateData) *types.ResponseLaunchTemplateData {
	out := &types.ResponseLaunchTemplateData{InstanceType: r.InstanceType}
	for _, ni := range r.NetworkInterfaces {
		out.NetworkInterfaces = append(out.NetworkInterfaces, types.LaunchTemplateInstanceNetworkInterfaceSpecification{
			DeviceIndex: ni.DeviceIndex, SubnetId: ni.SubnetId, Groups: ni.Groups, PrivateIpAddress: ni.PrivateIpAddress,
		})
	}
	if p := r.IamInstanceProfile; p != nil {
		out.IamInstanceProfile = &types.LaunchTemplateIamInstanceProfileSpecification{Arn: p.Arn, Name: p.Name}
	}
	for _, ts := range r.TagSpecifications {
		out.TagSpecifications = append(out.TagSpecifications, types.LaunchTemplateTagSpecification{
			ResourceType: ts.ResourceType, Tags: ts.Tags})
	}
	return out
}

// TestTemplateDataFrom reads templates as DRS and people write them: the
// security groups at instance level, the private IP as the primary of a
// list, an interface at another index, other tag specifications.
func TestTemplateDataFrom(t *testing.T) {
	d := &types.ResponseLaunchTemplateData{
		SecurityGroupIds: []string{"sg-top"},
		NetworkInterfaces: []types.LaunchTemplateInstanceNetworkInterfaceSpecification{
			{DeviceIndex: aws.Int32(1), SubnetId: aws.String("subnet-other"), Groups: []string{"sg-other"}},
			{DeviceIndex: aws.Int32(0), SubnetId: aws.String("subnet-1"),
				PrivateIpAddresses: []types.PrivateIpAddressSpecification{
					{PrivateIpAddress: aws.String("10.10.1.7")},
					{PrivateIpAddress: aws.String("10.10.1.8"), Primary: aws.Bool(true)}}},
		},
		IamInstanceProfile: &types.LaunchTemplateIamInstanceProfileSpecification{Name: aws.String("p")},
		TagSpecifications: []types.LaunchTemplateTagSpecification{
			{ResourceType: types.ResourceTypeNetworkInterface, Tags: []types.Tag{{Key: aws.String("x"), Value: aws.String("y")}}},
			{ResourceType: types.ResourceTypeInstance, Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}},
		},
	}
	want := TemplateData{SubnetID: "subnet-1", SecurityGroupIDs: []string{"sg-top"}, PrivateIP: "10.10.1.8",
		InstanceProfile: "p", Tags: map[string]string{"k": "v"}}
	if diff := cmp.Diff(want, templateDataFrom(d)); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(TemplateData{}, templateDataFrom(nil)); diff != "" {
		t.Errorf("nil data mismatch (-want +got):\n%s", diff)
	}
}

// TestTemplateWrites: CreateTemplateVersion names its source version and
// description; SetDefaultVersion names the version.
func TestTemplateWrites(t *testing.T) {
	f := &fakeAPI{versions: []types.LaunchTemplateVersion{{LaunchTemplateId: aws.String("lt-1"),
		VersionNumber: aws.Int64(1), DefaultVersion: aws.Bool(true)}}}
	c := newFakeClient(f)
	ctx := t.Context()
	v, err := c.CreateTemplateVersion(ctx, "lt-1", 1, TemplateData{InstanceType: "t3.small"}, "drsorch: group g-1")
	if err != nil {
		t.Fatal(err)
	}
	if v != 2 {
		t.Errorf("version %d, want 2", v)
	}
	in := f.created[0]
	if aws.ToString(in.SourceVersion) != "1" || aws.ToString(in.VersionDescription) != "drsorch: group g-1" ||
		aws.ToString(in.LaunchTemplateId) != "lt-1" || in.LaunchTemplateData.InstanceType != "t3.small" {
		t.Errorf("create input %+v", in)
	}
	if err := c.SetDefaultVersion(ctx, "lt-1", v); err != nil {
		t.Fatal(err)
	}
	mod := inputsOf[*ec2.ModifyLaunchTemplateInput](f)[0]
	if aws.ToString(mod.DefaultVersion) != "2" || aws.ToString(mod.LaunchTemplateId) != "lt-1" {
		t.Errorf("modify input %+v", mod)
	}
	dv, err := c.DefaultTemplateVersion(ctx, "lt-1")
	if err != nil || dv.Version != 1 || !dv.Default || dv.TemplateID != "lt-1" {
		t.Errorf("default version %+v, %v", dv, err)
	}
	// The create read its source version first; DefaultTemplateVersion
	// asks for the default.
	var asked [][]string
	for _, in := range inputsOf[*ec2.DescribeLaunchTemplateVersionsInput](f) {
		asked = append(asked, in.Versions)
	}
	if d := cmp.Diff([][]string{{"1"}, {"$Default"}}, asked); d != "" {
		t.Errorf("versions asked mismatch (-want +got):\n%s", d)
	}
	if _, err := c.DefaultTemplateVersion(ctx, "lt-9"); !errors.Is(err, drs.ErrNotFound) {
		t.Errorf("unknown template: %v, want drs.ErrNotFound", err)
	}
}
