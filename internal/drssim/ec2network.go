package drssim

import (
	"strings"
)

type xSubnet struct {
	SubnetID                string `xml:"subnetId"`
	SubnetArn               string `xml:"subnetArn"`
	State                   string `xml:"state"`
	VpcID                   string `xml:"vpcId"`
	OwnerID                 string `xml:"ownerId"`
	CidrBlock               string `xml:"cidrBlock"`
	AvailableIPAddressCount int    `xml:"availableIpAddressCount"`
	AvailabilityZone        string `xml:"availabilityZone"`
	AvailabilityZoneID      string `xml:"availabilityZoneId"`
	DefaultForAz            bool   `xml:"defaultForAz"`
	MapPublicIPOnLaunch     bool   `xml:"mapPublicIpOnLaunch"`
	TagSet                  []xTag `xml:"tagSet>item"`
}

type describeSubnetsOutput struct {
	ec2Head
	Subnets   []xSubnet `xml:"subnetSet>item"`
	NextToken string    `xml:"nextToken,omitempty"`
}

func (s *Sim) xSubnet(sn *subnet) xSubnet {
	free := int(sn.size) - 5 - len(sn.used)
	name := "recovery-" + sn.az[len(sn.az)-1:]
	if sn.hidden {
		name = "production"
	}
	return xSubnet{
		SubnetID:                sn.id,
		SubnetArn:               "arn:aws:ec2:" + s.region + ":" + s.account + ":subnet/" + sn.id,
		State:                   "available",
		VpcID:                   sn.vpcID,
		OwnerID:                 s.account,
		CidrBlock:               sn.prefix.String(),
		AvailableIPAddressCount: free,
		AvailabilityZone:        sn.az,
		AvailabilityZoneID:      azID(s.region, sn.az),
		TagSet:                  []xTag{{"Name", name}},
	}
}

// azID is a zone ID in the form use1-az1 for us-east-1a.
func azID(region, az string) string {
	parts := strings.Split(region, "-")
	short := ""
	for i, p := range parts {
		if i == len(parts)-1 {
			short += p
		} else if p != "" {
			short += p[:1]
		}
	}
	return short + "-az" + string(rune('1'+az[len(az)-1]-'a'))
}

// describeSubnets lists subnets in a fixed order: the named ones (each
// must exist), else every one the filters let through. The source site's
// subnet shows only when named, by ID or by a subnet-id or vpc-id filter.
func (s *Sim) describeSubnets(r *ec2Request) (ec2Output, error) {
	fs, err := filters(r.form, "vpc-id", "subnet-id", "availability-zone", "cidr-block", "state")
	if err != nil {
		return nil, err
	}
	p, err := pageArgs(r.form, "DescribeSubnets", 5, 1000)
	if err != nil {
		return nil, err
	}
	ids := values(r.form, "SubnetId")
	if len(ids) > 0 && p.limit > 0 {
		return nil, ec2Err("InvalidParameterCombination", "The parameter SubnetIds cannot be used with the parameter MaxResults")
	}
	e := s.ec2()
	var list []*subnet
	if len(ids) > 0 {
		var missing []string
		for _, id := range ids {
			if !validEC2ID(id, "subnet-") {
				return nil, ec2Err("InvalidSubnetID.Malformed", "Invalid id: \"%s\"", id)
			}
			if e.subnetByID[id] == nil {
				missing = append(missing, id)
			}
		}
		if len(missing) > 0 {
			return nil, ec2Err("InvalidSubnetID.NotFound", "The subnet ID %s does not exist", quoteIDs(missing))
		}
	}
	named := func(sn *subnet) bool {
		for _, id := range ids {
			if id == sn.id {
				return true
			}
		}
		for _, f := range fs {
			if f.name != "vpc-id" && f.name != "subnet-id" {
				continue
			}
			for _, v := range f.values {
				if v == sn.id || v == sn.vpcID {
					return true
				}
			}
		}
		return false
	}
	for _, sn := range e.subnets {
		if len(ids) > 0 && !contains(ids, sn.id) {
			continue
		}
		if sn.hidden && !named(sn) {
			continue
		}
		if !match(fs, func(name string) []string {
			switch name {
			case "vpc-id":
				return []string{sn.vpcID}
			case "subnet-id":
				return []string{sn.id}
			case "availability-zone":
				return []string{sn.az}
			case "cidr-block":
				return []string{sn.prefix.String()}
			case "state":
				return []string{"available"}
			}
			return nil
		}) {
			continue
		}
		list = append(list, sn)
	}
	lo, hi, next := paginate(p, "DescribeSubnets", len(list), func(i int) int64 { return int64(i) })
	out := &describeSubnetsOutput{NextToken: next}
	for _, sn := range list[lo:hi] {
		out.Subnets = append(out.Subnets, s.xSubnet(sn))
	}
	return out, nil
}

type xSecurityGroup struct {
	GroupID          string `xml:"groupId"`
	GroupName        string `xml:"groupName"`
	GroupDescription string `xml:"groupDescription"`
	VpcID            string `xml:"vpcId"`
	OwnerID          string `xml:"ownerId"`
	SecurityGroupArn string `xml:"securityGroupArn"`
	TagSet           []xTag `xml:"tagSet>item"`
}

type describeSecurityGroupsOutput struct {
	ec2Head
	SecurityGroups []xSecurityGroup `xml:"securityGroupInfo>item"`
	NextToken      string           `xml:"nextToken,omitempty"`
}

// describeSecurityGroups is describeSubnets for security groups; the
// source site's group likewise shows only when named.
func (s *Sim) describeSecurityGroups(r *ec2Request) (ec2Output, error) {
	fs, err := filters(r.form, "group-id", "vpc-id", "group-name")
	if err != nil {
		return nil, err
	}
	p, err := pageArgs(r.form, "DescribeSecurityGroups", 5, 1000)
	if err != nil {
		return nil, err
	}
	ids := values(r.form, "GroupId")
	names := values(r.form, "GroupName")
	if (len(ids) > 0 || len(names) > 0) && p.limit > 0 {
		return nil, ec2Err("InvalidParameterCombination", "The parameter GroupIds cannot be used with the parameter MaxResults")
	}
	e := s.ec2()
	var missing []string
	for _, id := range ids {
		if !validEC2ID(id, "sg-") {
			return nil, ec2Err("InvalidGroupId.Malformed", "Invalid id: \"%s\" (expecting \"sg-...\")", id)
		}
		if e.sgByID[id] == nil {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		return nil, ec2Err("InvalidGroup.NotFound", "The security group %s does not exist", quoteIDs(missing))
	}
	for _, n := range names {
		found := false
		for _, sg := range e.sgs {
			found = found || sg.name == n && !sg.hidden
		}
		if !found {
			return nil, ec2Err("InvalidGroup.NotFound", "The security group '%s' does not exist in default VPC '%s'", n, recoveryVPCID)
		}
	}
	var list []*secGroup
	for _, sg := range e.sgs {
		if len(ids) > 0 && !contains(ids, sg.id) || len(names) > 0 && (sg.hidden || !contains(names, sg.name)) {
			continue
		}
		if sg.hidden && len(ids) == 0 && !filterNames(fs, sg.id, sg.vpcID) {
			continue
		}
		if !match(fs, func(name string) []string {
			switch name {
			case "group-id":
				return []string{sg.id}
			case "vpc-id":
				return []string{sg.vpcID}
			case "group-name":
				return []string{sg.name}
			}
			return nil
		}) {
			continue
		}
		list = append(list, sg)
	}
	lo, hi, next := paginate(p, "DescribeSecurityGroups", len(list), func(i int) int64 { return int64(i) })
	out := &describeSecurityGroupsOutput{NextToken: next}
	for _, sg := range list[lo:hi] {
		out.SecurityGroups = append(out.SecurityGroups, xSecurityGroup{
			GroupID: sg.id, GroupName: sg.name, GroupDescription: sg.desc, VpcID: sg.vpcID,
			OwnerID:          s.account,
			SecurityGroupArn: "arn:aws:ec2:" + s.region + ":" + s.account + ":security-group/" + sg.id,
		})
	}
	return out, nil
}

// filterNames reports whether any filter value names one of ids.
func filterNames(fs []ec2Filter, ids ...string) bool {
	for _, f := range fs {
		for _, v := range f.values {
			if contains(ids, v) {
				return true
			}
		}
	}
	return false
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
