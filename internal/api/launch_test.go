package api

import (
	"context"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/auth/authtest"
	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/drssim"
	"github.com/drsorch/drsorch/internal/ec2"
	"github.com/drsorch/drsorch/internal/launchcfg"
	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
	"github.com/drsorch/drsorch/internal/store/sqlitestore"
)

// The emulator's fixed network (see internal/drssim).
const (
	simSubnetA = "subnet-0e5a1d00000000011" // 10.10.1.0/24
	simSubnetB = "subnet-0e5a1d00000000012" // 10.10.2.0/24
	simSGDB    = "sg-0e5a1d00000000022"
	simSGApp   = "sg-0e5a1d00000000023"
)

// launchEnv is the API with the real launch settings service, on the real
// DRS and EC2 clients talking to the emulator in-process.
type launchEnv struct {
	*testEnv
	sim *drssim.Sim
	// db are the emulator's servers of the shop's db tier, by ID.
	db []string
}

func newLaunchEnv(t *testing.T, withSettings bool) *launchEnv {
	t.Helper()
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	ctx := t.Context()
	st, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "drsorch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sim := drssim.New(drssim.Options{Servers: 16, Seed: 1})
	hc := &http.Client{Transport: sim.Transport()}
	dc, err := drs.NewClient(ctx, drs.Config{Region: "us-east-1", Endpoint: "http://drs.test", HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	ec, err := ec2.NewClient(ctx, ec2.Config{Region: "us-east-1", Endpoint: "http://drs.test", HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{
		Store: st, DefaultRegion: "us-east-1", Now: func() time.Time { return testNow },
		DRS: SourceServersFunc(func(ctx context.Context, accountID, region string) ([]drs.SourceServer, error) {
			return dc.DescribeSourceServers(ctx, nil)
		}),
	}
	if withSettings {
		opts.Settings = launchcfg.New(launchcfg.Options{
			DRS: func(context.Context, string, string) (launchcfg.DRS, error) { return dc, nil },
			EC2: func(context.Context, string, string) (launchcfg.EC2, error) { return ec, nil },
		})
	}
	e := &launchEnv{testEnv: &testEnv{t: t, store: st, drs: &fakeDRS{}, logs: &syncBuffer{}}, sim: sim}
	opts.Logger = slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.srv = New(opts)
	e.token = authtest.AdminToken(t, st)
	for _, s := range sim.Servers() {
		if s.Tags["app"] == "shop" && s.Tags["tier"] == "db" {
			e.db = append(e.db, s.ID)
		}
	}
	slices.Sort(e.db)
	if len(e.db) < 2 {
		t.Fatalf("the emulator has %d db servers, want at least 2", len(e.db))
	}
	return e
}

// dbGroup is a group of the shop's db tier with launch settings, and a
// static IP on its first server.
func (e *launchEnv) dbGroup(ip string) plan.ProtectionGroup {
	return plan.ProtectionGroup{Name: "db", Region: "us-east-1",
		ServerSelector: &plan.Selector{Tags: map[string]string{"app": "shop", "tier": "db"}},
		LaunchSettings: &plan.LaunchSettings{SubnetID: simSubnetA, SecurityGroupIDs: []string{simSGDB},
			InstanceType: "r6i.large", CopyTags: ptr(true), Tags: map[string]string{"drsorch": "shop-db"}},
		ServerLaunchSettings: map[string]plan.LaunchSettings{e.db[0]: {PrivateIP: ip}},
	}
}

// TestApplyAndDrift creates a group with launch settings, reads its drift
// (everything differs from the emulator's templates), applies them, and
// reads it again (nothing differs); a second apply writes nothing.
func TestApplyAndDrift(t *testing.T) {
	e := newLaunchEnv(t, true)
	g := must[plan.ProtectionGroup](e.testEnv, http.StatusCreated, "POST", groupsPath, e.dbGroup("10.10.1.50"))
	base := groupsPath + "/" + g.ID

	before := must[GroupDrift](e.testEnv, http.StatusOK, "GET", base+"/drift", nil)
	if before.GroupID != g.ID || len(before.Servers) != len(e.db) || before.Drifted != len(e.db) {
		t.Fatalf("drift before apply: %d servers, %d drifted, want %d and %d: %+v",
			len(before.Servers), before.Drifted, len(e.db), len(e.db), before)
	}
	fields := map[string]bool{}
	for _, s := range before.Servers {
		for _, f := range s.Fields {
			fields[f.Field] = true
		}
	}
	for _, f := range []string{"subnetId", "securityGroupIds", "instanceType", "tags", "privateIp"} {
		if !fields[f] {
			t.Errorf("drift before apply names no %s; fields %v", f, fields)
		}
	}

	res := must[ApplyResults](e.testEnv, http.StatusOK, "POST", base+"/apply-launch-settings", nil)
	if len(res.Results) != len(e.db) {
		t.Fatalf("apply: %d results, want %d: %+v", len(res.Results), len(e.db), res)
	}
	for _, r := range res.Results {
		if r.Error != "" || len(r.Changed) == 0 || r.LaunchTemplateVersion == 0 || r.SourceServerID == "" {
			t.Errorf("apply result %+v: want changed fields, a template version and no error", r)
		}
		if r.SourceServerID == e.db[0] && r.Settings.PrivateIP != "10.10.1.50" {
			t.Errorf("apply of %s: settings %+v lack the static IP", r.SourceServerID, r.Settings)
		}
	}

	after := must[GroupDrift](e.testEnv, http.StatusOK, "GET", base+"/drift", nil)
	if after.Drifted != 0 || after.Unreadable != 0 {
		t.Errorf("drift after apply: %+v, want none", after)
	}
	again := must[ApplyResults](e.testEnv, http.StatusOK, "POST", base+"/apply-launch-settings", "{}")
	if len(again.Results) != len(e.db) {
		t.Errorf("second apply: %d results, want %d", len(again.Results), len(e.db))
	}
	for _, r := range again.Results {
		if len(r.Changed) > 0 || r.Error != "" {
			t.Errorf("second apply of %s changed %v (error %q), want nothing", r.SourceServerID, r.Changed, r.Error)
		}
	}

	view := must[GroupSettingsView](e.testEnv, http.StatusOK, "GET", base+"/launch-settings", nil)
	var ids []string
	for _, s := range view.Servers {
		ids = append(ids, s.SourceServerID)
		want := "launchSettings"
		if s.SourceServerID == e.db[0] {
			want = "serverLaunchSettings." + e.db[0]
		}
		if s.Field != want || s.Settings.SubnetID != simSubnetA {
			t.Errorf("launch settings of %s: field %q, settings %+v; want field %q", s.SourceServerID, s.Field, s.Settings, want)
		}
		if _, keeps := e.store.(appliedStore); keeps && (s.Applied == nil || s.Applied.SourceServerID != s.SourceServerID) {
			t.Errorf("launch settings of %s: applied %+v, want the latest application", s.SourceServerID, s.Applied)
		}
	}
	if diff := cmp.Diff(e.db, ids); diff != "" {
		t.Errorf("launch settings servers mismatch (-want +got):\n%s", diff)
	}

	// Both applies are in the audit trail.
	page, err := e.srv.audit.Store().ListAudit(t.Context(),
		store.AuditFilter{Action: "POST " + groupsPath + "/{id}/apply-launch-settings"}, store.ListOptions{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 2 || page.Items[0].Target != base+"/apply-launch-settings" || page.Items[0].Outcome != "ok" {
		t.Errorf("audit of applies: %+v, want two ok entries", page.Items)
	}
}

// TestDriftOfServerNotInDRS: a listed server DRS does not know has
// nothing to read back; drift reports it unreadable rather than in line.
func TestDriftOfServerNotInDRS(t *testing.T) {
	e := newLaunchEnv(t, true)
	gone := "s-0000000000000000f"
	g := must[plan.ProtectionGroup](e.testEnv, http.StatusCreated, "POST", groupsPath, plan.ProtectionGroup{
		Name: "gone", Region: "us-east-1", SourceServerIDs: []string{gone},
		LaunchSettings: &plan.LaunchSettings{SubnetID: simSubnetA}})
	d := must[GroupDrift](e.testEnv, http.StatusOK, "GET", groupsPath+"/"+g.ID+"/drift", nil)
	if d.Unreadable != 1 || d.Drifted != 0 || len(d.Servers) != 1 || d.Servers[0].SourceServerID != gone ||
		!strings.Contains(d.Servers[0].Error, "does not exist in DRS") {
		t.Errorf("drift %+v, want %s unreadable as not in DRS", d, gone)
	}
}

// TestSaveAndApply saves a group with ?applyLaunchSettings=true: the answer
// carries the group and the results, and the group is in line at once.
func TestSaveAndApply(t *testing.T) {
	e := newLaunchEnv(t, true)
	rec := e.do("POST", groupsPath+"?applyLaunchSettings=true", e.dbGroup("10.10.1.60"))
	if rec.Code != http.StatusCreated {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	sg := decodeRec[savedGroup](t, rec)
	if sg.ID == "" || rec.Header().Get("ETag") != `"1"` || len(sg.ApplyResults) != len(e.db) || sg.ApplyError != "" {
		t.Fatalf("answer %s, ETag %q", rec.Body, rec.Header().Get("ETag"))
	}
	d := must[GroupDrift](e.testEnv, http.StatusOK, "GET", groupsPath+"/"+sg.ID+"/drift", nil)
	if d.Drifted != 0 {
		t.Errorf("drift after save and apply: %+v", d)
	}

	// A PUT that changes the security group applies the change.
	g := sg.ProtectionGroup
	g.LaunchSettings.SecurityGroupIDs = []string{simSGApp}
	rec = e.do("PUT", groupsPath+"/"+g.ID+"?applyLaunchSettings=1", g, "If-Match", `"1"`)
	if rec.Code != http.StatusOK {
		t.Fatalf("PUT status %d: %s", rec.Code, rec.Body)
	}
	for _, r := range decodeRec[savedGroup](t, rec).ApplyResults {
		if !slices.Equal(r.Changed, []string{"securityGroupIds"}) {
			t.Errorf("PUT apply of %s changed %v, want [securityGroupIds]", r.SourceServerID, r.Changed)
		}
	}
}

// TestLaunchSettingsRefusals sends what must be refused and checks that
// each answer names the problem and that nothing changed: neither the
// store nor, for the applies, the emulator's launch templates.
func TestLaunchSettingsRefusals(t *testing.T) {
	e := newLaunchEnv(t, true)
	g := must[plan.ProtectionGroup](e.testEnv, http.StatusCreated, "POST", groupsPath, e.dbGroup("10.10.1.70"))
	base := groupsPath + "/" + g.ID
	ipField := "serverLaunchSettings." + e.db[0] + ".privateIp"

	withIP := func(ip string) plan.ProtectionGroup {
		o := e.dbGroup(ip)
		o.Name = "db2"
		o.ServerSelector = nil
		o.SourceServerIDs = nil
		o.ServerLaunchSettings = nil
		return o
	}
	// Another group's server with a static IP, to refuse on its own.
	other := func(ip string) plan.ProtectionGroup {
		o := withIP(ip)
		var id string
		for _, s := range e.sim.Servers() {
			if s.Tags["tier"] != "db" {
				id = s.ID
				break
			}
		}
		o.SourceServerIDs = []string{id}
		o.ServerLaunchSettings = map[string]plan.LaunchSettings{id: {PrivateIP: ip}}
		ipField = "serverLaunchSettings." + id + ".privateIp"
		return o
	}
	badSubnet := e.dbGroup("10.10.1.80")
	badSubnet.Name = "db3"
	badSubnet.ServerSelector = &plan.Selector{Tags: map[string]string{"app": "shop", "tier": "web"}}
	badSubnet.ServerLaunchSettings = nil
	badSubnet.LaunchSettings.SubnetID = "subnet-0e5a1d000000000ff"

	tests := []struct {
		name, method, path string
		body               any
		hdr                []string
		status             int
		code               string // of the first detail, or the error
		field              func() string
		message            string
	}{
		{name: "static IP outside the subnet", method: "POST", path: groupsPath, body: other("10.10.9.5"),
			status: 422, code: plan.CodePrivateIPOutsideSubnet, field: func() string { return ipField }},
		{name: "static IP reserved by AWS", method: "POST", path: groupsPath, body: other("10.10.1.1"),
			status: 422, code: plan.CodePrivateIPReserved, field: func() string { return ipField }},
		{name: "static IP of the subnet's broadcast", method: "POST", path: groupsPath, body: other("10.10.1.255"),
			status: 422, code: plan.CodePrivateIPReserved, field: func() string { return ipField }},
		{name: "unknown subnet, saved and applied", method: "POST", path: groupsPath + "?applyLaunchSettings=true",
			body: badSubnet, status: 422, code: plan.CodeSubnetNotFound,
			field: func() string { return "launchSettings.subnetId" }},
		{name: "applyLaunchSettings not a boolean", method: "POST", path: groupsPath + "?applyLaunchSettings=yes%20please",
			body: withIP(""), status: 400, code: CodeInvalid, field: func() string { return "applyLaunchSettings" }},
		{name: "applyLaunchSettings twice", method: "PUT", path: base + "?applyLaunchSettings=true&applyLaunchSettings=false",
			body: e.dbGroup("10.10.1.70"), hdr: []string{"If-Match", `"1"`}, status: 400, code: CodeInvalid,
			field: func() string { return "applyLaunchSettings" }},
		{name: "apply to a missing group", method: "POST", path: groupsPath + "/pg-missing/apply-launch-settings",
			status: 404, code: CodeNotFound, message: "pg-missing"},
		{name: "apply with a body", method: "POST", path: base + "/apply-launch-settings", body: `{"force": true}`,
			status: 400, code: CodeInvalid, field: func() string { return "force" }},
		{name: "apply with a body not JSON", method: "POST", path: base + "/apply-launch-settings", body: `force`,
			hdr: []string{"Content-Type", "text/plain"}, status: 415, code: CodeUnsupportedMediaType},
		{name: "drift of a missing group", method: "GET", path: groupsPath + "/pg-missing/drift",
			status: 404, code: CodeNotFound},
		{name: "launch settings of a missing group", method: "GET", path: groupsPath + "/pg-missing/launch-settings",
			status: 404, code: CodeNotFound},
		{name: "tag sync of a bad account", method: "POST", path: tagSyncPath, body: map[string]string{"accountId": "12345"},
			status: 400, code: CodeInvalid, field: func() string { return "accountId" }},
		{name: "tag sync of a bad region", method: "POST", path: tagSyncPath, body: map[string]string{"region": "mars-1; drop"},
			status: 400, code: CodeInvalid, field: func() string { return "region" }},
		{name: "tag sync with an unknown field", method: "POST", path: tagSyncPath, body: `{"region": "us-east-1", "all": true}`,
			status: 400, code: CodeInvalid, field: func() string { return "all" }},
		{name: "tag sync without a body", method: "POST", path: tagSyncPath, body: " ",
			status: 400, code: CodeInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.snapshot()
			templates := e.templates()
			rec := e.do(tt.method, tt.path, tt.body, tt.hdr...)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			body := decodeRec[errorBody](t, rec)
			code := body.Error.Code
			if len(body.Error.Details) > 0 && tt.status == 422 {
				code = body.Error.Details[0].Code
			}
			if code != tt.code {
				t.Errorf("code %q, want %q: %s", code, tt.code, rec.Body)
			}
			if tt.field != nil && body.Error.Field != tt.field() {
				t.Errorf("field %q, want %q: %s", body.Error.Field, tt.field(), rec.Body)
			}
			if !strings.Contains(body.Error.Message, tt.message) {
				t.Errorf("message %q lacks %q", body.Error.Message, tt.message)
			}
			if after := e.snapshot(); after != before {
				t.Errorf("the store changed:\n%s", cmp.Diff(before, after))
			}
			if diff := cmp.Diff(templates, e.templates()); diff != "" {
				t.Errorf("the launch templates changed (-before +after):\n%s", diff)
			}
		})
	}
}

// templates returns the default launch template version of every db
// server, to show that a refused apply wrote nothing.
func (e *launchEnv) templates() map[string]ec2.TemplateVersion {
	e.t.Helper()
	ctx := context.Background()
	hc := &http.Client{Transport: e.sim.Transport()}
	dc, err := drs.NewClient(ctx, drs.Config{Region: "us-east-1", Endpoint: "http://drs.test", HTTPClient: hc})
	if err != nil {
		e.t.Fatal(err)
	}
	ec, err := ec2.NewClient(ctx, ec2.Config{Region: "us-east-1", Endpoint: "http://drs.test", HTTPClient: hc})
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]ec2.TemplateVersion{}
	for _, id := range e.db {
		lc, err := dc.GetLaunchConfiguration(ctx, id)
		if err != nil {
			e.t.Fatal(err)
		}
		v, err := ec.DefaultTemplateVersion(ctx, lc.EC2LaunchTemplateID)
		if err != nil {
			e.t.Fatal(err)
		}
		out[id] = v
	}
	return out
}

// TestWithoutSettingsService: the routes that need the service answer 503
// saying so, and a group with static IPs is stored with a warning.
func TestWithoutSettingsService(t *testing.T) {
	e := newLaunchEnv(t, false)
	rec := e.do("POST", groupsPath, e.dbGroup("10.10.1.50"))
	if rec.Code != http.StatusCreated || !strings.Contains(rec.Header().Get(WarningHeader), "not checked against EC2") {
		t.Fatalf("status %d, Warning %q: %s", rec.Code, rec.Header().Get(WarningHeader), rec.Body)
	}
	g := decodeRec[plan.ProtectionGroup](t, rec)
	base := groupsPath + "/" + g.ID
	for _, r := range []struct{ method, path, body string }{
		{"POST", base + "/apply-launch-settings", ""},
		{"GET", base + "/drift", ""},
		{"POST", tagSyncPath, `{"region": "us-east-1"}`},
		{"POST", groupsPath + "?applyLaunchSettings=true", `{"name": "x", "sourceServerIds": ["` + sid(1) + `"]}`},
	} {
		before := e.snapshot()
		var body any
		if r.body != "" {
			body = r.body
		}
		rec := e.do(r.method, r.path, body)
		got := decodeRec[errorBody](t, rec)
		if rec.Code != http.StatusServiceUnavailable || got.Error.Code != CodeUnavailable ||
			!strings.Contains(got.Error.Message, "no launch settings service") {
			t.Errorf("%s %s: status %d %s, want a 503 saying there is no launch settings service", r.method, r.path, rec.Code, rec.Body)
		}
		if e.snapshot() != before {
			t.Errorf("%s %s changed the store", r.method, r.path)
		}
	}
	// Reading the settings needs DRS and the store only.
	v := must[GroupSettingsView](e.testEnv, http.StatusOK, "GET", base+"/launch-settings", nil)
	if len(v.Servers) != len(e.db) {
		t.Errorf("launch settings without the service: %+v", v)
	}
}

// TestTagSync copies the source machines' tags onto the DRS servers; a
// second sync finds nothing to update.
func TestTagSync(t *testing.T) {
	e := newLaunchEnv(t, true)
	first := must[plan.TagSyncResult](e.testEnv, http.StatusOK, "POST", tagSyncPath, map[string]string{"region": "us-east-1"})
	if first.Region != "us-east-1" || first.Servers != len(e.sim.Servers()) || first.Linked == 0 ||
		first.Updated != first.Linked || len(first.Errors) > 0 {
		t.Fatalf("first sync: %+v, want every linked server updated", first)
	}
	// The source machine's EC2-only tag is now on its DRS source server.
	srv := e.sim.Servers()[0]
	inst, ok := e.sim.Instance(e.sim.SourceInstanceID(srv.ID))
	if !ok || inst.Tags["Name"] == "" {
		t.Fatalf("source instance of %s: %+v", srv.ID, inst)
	}
	listed := must[listBody[sourceServer]](e.testEnv, http.StatusOK, "GET", "/api/v1/source-servers?limit=1000", nil)
	var tags map[string]string
	for _, s := range listed.Items {
		if s.ID == srv.ID {
			tags = s.Tags
		}
	}
	if tags["Name"] != inst.Tags["Name"] {
		t.Errorf("DRS tags of %s after the sync: %v, want Name=%s", srv.ID, tags, inst.Tags["Name"])
	}
	second := must[plan.TagSyncResult](e.testEnv, http.StatusOK, "POST", tagSyncPath, "{}")
	if second.Updated != 0 || second.Linked != first.Linked {
		t.Errorf("second sync: %+v, want nothing updated", second)
	}
	page, err := e.srv.audit.Store().ListAudit(t.Context(), store.AuditFilter{Action: "POST " + tagSyncPath},
		store.ListOptions{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 2 {
		t.Errorf("audit of tag syncs: %d entries, want 2", len(page.Items))
	}
}
