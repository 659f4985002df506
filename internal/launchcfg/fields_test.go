package launchcfg

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/ec2"
	"github.com/drsorch/drsorch/internal/plan"
)

func ptr[T any](v T) *T { return &v }

func TestDriftFields(t *testing.T) {
	base := held{
		lc: drs.LaunchConfiguration{RightSizingMethod: plan.RightSizingBasic, LaunchDisposition: plan.DispositionStarted,
			CopyPrivateIP: true},
		data: ec2.TemplateData{
			SubnetID: "subnet-0e5a1d00000000011", SecurityGroupIDs: []string{"sg-b", "sg-a"},
			InstanceType: "t3.small", InstanceProfile: "arn:aws:iam::123456789012:instance-profile/app/dr-role",
			Tags: map[string]string{"Env": "prod", "Other": "x"},
		},
	}
	tests := []struct {
		name string
		s    plan.LaunchSettings
		want []plan.FieldDrift
	}{
		{name: "nothing managed", s: plan.LaunchSettings{}, want: []plan.FieldDrift{}},
		{
			name: "in line",
			s: plan.LaunchSettings{SubnetID: "subnet-0e5a1d00000000011", SecurityGroupIDs: []string{"sg-a", "sg-b", "sg-a"},
				RightSizing: plan.RightSizingBasic, InstanceProfile: "dr-role", CopyPrivateIP: ptr(true),
				LaunchDisposition: plan.DispositionStarted, Tags: map[string]string{"Env": "prod"}},
			want: []plan.FieldDrift{},
		},
		{
			name: "instance type set means right-sizing NONE",
			s:    plan.LaunchSettings{InstanceType: "m6i.large"},
			want: []plan.FieldDrift{
				{Field: "instanceType", Want: "m6i.large", Got: "t3.small"},
				{Field: "rightSizing", Want: "NONE", Got: "BASIC"},
			},
		},
		{
			name: "instance type not compared under BASIC",
			s:    plan.LaunchSettings{InstanceType: "m6i.large", RightSizing: plan.RightSizingBasic},
			want: []plan.FieldDrift{},
		},
		{
			name: "every kind differs",
			s: plan.LaunchSettings{SubnetID: "subnet-0e5a1d00000000012", SecurityGroupIDs: []string{"sg-c", "sg-a"},
				InstanceProfile: "other", PrivateIP: "10.10.2.9", CopyPrivateIP: ptr(false), CopyTags: ptr(true),
				LaunchDisposition: plan.DispositionStopped, BYOL: ptr(true),
				Tags: map[string]string{"Env": "dr", "Team": "db"}},
			want: []plan.FieldDrift{
				{Field: "subnetId", Want: "subnet-0e5a1d00000000012", Got: "subnet-0e5a1d00000000011"},
				{Field: "securityGroupIds", Want: "sg-a,sg-c", Got: "sg-a,sg-b"},
				{Field: "instanceProfile", Want: "other", Got: "arn:aws:iam::123456789012:instance-profile/app/dr-role"},
				{Field: "privateIp", Want: "10.10.2.9", Got: ""},
				{Field: "copyPrivateIp", Want: "false", Got: "true"},
				{Field: "copyTags", Want: "true", Got: "false"},
				{Field: "launchDisposition", Want: "STOPPED", Got: "STARTED"},
				{Field: "byol", Want: "true", Got: "false"},
				{Field: "tags", Want: "Env=dr,Team=db", Got: "Env=prod"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, drift(tt.s, base)); diff != "" {
				t.Errorf("drift mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDiffersByLevel(t *testing.T) {
	s := plan.LaunchSettings{InstanceType: "m6i.large", CopyTags: ptr(true), SubnetID: "subnet-x", BYOL: ptr(false)}
	h := held{lc: drs.LaunchConfiguration{RightSizingMethod: plan.RightSizingNone}}
	if diff := cmp.Diff([]string{"copyTags"}, differs(s, h, levelDRS)); diff != "" {
		t.Errorf("DRS level mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"subnetId", "instanceType"}, differs(s, h, levelEC2)); diff != "" {
		t.Errorf("EC2 level mismatch (-want +got):\n%s", diff)
	}
}

func TestWithDRS(t *testing.T) {
	lc := drs.LaunchConfiguration{SourceServerID: "s-1", Name: "n", EC2LaunchTemplateID: "lt-1",
		LaunchDisposition: plan.DispositionStarted, RightSizingMethod: plan.RightSizingBasic,
		CopyPrivateIP: true, CopyTags: true, OSByol: true, PostLaunchEnabled: true}
	got := withDRS(lc, plan.LaunchSettings{InstanceType: "m6i.large", CopyTags: ptr(false)})
	want := lc
	want.RightSizingMethod = plan.RightSizingNone
	want.CopyTags = false
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestWithEC2(t *testing.T) {
	d := ec2.TemplateData{InstanceType: "t3.small", SubnetID: "subnet-a", SecurityGroupIDs: []string{"sg-1"},
		PrivateIP: "10.0.0.9", InstanceProfile: "p", Tags: map[string]string{"Keep": "1", "Env": "prod"},
		VolumeTags: map[string]string{"Vol": "v"}}
	tests := []struct {
		name string
		s    plan.LaunchSettings
		want ec2.TemplateData
	}{
		{
			name: "tags merged, rest kept",
			s:    plan.LaunchSettings{Tags: map[string]string{"Env": "dr", "New": "n"}},
			want: ec2.TemplateData{InstanceType: "t3.small", SubnetID: "subnet-a", SecurityGroupIDs: []string{"sg-1"},
				PrivateIP: "10.0.0.9", InstanceProfile: "p", Tags: map[string]string{"Keep": "1", "Env": "dr", "New": "n"},
				VolumeTags: map[string]string{"Vol": "v"}},
		},
		{
			name: "new subnet drops the old static IP",
			s:    plan.LaunchSettings{SubnetID: "subnet-b", SecurityGroupIDs: []string{"sg-3", "sg-2"}, InstanceType: "m6i.large"},
			want: ec2.TemplateData{InstanceType: "m6i.large", SubnetID: "subnet-b", SecurityGroupIDs: []string{"sg-2", "sg-3"},
				InstanceProfile: "p", Tags: map[string]string{"Keep": "1", "Env": "prod"},
				VolumeTags: map[string]string{"Vol": "v"}},
		},
		{
			name: "new subnet and static IP",
			s:    plan.LaunchSettings{SubnetID: "subnet-b", PrivateIP: "10.0.1.7", InstanceProfile: "q"},
			want: ec2.TemplateData{InstanceType: "t3.small", SubnetID: "subnet-b", SecurityGroupIDs: []string{"sg-1"},
				PrivateIP: "10.0.1.7", InstanceProfile: "q", Tags: map[string]string{"Keep": "1", "Env": "prod"},
				VolumeTags: map[string]string{"Vol": "v"}},
		},
		{
			name: "instance type left to right-sizing",
			s:    plan.LaunchSettings{InstanceType: "m6i.large", RightSizing: plan.RightSizingInAWS},
			want: d,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := withEC2(d, tt.s)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
	if d.Tags["Env"] != "prod" || len(d.Tags) != 2 {
		t.Errorf("withEC2 changed its input's tags: %v", d.Tags)
	}
}

func TestSameProfile(t *testing.T) {
	arn := "arn:aws:iam::123456789012:instance-profile/path/dr"
	tests := []struct {
		want, got string
		same      bool
	}{
		{"dr", "dr", true},
		{"dr", arn, true},
		{arn, "dr", true},
		{arn, arn, true},
		{"dr", "arn:aws:iam::123456789012:instance-profile/dr2", false},
		{"arn:aws:iam::123456789012:instance-profile/a/dr", arn, false},
		{"dr", "", false},
	}
	for _, tt := range tests {
		if got := sameProfile(tt.want, tt.got); got != tt.same {
			t.Errorf("sameProfile(%q, %q) = %v, want %v", tt.want, tt.got, got, tt.same)
		}
	}
}

func TestMissingTags(t *testing.T) {
	have := map[string]string{"Name": "web1", "Env": "prod", "Only": "drs"}
	want := map[string]string{"Name": "web1", "Env": "dr", "New": "x", "aws:cloudformation:stack": "s", "AWS:x": "y"}
	if diff := cmp.Diff(map[string]string{"Env": "dr", "New": "x"}, missingTags(have, want)); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	if got := missingTags(have, map[string]string{"Name": "web1", "aws:a": "b"}); got != nil {
		t.Errorf("missingTags of tags in line = %v, want nil", got)
	}
}
