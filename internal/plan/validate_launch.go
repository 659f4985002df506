package plan

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// Limits of launch settings, as EC2 and IAM set them.
const (
	// MaxSecurityGroups is EC2's limit of security groups per network
	// interface; a recovery instance has one interface.
	MaxSecurityGroups = 5
	// MaxLaunchTags is EC2's limit of tags per resource.
	MaxLaunchTags = 50
)

var (
	subnetIDPattern        = regexp.MustCompile(`^subnet-([0-9a-f]{8}|[0-9a-f]{17})$`)
	securityGroupIDPattern = regexp.MustCompile(`^sg-([0-9a-f]{8}|[0-9a-f]{17})$`)
	// instanceTypePattern is the shape family.size of every EC2 instance
	// type: m6i.large, u-6tb1.metal, m7i-flex.2xlarge, r7iz.metal-16xl.
	instanceTypePattern       = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*\.[a-z0-9]+(-[a-z0-9]+)*$`)
	instanceProfileName       = regexp.MustCompile(`^[\w+=,.@-]{1,128}$`)
	instanceProfileARNPattern = regexp.MustCompile(
		`^arn:aws(-[a-z]+)*:iam::[0-9]{12}:instance-profile/([\w+=,.@-]+/)*[\w+=,.@-]{1,128}$`)
)

// maxInstanceTypeLen bounds an instance type well above the longest
// there is, so that the pattern never runs on a megabyte of input.
const maxInstanceTypeLen = 64

// checkLaunchSettings checks g's launch settings and per-server overrides
// without I/O: shapes of IDs and names, allowed values, and the static
// private IP rules that need no look at EC2. others are the other groups
// (an entry with g's ID is ignored), whose static IPs g's may not repeat.
func checkLaunchSettings(errs *Errors, g ProtectionGroup, others []ProtectionGroup) {
	if ls := g.LaunchSettings; ls != nil {
		checkSettingsFields(errs, "launchSettings", *ls)
		if ls.InstanceType != "" && rightSizingAuto(ls.RightSizing) {
			errs.add(CodeInstanceTypeRightSizing, "launchSettings.rightSizing",
				"instanceType %q needs rightSizing %s (or none): with %s DRS chooses the type",
				ls.InstanceType, RightSizingNone, ls.RightSizing)
		}
		if ls.PrivateIP != "" {
			errs.add(CodePrivateIPOnGroup, "launchSettings.privateIp",
				"a static private IP is a per-server setting: put it under serverLaunchSettings.<server ID>")
		}
	}
	if len(g.ServerLaunchSettings) == 0 {
		return
	}

	var groupTags map[string]string
	if g.LaunchSettings != nil {
		groupTags = g.LaunchSettings.Tags
	}
	members := map[string]bool{}
	for _, id := range g.SourceServerIDs {
		members[id] = true
	}
	// taken maps a static IP in a subnet to the server that has it first:
	// servers of the other groups, then g's in order of their IDs.
	type holder struct{ server, group string }
	taken := map[subnetIP]holder{}
	for _, o := range others {
		if g.ID != "" && o.ID == g.ID {
			continue
		}
		for _, id := range sortedKeys(o.ServerLaunchSettings) {
			if k, ok := staticIP(EffectiveSettings(o, id)); ok {
				if _, dup := taken[k]; !dup {
					taken[k] = holder{id, o.Name}
				}
			}
		}
	}

	for _, id := range sortedKeys(g.ServerLaunchSettings) {
		s := g.ServerLaunchSettings[id]
		field := "serverLaunchSettings." + id
		switch {
		case !serverIDPattern.MatchString(id):
			errs.add(CodeServerIDInvalid, field,
				"%q is not a source server ID (s- and 17 lowercase hexadecimal digits)", id)
		case g.ServerSelector == nil && !members[id]:
			errs.add(CodeServerSettingsNotInGroup, field,
				"source server %q has launch settings but is not in the group's sourceServerIds", id)
		}
		checkSettingsFields(errs, field, s)

		eff := EffectiveSettings(g, id)
		if (s.InstanceType != "" || s.RightSizing != "") && eff.InstanceType != "" && rightSizingAuto(eff.RightSizing) {
			f := field + ".instanceType"
			if s.RightSizing != "" {
				f = field + ".rightSizing"
			}
			errs.add(CodeInstanceTypeRightSizing, f,
				"instanceType %q needs rightSizing %s (or none): with %s DRS chooses the type",
				eff.InstanceType, RightSizingNone, eff.RightSizing)
		}
		// Over the limit only once merged: the group's and the server's
		// tags are each within it (each is reported on its own otherwise).
		if len(s.Tags) > 0 && len(s.Tags) <= MaxLaunchTags && len(groupTags) <= MaxLaunchTags &&
			len(eff.Tags) > MaxLaunchTags {
			errs.add(CodeLaunchTagInvalid, field+".tags",
				"%d tags with the group's; at most %d", len(eff.Tags), MaxLaunchTags)
		}

		if s.PrivateIP == "" {
			continue
		}
		ipField := field + ".privateIp"
		addr, err := netip.ParseAddr(s.PrivateIP)
		if err != nil || !addr.Is4() || addr.IsUnspecified() || addr.IsLoopback() || addr.IsMulticast() ||
			addr == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
			errs.add(CodePrivateIPInvalid, ipField, "%q is not a unicast IPv4 address such as 10.0.1.25", s.PrivateIP)
			continue
		}
		if eff.SubnetID == "" {
			errs.add(CodePrivateIPNeedsSubnet, ipField,
				"static private IP %s needs a subnetId, the server's own or the group's", s.PrivateIP)
			continue
		}
		if eff.CopyPrivateIP != nil && *eff.CopyPrivateIP {
			errs.add(CodePrivateIPCopyConflict, ipField,
				"static private IP %s conflicts with copyPrivateIp true: the server cannot have both", s.PrivateIP)
			continue
		}
		k := subnetIP{eff.SubnetID, addr}
		if h, dup := taken[k]; dup {
			errs.add(CodePrivateIPDuplicate, ipField,
				"private IP %s in %s is already given to source server %s of protection group %q",
				addr, eff.SubnetID, h.server, h.group)
			continue
		}
		taken[k] = holder{id, g.Name}
	}
}

// subnetIP is a static private IP in its subnet.
type subnetIP struct {
	subnet string
	ip     netip.Addr
}

// staticIP returns the static IP effective settings s give, when valid.
func staticIP(s LaunchSettings) (subnetIP, bool) {
	if s.PrivateIP == "" || s.SubnetID == "" {
		return subnetIP{}, false
	}
	addr, err := netip.ParseAddr(s.PrivateIP)
	if err != nil || !addr.Is4() {
		return subnetIP{}, false
	}
	return subnetIP{s.SubnetID, addr}, true
}

// rightSizingAuto reports whether a right-sizing method lets DRS choose
// the instance type.
func rightSizingAuto(m string) bool {
	return m == RightSizingBasic || m == RightSizingInAWS
}

// checkSettingsFields checks the fields of one LaunchSettings on their
// own; prefix is its path ("launchSettings" or
// "serverLaunchSettings.<id>").
func checkSettingsFields(errs *Errors, prefix string, s LaunchSettings) {
	if s.SubnetID != "" && !subnetIDPattern.MatchString(s.SubnetID) {
		errs.add(CodeSubnetIDInvalid, prefix+".subnetId",
			"%q is not a subnet ID (subnet- and 8 or 17 lowercase hexadecimal digits)", s.SubnetID)
	}
	if n := len(s.SecurityGroupIDs); n > MaxSecurityGroups {
		errs.add(CodeSecurityGroupIDInvalid, prefix+".securityGroupIds",
			"%d security groups; at most %d per network interface", n, MaxSecurityGroups)
	}
	seen := map[string]int{}
	for i, sg := range s.SecurityGroupIDs {
		f := fmt.Sprintf("%s.securityGroupIds[%d]", prefix, i)
		if !securityGroupIDPattern.MatchString(sg) {
			errs.add(CodeSecurityGroupIDInvalid, f,
				"%q is not a security group ID (sg- and 8 or 17 lowercase hexadecimal digits)", sg)
			continue
		}
		if j, ok := seen[sg]; ok {
			errs.add(CodeSecurityGroupIDInvalid, f, "security group %s is already listed at securityGroupIds[%d]", sg, j)
			continue
		}
		seen[sg] = i
	}
	if t := s.InstanceType; t != "" && (len(t) > maxInstanceTypeLen || !instanceTypePattern.MatchString(t)) {
		errs.add(CodeInstanceTypeInvalid, prefix+".instanceType",
			"%q is not an EC2 instance type (family.size in lower case, such as m6i.large)", t)
	}
	switch s.RightSizing {
	case "", RightSizingNone, RightSizingBasic, RightSizingInAWS:
	default:
		errs.add(CodeRightSizingInvalid, prefix+".rightSizing", "rightSizing %q is not %s, %s or %s",
			s.RightSizing, RightSizingNone, RightSizingBasic, RightSizingInAWS)
	}
	if p := s.InstanceProfile; p != "" && !instanceProfileName.MatchString(p) && !instanceProfileARNPattern.MatchString(p) {
		errs.add(CodeInstanceProfileInvalid, prefix+".instanceProfile",
			"%q is neither an instance profile name (1 to 128 of letters, digits and +=,.@_-) nor an instance-profile ARN", p)
	}
	switch s.LaunchDisposition {
	case "", DispositionStarted, DispositionStopped:
	default:
		errs.add(CodeDispositionInvalid, prefix+".launchDisposition", "launchDisposition %q is neither %s nor %s",
			s.LaunchDisposition, DispositionStarted, DispositionStopped)
	}
	checkLaunchTags(errs, prefix+".tags", s.Tags)
}

func checkLaunchTags(errs *Errors, field string, tags map[string]string) {
	if len(tags) > MaxLaunchTags {
		errs.add(CodeLaunchTagInvalid, field, "%d tags; at most %d", len(tags), MaxLaunchTags)
	}
	for _, k := range sortedKeys(tags) {
		f := field + "." + k
		n := utf8.RuneCountInString(k)
		switch {
		case k == "":
			errs.add(CodeLaunchTagInvalid, f, "a tag key is empty")
		case n > MaxTagKeyLen:
			errs.add(CodeLaunchTagInvalid, f, "tag key has %d characters; at most %d", n, MaxTagKeyLen)
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			errs.add(CodeLaunchTagInvalid, f, "tag key %q: keys beginning with aws: are reserved for AWS", k)
		}
		if n := utf8.RuneCountInString(tags[k]); n > MaxTagValueLen {
			errs.add(CodeLaunchTagInvalid, f, "tag value has %d characters; at most %d", n, MaxTagValueLen)
		}
	}
}

// checkHealthGate checks a wave's health gate; field is its path.
func checkHealthGate(errs *Errors, field string, g *HealthGate) {
	if !g.StatusChecks && g.CheckURL == "" {
		errs.add(CodeGateEmpty, field, "a health gate needs statusChecks, a checkUrl, or both")
	}
	if g.CheckURL != "" && !validHookURL(g.CheckURL) {
		errs.add(CodeGateURLInvalid, field+".checkUrl", "check URL %q is not an http or https URL", g.CheckURL)
	}
	if t := g.TimeoutMinutes; t < 0 || t > MaxGateTimeoutMinutes {
		errs.add(CodeGateTimeoutRange, field+".timeoutMinutes",
			"timeoutMinutes is %d; it must be 1 to %d (or absent for %d)", t, MaxGateTimeoutMinutes, DefaultGateTimeoutMinutes)
	}
	if i := g.IntervalSeconds; i != 0 && (i < MinGateIntervalSeconds || i > MaxGateIntervalSeconds) {
		errs.add(CodeGateIntervalRange, field+".intervalSeconds",
			"intervalSeconds is %d; it must be %d to %d (or absent for %d)",
			i, MinGateIntervalSeconds, MaxGateIntervalSeconds, DefaultGateIntervalSeconds)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
