package ec2

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
)

// fakeAPI is a hand-written stand-in for the SDK client: it holds an
// inventory, filters it like EC2, pages it pageSize at a time and records
// every input.
type fakeAPI struct {
	mu        sync.Mutex
	pageSize  int
	stuck     bool // answer every page with the token it was asked for
	subnets   []types.Subnet
	groups    []types.SecurityGroup
	nics      []types.NetworkInterface
	instances []types.Instance
	versions  []types.LaunchTemplateVersion
	created   []*ec2.CreateLaunchTemplateVersionInput

	inputs []any
}

var _ api = (*fakeAPI)(nil)

func newFakeClient(f *fakeAPI) *Client {
	if f.pageSize == 0 {
		f.pageSize = 1000
	}
	return newClient(f, "eu-west-1", slog.New(slog.DiscardHandler))
}

func (f *fakeAPI) record(in any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inputs = append(f.inputs, in)
}

// page cuts one page out of items from the position in token.
func page[T any](f *fakeAPI, items []T, token *string) ([]T, *string) {
	if f.stuck {
		return items[:min(1, len(items))], aws.String("stuck")
	}
	start, _ := strconv.Atoi(aws.ToString(token))
	end := min(start+f.pageSize, len(items))
	if start >= end {
		return nil, nil
	}
	var next *string
	if end < len(items) {
		next = aws.String(strconv.Itoa(end))
	}
	return items[start:end], next
}

// keep returns the items whose key is in ids, or all when ids is empty.
func keep[T any](items []T, ids []string, key func(T) []string) []T {
	if len(ids) == 0 {
		return items
	}
	var out []T
	for _, it := range items {
		if slices.ContainsFunc(key(it), func(k string) bool { return slices.Contains(ids, k) }) {
			out = append(out, it)
		}
	}
	return out
}

func filterValues(fs []types.Filter, name string) []string {
	for _, f := range fs {
		if aws.ToString(f.Name) == name {
			return f.Values
		}
	}
	return nil
}

func one(s *string) []string { return []string{aws.ToString(s)} }

// notFound is EC2's error for unknown IDs, named in its message.
func notFound(code, kind string, ids []string) error {
	return &smithy.GenericAPIError{Code: code,
		Message: fmt.Sprintf("The %s IDs '%s' do not exist", kind, strings.Join(ids, ", "))}
}

func missing[T any](items []T, ids []string, key func(T) *string) []string {
	var out []string
	for _, id := range ids {
		if !slices.ContainsFunc(items, func(it T) bool { return aws.ToString(key(it)) == id }) {
			out = append(out, id)
		}
	}
	return out
}

func (f *fakeAPI) DescribeSubnets(_ context.Context, in *ec2.DescribeSubnetsInput, _ ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error) {
	f.record(in)
	if m := missing(f.subnets, in.SubnetIds, func(s types.Subnet) *string { return s.SubnetId }); len(m) > 0 {
		return nil, notFound("InvalidSubnetID.NotFound", "subnet", m)
	}
	items := keep(f.subnets, in.SubnetIds, func(s types.Subnet) []string { return one(s.SubnetId) })
	items, next := page(f, items, in.NextToken)
	return &ec2.DescribeSubnetsOutput{Subnets: items, NextToken: next}, nil
}

func (f *fakeAPI) DescribeSecurityGroups(_ context.Context, in *ec2.DescribeSecurityGroupsInput, _ ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error) {
	f.record(in)
	items := keep(f.groups, in.GroupIds, func(g types.SecurityGroup) []string { return one(g.GroupId) })
	items, next := page(f, items, in.NextToken)
	return &ec2.DescribeSecurityGroupsOutput{SecurityGroups: items, NextToken: next}, nil
}

func (f *fakeAPI) DescribeNetworkInterfaces(_ context.Context, in *ec2.DescribeNetworkInterfacesInput, _ ...func(*ec2.Options)) (*ec2.DescribeNetworkInterfacesOutput, error) {
	f.record(in)
	items := keep(f.nics, filterValues(in.Filters, "subnet-id"), func(n types.NetworkInterface) []string { return one(n.SubnetId) })
	items = keep(items, filterValues(in.Filters, "addresses.private-ip-address"), func(n types.NetworkInterface) []string {
		var ips []string
		for _, a := range n.PrivateIpAddresses {
			ips = append(ips, aws.ToString(a.PrivateIpAddress))
		}
		return ips
	})
	items, next := page(f, items, in.NextToken)
	return &ec2.DescribeNetworkInterfacesOutput{NetworkInterfaces: items, NextToken: next}, nil
}

func (f *fakeAPI) DescribeInstances(_ context.Context, in *ec2.DescribeInstancesInput, _ ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error) {
	f.record(in)
	items := keep(f.instances, filterValues(in.Filters, "instance-id"), func(i types.Instance) []string { return one(i.InstanceId) })
	// One reservation per instance, as launches of one instance each make.
	var res []types.Reservation
	for _, i := range items {
		res = append(res, types.Reservation{Instances: []types.Instance{i}})
	}
	res, next := page(f, res, in.NextToken)
	return &ec2.DescribeInstancesOutput{Reservations: res, NextToken: next}, nil
}

func (f *fakeAPI) DescribeInstanceStatus(_ context.Context, in *ec2.DescribeInstanceStatusInput, _ ...func(*ec2.Options)) (*ec2.DescribeInstanceStatusOutput, error) {
	f.record(in)
	if m := missing(f.instances, in.InstanceIds, func(i types.Instance) *string { return i.InstanceId }); len(m) > 0 {
		return nil, notFound("InvalidInstanceID.NotFound", "instance", m)
	}
	var out []types.InstanceStatus
	for _, i := range keep(f.instances, in.InstanceIds, func(i types.Instance) []string { return one(i.InstanceId) }) {
		out = append(out, types.InstanceStatus{
			InstanceId: i.InstanceId, InstanceState: i.State,
			SystemStatus:   &types.InstanceStatusSummary{Status: types.SummaryStatusOk},
			InstanceStatus: &types.InstanceStatusSummary{Status: types.SummaryStatusInitializing},
		})
	}
	out, next := page(f, out, in.NextToken)
	return &ec2.DescribeInstanceStatusOutput{InstanceStatuses: out, NextToken: next}, nil
}

func (f *fakeAPI) DescribeLaunchTemplateVersions(_ context.Context, in *ec2.DescribeLaunchTemplateVersionsInput, _ ...func(*ec2.Options)) (*ec2.DescribeLaunchTemplateVersionsOutput, error) {
	f.record(in)
	var out []types.LaunchTemplateVersion
	for _, v := range f.versions {
		if aws.ToString(v.LaunchTemplateId) == aws.ToString(in.LaunchTemplateId) && aws.ToBool(v.DefaultVersion) {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		return nil, &smithy.GenericAPIError{Code: "InvalidLaunchTemplateId.NotFound", Message: "no such template"}
	}
	return &ec2.DescribeLaunchTemplateVersionsOutput{LaunchTemplateVersions: out}, nil
}

func (f *fakeAPI) CreateLaunchTemplateVersion(_ context.Context, in *ec2.CreateLaunchTemplateVersionInput, _ ...func(*ec2.Options)) (*ec2.CreateLaunchTemplateVersionOutput, error) {
	f.record(in)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.created = append(f.created, in)
	return &ec2.CreateLaunchTemplateVersionOutput{LaunchTemplateVersion: &types.LaunchTemplateVersion{
		LaunchTemplateId: in.LaunchTemplateId, VersionNumber: aws.Int64(int64(len(f.versions) + len(f.created))),
	}}, nil
}

func (f *fakeAPI) ModifyLaunchTemplate(_ context.Context, in *ec2.ModifyLaunchTemplateInput, _ ...func(*ec2.Options)) (*ec2.ModifyLaunchTemplateOutput, error) {
	f.record(in)
	return &ec2.ModifyLaunchTemplateOutput{}, nil
}
