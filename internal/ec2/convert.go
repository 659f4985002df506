package ec2

import (
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// The conversions read SDK values in which any pointer may be nil; none of
// them panics, and what cannot be read is left zero.

// tagsFrom turns EC2's tag list into a map; nil when there are none.
func tagsFrom(tags []types.Tag) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	out := make(map[string]string, len(tags))
	for _, t := range tags {
		out[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return out
}

// tagList turns a map into EC2's tag list, sorted by key so that a request
// is the same for the same tags.
func tagList(tags map[string]string) []types.Tag {
	var out []types.Tag
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		out = append(out, types.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	return out
}

func subnetFrom(s types.Subnet) Subnet {
	return Subnet{
		ID:               aws.ToString(s.SubnetId),
		VPCID:            aws.ToString(s.VpcId),
		CIDR:             aws.ToString(s.CidrBlock),
		AvailabilityZone: aws.ToString(s.AvailabilityZone),
	}
}

func securityGroupFrom(g types.SecurityGroup) SecurityGroup {
	return SecurityGroup{
		ID:    aws.ToString(g.GroupId),
		Name:  aws.ToString(g.GroupName),
		VPCID: aws.ToString(g.VpcId),
	}
}

func networkInterfaceFrom(n types.NetworkInterface) NetworkInterface {
	out := NetworkInterface{
		ID:       aws.ToString(n.NetworkInterfaceId),
		SubnetID: aws.ToString(n.SubnetId),
		Status:   string(n.Status),
	}
	for _, a := range n.PrivateIpAddresses {
		if ip := aws.ToString(a.PrivateIpAddress); ip != "" {
			out.PrivateIPs = append(out.PrivateIPs, ip)
		}
	}
	if ip := aws.ToString(n.PrivateIpAddress); ip != "" && !slices.Contains(out.PrivateIPs, ip) {
		out.PrivateIPs = append([]string{ip}, out.PrivateIPs...)
	}
	if a := n.Attachment; a != nil {
		out.InstanceID = aws.ToString(a.InstanceId)
	}
	return out
}

func instanceFrom(i types.Instance) Instance {
	out := Instance{
		ID:           aws.ToString(i.InstanceId),
		InstanceType: string(i.InstanceType),
		PrivateIP:    aws.ToString(i.PrivateIpAddress),
		SubnetID:     aws.ToString(i.SubnetId),
		VPCID:        aws.ToString(i.VpcId),
		Tags:         tagsFrom(i.Tags),
		LaunchTime:   aws.ToTime(i.LaunchTime),
	}
	if i.State != nil {
		out.State = string(i.State.Name)
	}
	for _, g := range i.SecurityGroups {
		out.SecurityGroupIDs = append(out.SecurityGroupIDs, aws.ToString(g.GroupId))
	}
	if p := i.IamInstanceProfile; p != nil {
		out.InstanceProfileARN = aws.ToString(p.Arn)
	}
	return out
}

func instanceStatusFrom(s types.InstanceStatus) InstanceStatus {
	out := InstanceStatus{ID: aws.ToString(s.InstanceId)}
	if s.InstanceState != nil {
		out.State = string(s.InstanceState.Name)
	}
	if s.SystemStatus != nil {
		out.SystemStatus = string(s.SystemStatus.Status)
	}
	if s.InstanceStatus != nil {
		out.InstanceStatus = string(s.InstanceStatus.Status)
	}
	return out
}

func templateVersionFrom(v types.LaunchTemplateVersion) TemplateVersion {
	return TemplateVersion{
		TemplateID:  aws.ToString(v.LaunchTemplateId),
		Version:     aws.ToInt64(v.VersionNumber),
		Default:     aws.ToBool(v.DefaultVersion),
		Description: aws.ToString(v.VersionDescription),
		CreateTime:  aws.ToTime(v.CreateTime),
		Data:        templateDataFrom(v.LaunchTemplateData),
	}
}

// primaryInterface returns the network interface at device index 0, or
// nil.
func primaryInterface(nis []types.LaunchTemplateInstanceNetworkInterfaceSpecification) *types.LaunchTemplateInstanceNetworkInterfaceSpecification {
	for i := range nis {
		if aws.ToInt32(nis[i].DeviceIndex) == 0 {
			return &nis[i]
		}
	}
	return nil
}

// templateDataFrom reads the members drsorch manages. The network settings
// are the primary interface's; security groups fall back on the
// instance-level list when that interface names none, since a template
// may hold them either way.
func templateDataFrom(d *types.ResponseLaunchTemplateData) TemplateData {
	if d == nil {
		return TemplateData{}
	}
	out := TemplateData{InstanceType: string(d.InstanceType)}
	if ni := primaryInterface(d.NetworkInterfaces); ni != nil {
		out.SubnetID = aws.ToString(ni.SubnetId)
		out.SecurityGroupIDs = slices.Clone(ni.Groups)
		out.PrivateIP = aws.ToString(ni.PrivateIpAddress)
		if out.PrivateIP == "" {
			for _, a := range ni.PrivateIpAddresses {
				if aws.ToBool(a.Primary) {
					out.PrivateIP = aws.ToString(a.PrivateIpAddress)
				}
			}
		}
	}
	if len(out.SecurityGroupIDs) == 0 {
		out.SecurityGroupIDs = slices.Clone(d.SecurityGroupIds)
	}
	if p := d.IamInstanceProfile; p != nil {
		out.InstanceProfile = aws.ToString(p.Arn)
		if out.InstanceProfile == "" {
			out.InstanceProfile = aws.ToString(p.Name)
		}
	}
	for _, ts := range d.TagSpecifications {
		var dst *map[string]string
		switch ts.ResourceType {
		case types.ResourceTypeInstance:
			dst = &out.Tags
		case types.ResourceTypeVolume:
			dst = &out.VolumeTags
		default:
			continue
		}
		for k, v := range tagsFrom(ts.Tags) {
			if *dst == nil {
				*dst = map[string]string{}
			}
			(*dst)[k] = v
		}
	}
	return out
}

// templateDataRequest writes d over base, the source version's data (nil:
// none), as the data of a new version: base's network interfaces and tag
// specifications again, the primary interface's network settings and the
// instance and volume tags from d.
func templateDataRequest(base *types.ResponseLaunchTemplateData, d TemplateData) *types.RequestLaunchTemplateData {
	if base == nil {
		base = &types.ResponseLaunchTemplateData{}
	}
	out := &types.RequestLaunchTemplateData{InstanceType: types.InstanceType(d.InstanceType)}
	primary := false
	for _, n := range base.NetworkInterfaces {
		ni := interfaceRequest(n)
		if aws.ToInt32(n.DeviceIndex) == 0 && !primary {
			primary = true
			setPrimary(&ni, d)
		}
		out.NetworkInterfaces = append(out.NetworkInterfaces, ni)
	}
	if !primary {
		ni := types.LaunchTemplateInstanceNetworkInterfaceSpecificationRequest{DeviceIndex: aws.Int32(0)}
		setPrimary(&ni, d)
		out.NetworkInterfaces = append([]types.LaunchTemplateInstanceNetworkInterfaceSpecificationRequest{ni},
			out.NetworkInterfaces...)
	}
	if p := d.InstanceProfile; p != "" {
		out.IamInstanceProfile = &types.LaunchTemplateIamInstanceProfileSpecificationRequest{}
		if strings.HasPrefix(p, "arn:") {
			out.IamInstanceProfile.Arn = aws.String(p)
		} else {
			out.IamInstanceProfile.Name = aws.String(p)
		}
	}
	if len(d.Tags) > 0 {
		out.TagSpecifications = append(out.TagSpecifications, types.LaunchTemplateTagSpecificationRequest{
			ResourceType: types.ResourceTypeInstance, Tags: tagList(d.Tags)})
	}
	if len(d.VolumeTags) > 0 {
		out.TagSpecifications = append(out.TagSpecifications, types.LaunchTemplateTagSpecificationRequest{
			ResourceType: types.ResourceTypeVolume, Tags: tagList(d.VolumeTags)})
	}
	for _, ts := range base.TagSpecifications {
		if ts.ResourceType == types.ResourceTypeInstance || ts.ResourceType == types.ResourceTypeVolume {
			continue
		}
		out.TagSpecifications = append(out.TagSpecifications, types.LaunchTemplateTagSpecificationRequest{
			ResourceType: ts.ResourceType, Tags: slices.Clone(ts.Tags)})
	}
	return out
}

// setPrimary writes d's network settings on the primary interface. A
// private IP given replaces the interface's addresses; none given drops
// them, since d holds the one drsorch means to keep.
func setPrimary(ni *types.LaunchTemplateInstanceNetworkInterfaceSpecificationRequest, d TemplateData) {
	ni.Groups = slices.Clone(d.SecurityGroupIDs)
	ni.SubnetId = nil
	if d.SubnetID != "" {
		ni.SubnetId = aws.String(d.SubnetID)
	}
	ni.PrivateIpAddress, ni.PrivateIpAddresses = nil, nil
	if d.PrivateIP != "" {
		ni.PrivateIpAddress = aws.String(d.PrivateIP)
	}
}

// interfaceRequest writes a network interface of a version as it is, for
// the next version.
func interfaceRequest(n types.LaunchTemplateInstanceNetworkInterfaceSpecification) types.LaunchTemplateInstanceNetworkInterfaceSpecificationRequest {
	out := types.LaunchTemplateInstanceNetworkInterfaceSpecificationRequest{
		AssociateCarrierIpAddress:      n.AssociateCarrierIpAddress,
		AssociatePublicIpAddress:       n.AssociatePublicIpAddress,
		DeleteOnTermination:            n.DeleteOnTermination,
		Description:                    n.Description,
		DeviceIndex:                    n.DeviceIndex,
		EnaQueueCount:                  n.EnaQueueCount,
		Groups:                         slices.Clone(n.Groups),
		InterfaceType:                  n.InterfaceType,
		Ipv4PrefixCount:                n.Ipv4PrefixCount,
		Ipv6AddressCount:               n.Ipv6AddressCount,
		Ipv6PrefixCount:                n.Ipv6PrefixCount,
		NetworkCardIndex:               n.NetworkCardIndex,
		NetworkInterfaceId:             n.NetworkInterfaceId,
		PrimaryIpv6:                    n.PrimaryIpv6,
		PrivateIpAddress:               n.PrivateIpAddress,
		PrivateIpAddresses:             slices.Clone(n.PrivateIpAddresses),
		SecondaryPrivateIpAddressCount: n.SecondaryPrivateIpAddressCount,
		SubnetId:                       n.SubnetId,
	}
	if c := n.ConnectionTrackingSpecification; c != nil {
		out.ConnectionTrackingSpecification = &types.ConnectionTrackingSpecificationRequest{
			TcpEstablishedTimeout: c.TcpEstablishedTimeout, UdpStreamTimeout: c.UdpStreamTimeout, UdpTimeout: c.UdpTimeout}
	}
	if e := n.EnaSrdSpecification; e != nil {
		out.EnaSrdSpecification = &types.EnaSrdSpecificationRequest{EnaSrdEnabled: e.EnaSrdEnabled}
		if u := e.EnaSrdUdpSpecification; u != nil {
			out.EnaSrdSpecification.EnaSrdUdpSpecification = &types.EnaSrdUdpSpecificationRequest{EnaSrdUdpEnabled: u.EnaSrdUdpEnabled}
		}
	}
	for _, p := range n.Ipv4Prefixes {
		out.Ipv4Prefixes = append(out.Ipv4Prefixes, types.Ipv4PrefixSpecificationRequest{Ipv4Prefix: p.Ipv4Prefix})
	}
	for _, a := range n.Ipv6Addresses {
		out.Ipv6Addresses = append(out.Ipv6Addresses, types.InstanceIpv6AddressRequest{Ipv6Address: a.Ipv6Address})
	}
	for _, p := range n.Ipv6Prefixes {
		out.Ipv6Prefixes = append(out.Ipv6Prefixes, types.Ipv6PrefixSpecificationRequest{Ipv6Prefix: p.Ipv6Prefix})
	}
	return out
}
