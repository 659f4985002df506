package launchcfg

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/ec2"
	"github.com/drsorch/drsorch/internal/plan"
)

// Field names, as LaunchSettings names them in JSON.
const (
	fieldSubnetID          = "subnetId"
	fieldSecurityGroupIDs  = "securityGroupIds"
	fieldInstanceType      = "instanceType"
	fieldRightSizing       = "rightSizing"
	fieldInstanceProfile   = "instanceProfile"
	fieldPrivateIP         = "privateIp"
	fieldCopyPrivateIP     = "copyPrivateIp"
	fieldCopyTags          = "copyTags"
	fieldLaunchDisposition = "launchDisposition"
	fieldBYOL              = "byol"
	fieldTags              = "tags"
)

// level says where a field is written: the DRS launch configuration or
// the EC2 launch template.
type level int

const (
	levelDRS level = iota
	levelEC2
)

// held is what DRS and EC2 hold for one server, read back.
type held struct {
	lc   drs.LaunchConfiguration
	data ec2.TemplateData
}

// field is one managed launch setting: whether settings manage it, its
// intended and held values rendered as plan.FieldDrift says, and, where
// text equality is not the right test, how to compare them.
type field struct {
	name    string
	level   level
	managed func(s plan.LaunchSettings) bool
	want    func(s plan.LaunchSettings) string
	got     func(s plan.LaunchSettings, h held) string
	same    func(s plan.LaunchSettings, h held) bool // nil: want == got
}

// fields lists the managed fields in the order of LaunchSettings, which is
// the order drift reports them in.
var fields = []field{
	{
		name: fieldSubnetID, level: levelEC2,
		managed: func(s plan.LaunchSettings) bool { return s.SubnetID != "" },
		want:    func(s plan.LaunchSettings) string { return s.SubnetID },
		got:     func(_ plan.LaunchSettings, h held) string { return h.data.SubnetID },
	},
	{
		name: fieldSecurityGroupIDs, level: levelEC2,
		managed: func(s plan.LaunchSettings) bool { return len(s.SecurityGroupIDs) > 0 },
		want:    func(s plan.LaunchSettings) string { return renderSet(s.SecurityGroupIDs) },
		got:     func(_ plan.LaunchSettings, h held) string { return renderSet(h.data.SecurityGroupIDs) },
	},
	{
		// With right-sizing BASIC or IN_AWS the type is DRS's to choose.
		name: fieldInstanceType, level: levelEC2,
		managed: func(s plan.LaunchSettings) bool {
			return s.InstanceType != "" && rightSizing(s) == plan.RightSizingNone
		},
		want: func(s plan.LaunchSettings) string { return s.InstanceType },
		got:  func(_ plan.LaunchSettings, h held) string { return h.data.InstanceType },
	},
	{
		name: fieldRightSizing, level: levelDRS,
		managed: func(s plan.LaunchSettings) bool { return rightSizing(s) != "" },
		want:    rightSizing,
		got:     func(_ plan.LaunchSettings, h held) string { return h.lc.RightSizingMethod },
	},
	{
		name: fieldInstanceProfile, level: levelEC2,
		managed: func(s plan.LaunchSettings) bool { return s.InstanceProfile != "" },
		want:    func(s plan.LaunchSettings) string { return s.InstanceProfile },
		got:     func(_ plan.LaunchSettings, h held) string { return h.data.InstanceProfile },
		same: func(s plan.LaunchSettings, h held) bool {
			return sameProfile(s.InstanceProfile, h.data.InstanceProfile)
		},
	},
	{
		name: fieldPrivateIP, level: levelEC2,
		managed: func(s plan.LaunchSettings) bool { return s.PrivateIP != "" },
		want:    func(s plan.LaunchSettings) string { return s.PrivateIP },
		got:     func(_ plan.LaunchSettings, h held) string { return h.data.PrivateIP },
	},
	boolField(fieldCopyPrivateIP,
		func(s plan.LaunchSettings) *bool { return s.CopyPrivateIP },
		func(lc drs.LaunchConfiguration) bool { return lc.CopyPrivateIP }),
	boolField(fieldCopyTags,
		func(s plan.LaunchSettings) *bool { return s.CopyTags },
		func(lc drs.LaunchConfiguration) bool { return lc.CopyTags }),
	{
		name: fieldLaunchDisposition, level: levelDRS,
		managed: func(s plan.LaunchSettings) bool { return s.LaunchDisposition != "" },
		want:    func(s plan.LaunchSettings) string { return s.LaunchDisposition },
		got:     func(_ plan.LaunchSettings, h held) string { return h.lc.LaunchDisposition },
	},
	boolField(fieldBYOL,
		func(s plan.LaunchSettings) *bool { return s.BYOL },
		func(lc drs.LaunchConfiguration) bool { return lc.OSByol }),
	{
		// Only the keys the settings name are compared: other tags of the
		// template are someone else's.
		name: fieldTags, level: levelEC2,
		managed: func(s plan.LaunchSettings) bool { return len(s.Tags) > 0 },
		want:    func(s plan.LaunchSettings) string { return renderTags(s.Tags, s.Tags) },
		got:     func(s plan.LaunchSettings, h held) string { return renderTags(h.data.Tags, s.Tags) },
	},
}

func boolField(name string, want func(plan.LaunchSettings) *bool, got func(drs.LaunchConfiguration) bool) field {
	return field{
		name: name, level: levelDRS,
		managed: func(s plan.LaunchSettings) bool { return want(s) != nil },
		want:    func(s plan.LaunchSettings) string { return strconv.FormatBool(*want(s)) },
		got:     func(_ plan.LaunchSettings, h held) string { return strconv.FormatBool(got(h.lc)) },
	}
}

// rightSizing returns the right-sizing method the settings intend: their
// own, or NONE when they set an instance type (DRS would replace the type
// otherwise), or "" when they manage neither.
func rightSizing(s plan.LaunchSettings) string {
	if s.RightSizing != "" {
		return s.RightSizing
	}
	if s.InstanceType != "" {
		return plan.RightSizingNone
	}
	return ""
}

// differs returns the managed fields of the given level whose held value
// is not the intended one, in the order of fields.
func differs(s plan.LaunchSettings, h held, lv level) []string {
	var out []string
	for _, f := range fields {
		if f.level != lv || !f.managed(s) || f.equal(s, h) {
			continue
		}
		out = append(out, f.name)
	}
	return out
}

func (f field) equal(s plan.LaunchSettings, h held) bool {
	if f.same != nil {
		return f.same(s, h)
	}
	return f.want(s) == f.got(s, h)
}

// drift returns every managed field that differs, rendered.
func drift(s plan.LaunchSettings, h held) []plan.FieldDrift {
	out := []plan.FieldDrift{}
	for _, f := range fields {
		if !f.managed(s) || f.equal(s, h) {
			continue
		}
		out = append(out, plan.FieldDrift{Field: f.name, Want: f.want(s), Got: f.got(s, h)})
	}
	return out
}

// withDRS returns lc with the DRS-level fields s manages set; the others
// keep what DRS holds, since an update writes every member.
func withDRS(lc drs.LaunchConfiguration, s plan.LaunchSettings) drs.LaunchConfiguration {
	if rs := rightSizing(s); rs != "" {
		lc.RightSizingMethod = rs
	}
	if s.CopyPrivateIP != nil {
		lc.CopyPrivateIP = *s.CopyPrivateIP
	}
	if s.CopyTags != nil {
		lc.CopyTags = *s.CopyTags
	}
	if s.LaunchDisposition != "" {
		lc.LaunchDisposition = s.LaunchDisposition
	}
	if s.BYOL != nil {
		lc.OSByol = *s.BYOL
	}
	return lc
}

// withEC2 returns the template data of a new version: d as read back, with
// the EC2-level fields s manages replaced and its tags merged key by key
// over d's instance tags. Volume tags and everything unmanaged stay.
func withEC2(d ec2.TemplateData, s plan.LaunchSettings) ec2.TemplateData {
	out := d
	out.SecurityGroupIDs = slices.Clone(d.SecurityGroupIDs)
	out.Tags = maps.Clone(d.Tags)
	out.VolumeTags = maps.Clone(d.VolumeTags)
	if s.SubnetID != "" && s.SubnetID != d.SubnetID && s.PrivateIP == "" {
		// An address of the old subnet cannot be had in the new one; kept,
		// it would fail every launch.
		out.PrivateIP = ""
	}
	if s.SubnetID != "" {
		out.SubnetID = s.SubnetID
	}
	// Security groups the settings leave unmanaged stay; keptGroupsFit
	// refuses them first when a new subnet is in another VPC.
	if len(s.SecurityGroupIDs) > 0 {
		out.SecurityGroupIDs = uniqueSorted(s.SecurityGroupIDs)
	}
	if s.InstanceType != "" && rightSizing(s) == plan.RightSizingNone {
		out.InstanceType = s.InstanceType
	}
	if s.InstanceProfile != "" {
		out.InstanceProfile = s.InstanceProfile
	}
	if s.PrivateIP != "" {
		out.PrivateIP = s.PrivateIP
	}
	if len(s.Tags) > 0 {
		if out.Tags == nil {
			out.Tags = make(map[string]string, len(s.Tags))
		}
		maps.Copy(out.Tags, s.Tags)
	}
	return out
}

// sameProfile reports whether two names of an instance profile name the
// same one: equal, or one an ARN whose last path element is the other.
func sameProfile(want, got string) bool {
	if want == got {
		return true
	}
	name := func(p string) (string, bool) {
		if !strings.HasPrefix(p, "arn:") {
			return p, false
		}
		return p[strings.LastIndex(p, "/")+1:], true
	}
	w, wARN := name(want)
	g, gARN := name(got)
	return wARN != gARN && w == g
}

func uniqueSorted(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// renderSet renders a list compared as a set: sorted, without duplicates,
// comma-separated.
func renderSet(ids []string) string {
	return strings.Join(uniqueSorted(ids), ",")
}

// renderTags renders the tags of m whose keys are in keys as k=v pairs
// sorted by key, comma-separated.
func renderTags(m, keys map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		if v, ok := m[k]; ok {
			parts = append(parts, k+"="+v)
		}
	}
	return strings.Join(parts, ",")
}
