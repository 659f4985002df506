package ec2

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/drsorch/drsorch/internal/drs"
)

// Request size limits.
const (
	// idBatch is how many IDs go in one ID parameter, and filterBatch how
	// many values in one filter: EC2 documents 200 values per filter and
	// no cap on most ID lists, but a request must stay a small form.
	idBatch     = 200
	filterBatch = 200
	// statusBatch is DescribeInstanceStatus's cap on instance IDs.
	statusBatch = 100
	// instancesPage is the page size asked of DescribeInstances, the most
	// it allows.
	instancesPage = 1000
)

// DescribeSubnets returns the subnets with the given IDs. A nil ids returns
// every subnet of the account and region; an empty, non-nil one returns
// none without a call. An unknown ID fails the call with drs.ErrNotFound,
// as EC2 does.
func (c *Client) DescribeSubnets(ctx context.Context, ids []string) ([]Subnet, error) {
	const op = "describe subnets"
	var out []Subnet
	for _, batch := range batches(ids, idBatch) {
		p := ec2.NewDescribeSubnetsPaginator(c.api, &ec2.DescribeSubnetsInput{SubnetIds: batch})
		items, err := drs.Collect(ctx, p, func(o *ec2.DescribeSubnetsOutput) ([]types.Subnet, *string) {
			return o.Subnets, o.NextToken
		})
		if err != nil {
			return nil, wrap(op, err)
		}
		for _, s := range items {
			out = append(out, subnetFrom(s))
		}
	}
	return out, nil
}

// DescribeSecurityGroups returns the security groups with the given IDs,
// with DescribeSubnets' reading of nil, empty and unknown IDs.
func (c *Client) DescribeSecurityGroups(ctx context.Context, ids []string) ([]SecurityGroup, error) {
	const op = "describe security groups"
	var out []SecurityGroup
	for _, batch := range batches(ids, idBatch) {
		p := ec2.NewDescribeSecurityGroupsPaginator(c.api, &ec2.DescribeSecurityGroupsInput{GroupIds: batch})
		items, err := drs.Collect(ctx, p, func(o *ec2.DescribeSecurityGroupsOutput) ([]types.SecurityGroup, *string) {
			return o.SecurityGroups, o.NextToken
		})
		if err != nil {
			return nil, wrap(op, err)
		}
		for _, g := range items {
			out = append(out, securityGroupFrom(g))
		}
	}
	return out, nil
}

// NetworkInterfacesWithIPs returns the network interfaces of a subnet that
// hold any of the given private IPv4 addresses, primary or secondary: the
// owners of addresses someone means to give a recovery instance. An empty
// subnetID searches every subnet. No addresses, no call.
func (c *Client) NetworkInterfacesWithIPs(ctx context.Context, subnetID string, ips []string) ([]NetworkInterface, error) {
	const op = "describe network interfaces"
	var out []NetworkInterface
	for _, batch := range chunk(ips, filterBatch) {
		filters := []types.Filter{{Name: aws.String("addresses.private-ip-address"), Values: batch}}
		if subnetID != "" {
			filters = append(filters, types.Filter{Name: aws.String("subnet-id"), Values: []string{subnetID}})
		}
		p := ec2.NewDescribeNetworkInterfacesPaginator(c.api, &ec2.DescribeNetworkInterfacesInput{Filters: filters})
		items, err := drs.Collect(ctx, p, func(o *ec2.DescribeNetworkInterfacesOutput) ([]types.NetworkInterface, *string) {
			return o.NetworkInterfaces, o.NextToken
		})
		if err != nil {
			return nil, wrap(op, err)
		}
		for _, n := range items {
			out = append(out, networkInterfaceFrom(n))
		}
	}
	return out, nil
}

// DescribeInstances returns the instances with the given IDs. They are
// asked for by the instance-id filter rather than the InstanceIds
// parameter, so that an unknown ID (an instance gone for longer than EC2
// remembers terminated ones) is left out of the answer instead of failing
// it for all the others. No IDs, no call.
func (c *Client) DescribeInstances(ctx context.Context, ids []string) ([]Instance, error) {
	const op = "describe instances"
	var out []Instance
	for _, batch := range chunk(ids, filterBatch) {
		in := &ec2.DescribeInstancesInput{
			Filters:    []types.Filter{{Name: aws.String("instance-id"), Values: batch}},
			MaxResults: aws.Int32(instancesPage),
		}
		p := ec2.NewDescribeInstancesPaginator(c.api, in)
		items, err := drs.Collect(ctx, p, func(o *ec2.DescribeInstancesOutput) ([]types.Reservation, *string) {
			return o.Reservations, o.NextToken
		})
		if err != nil {
			return nil, wrap(op, err)
		}
		for _, r := range items {
			for _, i := range r.Instances {
				out = append(out, instanceFrom(i))
			}
		}
	}
	return out, nil
}

// DescribeInstanceStatus returns the state and status checks of the given
// instances, in requests of 100 IDs, stopped and pending ones included
// (IncludeAllInstances). DescribeInstanceStatus has no filter by ID, and
// EC2 fails a request naming an unknown instance; the IDs its error names
// are then left out and the rest asked again, so that one vanished
// instance does not hide the others. No IDs, no call.
func (c *Client) DescribeInstanceStatus(ctx context.Context, ids []string) ([]InstanceStatus, error) {
	const op = "describe instance status"
	var out []InstanceStatus
	for _, batch := range chunk(ids, statusBatch) {
		for len(batch) > 0 {
			in := &ec2.DescribeInstanceStatusInput{InstanceIds: batch, IncludeAllInstances: aws.Bool(true)}
			p := ec2.NewDescribeInstanceStatusPaginator(c.api, in)
			items, err := drs.Collect(ctx, p, func(o *ec2.DescribeInstanceStatusOutput) ([]types.InstanceStatus, *string) {
				return o.InstanceStatuses, o.NextToken
			})
			if err != nil {
				unknown := unknownInstances(err, batch)
				if len(unknown) == 0 {
					return nil, wrap(op, err)
				}
				c.log.Debug("instances unknown to ec2 left out", "instances", unknown)
				batch = slices.DeleteFunc(slices.Clone(batch), func(id string) bool {
					return slices.Contains(unknown, id)
				})
				continue
			}
			for _, s := range items {
				out = append(out, instanceStatusFrom(s))
			}
			break
		}
	}
	return out, nil
}

var instanceIDPattern = regexp.MustCompile(`\bi-[0-9a-f]+\b`)

// unknownInstances returns the IDs of batch that an
// InvalidInstanceID.NotFound error names ("The instance IDs 'i-1, i-2' do
// not exist"), or none for any other error.
func unknownInstances(err error, batch []string) []string {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidInstanceID.NotFound" {
		return nil
	}
	var out []string
	for _, id := range instanceIDPattern.FindAllString(apiErr.ErrorMessage(), -1) {
		if slices.Contains(batch, id) && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// DefaultTemplateVersion returns the default version of a launch template.
func (c *Client) DefaultTemplateVersion(ctx context.Context, templateID string) (TemplateVersion, error) {
	const op = "describe launch template versions"
	if templateID == "" {
		return TemplateVersion{}, refuse(op, "no launch template ID")
	}
	out, err := c.api.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{
		LaunchTemplateId: aws.String(templateID),
		Versions:         []string{"$Default"},
	})
	if err != nil {
		return TemplateVersion{}, wrap(op, err)
	}
	if len(out.LaunchTemplateVersions) == 0 {
		return TemplateVersion{}, &drs.Error{Op: op, Class: drs.ErrNotFound,
			Err: fmt.Errorf("launch template %s has no default version", templateID)}
	}
	tv := templateVersionFrom(out.LaunchTemplateVersions[0])
	tv.TemplateID = templateID
	return tv, nil
}

// CreateTemplateVersion creates a version of a launch template from
// sourceVersion with data written over it, and returns its number. The
// new version is not the default; SetDefaultVersion makes it so.
//
// EC2 replaces a list member of the source version whole rather than
// merging it, so the source version is read first: its network interfaces
// are written again as they are, every member of each kept, with the
// primary one's (device index 0) subnet, security groups and private IP
// taken from data; its tag specifications are written again, those of
// instances and volumes from data. The instance type and the instance
// profile are written when data holds them; every other member is
// inherited from sourceVersion.
func (c *Client) CreateTemplateVersion(ctx context.Context, templateID string, sourceVersion int64, data TemplateData, description string) (int64, error) {
	const op = "create launch template version"
	if templateID == "" {
		return 0, refuse(op, "no launch template ID")
	}
	if sourceVersion <= 0 {
		return 0, refuse(op, fmt.Sprintf("source version %d is not a version number", sourceVersion))
	}
	src, err := c.api.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{
		LaunchTemplateId: aws.String(templateID),
		Versions:         []string{strconv.FormatInt(sourceVersion, 10)},
	})
	if err != nil {
		return 0, wrap(op, err)
	}
	if len(src.LaunchTemplateVersions) == 0 {
		return 0, &drs.Error{Op: op, Class: drs.ErrNotFound,
			Err: fmt.Errorf("launch template %s has no version %d", templateID, sourceVersion)}
	}
	base := src.LaunchTemplateVersions[0].LaunchTemplateData
	if base != nil && (len(base.SecurityGroupIds) > 0 || len(base.SecurityGroups) > 0) {
		// A new version inherits them and cannot drop them, and EC2
		// refuses to launch security groups named both for the instance
		// and for a network interface, where drsorch writes them.
		return 0, refuse(op, fmt.Sprintf("launch template %s version %d names security groups for the instance (%s): "+
			"move them onto its network interface at device index 0, where drsorch manages them",
			templateID, sourceVersion, strings.Join(append(slices.Clone(base.SecurityGroupIds), base.SecurityGroups...), ", ")))
	}
	in := &ec2.CreateLaunchTemplateVersionInput{
		LaunchTemplateId:   aws.String(templateID),
		SourceVersion:      aws.String(strconv.FormatInt(sourceVersion, 10)),
		LaunchTemplateData: templateDataRequest(base, data),
	}
	if description != "" {
		in.VersionDescription = aws.String(description)
	}
	out, err := c.api.CreateLaunchTemplateVersion(ctx, in)
	if err != nil {
		return 0, wrap(op, err)
	}
	if out.LaunchTemplateVersion == nil || aws.ToInt64(out.LaunchTemplateVersion.VersionNumber) <= 0 {
		return 0, wrap(op, errors.New("answer carries no version number"))
	}
	v := aws.ToInt64(out.LaunchTemplateVersion.VersionNumber)
	c.log.Info("launch template version created", "template_id", templateID,
		"version", v, "source_version", sourceVersion)
	return v, nil
}

// SetDefaultVersion makes version the default version of a launch
// template, the one DRS launches recovery instances from.
func (c *Client) SetDefaultVersion(ctx context.Context, templateID string, version int64) error {
	const op = "modify launch template"
	if templateID == "" {
		return refuse(op, "no launch template ID")
	}
	if version <= 0 {
		return refuse(op, fmt.Sprintf("version %d is not a version number", version))
	}
	_, err := c.api.ModifyLaunchTemplate(ctx, &ec2.ModifyLaunchTemplateInput{
		LaunchTemplateId: aws.String(templateID),
		DefaultVersion:   aws.String(strconv.FormatInt(version, 10)),
	})
	if err != nil {
		return wrap(op, err)
	}
	c.log.Info("launch template default version set", "template_id", templateID, "version", version)
	return nil
}

// batches is chunk for the calls where a nil ids means "all": one request
// without IDs. An empty, non-nil ids gives no request at all, so that a
// filter that matched nothing never turns into "everything".
func batches(ids []string, n int) [][]string {
	if ids == nil {
		return [][]string{nil}
	}
	return chunk(ids, n)
}

// chunk drops duplicate and empty IDs, keeping the first occurrence's
// order, and splits the rest into slices of at most n.
func chunk(ids []string, n int) [][]string {
	seen := make(map[string]bool, len(ids))
	var unique []string
	for _, id := range ids {
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		unique = append(unique, id)
	}
	return slices.Collect(slices.Chunk(unique, n))
}
