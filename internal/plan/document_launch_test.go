package plan

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestLaunchDocument applies the example document (decode, validate,
// normalize: the stored form), exports it (marshal from the stored form)
// and applies the export, in YAML and JSON: every group and plan must
// come back the same, and SameGroup/SamePlan must see no change, so that
// a second apply writes nothing.
func TestLaunchDocument(t *testing.T) {
	data, err := os.ReadFile("testdata/launch.yaml")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := DecodeYAML(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Groups) != 2 || len(doc.Plans) != 1 {
		t.Fatalf("decoded %d groups and %d plans, want 2 and 1", len(doc.Groups), len(doc.Plans))
	}
	stored := apply(t, doc)
	db := stored.Groups[0]
	if db.LaunchSettings == nil || len(db.ServerLaunchSettings) != 2 ||
		stored.Plans[0].Waves[0].HealthGate == nil || stored.Plans[0].Waves[1].HealthGate == nil {
		t.Fatalf("the document lost its launch settings or gates: %+v", stored)
	}
	// Every field of LaunchSettings is set somewhere in the document.
	if s := EffectiveSettings(db, "s-0000000000000a002"); s.SubnetID == "" || len(s.SecurityGroupIDs) == 0 ||
		s.InstanceType == "" || s.RightSizing == "" || s.InstanceProfile == "" || s.PrivateIP == "" ||
		s.CopyPrivateIP == nil || s.CopyTags == nil || s.LaunchDisposition == "" || s.BYOL == nil || len(s.Tags) == 0 {
		t.Errorf("effective settings of s-0000000000000a002 do not set every field: %+v", s)
	}

	for _, format := range []struct {
		name    string
		marshal func(Document) ([]byte, error)
		decode  func([]byte) (Document, error)
	}{
		{"yaml", MarshalYAML, DecodeYAML},
		{"json", MarshalJSON, DecodeJSON},
	} {
		t.Run(format.name, func(t *testing.T) {
			out, err := format.marshal(stored)
			if err != nil {
				t.Fatal(err)
			}
			again, err := format.decode(out)
			if err != nil {
				t.Fatalf("decode the export: %v\n%s", err, out)
			}
			reapplied := apply(t, again)
			if diff := cmp.Diff(stored, reapplied); diff != "" {
				t.Errorf("apply -> export -> apply mismatch (-want +got):\n%s\n%s", diff, out)
			}
			for i := range stored.Groups {
				if !SameGroup(stored.Groups[i], again.Groups[i]) {
					t.Errorf("SameGroup(stored, exported) = false for %q", stored.Groups[i].Name)
				}
			}
			if !SamePlan(stored.Plans[0], again.Plans[0]) {
				t.Error("SamePlan(stored, exported) = false")
			}
			// The export keeps the user's order of security groups.
			if got := again.Groups[0].LaunchSettings.SecurityGroupIDs; got[0] != "sg-0e5a1d00000000022" {
				t.Errorf("security groups exported as %v, not in the order given", got)
			}
		})
	}
}

// apply validates a document as the API would and returns it normalized.
func apply(t *testing.T, doc Document) Document {
	t.Helper()
	var out Document
	byName := map[string]ProtectionGroup{}
	for i, g := range doc.Groups {
		if err := ValidateGroup(g, doc.Groups[:i]); err != nil {
			t.Fatalf("group %q: %v", g.Name, err)
		}
		n := NormalizeGroup(g)
		out.Groups = append(out.Groups, n)
		byName[g.Name] = n
	}
	for _, p := range doc.Plans {
		if err := ValidatePlan(p, byName); err != nil {
			t.Fatalf("plan %q: %v", p.Name, err)
		}
		out.Plans = append(out.Plans, NormalizePlan(p))
	}
	return out
}

func TestDecodeLaunchAccepts(t *testing.T) {
	group := func(ls *LaunchSettings, servers map[string]LaunchSettings) Document {
		return Document{Groups: []ProtectionGroup{{Name: "g", Region: "us-east-1",
			LaunchSettings: ls, ServerLaunchSettings: servers}}}
	}
	const head = "kind: ProtectionGroup\nname: g\nregion: us-east-1\n"
	const jhead = `{"kind":"ProtectionGroup","name":"g","region":"us-east-1",`
	tests := []struct {
		name  string
		json  bool
		input string
		want  Document
	}{
		{name: "yaml empty launch settings", input: head + "launchSettings: {}\n",
			want: group(&LaunchSettings{}, nil)},
		{name: "yaml null launch settings", input: head + "launchSettings: null\nserverLaunchSettings: null\n",
			want: group(nil, nil)},
		{name: "yaml empty lists are absent", input: head +
			"launchSettings: {securityGroupIds: [], tags: {}}\nserverLaunchSettings: {}\n",
			want: group(&LaunchSettings{}, nil)},
		{name: "yaml false is kept", input: head + "launchSettings: {copyPrivateIp: false, copyTags: false, byol: false}\n",
			want: group(&LaunchSettings{CopyPrivateIP: boolp(false), CopyTags: boolp(false), BYOL: boolp(false)}, nil)},
		{name: "yaml empty server entry", input: head + "serverLaunchSettings: {" + srvA + ": {}}\n",
			want: group(nil, map[string]LaunchSettings{srvA: {}})},
		{name: "yaml tag values are strings", input: head + "launchSettings: {tags: {cost: 42, on: yes}}\n",
			want: group(&LaunchSettings{Tags: map[string]string{"cost": "42", "on": "yes"}}, nil)},
		{name: "json false is kept", json: true, input: jhead + `"launchSettings":{"copyTags":false}}`,
			want: group(&LaunchSettings{CopyTags: boolp(false)}, nil)},
		{name: "json server entry", json: true,
			input: jhead + `"serverLaunchSettings":{"` + srvA + `":{"privateIp":"10.0.0.5","tags":{}}}}`,
			want:  group(nil, map[string]LaunchSettings{srvA: {PrivateIP: "10.0.0.5"}})},
		{name: "yaml health gate", input: "kind: RecoveryPlan\nname: p\nwaves:\n" +
			"  - {name: w, protectionGroups: [g], healthGate: {statusChecks: true}}\n",
			want: Document{Plans: []RecoveryPlan{{Name: "p", Waves: []Wave{{Name: "w",
				ProtectionGroupIDs: []string{"g"}, HealthGate: &HealthGate{StatusChecks: true}}}}}}},
		{name: "json empty health gate", json: true,
			input: `{"kind":"RecoveryPlan","name":"p","waves":[{"name":"w","protectionGroups":["g"],"healthGate":{}}]}`,
			want: Document{Plans: []RecoveryPlan{{Name: "p", Waves: []Wave{{Name: "w",
				ProtectionGroupIDs: []string{"g"}, HealthGate: &HealthGate{}}}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			decode, marshal := DecodeYAML, MarshalYAML
			if tt.json {
				decode, marshal = DecodeJSON, MarshalJSON
			}
			got, err := decode([]byte(tt.input))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
			out, err := marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			again, err := decode(out)
			if err != nil {
				t.Fatalf("decode %s: %v", out, err)
			}
			if diff := cmp.Diff(got, again); diff != "" {
				t.Errorf("round trip mismatch (-want +got):\n%s\n%s", diff, out)
			}
		})
	}
}

func TestDecodeLaunchRejects(t *testing.T) {
	const head = "kind: ProtectionGroup\nname: g\nregion: us-east-1\n"
	const jhead = `{"kind":"ProtectionGroup","name":"g","region":"us-east-1",`
	tests := []struct {
		name  string
		json  bool
		input string
		want  string // part of the error
	}{
		{name: "yaml unknown launch field", input: head + "launchSettings:\n  subnet: subnet-0123abcd\n",
			want: `line 5: unknown field "subnet" in launch settings`},
		{name: "yaml API casing", input: head + "launchSettings: {subnetID: subnet-0123abcd}\n",
			want: `unknown field "subnetID" in launch settings`},
		{name: "yaml unknown field in a server entry", input: head +
			"serverLaunchSettings:\n  " + srvA + ":\n    privateIP: 10.0.0.5\n",
			want: `line 6: unknown field "privateIP" in launch settings`},
		{name: "yaml duplicate server", input: head +
			"serverLaunchSettings:\n  " + srvA + ": {}\n  " + srvA + ": {byol: true}\n",
			want: "already defined"},
		{name: "yaml duplicate key in settings", input: head + "launchSettings: {byol: true, byol: false}\n",
			want: "already defined"},
		{name: "yaml duplicate tag", input: head + "launchSettings: {tags: {a: x, a: y}}\n",
			want: "already defined"},
		{name: "yaml settings not an object", input: head + "launchSettings: [subnet-0123abcd]\n",
			want: "line 4"},
		{name: "yaml bool not a bool", input: head + "launchSettings: {byol: maybe}\n",
			want: "line 4"},
		{name: "yaml unknown gate field", input: "kind: RecoveryPlan\nname: p\nwaves:\n" +
			"  - name: w\n    healthGate: {statusChecks: true, timeout: 5}\n",
			want: `line 5: unknown field "timeout" in a healthGate`},
		{name: "json unknown launch field", json: true, input: jhead + `"launchSettings":{"subnet":"x"}}`,
			want: `unknown field "subnet"`},
		{name: "json unknown field in a server entry", json: true,
			input: jhead + `"serverLaunchSettings":{"` + srvA + `":{"ip":"10.0.0.5"}}}`,
			want:  `unknown field "ip"`},
		{name: "json duplicate server", json: true,
			input: jhead + `"serverLaunchSettings":{"` + srvA + `":{},"` + srvA + `":{"byol":true}}}`,
			want:  `duplicate key "serverLaunchSettings.` + srvA + `"`},
		{name: "json duplicate key in settings", json: true,
			input: jhead + `"launchSettings":{"copyTags":true,"copyTags":false}}`,
			want:  `duplicate key "launchSettings.copyTags"`},
		{name: "json unknown gate field", json: true,
			input: `{"kind":"RecoveryPlan","name":"p","waves":[{"name":"w","healthGate":{"url":"http://x"}}]}`,
			want:  `unknown field "url"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			decode := DecodeYAML
			if tt.json {
				decode = DecodeJSON
			}
			_, err := decode([]byte(tt.input))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestNormalizeGroupLaunchSettings(t *testing.T) {
	tags := map[string]string{"env": "dr"}
	in := ProtectionGroup{Name: "db", Region: "us-east-1", SourceServerIDs: []string{srvB, srvA},
		LaunchSettings: &LaunchSettings{SecurityGroupIDs: []string{sg2, sg1}, Tags: tags, CopyTags: boolp(true)},
		ServerLaunchSettings: map[string]LaunchSettings{
			srvA: {},
			srvB: {PrivateIP: "10.10.1.5", SecurityGroupIDs: []string{}, Tags: map[string]string{}},
			srvC: {Tags: map[string]string{}},
		}}
	want := ProtectionGroup{Name: "db", Region: "us-east-1", SourceServerIDs: []string{srvA, srvB},
		LaunchSettings: &LaunchSettings{SecurityGroupIDs: []string{sg2, sg1}, Tags: map[string]string{"env": "dr"},
			CopyTags: boolp(true)},
		ServerLaunchSettings: map[string]LaunchSettings{srvB: {PrivateIP: "10.10.1.5"}}}
	got := NormalizeGroup(in)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, NormalizeGroup(got)); diff != "" {
		t.Errorf("not idempotent (-want +got):\n%s", diff)
	}
	got.LaunchSettings.Tags["env"] = "changed"
	*got.LaunchSettings.CopyTags = false
	got.LaunchSettings.SecurityGroupIDs[0] = "sg-changed"
	if tags["env"] != "dr" || !*in.LaunchSettings.CopyTags || in.LaunchSettings.SecurityGroupIDs[0] != sg2 {
		t.Error("NormalizeGroup's result shares maps, slices or pointers with its input")
	}
	if len(in.ServerLaunchSettings) != 3 {
		t.Error("NormalizeGroup dropped entries of its input's map")
	}

	tests := []struct {
		name string
		in   ProtectionGroup
	}{
		{"all-empty settings", ProtectionGroup{LaunchSettings: &LaunchSettings{Tags: map[string]string{}}}},
		{"only empty entries", ProtectionGroup{ServerLaunchSettings: map[string]LaunchSettings{srvA: {}}}},
		{"empty map", ProtectionGroup{ServerLaunchSettings: map[string]LaunchSettings{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NormalizeGroup(tt.in)
			if got.LaunchSettings != nil || got.ServerLaunchSettings != nil {
				t.Errorf("normalized to %+v and %+v, want nil and nil", got.LaunchSettings, got.ServerLaunchSettings)
			}
		})
	}
}

func TestNormalizePlanHealthGate(t *testing.T) {
	gate := &HealthGate{CheckURL: "https://h.example/x"}
	in := RecoveryPlan{Name: "p", Waves: []Wave{{Name: "a", ProtectionGroupIDs: []string{"g"}, HealthGate: gate}}}
	got := NormalizePlan(in)
	if diff := cmp.Diff(&HealthGate{CheckURL: "https://h.example/x"}, got.Waves[0].HealthGate); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	got.Waves[0].HealthGate.TimeoutMinutes = 5
	if gate.TimeoutMinutes != 0 {
		t.Error("NormalizePlan's result shares the health gate with its input")
	}
}
