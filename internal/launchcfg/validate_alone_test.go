package launchcfg

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/plan"
)

const (
	subnetA = "subnet-0e5a1d00000000011"
	subnetB = "subnet-0e5a1d00000000012"
)

// codeField is the comparable part of a FieldError.
type codeField struct{ Code, Field string }

func codesOf(errs plan.Errors) []codeField {
	out := []codeField{}
	for _, e := range errs {
		out = append(out, codeField{e.Code, e.Field})
	}
	return out
}

func serverTarget(id string, s plan.LaunchSettings) plan.SettingsTarget {
	return plan.SettingsTarget{GroupID: "pg-1", SourceServerID: id, Settings: s, Field: "serverLaunchSettings." + id}
}

func TestCheckWithoutEC2(t *testing.T) {
	tests := []struct {
		name    string
		targets []plan.SettingsTarget
		want    []codeField
	}{
		{
			name: "valid",
			targets: []plan.SettingsTarget{
				serverTarget("s-1", plan.LaunchSettings{SubnetID: subnetA, PrivateIP: "10.10.1.10", CopyPrivateIP: ptr(false)}),
				serverTarget("s-2", plan.LaunchSettings{SubnetID: subnetB, PrivateIP: "10.10.1.10"}),
			},
			want: []codeField{},
		},
		{
			name: "private IP problems",
			targets: []plan.SettingsTarget{
				serverTarget("s-1", plan.LaunchSettings{SubnetID: subnetA, PrivateIP: "10.10.1.300"}),
				serverTarget("s-2", plan.LaunchSettings{PrivateIP: "10.10.1.11"}),
				serverTarget("s-3", plan.LaunchSettings{SubnetID: subnetA, PrivateIP: "10.10.1.12", CopyPrivateIP: ptr(true)}),
				{GroupID: "pg-1", SourceServerID: "s-4", Field: "launchSettings",
					Settings: plan.LaunchSettings{SubnetID: subnetA, PrivateIP: "10.10.1.13"}},
			},
			want: []codeField{
				{plan.CodePrivateIPInvalid, "serverLaunchSettings.s-1.privateIp"},
				{plan.CodePrivateIPNeedsSubnet, "serverLaunchSettings.s-2.privateIp"},
				{plan.CodePrivateIPCopyConflict, "serverLaunchSettings.s-3.privateIp"},
				{plan.CodePrivateIPOnGroup, "launchSettings.privateIp"},
			},
		},
		{
			name: "duplicate in one subnet, each holder told",
			targets: []plan.SettingsTarget{
				serverTarget("s-1", plan.LaunchSettings{SubnetID: subnetA, PrivateIP: "10.10.1.20"}),
				serverTarget("s-2", plan.LaunchSettings{SubnetID: subnetA, PrivateIP: "10.10.1.21"}),
				serverTarget("s-3", plan.LaunchSettings{SubnetID: subnetA, PrivateIP: "10.10.1.20"}),
			},
			want: []codeField{
				{plan.CodePrivateIPDuplicate, "serverLaunchSettings.s-1.privateIp"},
				{plan.CodePrivateIPDuplicate, "serverLaunchSettings.s-3.privateIp"},
			},
		},
		{
			name: "shapes and values",
			targets: []plan.SettingsTarget{
				serverTarget("s-1", plan.LaunchSettings{SubnetID: "subnet-XYZ", SecurityGroupIDs: []string{"sg-0e5a1d00000000021", "default"},
					InstanceType: "m6i.large", RightSizing: plan.RightSizingBasic, LaunchDisposition: "RUNNING",
					Tags: map[string]string{"aws:x": "1", "ok": "2"}}),
				serverTarget("s-2", plan.LaunchSettings{RightSizing: "SOMETIMES"}),
			},
			want: []codeField{
				{plan.CodeSubnetIDInvalid, "serverLaunchSettings.s-1.subnetId"},
				{plan.CodeSecurityGroupIDInvalid, "serverLaunchSettings.s-1.securityGroupIds[1]"},
				{plan.CodeInstanceTypeRightSizing, "serverLaunchSettings.s-1.rightSizing"},
				{plan.CodeDispositionInvalid, "serverLaunchSettings.s-1.launchDisposition"},
				{plan.CodeLaunchTagInvalid, "serverLaunchSettings.s-1.tags.aws:x"},
				{plan.CodeRightSizingInvalid, "serverLaunchSettings.s-2.rightSizing"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Nothing in these needs EC2 beyond what checkAlone leaves for
			// it, so a Service without clients must not be asked for one.
			ts := make([]*target, len(tt.targets))
			for i, st := range tt.targets {
				ts[i] = checkAlone(st)
			}
			checkDuplicates(ts)
			var errs plan.Errors
			for _, t := range ts {
				errs = append(errs, t.errs...)
			}
			if diff := cmp.Diff(tt.want, codesOf(errs)); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidateWithoutEC2Client(t *testing.T) {
	ec2Down := errors.New("connection refused")
	s := New(Options{EC2: func(context.Context, string, string) (EC2, error) { return nil, ec2Down }})
	ctx := t.Context()

	// Only static checks are needed: no client asked for.
	if err := s.Validate(ctx, "", "us-east-1", []plan.SettingsTarget{
		serverTarget("s-1", plan.LaunchSettings{CopyTags: ptr(true)}),
	}); err != nil {
		t.Fatalf("Validate without EC2 fields: %v", err)
	}

	// An outage alone: an UncheckedError, not a plan.Errors.
	err := s.Validate(ctx, "", "us-east-1", []plan.SettingsTarget{
		serverTarget("s-1", plan.LaunchSettings{SubnetID: subnetA}),
	})
	var u *UncheckedError
	var pe plan.Errors
	if !errors.As(err, &u) || errors.As(err, &pe) || !errors.Is(err, ec2Down) {
		t.Fatalf("Validate with EC2 down = %v (%T), want an *UncheckedError wrapping the cause", err, err)
	}
	if u.FieldError().Code != plan.CodeLaunchSettingsUnchecked {
		t.Errorf("FieldError code = %q", u.FieldError().Code)
	}

	// Invalid input and an outage: the invalid input, and the outage noted.
	err = s.Validate(ctx, "", "us-east-1", []plan.SettingsTarget{
		serverTarget("s-1", plan.LaunchSettings{SubnetID: subnetA, PrivateIP: "x"}),
	})
	if !errors.As(err, &pe) {
		t.Fatalf("Validate = %v, want a plan.Errors", err)
	}
	want := []codeField{{plan.CodePrivateIPInvalid, "serverLaunchSettings.s-1.privateIp"}, {plan.CodeLaunchSettingsUnchecked, ""}}
	if diff := cmp.Diff(want, codesOf(pe)); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestDescribeKnown(t *testing.T) {
	exist := map[string]bool{"a": true, "c": true}
	var calls [][]string
	describe := func(_ context.Context, ids []string) ([]string, error) {
		calls = append(calls, ids)
		for _, id := range ids {
			if !exist[id] {
				return nil, fmt.Errorf("describe: %s: %w", id, drs.ErrNotFound)
			}
		}
		return ids, nil
	}
	id := func(s string) string { return s }

	got, err := describeKnown(t.Context(), []string{"a", "c"}, describe, id)
	if err != nil || len(got) != 2 || len(calls) != 1 {
		t.Fatalf("all known: %v, %v after %d calls", got, err, len(calls))
	}

	calls = nil
	got, err = describeKnown(t.Context(), []string{"a", "b", "c"}, describe, id)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"a": "a", "c": "c"}, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	if len(calls) != 4 {
		t.Errorf("%d calls, want one together and three alone", len(calls))
	}

	boom := errors.New("boom")
	_, err = describeKnown(t.Context(), []string{"a"}, func(context.Context, []string) ([]string, error) { return nil, boom }, id)
	if !errors.Is(err, boom) {
		t.Errorf("call failure = %v, want boom", err)
	}
}
