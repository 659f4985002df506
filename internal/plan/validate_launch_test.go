package plan

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	subnet1 = "subnet-0e5a1d00000000011"
	subnet2 = "subnet-0e5a1d00000000012"
	sg1     = "sg-0e5a1d00000000021"
	sg2     = "sg-0e5a1d00000000022"
)

func boolp(b bool) *bool { return &b }

// launchGroup is a valid group with launch settings and an override per
// server, one with a static IP.
func launchGroup() ProtectionGroup {
	g := validGroup()
	g.ServerSelector = nil
	g.LaunchSettings = &LaunchSettings{
		SubnetID:          subnet1,
		SecurityGroupIDs:  []string{sg1, sg2},
		InstanceType:      "m6i.large",
		RightSizing:       RightSizingNone,
		InstanceProfile:   "drsorch-recovery",
		CopyPrivateIP:     boolp(false),
		CopyTags:          boolp(true),
		LaunchDisposition: DispositionStarted,
		BYOL:              boolp(false),
		Tags:              map[string]string{"env": "dr"},
	}
	g.ServerLaunchSettings = map[string]LaunchSettings{
		srvA: {PrivateIP: "10.10.1.20", InstanceType: "r6i.xlarge"},
		srvB: {SubnetID: subnet2, LaunchDisposition: DispositionStopped, Tags: map[string]string{"role": "replica"}},
	}
	return g
}

func TestValidateLaunchSettings(t *testing.T) {
	other := ProtectionGroup{ID: "pg-2", Name: "app", Region: "us-east-1", SourceServerIDs: []string{srvC},
		LaunchSettings: &LaunchSettings{SubnetID: subnet1},
		ServerLaunchSettings: map[string]LaunchSettings{
			srvC: {PrivateIP: "10.10.1.30"},
		}}
	set := func(f func(s *LaunchSettings)) func(g *ProtectionGroup) {
		return func(g *ProtectionGroup) { f(g.LaunchSettings) }
	}
	server := func(id string, f func(s *LaunchSettings)) func(g *ProtectionGroup) {
		return func(g *ProtectionGroup) {
			s := g.ServerLaunchSettings[id]
			f(&s)
			g.ServerLaunchSettings[id] = s
		}
	}
	tests := []struct {
		name   string
		change func(g *ProtectionGroup)
		others []ProtectionGroup
		want   []string
	}{
		{name: "valid", change: func(g *ProtectionGroup) {}, others: []ProtectionGroup{other}},
		{name: "valid without group settings", change: func(g *ProtectionGroup) {
			g.LaunchSettings = nil
			g.ServerLaunchSettings[srvA] = LaunchSettings{SubnetID: subnet1, PrivateIP: "10.10.1.20"}
		}},
		{name: "valid short IDs", change: set(func(s *LaunchSettings) {
			s.SubnetID, s.SecurityGroupIDs = "subnet-0123abcd", []string{"sg-0123abcd"}
		})},
		{name: "valid instance types", change: func(g *ProtectionGroup) {
			g.LaunchSettings.InstanceType = "u-6tb1.metal"
			g.ServerLaunchSettings[srvA] = LaunchSettings{InstanceType: "m7i-flex.2xlarge"}
			g.ServerLaunchSettings[srvB] = LaunchSettings{InstanceType: "r7iz.metal-16xl"}
		}},
		{name: "valid profile ARN", change: set(func(s *LaunchSettings) {
			s.InstanceProfile = "arn:aws:iam::123456789012:instance-profile/dr/drsorch-recovery"
		})},
		{name: "valid GovCloud profile ARN", change: set(func(s *LaunchSettings) {
			s.InstanceProfile = "arn:aws-us-gov:iam::123456789012:instance-profile/x"
		})},
		{name: "valid right-sizing without type", change: func(g *ProtectionGroup) {
			g.LaunchSettings.InstanceType = ""
			g.LaunchSettings.RightSizing = RightSizingInAWS
			g.ServerLaunchSettings[srvA] = LaunchSettings{SubnetID: subnet1, PrivateIP: "10.10.1.20"}
		}},
		{name: "valid server turns right-sizing off", change: func(g *ProtectionGroup) {
			g.LaunchSettings.InstanceType, g.LaunchSettings.RightSizing = "", RightSizingBasic
			g.ServerLaunchSettings[srvA] = LaunchSettings{SubnetID: subnet1, PrivateIP: "10.10.1.20"}
			g.ServerLaunchSettings[srvB] = LaunchSettings{InstanceType: "c6i.large", RightSizing: RightSizingNone}
		}},
		{name: "valid 50 tags", change: func(g *ProtectionGroup) {
			for i := range 49 {
				g.LaunchSettings.Tags[fmt.Sprint("k", i)] = "v"
			}
			g.ServerLaunchSettings[srvB] = LaunchSettings{Tags: map[string]string{"env": "dr-replica"}}
		}},
		{name: "valid same IP in another subnet", change: func(g *ProtectionGroup) {
			g.ServerLaunchSettings[srvB] = LaunchSettings{SubnetID: subnet2, PrivateIP: "10.10.1.20"}
		}},
		{name: "valid same IP as own previous version", change: func(g *ProtectionGroup) {},
			others: []ProtectionGroup{launchGroup()}},
		{name: "valid with selector, server not listed", change: func(g *ProtectionGroup) {
			g.SourceServerIDs = nil
			g.ServerSelector = &Selector{Tags: map[string]string{"tier": "db"}}
		}},
		{name: "valid copyPrivateIp true without static IP", change: func(g *ProtectionGroup) {
			g.LaunchSettings.CopyPrivateIP = boolp(true)
			delete(g.ServerLaunchSettings, srvA)
		}},

		{name: "subnet malformed", change: set(func(s *LaunchSettings) { s.SubnetID = "subnet-0e5a1d0000000001" }),
			want: []string{"subnet_id_invalid launchSettings.subnetId"}},
		{name: "subnet upper case", change: set(func(s *LaunchSettings) { s.SubnetID = "subnet-0E5A1D00000000011" }),
			want: []string{"subnet_id_invalid launchSettings.subnetId"}},
		{name: "subnet padded", change: set(func(s *LaunchSettings) { s.SubnetID = " " + subnet1 }),
			want: []string{"subnet_id_invalid launchSettings.subnetId"}},
		{name: "server subnet", change: server(srvB, func(s *LaunchSettings) { s.SubnetID = "vpc-0123abcd" }),
			want: []string{"subnet_id_invalid serverLaunchSettings." + srvB + ".subnetId"}},
		{name: "security group malformed", change: set(func(s *LaunchSettings) { s.SecurityGroupIDs[1] = "sg-xyz" }),
			want: []string{"security_group_id_invalid launchSettings.securityGroupIds[1]"}},
		{name: "security group twice", change: set(func(s *LaunchSettings) { s.SecurityGroupIDs = []string{sg1, sg2, sg1} }),
			want: []string{"security_group_id_invalid launchSettings.securityGroupIds[2]"}},
		{name: "six security groups", change: set(func(s *LaunchSettings) {
			s.SecurityGroupIDs = nil
			for i := range 6 {
				s.SecurityGroupIDs = append(s.SecurityGroupIDs, fmt.Sprintf("sg-%08x", i))
			}
		}), want: []string{"security_group_id_invalid launchSettings.securityGroupIds"}},
		{name: "five security groups", change: set(func(s *LaunchSettings) {
			s.SecurityGroupIDs = nil
			for i := range 5 {
				s.SecurityGroupIDs = append(s.SecurityGroupIDs, fmt.Sprintf("sg-%08x", i))
			}
		})},
		{name: "instance type without size", change: set(func(s *LaunchSettings) { s.InstanceType = "m6i" }),
			want: []string{"instance_type_invalid launchSettings.instanceType"}},
		{name: "instance type upper case", change: set(func(s *LaunchSettings) { s.InstanceType = "M6i.large" }),
			want: []string{"instance_type_invalid launchSettings.instanceType"}},
		{name: "instance type two dots", change: set(func(s *LaunchSettings) { s.InstanceType = "m6i.large.x" }),
			want: []string{"instance_type_invalid launchSettings.instanceType"}},
		{name: "instance type too long", change: set(func(s *LaunchSettings) {
			s.InstanceType = strings.Repeat("m", 60) + ".large"
		}), want: []string{"instance_type_invalid launchSettings.instanceType"}},
		{name: "right-sizing unknown", change: set(func(s *LaunchSettings) { s.RightSizing = "none" }),
			want: []string{"right_sizing_invalid launchSettings.rightSizing"}},
		{name: "instance type with BASIC", change: set(func(s *LaunchSettings) { s.RightSizing = RightSizingBasic }),
			want: []string{
				"instance_type_needs_right_sizing_none launchSettings.rightSizing",
				// srvA's own type meets the group's BASIC too.
				"instance_type_needs_right_sizing_none serverLaunchSettings." + srvA + ".instanceType",
			}},
		{name: "server type with group's IN_AWS", change: func(g *ProtectionGroup) {
			g.LaunchSettings.InstanceType, g.LaunchSettings.RightSizing = "", RightSizingInAWS
			g.ServerLaunchSettings[srvB] = LaunchSettings{InstanceType: "c6i.large"}
			g.ServerLaunchSettings[srvA] = LaunchSettings{SubnetID: subnet1, PrivateIP: "10.10.1.20"}
		}, want: []string{"instance_type_needs_right_sizing_none serverLaunchSettings." + srvB + ".instanceType"}},
		{name: "server BASIC with group's type", change: server(srvB, func(s *LaunchSettings) {
			s.RightSizing = RightSizingBasic
		}), want: []string{"instance_type_needs_right_sizing_none serverLaunchSettings." + srvB + ".rightSizing"}},
		{name: "profile with a space", change: set(func(s *LaunchSettings) { s.InstanceProfile = "dr profile" }),
			want: []string{"instance_profile_invalid launchSettings.instanceProfile"}},
		{name: "profile too long", change: set(func(s *LaunchSettings) { s.InstanceProfile = strings.Repeat("p", 129) }),
			want: []string{"instance_profile_invalid launchSettings.instanceProfile"}},
		{name: "profile role ARN", change: set(func(s *LaunchSettings) {
			s.InstanceProfile = "arn:aws:iam::123456789012:role/drsorch"
		}), want: []string{"instance_profile_invalid launchSettings.instanceProfile"}},
		{name: "disposition", change: set(func(s *LaunchSettings) { s.LaunchDisposition = "RUNNING" }),
			want: []string{"launch_disposition_invalid launchSettings.launchDisposition"}},
		{name: "tag key empty", change: set(func(s *LaunchSettings) { s.Tags[""] = "x" }),
			want: []string{"launch_tag_invalid launchSettings.tags."}},
		{name: "tag key too long", change: set(func(s *LaunchSettings) { s.Tags[strings.Repeat("k", 129)] = "x" }),
			want: []string{"launch_tag_invalid launchSettings.tags." + strings.Repeat("k", 129)}},
		{name: "tag key of 128", change: set(func(s *LaunchSettings) { s.Tags[strings.Repeat("k", 128)] = "x" })},
		{name: "tag value too long", change: set(func(s *LaunchSettings) { s.Tags["env"] = strings.Repeat("v", 257) }),
			want: []string{"launch_tag_invalid launchSettings.tags.env"}},
		{name: "tag value of 256", change: set(func(s *LaunchSettings) { s.Tags["env"] = strings.Repeat("v", 256) })},
		{name: "tag aws: prefix", change: set(func(s *LaunchSettings) { s.Tags["AWS:name"] = "x" }),
			want: []string{"launch_tag_invalid launchSettings.tags.AWS:name"}},
		{name: "51 tags", change: set(func(s *LaunchSettings) {
			for i := range 50 {
				s.Tags[fmt.Sprint("k", i)] = "v"
			}
		}), want: []string{"launch_tag_invalid launchSettings.tags"}},
		{name: "51 tags with the group's", change: func(g *ProtectionGroup) {
			for i := range 30 {
				g.LaunchSettings.Tags[fmt.Sprint("g", i)] = "v"
			}
			for i := range 20 {
				g.ServerLaunchSettings[srvB].Tags[fmt.Sprint("s", i)] = "v"
			}
		}, want: []string{"launch_tag_invalid serverLaunchSettings." + srvB + ".tags"}},
		{name: "private IP on the group", change: set(func(s *LaunchSettings) { s.PrivateIP = "10.10.1.9" }),
			want: []string{"private_ip_on_group launchSettings.privateIp"}},
		{name: "private IP not an address", change: server(srvA, func(s *LaunchSettings) { s.PrivateIP = "10.10.1" }),
			want: []string{"private_ip_invalid serverLaunchSettings." + srvA + ".privateIp"}},
		{name: "private IP IPv6", change: server(srvA, func(s *LaunchSettings) { s.PrivateIP = "fd00::1" }),
			want: []string{"private_ip_invalid serverLaunchSettings." + srvA + ".privateIp"}},
		{name: "private IP mapped IPv4", change: server(srvA, func(s *LaunchSettings) { s.PrivateIP = "::ffff:10.10.1.20" }),
			want: []string{"private_ip_invalid serverLaunchSettings." + srvA + ".privateIp"}},
		{name: "private IP leading zero", change: server(srvA, func(s *LaunchSettings) { s.PrivateIP = "10.10.1.020" }),
			want: []string{"private_ip_invalid serverLaunchSettings." + srvA + ".privateIp"}},
		{name: "private IP loopback", change: server(srvA, func(s *LaunchSettings) { s.PrivateIP = "127.0.0.1" }),
			want: []string{"private_ip_invalid serverLaunchSettings." + srvA + ".privateIp"}},
		{name: "private IP needs a subnet", change: func(g *ProtectionGroup) {
			g.LaunchSettings.SubnetID = ""
		}, want: []string{"private_ip_needs_subnet serverLaunchSettings." + srvA + ".privateIp"}},
		{name: "private IP with the group's copyPrivateIp", change: set(func(s *LaunchSettings) {
			s.CopyPrivateIP = boolp(true)
		}), want: []string{"private_ip_copy_conflict serverLaunchSettings." + srvA + ".privateIp"}},
		{name: "private IP with own copyPrivateIp", change: server(srvA, func(s *LaunchSettings) {
			s.CopyPrivateIP = boolp(true)
		}), want: []string{"private_ip_copy_conflict serverLaunchSettings." + srvA + ".privateIp"}},
		{name: "private IP twice in the group", change: server(srvB, func(s *LaunchSettings) {
			s.SubnetID, s.PrivateIP = "", "10.10.1.20"
		}), want: []string{"private_ip_duplicate serverLaunchSettings." + srvB + ".privateIp"}},
		{name: "private IP of another group", change: server(srvA, func(s *LaunchSettings) { s.PrivateIP = "10.10.1.30" }),
			others: []ProtectionGroup{other},
			want:   []string{"private_ip_duplicate serverLaunchSettings." + srvA + ".privateIp"}},
		{name: "settings of a bad server ID", change: func(g *ProtectionGroup) {
			g.ServerLaunchSettings["s-123"] = LaunchSettings{LaunchDisposition: DispositionStopped}
		}, want: []string{"source_server_id_invalid serverLaunchSettings.s-123"}},
		{name: "settings of a server not in the group", change: func(g *ProtectionGroup) {
			g.ServerLaunchSettings[srvC] = LaunchSettings{LaunchDisposition: DispositionStopped}
		}, want: []string{"server_settings_not_in_group serverLaunchSettings." + srvC}},
		{name: "every launch problem at once", change: func(g *ProtectionGroup) {
			g.LaunchSettings.SubnetID = "subnet-1"
			g.LaunchSettings.RightSizing = "AUTO"
			g.LaunchSettings.PrivateIP = "10.10.1.1"
			g.ServerLaunchSettings[srvB] = LaunchSettings{InstanceType: "big", PrivateIP: "10.10.1.300"}
		}, want: []string{
			"subnet_id_invalid launchSettings.subnetId",
			"right_sizing_invalid launchSettings.rightSizing",
			"private_ip_on_group launchSettings.privateIp",
			"instance_type_invalid serverLaunchSettings." + srvB + ".instanceType",
			"private_ip_invalid serverLaunchSettings." + srvB + ".privateIp",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := launchGroup()
			tt.change(&g)
			got := codes(t, ValidateGroup(g, tt.others))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidatePrivateIPDuplicateNamesTheOther(t *testing.T) {
	other := ProtectionGroup{ID: "pg-2", Name: "app", Region: "us-east-1", SourceServerIDs: []string{srvC},
		ServerLaunchSettings: map[string]LaunchSettings{
			srvC: {SubnetID: subnet1, PrivateIP: "10.10.1.20"},
		}}
	tests := []struct {
		name   string
		change func(g *ProtectionGroup)
		others []ProtectionGroup
		want   string
	}{
		{name: "another group", others: []ProtectionGroup{other}, change: func(g *ProtectionGroup) {},
			want: `serverLaunchSettings.` + srvA + `.privateIp: private IP 10.10.1.20 in ` + subnet1 +
				` is already given to source server ` + srvC + ` of protection group "app" (private_ip_duplicate)`},
		{name: "same group", change: func(g *ProtectionGroup) {
			g.ServerLaunchSettings[srvB] = LaunchSettings{PrivateIP: "10.10.1.20"}
		}, want: `serverLaunchSettings.` + srvB + `.privateIp: private IP 10.10.1.20 in ` + subnet1 +
			` is already given to source server ` + srvA + ` of protection group "db" (private_ip_duplicate)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := launchGroup()
			tt.change(&g)
			err := ValidateGroup(g, tt.others)
			if err == nil || err.Error() != tt.want {
				t.Errorf("error = %v\nwant    %s", err, tt.want)
			}
		})
	}
}

func TestValidateHealthGate(t *testing.T) {
	gate := func(f func(g *HealthGate)) func(p *RecoveryPlan) {
		return func(p *RecoveryPlan) {
			g := &HealthGate{StatusChecks: true, CheckURL: "https://health.example.com/check",
				TimeoutMinutes: 30, IntervalSeconds: 20}
			f(g)
			p.Waves[1].HealthGate = g
		}
	}
	tests := []struct {
		name   string
		change func(p *RecoveryPlan)
		want   []string
	}{
		{name: "valid", change: gate(func(g *HealthGate) {})},
		{name: "valid status checks only, defaults", change: gate(func(g *HealthGate) {
			g.CheckURL, g.TimeoutMinutes, g.IntervalSeconds = "", 0, 0
		})},
		{name: "valid URL only", change: gate(func(g *HealthGate) { g.StatusChecks, g.CheckURL = false, "http://10.0.0.1:8080/" })},
		{name: "valid bounds", change: gate(func(g *HealthGate) {
			g.TimeoutMinutes, g.IntervalSeconds = MaxGateTimeoutMinutes, MinGateIntervalSeconds
		})},
		{name: "valid upper interval", change: gate(func(g *HealthGate) {
			g.TimeoutMinutes, g.IntervalSeconds = 1, MaxGateIntervalSeconds
		})},
		{name: "empty", change: gate(func(g *HealthGate) { *g = HealthGate{} }),
			want: []string{"health_gate_empty waves[1].healthGate"}},
		{name: "URL relative", change: gate(func(g *HealthGate) { g.CheckURL = "/health" }),
			want: []string{"health_gate_url_invalid waves[1].healthGate.checkUrl"}},
		{name: "URL scheme", change: gate(func(g *HealthGate) { g.CheckURL = "ftp://h.example/x" }),
			want: []string{"health_gate_url_invalid waves[1].healthGate.checkUrl"}},
		{name: "URL too long", change: gate(func(g *HealthGate) {
			g.CheckURL = "https://h.example/" + strings.Repeat("x", MaxHookURLLen)
		}), want: []string{"health_gate_url_invalid waves[1].healthGate.checkUrl"}},
		{name: "timeout negative", change: gate(func(g *HealthGate) { g.TimeoutMinutes = -1 }),
			want: []string{"health_gate_timeout_out_of_range waves[1].healthGate.timeoutMinutes"}},
		{name: "timeout too long", change: gate(func(g *HealthGate) { g.TimeoutMinutes = MaxGateTimeoutMinutes + 1 }),
			want: []string{"health_gate_timeout_out_of_range waves[1].healthGate.timeoutMinutes"}},
		{name: "interval too short", change: gate(func(g *HealthGate) { g.IntervalSeconds = MinGateIntervalSeconds - 1 }),
			want: []string{"health_gate_interval_out_of_range waves[1].healthGate.intervalSeconds"}},
		{name: "interval negative", change: gate(func(g *HealthGate) { g.IntervalSeconds = -5 }),
			want: []string{"health_gate_interval_out_of_range waves[1].healthGate.intervalSeconds"}},
		{name: "interval too long", change: gate(func(g *HealthGate) { g.IntervalSeconds = MaxGateIntervalSeconds + 1 }),
			want: []string{"health_gate_interval_out_of_range waves[1].healthGate.intervalSeconds"}},
		{name: "every gate problem", change: gate(func(g *HealthGate) {
			*g = HealthGate{CheckURL: "x", TimeoutMinutes: 9999, IntervalSeconds: 1}
		}), want: []string{
			"health_gate_url_invalid waves[1].healthGate.checkUrl",
			"health_gate_timeout_out_of_range waves[1].healthGate.timeoutMinutes",
			"health_gate_interval_out_of_range waves[1].healthGate.intervalSeconds",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := validPlan()
			tt.change(&p)
			got := codes(t, ValidatePlan(p, testGroups()))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
