package launchcfg

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdkdrs "github.com/aws/aws-sdk-go-v2/service/drs"
	drstypes "github.com/aws/aws-sdk-go-v2/service/drs/types"
	sdkec2 "github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/drssim"
	"github.com/drsorch/drsorch/internal/plan"
)

// TestApplyGroup applies a group's settings with one server's override to
// every server, reads them back from DRS and EC2, and launches a drill
// that must come up where the settings say.
func TestApplyGroup(t *testing.T) {
	h := newHarness(t, 4)
	ctx := t.Context()
	ids := h.servers
	over := ids[1]
	g := group(ids, &plan.LaunchSettings{
		SubnetID: simSubnet2, SecurityGroupIDs: []string{simSGApp, simSGDB}, InstanceType: "m7i.large",
		CopyPrivateIP: ptr(false), CopyTags: ptr(true), Tags: map[string]string{"Env": "dr"},
	}, map[string]plan.LaunchSettings{
		over: {SubnetID: simSubnet3, PrivateIP: "10.10.3.50", InstanceType: "r7i.xlarge", Tags: map[string]string{"Tier": "db"}},
	})
	targets := plan.SettingsTargets(g, ids)

	got, err := h.svc.Apply(ctx, "", simRegion, targets)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	if len(got) != len(ids) {
		t.Fatalf("%d results for %d servers", len(got), len(ids))
	}
	for i, r := range got {
		if r.Error != "" {
			t.Errorf("%s: %s", r.SourceServerID, r.Error)
		}
		if r.SourceServerID != ids[i] || r.GroupID != g.ID || r.Region != simRegion || r.Time.IsZero() {
			t.Errorf("result %d: %+v", i, r)
		}
		if !slices.IsSorted(r.Changed) || !slices.Contains(r.Changed, "subnetId") || !slices.Contains(r.Changed, "instanceType") {
			t.Errorf("%s changed %v, want a sorted list with subnetId and instanceType", r.SourceServerID, r.Changed)
		}
	}

	want := map[string]struct {
		subnet, ip, typ string
		tags            map[string]string
	}{}
	for _, id := range ids {
		want[id] = struct {
			subnet, ip, typ string
			tags            map[string]string
		}{simSubnet2, "", "m7i.large", map[string]string{"Env": "dr"}}
	}
	want[over] = struct {
		subnet, ip, typ string
		tags            map[string]string
	}{simSubnet3, "10.10.3.50", "r7i.xlarge", map[string]string{"Env": "dr", "Tier": "db"}}

	for i, id := range ids {
		st := h.state(t, id)
		w := want[id]
		if st.LC.RightSizingMethod != plan.RightSizingNone || st.LC.CopyPrivateIP || !st.LC.CopyTags {
			t.Errorf("%s launch configuration %+v: want right-sizing NONE, copyPrivateIp false, copyTags true", id, st.LC)
		}
		d := st.Template.Data
		if d.SubnetID != w.subnet || d.PrivateIP != w.ip || d.InstanceType != w.typ {
			t.Errorf("%s default template version: subnet %s ip %q type %s, want %s %q %s",
				id, d.SubnetID, d.PrivateIP, d.InstanceType, w.subnet, w.ip, w.typ)
		}
		if diff := cmp.Diff([]string{simSGDB, simSGApp}, uniqueSorted(d.SecurityGroupIDs)); diff != "" {
			t.Errorf("%s security groups mismatch (-want +got):\n%s", id, diff)
		}
		for k, v := range w.tags {
			if d.Tags[k] != v {
				t.Errorf("%s template tag %s = %q, want %q", id, k, d.Tags[k], v)
			}
		}
		if got[i].LaunchTemplateID != st.LC.EC2LaunchTemplateID || got[i].LaunchTemplateVersion != st.Template.Version {
			t.Errorf("%s result names %s v%d, default is %s v%d", id, got[i].LaunchTemplateID,
				got[i].LaunchTemplateVersion, st.LC.EC2LaunchTemplateID, st.Template.Version)
		}
	}

	instances := h.drill(t, ids)
	for _, id := range ids {
		in, w := instances[id], want[id]
		if in.SubnetID != w.subnet || in.InstanceType != w.typ || (w.ip != "" && in.PrivateIP != w.ip) {
			t.Errorf("%s launched in %s at %s as %s; want %s, %q, %s", id, in.SubnetID, in.PrivateIP, in.InstanceType,
				w.subnet, w.ip, w.typ)
		}
	}
}

// TestApplyRefusesInvalid gives Apply one valid target beside an invalid
// one and checks that the invalid one is reported with its code and
// field, and that neither server's launch configuration or template
// changed.
func TestApplyRefusesInvalid(t *testing.T) {
	h := newHarness(t, 4)
	ctx := t.Context()
	a, b, c := h.servers[0], h.servers[1], h.servers[2]

	// c holds 10.10.1.40 through a drill instance of its own.
	if _, err := h.svc.Apply(ctx, "", simRegion, []plan.SettingsTarget{
		serverTarget(c, plan.LaunchSettings{SubnetID: simSubnet1, PrivateIP: "10.10.1.40"}),
	}); err != nil {
		t.Fatal(err)
	}
	h.drill(t, []string{c})

	// The source site's machines are in a VPC of their own.
	src, ok := h.sim.Instance(h.sim.SourceInstanceID(a))
	if !ok || len(src.SecurityGroupIDs) == 0 {
		t.Fatalf("source instance of %s: %+v", a, src)
	}
	sourceSG := src.SecurityGroupIDs[0]

	valid := serverTarget(a, plan.LaunchSettings{SubnetID: simSubnet1, InstanceType: "c6i.large"})
	ip := func(addr string) plan.SettingsTarget {
		return serverTarget(b, plan.LaunchSettings{SubnetID: simSubnet1, PrivateIP: addr})
	}
	bField := "serverLaunchSettings." + b + ".privateIp"
	tests := []struct {
		name    string
		targets []plan.SettingsTarget
		want    []codeField
	}{
		{"outside the subnet", []plan.SettingsTarget{valid, ip("10.10.2.10")},
			[]codeField{{plan.CodePrivateIPOutsideSubnet, bField}}},
		{"network address", []plan.SettingsTarget{valid, ip("10.10.1.0")},
			[]codeField{{plan.CodePrivateIPReserved, bField}}},
		{"VPC router", []plan.SettingsTarget{valid, ip("10.10.1.1")},
			[]codeField{{plan.CodePrivateIPReserved, bField}}},
		{"DNS", []plan.SettingsTarget{valid, ip("10.10.1.2")},
			[]codeField{{plan.CodePrivateIPReserved, bField}}},
		{"future use", []plan.SettingsTarget{valid, ip("10.10.1.3")},
			[]codeField{{plan.CodePrivateIPReserved, bField}}},
		{"broadcast", []plan.SettingsTarget{valid, ip("10.10.1.255")},
			[]codeField{{plan.CodePrivateIPReserved, bField}}},
		{"in use by another server's instance", []plan.SettingsTarget{valid, ip("10.10.1.40")},
			[]codeField{{plan.CodePrivateIPInUse, bField}}},
		{"given to two servers", []plan.SettingsTarget{
			serverTarget(a, plan.LaunchSettings{SubnetID: simSubnet1, PrivateIP: "10.10.1.77"}), ip("10.10.1.77")},
			[]codeField{{plan.CodePrivateIPDuplicate, "serverLaunchSettings." + a + ".privateIp"}, {plan.CodePrivateIPDuplicate, bField}}},
		{"no subnet", []plan.SettingsTarget{valid, serverTarget(b, plan.LaunchSettings{PrivateIP: "10.10.1.50"})},
			[]codeField{{plan.CodePrivateIPNeedsSubnet, bField}}},
		{"subnet that does not exist", []plan.SettingsTarget{valid,
			serverTarget(b, plan.LaunchSettings{SubnetID: "subnet-0e5a1d00000000099", PrivateIP: "10.10.9.50"})},
			[]codeField{{plan.CodeSubnetNotFound, "serverLaunchSettings." + b + ".subnetId"}}},
		{"copyPrivateIp true", []plan.SettingsTarget{valid,
			serverTarget(b, plan.LaunchSettings{SubnetID: simSubnet1, PrivateIP: "10.10.1.50", CopyPrivateIP: ptr(true)})},
			[]codeField{{plan.CodePrivateIPCopyConflict, bField}}},
		{"security group of another VPC", []plan.SettingsTarget{valid,
			serverTarget(b, plan.LaunchSettings{SubnetID: simSubnet1, SecurityGroupIDs: []string{sourceSG}})},
			[]codeField{{plan.CodeSecurityGroupOtherVPC, "serverLaunchSettings." + b + ".securityGroupIds[0]"}}},
		{"group's subnet that does not exist, once for its three servers", func() []plan.SettingsTarget {
			g := plan.LaunchSettings{SubnetID: "subnet-0e5a1d00000000099"}
			var ts []plan.SettingsTarget
			for _, id := range []string{a, b, c} {
				ts = append(ts, plan.SettingsTarget{GroupID: "pg-1", SourceServerID: id, Settings: g, Field: "launchSettings"})
			}
			return ts
		}(), []codeField{{plan.CodeSubnetNotFound, "launchSettings.subnetId"}}},
		{"security group that does not exist", []plan.SettingsTarget{valid,
			serverTarget(b, plan.LaunchSettings{SubnetID: simSubnet1, SecurityGroupIDs: []string{simSGWeb, "sg-0e5a1d00000000099"}})},
			[]codeField{{plan.CodeSecurityGroupNotFound, "serverLaunchSettings." + b + ".securityGroupIds[1]"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := map[string]state{a: h.state(t, a), b: h.state(t, b)}
			h.calls.take()
			res, err := h.svc.Apply(ctx, "", simRegion, tt.targets)
			var errs plan.Errors
			if !errors.As(err, &errs) || res != nil {
				t.Fatalf("apply = %v, %v; want no results and a plan.Errors", res, err)
			}
			if diff := cmp.Diff(tt.want, codesOf(errs)); diff != "" {
				t.Errorf("errors mismatch (-want +got):\n%s\n%v", diff, errs)
			}
			if w := writes(h.calls.take()); len(w) > 0 {
				t.Errorf("writes %v after a refusal", w)
			}
			for id, st := range before {
				if diff := cmp.Diff(st, h.state(t, id)); diff != "" {
					t.Errorf("%s changed (-before +after):\n%s", id, diff)
				}
			}
		})
	}

	// c's own address is no obstacle to c.
	if err := h.svc.Validate(ctx, "", simRegion, []plan.SettingsTarget{
		serverTarget(c, plan.LaunchSettings{SubnetID: simSubnet1, PrivateIP: "10.10.1.40"}),
	}); err != nil {
		t.Errorf("validate c's own address: %v", err)
	}
}

// TestApplyTwice applies the same settings twice: the second time writes
// nothing and leaves the template version as it was.
func TestApplyTwice(t *testing.T) {
	h := newHarness(t, 3)
	ctx := t.Context()
	g := group(h.servers, &plan.LaunchSettings{SubnetID: simSubnet1, SecurityGroupIDs: []string{simSGWeb},
		InstanceType: "t3.large", InstanceProfile: "drsorch-recovery", LaunchDisposition: plan.DispositionStopped,
		BYOL: ptr(true), CopyTags: ptr(false), Tags: map[string]string{"Owner": "dr"}},
		map[string]plan.LaunchSettings{h.servers[0]: {PrivateIP: "10.10.1.99"}})
	targets := plan.SettingsTargets(g, h.servers)

	first, err := h.svc.Apply(ctx, "", simRegion, targets)
	if err != nil {
		t.Fatal(err)
	}
	h.calls.take()
	second, err := h.svc.Apply(ctx, "", simRegion, targets)
	if err != nil {
		t.Fatal(err)
	}
	if w := writes(h.calls.take()); len(w) > 0 {
		t.Errorf("second apply wrote %v", w)
	}
	for i := range second {
		if first[i].Error != "" || second[i].Error != "" {
			t.Fatalf("errors: %q, %q", first[i].Error, second[i].Error)
		}
		if len(first[i].Changed) == 0 {
			t.Errorf("%s: first apply changed nothing", first[i].SourceServerID)
		}
		if len(second[i].Changed) != 0 {
			t.Errorf("%s: second apply changed %v", second[i].SourceServerID, second[i].Changed)
		}
		if second[i].LaunchTemplateVersion != first[i].LaunchTemplateVersion {
			t.Errorf("%s: version %d after the first, %d after the second", second[i].SourceServerID,
				first[i].LaunchTemplateVersion, second[i].LaunchTemplateVersion)
		}
	}
}

// TestDrift finds no drift right after Apply, then finds what is changed
// behind drsorch's back with the SDK.
func TestDrift(t *testing.T) {
	h := newHarness(t, 3)
	ctx := t.Context()
	g := group(h.servers, &plan.LaunchSettings{SubnetID: simSubnet2, SecurityGroupIDs: []string{simSGDB, simSGApp},
		InstanceType: "m7i.large", CopyPrivateIP: ptr(false), LaunchDisposition: plan.DispositionStarted,
		Tags: map[string]string{"Env": "dr"}}, nil)
	targets := plan.SettingsTargets(g, h.servers)
	applied, err := h.svc.Apply(ctx, "", simRegion, targets)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range applied {
		if r.Error != "" {
			t.Fatalf("apply %s: %s", r.SourceServerID, r.Error)
		}
	}

	got, err := h.svc.Drift(ctx, "", simRegion, targets)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range got {
		if d.Error != "" || len(d.Fields) != 0 || d.LaunchTemplateID == "" || d.LaunchTemplateVersion == 0 {
			t.Errorf("right after apply: %+v", d)
		}
	}

	// Behind drsorch's back: DRS first (it writes a template version of
	// its own), then a template version made the default.
	id := h.servers[1]
	lt := h.state(t, id).LC.EC2LaunchTemplateID
	if _, err := h.rawDRS.UpdateLaunchConfiguration(ctx, &sdkdrs.UpdateLaunchConfigurationInput{
		SourceServerID:    aws.String(id),
		LaunchDisposition: drstypes.LaunchDispositionStopped,
	}); err != nil {
		t.Fatal(err)
	}
	v, err := h.rawEC2.CreateLaunchTemplateVersion(ctx, &sdkec2.CreateLaunchTemplateVersionInput{
		LaunchTemplateId: aws.String(lt),
		SourceVersion:    aws.String("$Default"),
		LaunchTemplateData: &ec2types.RequestLaunchTemplateData{
			InstanceType: ec2types.InstanceTypeT3Micro,
			TagSpecifications: []ec2types.LaunchTemplateTagSpecificationRequest{{
				ResourceType: ec2types.ResourceTypeInstance,
				Tags:         []ec2types.Tag{{Key: aws.String("Env"), Value: aws.String("test")}},
			}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.rawEC2.ModifyLaunchTemplate(ctx, &sdkec2.ModifyLaunchTemplateInput{
		LaunchTemplateId: aws.String(lt),
		DefaultVersion:   aws.String(itoa(aws.ToInt64(v.LaunchTemplateVersion.VersionNumber))),
	}); err != nil {
		t.Fatal(err)
	}

	got, err = h.svc.Drift(ctx, "", simRegion, targets)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range got {
		var want []plan.FieldDrift
		if d.SourceServerID == id {
			// DRS wrote its version from its own previous one, without the
			// network settings drsorch had put in a version of its own.
			want = []plan.FieldDrift{
				{Field: "subnetId", Want: simSubnet2, Got: ""},
				{Field: "securityGroupIds", Want: simSGDB + "," + simSGApp, Got: ""},
				{Field: "instanceType", Want: "m7i.large", Got: "t3.micro"},
				{Field: "launchDisposition", Want: "STARTED", Got: "STOPPED"},
				{Field: "tags", Want: "Env=dr", Got: "Env=test"},
			}
		}
		if diff := cmp.Diff(want, d.Fields, cmpEmpty); diff != "" || d.Error != "" {
			t.Errorf("%s drift mismatch (-want +got):\n%s%s", d.SourceServerID, diff, d.Error)
		}
	}

	// Applying again brings it back in line.
	res, err := h.svc.Apply(ctx, "", simRegion, targets)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		want := []string(nil)
		if r.SourceServerID == id {
			want = []string{"instanceType", "launchDisposition", "securityGroupIds", "subnetId", "tags"}
		}
		if diff := cmp.Diff(want, r.Changed); diff != "" || r.Error != "" {
			t.Errorf("%s changed mismatch (-want +got):\n%s%s", r.SourceServerID, diff, r.Error)
		}
	}
	got, _ = h.svc.Drift(ctx, "", simRegion, targets)
	for _, d := range got {
		if len(d.Fields) != 0 || d.Error != "" {
			t.Errorf("after the second apply: %+v", d)
		}
	}
}

// TestSyncTags changes a source instance's tags with CreateTags and syncs
// them onto the source server. AWS's own keys stay out: the one server
// whose machine carries one has it removed from DRS, and it must not come
// back.
func TestSyncTags(t *testing.T) {
	const awsKey = "aws:cloudformation:stack-name"
	inv := make([]drssim.Server, 5)
	inv[3].Tags = map[string]string{awsKey: "dr-stack", "app": "billing"}
	h := newHarnessWith(t, drssim.Options{Inventory: inv})
	ctx := t.Context()
	id, awsID := h.servers[2], h.servers[3]
	if _, err := h.rawDRS.UntagResource(ctx, &sdkdrs.UntagResourceInput{
		ResourceArn: aws.String(h.arn(t, awsID)), TagKeys: []string{awsKey},
	}); err != nil {
		t.Fatal(err)
	}

	// A first sync copies what the emulator generated; nothing to do after.
	if _, err := h.svc.SyncTags(ctx, "", simRegion); err != nil {
		t.Fatal(err)
	}
	if res, err := h.svc.SyncTags(ctx, "", simRegion); err != nil || res.Updated != 0 || len(res.Errors) != 0 {
		t.Fatalf("second sync: %+v, %v; want nothing updated", res, err)
	}

	inst := h.sim.SourceInstanceID(id)
	if inst == "" {
		t.Fatalf("emulator names no source instance of %s", id)
	}
	if _, err := h.rawEC2.CreateTags(ctx, &sdkec2.CreateTagsInput{
		Resources: []string{inst},
		Tags: []ec2types.Tag{
			{Key: aws.String("CostCenter"), Value: aws.String("cc-42")},
			{Key: aws.String("Backup"), Value: aws.String("daily")},
		},
	}); err != nil {
		t.Fatal(err)
	}
	res, err := h.svc.SyncTags(ctx, "", simRegion)
	if err != nil {
		t.Fatal(err)
	}
	want := plan.TagSyncResult{Region: simRegion, Servers: 5, Linked: 5, Updated: 1}
	if diff := cmp.Diff(want, res, cmpIgnoreTime); diff != "" {
		t.Errorf("result mismatch (-want +got):\n%s", diff)
	}
	servers, err := h.drs.DescribeSourceServers(ctx, []string{id, awsID})
	if err != nil || len(servers) != 2 {
		t.Fatalf("describe %s, %s: %v, %v", id, awsID, servers, err)
	}
	for _, ss := range servers {
		switch ss.ID {
		case id:
			if ss.Tags["CostCenter"] != "cc-42" || ss.Tags["Backup"] != "daily" {
				t.Errorf("%s tags %v, want CostCenter=cc-42 and Backup=daily", ss.ID, ss.Tags)
			}
		case awsID:
			if _, ok := ss.Tags[awsKey]; ok || ss.Tags["app"] != "billing" {
				t.Errorf("%s tags %v: want app=billing and no %s", ss.ID, ss.Tags, awsKey)
			}
		}
	}
	if in, _ := h.sim.Instance(h.sim.SourceInstanceID(awsID)); in.Tags[awsKey] != "dr-stack" {
		t.Fatalf("the source machine of %s has tags %v, want %s (the test's premise)", awsID, in.Tags, awsKey)
	}
}

// TestApplyRefusesKeptGroupsOfAnotherVPC: settings that move a server to a
// subnet of another VPC and leave its security groups to the template,
// whose groups are of the old VPC, fail that server with why, and write
// no template version; naming groups of the new VPC applies.
func TestApplyRefusesKeptGroupsOfAnotherVPC(t *testing.T) {
	h := newHarness(t, 1)
	ctx := t.Context()
	id := h.servers[0]
	src, _ := h.sim.Instance(h.sim.SourceInstanceID(id))
	oldSG, oldSubnet := src.SecurityGroupIDs[0], src.SubnetID // the source site's own VPC
	lt := h.state(t, id).LC.EC2LaunchTemplateID
	v, err := h.rawEC2.CreateLaunchTemplateVersion(ctx, &sdkec2.CreateLaunchTemplateVersionInput{
		LaunchTemplateId: aws.String(lt), SourceVersion: aws.String("$Default"),
		LaunchTemplateData: &ec2types.RequestLaunchTemplateData{
			NetworkInterfaces: []ec2types.LaunchTemplateInstanceNetworkInterfaceSpecificationRequest{{
				DeviceIndex: aws.Int32(0), SubnetId: aws.String(oldSubnet), Groups: []string{oldSG}}},
		}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.rawEC2.ModifyLaunchTemplate(ctx, &sdkec2.ModifyLaunchTemplateInput{LaunchTemplateId: aws.String(lt),
		DefaultVersion: aws.String(itoa(aws.ToInt64(v.LaunchTemplateVersion.VersionNumber)))}); err != nil {
		t.Fatal(err)
	}
	before := h.state(t, id)

	res, err := h.svc.Apply(ctx, "", simRegion, []plan.SettingsTarget{serverTarget(id, plan.LaunchSettings{SubnetID: simSubnet1})})
	if err != nil || len(res) != 1 {
		t.Fatalf("apply = %v, %v", res, err)
	}
	if !strings.Contains(res[0].Error, oldSG) || !strings.Contains(res[0].Error, "set securityGroupIds") {
		t.Errorf("error %q, want one naming %s and what to do", res[0].Error, oldSG)
	}
	if diff := cmp.Diff(before, h.state(t, id)); diff != "" {
		t.Errorf("%s changed (-before +after):\n%s", id, diff)
	}

	res, err = h.svc.Apply(ctx, "", simRegion, []plan.SettingsTarget{
		serverTarget(id, plan.LaunchSettings{SubnetID: simSubnet1, SecurityGroupIDs: []string{simSGWeb}})})
	if err != nil || len(res) != 1 || res[0].Error != "" {
		t.Fatalf("apply with groups of the new VPC = %+v, %v", res, err)
	}
}
