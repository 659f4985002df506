package launchcfg

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/ec2"
	"github.com/drsorch/drsorch/internal/plan"
)

// EC2 resource IDs: a prefix and 8 or 17 hexadecimal digits. A malformed
// ID is refused here rather than sent, because EC2 fails a whole describe
// call for one malformed ID.
var (
	subnetIDPattern = regexp.MustCompile(`^subnet-([0-9a-f]{8}|[0-9a-f]{17})$`)
	sgIDPattern     = regexp.MustCompile(`^sg-([0-9a-f]{8}|[0-9a-f]{17})$`)
)

// target is one SettingsTarget being validated, with what the checks
// without EC2 found usable for the checks with it.
type target struct {
	plan.SettingsTarget
	subnet string     // well-formed subnet ID, or ""
	sgs    []string   // well-formed security group IDs, by their index
	ip     netip.Addr // valid static IP with a subnet, or invalid
	errs   plan.Errors
}

func (t *target) field(name string) string { return t.Field + "." + name }

// Validate checks targets as Apply would before writing anything: the
// settings on their own, static IPs given twice, and against EC2 (and DRS
// for the recovery instances that may hold a static IP already). It
// returns nil, a plan.Errors listing every problem, or an
// *UncheckedError when a call failed and no problem was found without it.
func (s *Service) Validate(ctx context.Context, accountID, region string, targets []plan.SettingsTarget) error {
	ts := make([]*target, len(targets))
	for i, t := range targets {
		ts[i] = checkAlone(t)
	}
	checkDuplicates(ts)

	var callErr error
	if needsEC2(ts) {
		callErr = s.checkEC2(ctx, accountID, region, ts)
	}
	// A group's setting is every one of its servers': the same problem
	// of it is reported once, not once per server.
	var errs plan.Errors
	seen := make(map[plan.FieldError]bool)
	for _, t := range ts {
		for _, fe := range t.errs {
			if !seen[fe] {
				seen[fe] = true
				errs = append(errs, fe)
			}
		}
	}
	if callErr != nil {
		u := &UncheckedError{Err: callErr}
		if len(errs) == 0 {
			return u
		}
		errs = append(errs, u.FieldError())
	}
	return errs.Err()
}

// checkAlone checks what needs neither EC2 nor the other targets.
func checkAlone(st plan.SettingsTarget) *target {
	t := &target{SettingsTarget: st}
	s := st.Settings
	switch {
	case s.SubnetID == "":
	case subnetIDPattern.MatchString(s.SubnetID):
		t.subnet = s.SubnetID
	default:
		t.errs.AddError(plan.CodeSubnetIDInvalid, t.field(fieldSubnetID),
			"%q is not a subnet ID (subnet-…)", s.SubnetID)
	}
	t.sgs = make([]string, len(s.SecurityGroupIDs))
	for i, id := range s.SecurityGroupIDs {
		if sgIDPattern.MatchString(id) {
			t.sgs[i] = id
			continue
		}
		t.errs.AddError(plan.CodeSecurityGroupIDInvalid, fmt.Sprintf("%s[%d]", t.field(fieldSecurityGroupIDs), i),
			"%q is not a security group ID (sg-…)", id)
	}
	switch s.RightSizing {
	case "", plan.RightSizingNone:
	case plan.RightSizingBasic, plan.RightSizingInAWS:
		if s.InstanceType != "" {
			t.errs.AddError(plan.CodeInstanceTypeRightSizing, t.field(fieldRightSizing),
				"rightSizing %s would let DRS replace instanceType %s; use %s",
				s.RightSizing, s.InstanceType, plan.RightSizingNone)
		}
	default:
		t.errs.AddError(plan.CodeRightSizingInvalid, t.field(fieldRightSizing),
			"rightSizing %q is not one of %s, %s, %s",
			s.RightSizing, plan.RightSizingNone, plan.RightSizingBasic, plan.RightSizingInAWS)
	}
	switch s.LaunchDisposition {
	case "", plan.DispositionStarted, plan.DispositionStopped:
	default:
		t.errs.AddError(plan.CodeDispositionInvalid, t.field(fieldLaunchDisposition),
			"launchDisposition %q is not %s or %s",
			s.LaunchDisposition, plan.DispositionStarted, plan.DispositionStopped)
	}
	for _, k := range slices.Sorted(maps.Keys(s.Tags)) {
		if k == "" || strings.HasPrefix(strings.ToLower(k), "aws:") {
			t.errs.AddError(plan.CodeLaunchTagInvalid, t.field(fieldTags)+"."+k,
				"tag key %q is empty or starts with aws:, which EC2 keeps for itself", k)
		}
	}
	checkPrivateIP(t)
	return t
}

func checkPrivateIP(t *target) {
	s := t.Settings
	if s.PrivateIP == "" {
		return
	}
	f := t.field(fieldPrivateIP)
	ip, ok := parseIPv4(s.PrivateIP)
	if !ok {
		t.errs.AddError(plan.CodePrivateIPInvalid, f, "%q is not an IPv4 address", s.PrivateIP)
	}
	if !strings.HasPrefix(t.Field, "serverLaunchSettings.") {
		t.errs.AddError(plan.CodePrivateIPOnGroup, f,
			"a static private IP belongs to one server, in serverLaunchSettings")
	}
	if s.SubnetID == "" {
		t.errs.AddError(plan.CodePrivateIPNeedsSubnet, f,
			"privateIp %s needs a subnetId, for the server or its group", s.PrivateIP)
	}
	if s.CopyPrivateIP != nil && *s.CopyPrivateIP {
		t.errs.AddError(plan.CodePrivateIPCopyConflict, f,
			"privateIp %s conflicts with copyPrivateIp true, which takes the source server's address", s.PrivateIP)
	}
	if ok && t.subnet != "" {
		t.ip = ip
	}
}

// checkDuplicates refuses a static IP given to more than one target in the
// same subnet: only one of them could come up with it.
func checkDuplicates(ts []*target) {
	type key struct {
		subnet string
		ip     netip.Addr
	}
	holders := make(map[key][]*target)
	for _, t := range ts {
		if t.ip.IsValid() {
			k := key{t.subnet, t.ip}
			holders[k] = append(holders[k], t)
		}
	}
	for _, t := range ts {
		if !t.ip.IsValid() {
			continue
		}
		all := holders[key{t.subnet, t.ip}]
		if len(all) < 2 {
			continue
		}
		var others []string
		for _, o := range all {
			if o != t {
				others = append(others, o.SourceServerID)
			}
		}
		t.errs.AddError(plan.CodePrivateIPDuplicate, t.field(fieldPrivateIP),
			"privateIp %s in %s is also given to %s", t.ip, t.subnet, strings.Join(others, ", "))
	}
}

func needsEC2(ts []*target) bool {
	for _, t := range ts {
		if t.subnet != "" || slices.ContainsFunc(t.sgs, func(id string) bool { return id != "" }) {
			return true
		}
	}
	return false
}

// checkEC2 checks subnets, security groups and static IPs against EC2,
// with one describe call per kind, adding problems to the targets. Its error is a call that
// failed.
func (s *Service) checkEC2(ctx context.Context, accountID, region string, ts []*target) error {
	e, err := s.ec2(ctx, accountID, region)
	if err != nil {
		return err
	}
	var subnetIDs, sgIDs []string
	for _, t := range ts {
		if t.subnet != "" {
			subnetIDs = append(subnetIDs, t.subnet)
		}
		for _, id := range t.sgs {
			if id != "" {
				sgIDs = append(sgIDs, id)
			}
		}
	}
	subnets, err := describeKnown(ctx, uniqueSorted(subnetIDs), e.DescribeSubnets,
		func(s ec2.Subnet) string { return s.ID })
	if err != nil {
		return err
	}
	groups, err := describeKnown(ctx, uniqueSorted(sgIDs), e.DescribeSecurityGroups,
		func(g ec2.SecurityGroup) string { return g.ID })
	if err != nil {
		return err
	}

	for _, t := range ts {
		checkNetwork(t, subnets, groups)
	}
	return s.checkInUse(ctx, accountID, region, e, ts)
}

// checkNetwork checks one target's subnet, security groups and static IP
// against what EC2 described. A static IP that passes is left in t.ip for
// the in-use check, else cleared.
func checkNetwork(t *target, subnets map[string]ec2.Subnet, groups map[string]ec2.SecurityGroup) {
	sub, subOK := subnets[t.subnet]
	if t.subnet != "" && !subOK {
		t.errs.AddError(plan.CodeSubnetNotFound, t.field(fieldSubnetID),
			"subnet %s does not exist in the account and region", t.subnet)
	}
	for i, id := range t.sgs {
		if id == "" {
			continue
		}
		f := fmt.Sprintf("%s[%d]", t.field(fieldSecurityGroupIDs), i)
		g, ok := groups[id]
		switch {
		case !ok:
			t.errs.AddError(plan.CodeSecurityGroupNotFound, f,
				"security group %s does not exist in the account and region", id)
		case subOK && g.VPCID != sub.VPCID:
			t.errs.AddError(plan.CodeSecurityGroupOtherVPC, f,
				"security group %s is in %s, subnet %s in %s", id, g.VPCID, sub.ID, sub.VPCID)
		}
	}
	if !t.ip.IsValid() {
		return
	}
	ip := t.ip
	t.ip = netip.Addr{}
	if !subOK {
		return
	}
	f := t.field(fieldPrivateIP)
	p, err := parseCIDR(sub.CIDR)
	if err != nil {
		// EC2 describes every subnet with an IPv4 CIDR; without one there
		// is nothing to check the address against.
		t.errs.AddError(plan.CodePrivateIPOutsideSubnet, f,
			"subnet %s has no IPv4 CIDR block (%q)", sub.ID, sub.CIDR)
		return
	}
	if !p.Contains(ip) {
		t.errs.AddError(plan.CodePrivateIPOutsideSubnet, f,
			"privateIp %s is outside subnet %s (%s)", ip, sub.ID, p)
		return
	}
	if use := reservedUse(p, ip); use != "" {
		t.errs.AddError(plan.CodePrivateIPReserved, f,
			"privateIp %s is %s of subnet %s (%s)", ip, use, sub.ID, p)
		return
	}
	t.ip = ip
}

// checkInUse refuses a static IP that a network interface holds, unless
// that interface belongs to a recovery instance of the same source server
// (a server launched before keeps its address).
func (s *Service) checkInUse(ctx context.Context, accountID, region string, e EC2, ts []*target) error {
	var ips []string
	for _, t := range ts {
		if t.ip.IsValid() {
			ips = append(ips, t.ip.String())
		}
	}
	if len(ips) == 0 {
		return nil
	}
	// One search of every subnet; interfaces are matched to targets by
	// their subnet below.
	enis, err := e.NetworkInterfacesWithIPs(ctx, "", uniqueSorted(ips))
	if err != nil {
		return err
	}
	type key struct{ subnet, ip string }
	held := make(map[key][]ec2.NetworkInterface)
	for _, n := range enis {
		for _, ip := range n.PrivateIPs {
			k := key{n.SubnetID, ip}
			held[k] = append(held[k], n)
		}
	}
	if len(held) == 0 {
		return nil
	}

	// Only servers whose address is held need their recovery instances.
	var servers []string
	for _, t := range ts {
		if t.ip.IsValid() && len(held[key{t.subnet, t.ip.String()}]) > 0 {
			servers = append(servers, t.SourceServerID)
		}
	}
	own, err := s.recoveryInstances(ctx, accountID, region, uniqueSorted(servers))
	if err != nil {
		return err
	}
	for _, t := range ts {
		if !t.ip.IsValid() {
			continue
		}
		for _, n := range held[key{t.subnet, t.ip.String()}] {
			if n.InstanceID != "" && own[t.SourceServerID][n.InstanceID] {
				continue
			}
			holder := "no instance"
			if n.InstanceID != "" {
				holder = "instance " + n.InstanceID
			}
			t.errs.AddError(plan.CodePrivateIPInUse, t.field(fieldPrivateIP),
				"privateIp %s is in use by network interface %s (%s)", t.ip, n.ID, holder)
			break
		}
	}
	return nil
}

// recoveryInstances returns, per source server, the EC2 instance IDs of
// its recovery instances.
func (s *Service) recoveryInstances(ctx context.Context, accountID, region string,
	servers []string) (map[string]map[string]bool, error) {
	d, err := s.drs(ctx, accountID, region)
	if err != nil {
		return nil, err
	}
	ris, err := d.DescribeRecoveryInstances(ctx, servers)
	if err != nil {
		return nil, err
	}
	out := make(map[string]map[string]bool)
	for _, ri := range ris {
		if ri.EC2InstanceID == "" {
			continue
		}
		if out[ri.SourceServerID] == nil {
			out[ri.SourceServerID] = make(map[string]bool)
		}
		out[ri.SourceServerID][ri.EC2InstanceID] = true
	}
	return out, nil
}

// describeKnown describes ids in one call and returns those that exist by
// ID. EC2 fails the whole call when one ID is unknown, so on not found it
// asks again one ID at a time to learn which; that costs calls only when
// something is wrong.
func describeKnown[T any](ctx context.Context, ids []string,
	describe func(context.Context, []string) ([]T, error), id func(T) string) (map[string]T, error) {
	out := make(map[string]T, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	items, err := describe(ctx, ids)
	if err != nil && !errors.Is(err, drs.ErrNotFound) {
		return nil, err
	}
	if err == nil {
		for _, it := range items {
			out[id(it)] = it
		}
		return out, nil
	}
	for _, one := range ids {
		items, err := describe(ctx, []string{one})
		if errors.Is(err, drs.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			out[id(it)] = it
		}
	}
	return out, nil
}
