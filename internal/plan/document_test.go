package plan

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const shopYAML = `kind: ProtectionGroup
name: db
region: us-east-1
sourceServerIds: [s-0123456789abcdef0]
serverSelector: {tags: {tier: db}}
---
# a comment, and a List
kind: List
items:
  - kind: ProtectionGroup
    name: app
    accountId: "123456789012"
    region: us-east-1
    serverSelector:
      tags: {tier: app, app: shop}
  - kind: ProtectionGroup
    name: cache
    region: us-east-1
    sourceServerIds: [s-0123456789abcdef1, s-0123456789abcdef2]
    launchSettings:
      subnetId: subnet-0e5a1d00000000011
      securityGroupIds: [sg-0e5a1d00000000024, sg-0e5a1d00000000021]
      instanceType: r6i.large
      rightSizing: NONE
      instanceProfile: drsorch-recovery
      copyPrivateIp: false
      copyTags: true
      launchDisposition: STARTED
      byol: false
      tags: {env: dr, team: cache}
    serverLaunchSettings:
      s-0123456789abcdef1:
        privateIp: 10.10.1.21
        tags: {role: primary}
      s-0123456789abcdef2:
        subnetId: subnet-0e5a1d00000000012
        instanceType: r6i.xlarge
        launchDisposition: STOPPED
        byol: true
---
- kind: RecoveryPlan
  name: shop
  description: the shop
  rtoMinutes: 60
  waves:
    - name: database
      protectionGroups: [db]
    - name: application
      protectionGroups: [app]
      pauseBefore: true
      failurePolicy: continue
      minSuccessPercent: 0
      hooks:
        before:
          - {name: dns, url: "https://hooks.example.com/dns", timeoutSeconds: 5, retries: 1}
    - name: web
      protectionGroups: [app, db]
      dependsOn: []
      healthGate:
        statusChecks: true
        checkUrl: https://health.example.com/shop
        timeoutMinutes: 20
        intervalSeconds: 30
`

func shopDocument() Document {
	return Document{
		Groups: []ProtectionGroup{
			{Name: "db", Region: "us-east-1", SourceServerIDs: []string{srvA},
				ServerSelector: &Selector{Tags: map[string]string{"tier": "db"}}},
			{Name: "app", AccountID: "123456789012", Region: "us-east-1",
				ServerSelector: &Selector{Tags: map[string]string{"tier": "app", "app": "shop"}}},
			{Name: "cache", Region: "us-east-1", SourceServerIDs: []string{srvB, srvC},
				LaunchSettings: &LaunchSettings{
					SubnetID:          "subnet-0e5a1d00000000011",
					SecurityGroupIDs:  []string{"sg-0e5a1d00000000024", "sg-0e5a1d00000000021"},
					InstanceType:      "r6i.large",
					RightSizing:       RightSizingNone,
					InstanceProfile:   "drsorch-recovery",
					CopyPrivateIP:     boolp(false),
					CopyTags:          boolp(true),
					LaunchDisposition: DispositionStarted,
					BYOL:              boolp(false),
					Tags:              map[string]string{"env": "dr", "team": "cache"},
				},
				ServerLaunchSettings: map[string]LaunchSettings{
					srvB: {PrivateIP: "10.10.1.21", Tags: map[string]string{"role": "primary"}},
					srvC: {SubnetID: "subnet-0e5a1d00000000012", InstanceType: "r6i.xlarge",
						LaunchDisposition: DispositionStopped, BYOL: boolp(true)},
				}},
		},
		Plans: []RecoveryPlan{{Name: "shop", Description: "the shop", RTOMinutes: 60, Waves: []Wave{
			{Name: "database", ProtectionGroupIDs: []string{"db"}},
			{Name: "application", ProtectionGroupIDs: []string{"app"}, PauseBefore: true,
				FailurePolicy: FailureContinue, MinSuccessPercent: intp(0),
				Hooks: &Hooks{Before: []Hook{{Name: "dns", URL: "https://hooks.example.com/dns",
					TimeoutSeconds: 5, Retries: 1}}}},
			{Name: "web", ProtectionGroupIDs: []string{"app", "db"}, DependsOn: []string{},
				HealthGate: &HealthGate{StatusChecks: true, CheckURL: "https://health.example.com/shop",
					TimeoutMinutes: 20, IntervalSeconds: 30}},
		}}},
	}
}

func TestDecodeYAML(t *testing.T) {
	got, err := DecodeYAML([]byte(shopYAML))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(shopDocument(), got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestYAMLRoundTrip(t *testing.T) {
	want := shopDocument()
	out, err := MarshalYAML(want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeYAML(out)
	if err != nil {
		t.Fatalf("decode %s: %v", out, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	again, err := MarshalYAML(got)
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(out) {
		t.Errorf("marshal is not stable:\n%s\n---- then ----\n%s", out, again)
	}
}

func TestMarshalYAMLFormat(t *testing.T) {
	doc := Document{
		Groups: []ProtectionGroup{{Name: "db", Region: "us-east-1",
			ServerSelector: &Selector{Tags: map[string]string{"tier": "db", "app": "shop"}}}},
		Plans: []RecoveryPlan{NormalizePlan(RecoveryPlan{Name: "shop", RTOMinutes: 30, Waves: []Wave{
			{Name: "database", ProtectionGroupIDs: []string{"db"}},
			{Name: "application", ProtectionGroupIDs: []string{"app"}, PauseBefore: true},
		}})},
	}
	out, err := MarshalYAML(doc)
	if err != nil {
		t.Fatal(err)
	}
	want := `kind: ProtectionGroup
name: db
region: us-east-1
serverSelector:
  tags:
    app: shop
    tier: db
---
kind: RecoveryPlan
name: shop
rtoMinutes: 30
waves:
  - name: database
    protectionGroups: [db]
    dependsOn: []
    failurePolicy: stop
    minSuccessPercent: 100
  - name: application
    protectionGroups: [app]
    dependsOn: [database]
    pauseBefore: true
    failurePolicy: stop
    minSuccessPercent: 100
`
	if diff := cmp.Diff(want, string(out)); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	want := shopDocument()
	out, err := MarshalJSON(want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeJSON(out)
	if err != nil {
		t.Fatalf("decode %s: %v", out, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestDecodeAccepts(t *testing.T) {
	group := ProtectionGroup{Name: "db", Region: "us-east-1"}
	tests := []struct {
		name  string
		json  bool
		input string
		want  Document
	}{
		{name: "empty yaml", input: "", want: Document{}},
		{name: "yaml comments only", input: "# nothing\n", want: Document{}},
		{name: "yaml empty documents", input: "---\n---\nkind: ProtectionGroup\nname: db\nregion: us-east-1\n---\n",
			want: Document{Groups: []ProtectionGroup{group}}},
		{name: "yaml anchors", input: "- &g {kind: ProtectionGroup, name: db, region: us-east-1}\n- *g\n",
			want: Document{Groups: []ProtectionGroup{group, group}}},
		{name: "yaml empty list", input: "kind: List\nitems: []\n", want: Document{}},
		{name: "json object", json: true, input: `{"kind":"ProtectionGroup","name":"db","region":"us-east-1"}`,
			want: Document{Groups: []ProtectionGroup{group}}},
		{name: "json array", json: true, input: ` [{"kind":"ProtectionGroup","name":"db","region":"us-east-1"}] `,
			want: Document{Groups: []ProtectionGroup{group}}},
		{name: "json list", json: true,
			input: `{"kind":"List","items":[{"kind":"ProtectionGroup","name":"db","region":"us-east-1"}]}`,
			want:  Document{Groups: []ProtectionGroup{group}}},
		{name: "json dependsOn null is absent", json: true,
			input: `{"kind":"RecoveryPlan","name":"p","waves":[{"name":"w","protectionGroups":["db"],"dependsOn":null}]}`,
			want: Document{Plans: []RecoveryPlan{{Name: "p",
				Waves: []Wave{{Name: "w", ProtectionGroupIDs: []string{"db"}}}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			decode := DecodeYAML
			if tt.json {
				decode = DecodeJSON
			}
			got, err := decode([]byte(tt.input))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeRejects(t *testing.T) {
	tests := []struct {
		name  string
		json  bool
		input string
		want  string // part of the error
	}{
		{name: "yaml unknown field", input: "kind: ProtectionGroup\nname: db\nregon: us-east-1\n",
			want: `line 3: unknown field "regon" in ProtectionGroup`},
		{name: "yaml unknown wave field", input: "kind: RecoveryPlan\nname: p\nwaves:\n  - name: w\n    protectionGroupIds: [x]\n",
			want: `line 5: unknown field "protectionGroupIds" in a wave (a file names groups: use protectionGroups)`},
		{name: "yaml unknown hook field", input: "kind: RecoveryPlan\nname: p\nwaves:\n  - name: w\n    hooks: {before: [{url: x, timeout: 3}]}\n",
			want: `unknown field "timeout" in a hook`},
		{name: "yaml id is not a definition", input: "kind: ProtectionGroup\nid: pg-1\nname: db\n",
			want: `unknown field "id"`},
		{name: "yaml duplicate key", input: "kind: ProtectionGroup\nname: db\nname: web\n",
			want: `already defined`},
		{name: "yaml no kind", input: "name: db\n", want: "line 1: object has no kind"},
		{name: "yaml unknown kind", input: "kind: Plan\nname: db\n", want: `unknown kind "Plan"`},
		{name: "yaml nested list", input: "kind: List\nitems:\n  - kind: List\n    items: []\n",
			want: "a List cannot be an item"},
		{name: "yaml list in a sequence", input: "- kind: List\n  items: []\n", want: "a List cannot be an item"},
		{name: "yaml scalar", input: "hello\n", want: "expected an object"},
		{name: "yaml wrong type", input: "kind: RecoveryPlan\nname: p\nrtoMinutes: soon\n", want: "line 3"},
		{name: "yaml second document bad", input: "kind: List\nitems: []\n---\nkind: X\n", want: "yaml document 2"},
		{name: "yaml unknown list field", input: "kind: List\nitem: []\n", want: `unknown field "item"`},
		{name: "json unknown field", json: true, input: `{"kind":"ProtectionGroup","name":"db","regon":"x"}`,
			want: `unknown field "regon"`},
		{name: "json trailing data", json: true, input: `{"kind":"ProtectionGroup","name":"db"} {}`,
			want: "data after the document"},
		{name: "json trailing garbage", json: true, input: `{"kind":"ProtectionGroup","name":"db"}x`,
			want: "data after the document"},
		{name: "json no kind", json: true, input: `{"name":"db"}`, want: "no kind"},
		{name: "json nested list", json: true, input: `{"kind":"List","items":[{"kind":"List","items":[]}]}`,
			want: "a List cannot be an item"},
		{name: "json scalar", json: true, input: `"db"`, want: "expected an object"},
		{name: "json unknown list field", json: true, input: `{"kind":"List","itemz":[]}`, want: `unknown field "itemz"`},
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

func TestUnmarshalStrict(t *testing.T) {
	var g ProtectionGroup
	if err := UnmarshalStrict([]byte(`{"name":"db"}`), &g); err != nil || g.Name != "db" {
		t.Errorf("UnmarshalStrict = %v, %+v", err, g)
	}
	for _, in := range []string{`{"name":"db","x":1}`, `{"name":"db"}{}`, `{"name":"db"`} {
		if err := UnmarshalStrict([]byte(in), &g); err == nil {
			t.Errorf("UnmarshalStrict(%s) = nil, want an error", in)
		}
	}
}

func TestRenameGroups(t *testing.T) {
	p := shopDocument().Plans[0]
	got := RenameGroups(p, map[string]string{"db": "pg-1", "app": "pg-2"})
	want := [][]string{{"pg-1"}, {"pg-2"}, {"pg-2", "pg-1"}}
	var refs [][]string
	for _, w := range got.Waves {
		refs = append(refs, w.ProtectionGroupIDs)
	}
	if diff := cmp.Diff(want, refs); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	if p.Waves[0].ProtectionGroupIDs[0] != "db" {
		t.Error("RenameGroups changed its input")
	}
}
