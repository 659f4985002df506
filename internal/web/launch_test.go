package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/drsorch/drsorch/internal/api"
	"github.com/drsorch/drsorch/internal/auth"
	"github.com/drsorch/drsorch/internal/plan"
)

func yes() *bool { b := true; return &b }
func no() *bool  { b := false; return &b }

// groupSettingsForm returns a new group's form with launch settings of
// the group and overrides of two servers, and the settings it means.
func groupSettingsForm(a, b string) (url.Values, plan.ProtectionGroup) {
	f := url.Values{"op": {"save"}, "name": {"crm"}, "region": {"us-east-1"}, "servers": {a, b},
		"ls.subnetId": {" subnet-0e5a1d00000000011 "}, "ls.securityGroupIds": {"sg-0e5a1d00000000021, sg-0e5a1d00000000022 sg-0e5a1d00000000023"},
		"ls.instanceType": {"m6i.large"}, "ls.rightSizing": {"NONE"}, "ls.instanceProfile": {"drs-recovered"},
		"ls.copyPrivateIp": {"false"}, "ls.copyTags": {"true"}, "ls.byol": {""}, "ls.launchDisposition": {"STARTED"},
		"ls.tags":   {"env=dr\r\n\r\n owner = team-a \n"},
		"o0.server": {a}, "o0.privateIp": {"10.10.1.20"}, "o0.byol": {"true"}, "o0.tags": {"role=db"},
		"o1.server": {b}, "o1.subnetId": {"subnet-0e5a1d00000000012"}, "o1.instanceType": {"r6i.xlarge"},
		"o1.launchDisposition": {"STOPPED"},
		// The blank row the page offers, left blank.
		"o2.server": {""}, "o2.subnetId": {""}, "o2.tags": {""},
	}
	want := plan.ProtectionGroup{
		LaunchSettings: &plan.LaunchSettings{SubnetID: "subnet-0e5a1d00000000011",
			SecurityGroupIDs: []string{"sg-0e5a1d00000000021", "sg-0e5a1d00000000022", "sg-0e5a1d00000000023"},
			InstanceType:     "m6i.large", RightSizing: "NONE", InstanceProfile: "drs-recovered",
			CopyPrivateIP: no(), CopyTags: yes(), LaunchDisposition: "STARTED",
			Tags: map[string]string{"env": "dr", "owner": "team-a"}},
		ServerLaunchSettings: map[string]plan.LaunchSettings{
			a: {PrivateIP: "10.10.1.20", BYOL: yes(), Tags: map[string]string{"role": "db"}},
			b: {SubnetID: "subnet-0e5a1d00000000012", InstanceType: "r6i.xlarge", LaunchDisposition: "STOPPED"},
		},
	}
	return f, want
}

// TestGroupFormLaunchSettings saves a group's launch settings and
// overrides through the form, checks what is stored, then posts the
// edit page's own form back unchanged and finds the group as it was.
func TestGroupFormLaunchSettings(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	crm := e.serversWith("app", "crm")
	form, want := groupSettingsForm(crm[0].ID, crm[1].ID)
	rec, _ := e.post("/groups/new", form)
	if rec.Code != 303 {
		t.Fatalf("save: status %d\n%s", rec.Code, rec.Body)
	}
	g, err := e.store.GetGroupByName(ctx, "crm")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want.LaunchSettings, g.LaunchSettings); diff != "" {
		t.Errorf("group settings mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want.ServerLaunchSettings, g.ServerLaunchSettings); diff != "" {
		t.Errorf("overrides mismatch (-want +got):\n%s", diff)
	}

	// The editor shows them; its form, posted as it is, changes nothing
	// but the version.
	_, page := e.get("/groups/" + g.ID)
	if got := page.byID("o0.server").attr("value"); got != crm[0].ID {
		t.Errorf("first override row is of %q, want %s", got, crm[0].ID)
	}
	if got := page.byID("o2.server").attr("value"); got != "" {
		t.Errorf("the row to add an override holds %q", got)
	}
	back := page.formValues("group-form")
	back.Set("op", "save")
	if rec, _ := e.post("/groups/"+g.ID, back); rec.Code != 303 {
		t.Fatalf("save as shown: status %d\n%s", rec.Code, rec.Body)
	}
	after, err := e.store.GetGroup(ctx, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after.Version != g.Version+1 {
		t.Errorf("version %d after saving, want %d", after.Version, g.Version+1)
	}
	ignore := cmpopts.IgnoreFields(plan.ProtectionGroup{}, "Version", "CreatedAt", "UpdatedAt")
	if diff := cmp.Diff(*g, *after, ignore); diff != "" {
		t.Errorf("round trip changed the group (-before +after):\n%s", diff)
	}

	// Clearing a row removes its override; clearing the group's fields
	// unmanages them (but its subnet, which the static IP needs).
	back = page.formValues("group-form")
	back.Set("op", "save")
	back.Set("version", strconv.FormatInt(after.Version, 10))
	for k := range back {
		if strings.HasPrefix(k, "o1.") || strings.HasPrefix(k, "ls.") && k != "ls.subnetId" {
			back.Set(k, "")
		}
	}
	if rec, _ := e.post("/groups/"+g.ID, back); rec.Code != 303 {
		t.Fatalf("save cleared: status %d\n%s", rec.Code, rec.Body)
	}
	cleared, err := e.store.GetGroup(ctx, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantOwn := &plan.LaunchSettings{SubnetID: "subnet-0e5a1d00000000011"}
	if diff := cmp.Diff(wantOwn, cleared.LaunchSettings); diff != "" {
		t.Errorf("group settings after clearing mismatch (-want +got):\n%s", diff)
	}
	wantOverrides := map[string]plan.LaunchSettings{crm[0].ID: want.ServerLaunchSettings[crm[0].ID]}
	if diff := cmp.Diff(wantOverrides, cleared.ServerLaunchSettings); diff != "" {
		t.Errorf("overrides after clearing a row mismatch (-want +got):\n%s", diff)
	}
}

// TestGroupFormSettingsErrorsAtFields submits settings the form or the
// validation refuses: each problem shows at its field, nothing is
// stored, and every value typed is shown again.
func TestGroupFormSettingsErrorsAtFields(t *testing.T) {
	e := newEnv(t)
	crm := e.serversWith("app", "crm")
	a, b := crm[0].ID, crm[1].ID
	tests := []struct {
		name   string
		change url.Values
		status int
		// at is the id of the element that must hold the error, and
		// want a part of its message.
		at, want string
	}{
		{"static IP not an address", url.Values{"o0.privateIp": {"10.10.1.300"}}, 400,
			"f-serverLaunchSettings-" + a + "-privateIp", `"10.10.1.300" is not a unicast IPv4 address`},
		{"tag line without =", url.Values{"ls.tags": {"env=dr\nnonsense"}}, 400,
			"f-launchSettings-tags", `line 2, "nonsense", is not key=value`},
		{"tag key of AWS", url.Values{"o0.tags": {"aws:name=x"}}, 400,
			"f-serverLaunchSettings-" + a + "-tags", "reserved for AWS"},
		{"security group not an ID", url.Values{"ls.securityGroupIds": {"sg-0e5a1d00000000021 web"}}, 400,
			"f-launchSettings-securityGroupIds", `"web" is not a security group ID`},
		{"right-sizing with a type", url.Values{"ls.rightSizing": {"BASIC"}}, 400,
			"f-launchSettings-rightSizing", "needs rightSizing NONE"},
		{"override without a server", url.Values{"o2.server": {""}, "o2.instanceType": {"t3.small"}}, 400,
			"f-serverLaunchSettings-2", "needs the ID of its server"},
		{"override of a server not in the group", url.Values{"o1.server": {"s-00000000000000fff"}}, 400,
			"f-serverLaunchSettings-s-00000000000000fff", "not in the group's sourceServerIds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form, _ := groupSettingsForm(a, b)
			for k, v := range tt.change {
				form[k] = v
			}
			rec, doc := e.post("/groups/new", form)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d\n%s", rec.Code, tt.status, doc.byID("f-summary").text())
			}
			if got := strings.Join(doc.byID(tt.at).fieldErrors(), " | "); !strings.Contains(got, tt.want) {
				t.Errorf("errors at %s: %q, want %q among them\nsummary: %s", tt.at, got, tt.want,
					doc.byID("f-summary").text())
			}
			if _, err := e.store.GetGroupByName(t.Context(), "crm"); err == nil {
				t.Fatal("a refused group was stored")
			}
			// What was typed comes back as typed.
			got := doc.formValues("group-form")
			for k, v := range form {
				if k == "op" || k == "servers" {
					continue
				}
				if want := strings.TrimSpace(v[0]); strings.TrimSpace(got.Get(k)) != want {
					t.Errorf("%s shown again as %q, want %q", k, got.Get(k), want)
				}
			}
		})
	}
}

// fakeSettings is a launch settings service of canned answers, for the
// pages' handling of each; the real one is driven in TestBrowser.
type fakeSettings struct {
	applied  []plan.AppliedSettings
	applyErr error
	// defs stores the groups SaveAndApplyGroup saves, unless saveErr
	// refuses them first.
	defs     Definitions
	saveErr  error
	view     api.GroupSettingsView
	drift    api.GroupDrift
	driftErr error
	// applies and drifts count the calls, by group ID.
	applies, drifts []string
}

func (f *fakeSettings) ApplyLaunchSettings(ctx context.Context, groupID string) ([]plan.AppliedSettings, error) {
	f.applies = append(f.applies, groupID)
	return f.applied, f.applyErr
}

func (f *fakeSettings) SaveAndApplyGroup(ctx context.Context, g *plan.ProtectionGroup, create bool) ([]plan.AppliedSettings, error, error) {
	if f.saveErr != nil {
		return nil, nil, f.saveErr
	}
	var err error
	if create {
		err = f.defs.CreateGroup(ctx, g)
	} else {
		err = f.defs.ReplaceGroup(ctx, g)
	}
	if err != nil {
		return nil, nil, err
	}
	f.applies = append(f.applies, g.ID)
	return f.applied, f.applyErr, nil
}

func (f *fakeSettings) GroupLaunchSettings(ctx context.Context, groupID string) (api.GroupSettingsView, error) {
	return f.view, nil
}

func (f *fakeSettings) GroupDrift(ctx context.Context, groupID string) (api.GroupDrift, error) {
	f.drifts = append(f.drifts, groupID)
	return f.drift, f.driftErr
}

// withSettings serves the env's UI with a launch settings service.
func (e *env) withSettings(s Settings) {
	e.t.Helper()
	w, err := New(Options{Store: e.store, Executions: e.exec, Definitions: e.api, Servers: e.web.servers,
		DefaultRegion: "us-east-1", Settings: s})
	if err != nil {
		e.t.Fatal(err)
	}
	e.web = w
}

// TestGroupSettingsPanels shows a group's settings per server with their
// latest application, applies them with the button, and reads drift
// only when asked.
func TestGroupSettingsPanels(t *testing.T) {
	e := newEnv(t)
	db := e.serversWith("tier", "db")
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	own := plan.LaunchSettings{SubnetID: "subnet-0e5a1d00000000011", PrivateIP: "10.10.1.20"}
	fake := &fakeSettings{
		view: api.GroupSettingsView{GroupID: e.db.ID, Servers: []api.ServerSettingsView{
			{SourceServerID: db[0].ID, Hostname: "db-0", Settings: own, Field: "serverLaunchSettings." + db[0].ID,
				Applied: &plan.AppliedSettings{SourceServerID: db[0].ID, Time: at, LaunchTemplateID: "lt-01",
					LaunchTemplateVersion: 4, Changed: []string{"privateIp", "subnetId"}}},
			{SourceServerID: db[1].ID, Settings: plan.LaunchSettings{SubnetID: "subnet-0e5a1d00000000011"},
				Field: "launchSettings"},
		}},
		applied: []plan.AppliedSettings{
			{SourceServerID: db[0].ID, Changed: []string{"privateIp"}},
			{SourceServerID: db[1].ID},
			{SourceServerID: "s-00000000000000bad", Error: "update launch configuration: throttled"},
		},
	}

	// Without the service, no panel, button or checkbox.
	_, page := e.get("/groups/" + e.db.ID)
	for _, id := range []string{"launch-settings", "drift", "apply-settings", "applyLaunchSettings"} {
		if page.has(id) {
			t.Errorf("without launch settings the page has #%s", id)
		}
	}

	e.withSettings(fake)
	_, page = e.get("/groups/" + e.db.ID)
	rows := page.byID("settings").each("data-server")
	if len(rows) != 2 {
		t.Fatalf("%d rows of settings, want 2", len(rows))
	}
	first := []string{rows[0].with("class", "applied-at").text(), rows[0].with("class", "template-version").text(),
		rows[0].with("class", "changed").text()}
	if diff := cmp.Diff([]string{"2026-03-01 12:00:00 UTC", "4 lt-01", "privateIp, subnetId"}, first); diff != "" {
		t.Errorf("applied record mismatch (-want +got):\n%s", diff)
	}
	if !strings.Contains(rows[0].text(), "private IP 10.10.1.20") || !strings.Contains(rows[0].text(), "own override") {
		t.Errorf("first row %q", rows[0].text())
	}
	if got := rows[1].with("class", "not-applied").text(); got != "not applied yet" {
		t.Errorf("second row says %q", got)
	}
	if !page.has("check-drift") || page.has("drift-checked") || len(fake.drifts) != 0 {
		t.Errorf("drift read without being asked (%d reads)", len(fake.drifts))
	}

	// Apply: the results are summed up on the page the form leads to.
	rec, _ := e.post("/groups/"+e.db.ID+"/apply-launch-settings", url.Values{})
	if rec.Code != 303 || rec.Header().Get("Location") != "/groups/"+e.db.ID+"#launch-settings" {
		t.Fatalf("apply: status %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	_, page = e.get("/groups/"+e.db.ID, rec.Result().Cookies()...)
	notice := page.byID("page-notice").text()
	if !strings.Contains(notice, "applied to 3 servers: 1 changed, 1 already in line, 1 failed") ||
		!strings.Contains(notice, "s-00000000000000bad: update launch configuration: throttled") {
		t.Errorf("notice after applying: %q", notice)
	}
	if diff := cmp.Diff([]string{e.db.ID}, fake.applies); diff != "" {
		t.Errorf("applies mismatch (-want +got):\n%s", diff)
	}

	// A refusal names the field at fault on the group's form.
	fake.applyErr = plan.Errors{{Code: plan.CodePrivateIPInUse, Field: "serverLaunchSettings." + db[0].ID + ".privateIp",
		Message: "private IP 10.10.1.20 is in use by eni-1"}}
	rec, page = e.post("/groups/"+e.db.ID+"/apply-launch-settings", url.Values{})
	if rec.Code != 400 || !strings.Contains(page.byID("page-error").text(), "were not applied") {
		t.Errorf("refused apply: status %d, error %q", rec.Code, page.byID("page-error").text())
	}
	if got := page.byID("f-summary").attrs("data-field"); !cmp.Equal(got, []string{"serverLaunchSettings." + db[0].ID + ".privateIp"}) {
		t.Errorf("refused apply: summary fields %v", got)
	}

	// Drift, when asked: rows per field, or "in line".
	fake.drift = api.GroupDrift{GroupID: e.db.ID, CheckedAt: at, Drifted: 1, Servers: []plan.ServerDrift{
		{SourceServerID: db[0].ID, Fields: []plan.FieldDrift{{Field: "subnetId", Want: "subnet-0e5a1d00000000011",
			Got: "subnet-0e5a1d00000000012"}, {Field: "privateIp", Want: "10.10.1.20"}}},
		{SourceServerID: db[1].ID, Fields: []plan.FieldDrift{}},
	}}
	_, page = e.get("/groups/" + e.db.ID + "?drift=1")
	var got [][]string
	for _, row := range page.byID("drift-table").each("data-field") {
		got = append(got, strings.Fields(row.text()))
	}
	want := [][]string{{db[0].ID, "subnetId", "subnet-0e5a1d00000000011", "subnet-0e5a1d00000000012"},
		{db[0].ID, "privateIp", "10.10.1.20", "(absent)"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("drift rows mismatch (-want +got):\n%s", diff)
	}
	if checked := page.byID("drift-checked").text(); !strings.Contains(checked, "2026-03-01 12:00:00 UTC : 2 servers") ||
		!strings.Contains(checked, "1 drifted") {
		t.Errorf("drift checked %q", checked)
	}
	fake.drift = api.GroupDrift{GroupID: e.db.ID, CheckedAt: at, Servers: []plan.ServerDrift{{SourceServerID: db[0].ID}}}
	_, page = e.get("/groups/" + e.db.ID + "?drift=1")
	if !page.has("drift-none") || page.has("drift-table") {
		t.Errorf("drift in line shows %q", page.byID("drift").text())
	}
	fake.driftErr = errors.New("describe launch configuration: connection refused")
	_, page = e.get("/groups/" + e.db.ID + "?drift=1")
	if !page.has("drift-error") {
		t.Errorf("a drift read that failed shows %q", page.byID("drift").text())
	}
}

// TestGroupSaveAndApply saves a group with "apply after saving": the
// group is stored and its settings applied once. A refusal of the
// settings stores nothing and shows the errors at their fields; a failure
// of the apply after the save shows the saved group at its new version.
func TestGroupSaveAndApply(t *testing.T) {
	e := newEnv(t)
	crm := e.serversWith("app", "crm")
	fake := &fakeSettings{defs: e.api, applied: []plan.AppliedSettings{{SourceServerID: crm[0].ID, Changed: []string{"subnetId"}}}}
	e.withSettings(fake)
	form, _ := groupSettingsForm(crm[0].ID, crm[1].ID)
	form.Set("applyLaunchSettings", "on")
	rec, _ := e.post("/groups/new", form)
	if rec.Code != 303 {
		t.Fatalf("save: status %d", rec.Code)
	}
	g, err := e.store.GetGroupByName(t.Context(), "crm")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{g.ID}, fake.applies); diff != "" {
		t.Errorf("applies mismatch (-want +got):\n%s", diff)
	}
	_, page := e.get(rec.Header().Get("Location"), rec.Result().Cookies()...)
	if n := page.byID("page-notice").text(); !strings.Contains(n, `"crm" saved`) || !strings.Contains(n, "1 changed") {
		t.Errorf("notice %q", n)
	}

	// Refused: nothing stored, the errors at their fields, the input kept.
	fake.saveErr = &api.Error{Status: http.StatusUnprocessableEntity, Code: "validation_failed",
		Message: "the launch settings are refused", Details: []api.Detail{{Code: plan.CodeSubnetNotFound,
			Field: "launchSettings.subnetId", Message: "subnet subnet-0e5a1d00000000011 does not exist"}}}
	form.Set("version", strconv.FormatInt(g.Version, 10))
	form.Set("name", "crm-2")
	rec, page = e.post("/groups/"+g.ID, form)
	if rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("refused save: status %d", rec.Code)
	}
	if errs := page.byID("f-launchSettings-subnetId").fieldErrors(); len(errs) != 1 || !strings.Contains(errs[0], "does not exist") {
		t.Errorf("errors at the subnet: %q", errs)
	}
	if after, err := e.store.GetGroup(t.Context(), g.ID); err != nil || after.Name != "crm" || after.Version != g.Version {
		t.Errorf("group after the refusal: %q at version %d (%v), want crm at %d unchanged", after.Name, after.Version, err, g.Version)
	}
	if page.byID("ls.subnetId").attr("value") != "subnet-0e5a1d00000000011" || page.byID("name").attr("value") != "crm-2" {
		t.Error("the form lost its values")
	}

	// Saved, then the apply failed: the group at its new version.
	fake.saveErr = nil
	fake.applyErr = &api.Error{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "EC2 could not be asked"}
	rec, page = e.post("/groups/"+g.ID, form)
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("failed apply: status %d", rec.Code)
	}
	if v := page.byID("group-form").with("name", "version").attr("value"); v != strconv.FormatInt(g.Version+1, 10) {
		t.Errorf("form at version %s after the save, want %d", v, g.Version+1)
	}
	if n := page.byID("page-notice").text(); !strings.Contains(n, `"crm-2" saved`) {
		t.Errorf("notice %q", n)
	}
}

// TestPlanEditorRoundTrip stores a plan that sets every field of a wave,
// health gates included, posts its editor's form back as shown, and finds
// the plan unchanged: the editor drops no wave field.
func TestPlanEditorRoundTrip(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	web := plan.ProtectionGroup{Name: "shop-web", Region: "us-east-1",
		ServerSelector: &plan.Selector{Tags: map[string]string{"app": "shop", "tier": "web"}}}
	if err := e.api.CreateGroup(ctx, &web); err != nil {
		t.Fatal(err)
	}
	half := 50
	p := plan.RecoveryPlan{Name: "gated", Description: "both gates", RTOMinutes: 45, Waves: []plan.Wave{
		{Name: "database", ProtectionGroupIDs: []string{e.db.ID}, DependsOn: []string{},
			FailurePolicy: plan.FailureContinue, MinSuccessPercent: &half, LaunchTimeoutMinutes: 40,
			HealthGate: &plan.HealthGate{StatusChecks: true, CheckURL: "https://health.example.com/db",
				TimeoutMinutes: 20, IntervalSeconds: 30},
			Hooks: &plan.Hooks{Before: []plan.Hook{{Name: "drain", URL: "https://hooks.example.com/drain",
				TimeoutSeconds: 9, Retries: 2}}, After: []plan.Hook{{URL: "https://hooks.example.com/done"}}}},
		{Name: "application", ProtectionGroupIDs: []string{e.app.ID}, DependsOn: []string{"database"},
			PauseBefore: true, FailurePolicy: plan.FailureStop,
			HealthGate: &plan.HealthGate{StatusChecks: true}},
		{Name: "smoke", ProtectionGroupIDs: []string{web.ID}, DependsOn: []string{"application"},
			FailurePolicy: plan.FailureStop, HealthGate: &plan.HealthGate{CheckURL: "http://10.0.0.1:8080/ok"}},
	}}
	if err := e.api.CreatePlan(ctx, &p); err != nil {
		t.Fatal(err)
	}
	before, err := e.store.GetPlan(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, page := e.get("/plans/" + p.ID + "/edit")
	if !strings.Contains(string(page.byID("w1.gate.statusChecks")), "checked") || page.byID("w0.gate.timeout").attr("value") != "20" {
		t.Fatal("the editor does not show the health gates")
	}
	form := page.formValues("plan-form")
	form.Set("op", "save")
	if rec, _ := e.post("/plans/"+p.ID+"/edit", form); rec.Code != 303 {
		t.Fatalf("save as shown: status %d\n%s", rec.Code, rec.Body)
	}
	after, err := e.store.GetPlan(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	ignore := cmpopts.IgnoreFields(plan.RecoveryPlan{}, "Version", "CreatedAt", "UpdatedAt")
	if diff := cmp.Diff(*before, *after, ignore); diff != "" {
		t.Errorf("round trip changed the plan (-before +after):\n%s", diff)
	}
	if after.Version != before.Version+1 {
		t.Errorf("version %d, want %d", after.Version, before.Version+1)
	}

	// A gate's values are checked at their fields; emptying every input
	// of a gate removes it.
	form.Set("version", strconv.FormatInt(after.Version, 10))
	form.Set("w0.gate.timeout", "soon")
	form.Set("w2.gate.interval", "1")
	rec, doc := e.post("/plans/"+p.ID+"/edit", form)
	if rec.Code != 400 || !strings.Contains(doc.byID("f-waves-0-healthGate-timeoutMinutes").text(), `"soon" is not a whole number`) {
		t.Errorf("bad timeout: status %d, at the field %q", rec.Code, doc.byID("f-waves-0-healthGate-timeoutMinutes").text())
	}
	form.Set("w0.gate.timeout", "20")
	rec, doc = e.post("/plans/"+p.ID+"/edit", form)
	if rec.Code != 400 || len(doc.byID("f-waves-2-healthGate-intervalSeconds").fieldErrors()) != 1 {
		t.Errorf("interval of 1s: status %d, at the field %q", rec.Code, doc.byID("f-waves-2-healthGate-intervalSeconds").text())
	}
	form.Set("w2.gate.interval", "")
	form.Set("w2.gate.checkUrl", "")
	if rec, _ := e.post("/plans/"+p.ID+"/edit", form); rec.Code != 303 {
		t.Fatalf("remove a gate: status %d", rec.Code)
	}
	removed, err := e.store.GetPlan(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if removed.Waves[2].HealthGate != nil || removed.Waves[1].HealthGate == nil {
		t.Errorf("gates after removing the third: %+v, %+v", removed.Waves[1].HealthGate, removed.Waves[2].HealthGate)
	}
}

// TestExecutionShowsGateAndEC2 shows a stored execution whose first wave
// passed its health gate and whose second is checking, with launches
// enriched from EC2 and one whose settings failed.
func TestExecutionShowsGateAndEC2(t *testing.T) {
	e := newEnv(t)
	t0 := time.Date(2026, 3, 1, 12, 5, 0, 0, time.UTC)
	t1 := t0.Add(2 * time.Minute)
	edit := func(waves []plan.WaveRun, launches []plan.Launch) {
		waves[0].Gate = &plan.GateRun{Status: plan.GatePassed, StartTime: t0, EndTime: &t1, Checks: []plan.GateCheck{
			{Kind: plan.CheckStatusChecks, OK: true, Attempts: 3, Message: "2 of 2 instances ok", Time: t1, PassedAt: &t1}}}
		waves[1].Gate = &plan.GateRun{Status: plan.GateChecking, StartTime: t1, Checks: []plan.GateCheck{
			{Kind: plan.CheckStatusChecks, OK: true, Attempts: 1, Time: t1, PassedAt: &t1},
			{Kind: plan.CheckURL, Attempts: 4, StatusCode: 503, Message: "answered 503", Time: t1}}}
		for i := range launches {
			l := &launches[i]
			switch l.SourceServerID {
			case "s-00000000000000000":
				l.SettingsAppliedAt, l.LaunchTemplateVersion = &t0, 7
				l.PrivateIP, l.InstanceType, l.InstanceState, l.SubnetID = "10.10.1.20", "m6i.large", "running", "subnet-0e5a1d00000000011"
			case "s-10000000000000001":
				l.SettingsError = "launch settings: subnet subnet-0e5a1d000000000ff does not exist"
			}
		}
	}
	id := (execState{name: "p", status: plan.ExecRunning, waves: [2]string{"COMPLETED", "VERIFYING"},
		approved: true, launches: [2][2]string{launched2, mixed2}, edit: edit}).store(t, e.store)

	for _, path := range []string{"/executions/" + id, "/executions/" + id + "?fragment=live"} {
		rec, doc := e.get(path)
		if rec.Code != 200 {
			t.Fatalf("%s: status %d", path, rec.Code)
		}
		live := doc.byID("live")
		passed, checking := live.byID("gate-0"), live.byID("gate-1")
		if passed.attr("data-gate") != plan.GatePassed || !strings.Contains(passed.text(), "3 attempts · 2 of 2 instances ok") {
			t.Errorf("%s: first gate %q", path, passed.text())
		}
		url := checking.with("data-check", plan.CheckURL)
		if checking.attr("data-gate") != plan.GateChecking || url.attr("data-ok") != "false" ||
			!strings.Contains(url.text(), "4 attempts, answer 503 · answered 503") {
			t.Errorf("%s: second gate %q", path, checking.text())
		}
		row := live.with("data-server", "s-00000000000000000")
		got := []string{row.with("class", "private-ip").text(), row.with("class", "instance-type").text(),
			row.with("class", "instance-state").text(), row.with("class", "subnet").text(), row.with("class", "settings").text()}
		want := []string{"10.10.1.20", "m6i.large", "running", "subnet-0e5a1d00000000011",
			"applied 2026-03-01 12:05:00 UTC template version 7"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: enriched launch mismatch (-want +got):\n%s", path, diff)
		}
		if s := live.with("data-server", "s-10000000000000001").with("class", "settings").text(); !strings.Contains(s, "does not exist") {
			t.Errorf("%s: settings error %q", path, s)
		}
		// A gate is checking: the script is to refresh without events.
		if live.attr("data-refresh") != "5" {
			t.Errorf("%s: data-refresh %q, want 5", path, live.attr("data-refresh"))
		}
	}
}

func (f *fakeSettings) SyncTags(ctx context.Context, accountID, region string) (plan.TagSyncResult, error) {
	return plan.TagSyncResult{Region: region, Servers: 3, Linked: 2, Updated: 1,
		Errors: []string{"s-00000000000000bad: tag resource: throttled"}}, nil
}

// TestSettingsActionsNeedAdmin: a viewer or operator reads a group's
// launch settings and the servers page, but is offered neither applying
// them, nor applying on save, nor a tag sync; an admin is.
func TestSettingsActionsNeedAdmin(t *testing.T) {
	e := newEnv(t)
	db := e.serversWith("tier", "db")
	e.withSettings(&fakeSettings{view: api.GroupSettingsView{GroupID: e.db.ID, Servers: []api.ServerSettingsView{
		{SourceServerID: db[0].ID, Settings: plan.LaunchSettings{SubnetID: "subnet-0e5a1d00000000011"}, Field: "launchSettings"}}}})
	for _, tt := range []struct {
		role  auth.Role
		offer bool
	}{{auth.RoleViewer, false}, {auth.RoleDrillOperator, false}, {auth.RoleRecoveryOperator, false}, {auth.RoleAdmin, true}} {
		cookie := &http.Cookie{Name: auth.SessionCookie, Value: e.signIn(tt.role)}
		rec, group := e.get("/groups/"+e.db.ID, cookie)
		if rec.Code != 200 || !group.has("launch-settings") {
			t.Fatalf("%s: group page %d without its settings panel", tt.role, rec.Code)
		}
		_, servers := e.get("/servers", cookie)
		for page, ids := range map[*doc][]string{&group: {"apply-settings", "applyLaunchSettings"}, &servers: {"tag-sync"}} {
			for _, id := range ids {
				if page.has(id) != tt.offer {
					t.Errorf("%s: #%s offered %v, want %v", tt.role, id, page.has(id), tt.offer)
				}
			}
		}
	}
}
