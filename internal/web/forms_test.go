package web

import (
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/execution"
	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
)

func TestGroupPreviewShowsMatchesAndConflicts(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	crm := e.serversWith("app", "crm")
	pinned := plan.ProtectionGroup{Name: "pinned", Region: "us-east-1", SourceServerIDs: []string{crm[0].ID}}
	if err := e.api.CreateGroup(ctx, &pinned); err != nil {
		t.Fatal(err)
	}

	// The picker says which group holds each server before anything is
	// submitted.
	_, doc := e.get("/groups/new")
	if row := doc.byID("picker").with("data-server", crm[0].ID); !strings.Contains(row.text(), "pinned") {
		t.Errorf("picker row of %s does not name group pinned: %s", crm[0].ID, row.text())
	}

	form := url.Values{"op": {"preview"}, "name": {"web-tier"}, "region": {"us-east-1"},
		"servers": {crm[1].ID, crm[0].ID}, "tagKey0": {"tier"}, "tagValue0": {"web"},
		"tagKey1": {""}, "tagValue1": {""}}
	rec, doc := e.post("/groups/new", form)
	if rec.Code != 200 {
		t.Fatalf("preview: status %d\n%s", rec.Code, rec.Body)
	}
	// The conflict shows at the chosen server, from the API's validation.
	row := doc.byID("picker").with("data-server", crm[0].ID)
	if row.attr("class") != "conflict" || len(row.fieldErrors()) != 1 ||
		!strings.Contains(row.fieldErrors()[0], `"pinned"`) {
		t.Errorf("conflicting row: class %q, errors %q", row.attr("class"), row.fieldErrors())
	}
	if got := doc.byID("f-summary").attrs("data-field"); !cmp.Equal(got, []string{"sourceServerIds[1]"}) {
		t.Errorf("summary fields %v", got)
	}
	// The preview lists the servers the group would match now: the two
	// chosen and every tier=web server.
	want := map[string]bool{crm[0].ID: true, crm[1].ID: true}
	for _, s := range e.serversWith("tier", "web") {
		want[s.ID] = true
	}
	got := doc.byID("preview").attrs("data-server")
	if len(got) != len(want) {
		t.Errorf("preview lists %d servers, want %d: %v", len(got), len(want), got)
	}
	for _, id := range got {
		if !want[id] {
			t.Errorf("preview lists %s", id)
		}
	}
	// Chosen servers and typed tags survive the round trip.
	if !strings.Contains(string(doc.byID("srv-"+crm[1].ID)), "checked") || doc.byID("tagValue0").attr("value") != "web" {
		t.Error("the form lost its values")
	}

	// Saving is refused for the same reason, and stores nothing.
	form.Set("op", "save")
	rec, doc = e.post("/groups/new", form)
	if rec.Code != 400 || len(doc.byID("picker").with("data-server", crm[0].ID).fieldErrors()) != 1 {
		t.Errorf("save: status %d, want 400 with the error at the server", rec.Code)
	}
	if _, err := e.store.GetGroupByName(ctx, "web-tier"); err == nil {
		t.Error("a refused group was stored")
	}
}

func TestGroupSaveAndEdit(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	crm := e.serversWith("app", "crm")
	rec, _ := e.post("/groups/new", url.Values{"op": {"save"}, "name": {"crm"}, "region": {"us-east-1"},
		"servers": {crm[0].ID}, "moreServers": {crm[1].ID}})
	if rec.Code != 303 {
		t.Fatalf("status %d, want 303\n%s", rec.Code, rec.Body)
	}
	g, err := e.store.GetGroupByName(ctx, "crm")
	if err != nil {
		t.Fatal(err)
	}
	if loc := rec.Header().Get("Location"); loc != "/groups/"+g.ID {
		t.Errorf("Location %q", loc)
	}
	wantIDs := []string{crm[0].ID, crm[1].ID}
	if crm[1].ID < crm[0].ID {
		wantIDs = []string{crm[1].ID, crm[0].ID}
	}
	if diff := cmp.Diff(wantIDs, g.SourceServerIDs); diff != "" {
		t.Errorf("stored IDs mismatch (-want +got):\n%s", diff)
	}
	// The next page shows the notice the redirect carried.
	_, doc := e.get(rec.Header().Get("Location"), rec.Result().Cookies()...)
	if !strings.Contains(doc.byID("page-notice").text(), `"crm" saved`) {
		t.Errorf("notice %q", doc.byID("page-notice").text())
	}

	// An edit with a stale version is refused and says why.
	edit := url.Values{"op": {"save"}, "name": {"crm"}, "region": {"us-east-1"}, "servers": {crm[0].ID},
		"version": {"7"}}
	rec, doc = e.post("/groups/"+g.ID, edit)
	if rec.Code != 412 || !strings.Contains(doc.byID("f-summary").text(), "was changed since it was read") {
		t.Errorf("stale edit: status %d, summary %q", rec.Code, doc.byID("f-summary").text())
	}
	edit.Set("version", "1")
	edit.Set("name", "")
	rec, doc = e.post("/groups/"+g.ID, edit)
	if rec.Code != 400 || len(doc.byID("f-name").fieldErrors()) != 1 {
		t.Errorf("nameless edit: status %d, name errors %q", rec.Code, doc.byID("f-name").fieldErrors())
	}
	edit.Set("name", "crm-all")
	if rec, _ := e.post("/groups/"+g.ID, edit); rec.Code != 303 {
		t.Errorf("edit: status %d", rec.Code)
	}
	if g, err := e.store.GetGroup(ctx, g.ID); err != nil || g.Name != "crm-all" || g.Version != 2 {
		t.Errorf("after the edit: %+v, %v", g, err)
	}
}

// planForm returns the editor's fields for p as the page would post them.
func planFormOf(p plan.RecoveryPlan, op string) url.Values {
	f := url.Values{"op": {op}, "name": {p.Name}, "waves": {strconv.Itoa(len(p.Waves))}}
	if p.RTOMinutes > 0 {
		f.Set("rtoMinutes", strconv.Itoa(p.RTOMinutes))
	}
	for i, w := range p.Waves {
		pre := "w" + strconv.Itoa(i) + "."
		f.Set(pre+"name", w.Name)
		f[pre+"groups"] = w.ProtectionGroupIDs
		for _, d := range w.DependsOn {
			for j, o := range p.Waves {
				if o.Name == d {
					f.Add(pre+"deps", strconv.Itoa(j))
				}
			}
		}
		if w.PauseBefore {
			f.Set(pre+"pause", "on")
		}
		f.Set(pre+"policy", w.FailurePolicy)
		f.Set(pre+"before0.url", "")
		f.Set(pre+"after0.url", "")
	}
	return f
}

// waveNames returns the wave names the editor shows, in order.
func waveNames(d doc) []string {
	var out []string
	for _, w := range d.each("data-wave-index") {
		out = append(out, w.byID("w"+w.attr("data-wave-index")+".name").attr("value"))
	}
	return out
}

func TestPlanEditorButtons(t *testing.T) {
	e := newEnv(t)
	p := plan.RecoveryPlan{Name: "three", Waves: []plan.Wave{
		{Name: "a", ProtectionGroupIDs: []string{e.db.ID}, DependsOn: []string{}},
		{Name: "b", ProtectionGroupIDs: []string{e.app.ID}, DependsOn: []string{"a"}},
	}}
	tests := []struct {
		op    string
		waves []string
	}{
		{"add", []string{"a", "b", "wave-3"}},
		{"up-1", []string{"b", "a"}},
		{"down-0", []string{"b", "a"}},
		{"down-1", []string{"a", "b"}},
		{"remove-0", []string{"b"}},
	}
	for _, tt := range tests {
		rec, doc := e.post("/plans/new", planFormOf(p, tt.op))
		if rec.Code != 200 {
			t.Fatalf("%s: status %d", tt.op, rec.Code)
		}
		if diff := cmp.Diff(tt.waves, waveNames(doc)); diff != "" {
			t.Errorf("%s: waves mismatch (-want +got):\n%s", tt.op, diff)
		}
		if _, err := e.store.GetPlanByName(t.Context(), "three"); err == nil {
			t.Fatalf("%s saved the plan", tt.op)
		}
	}
	// A new wave starts after the last one; removing a wave drops the
	// dependencies on it.
	_, doc := e.post("/plans/new", planFormOf(p, "add"))
	deps := doc.byID("f-waves-2-dependsOn")
	if !strings.Contains(string(deps.with("value", "1")), "checked") {
		t.Errorf("new wave's dependencies: %s", deps)
	}
	_, doc = e.post("/plans/new", planFormOf(p, "remove-0"))
	if strings.Contains(string(doc.byID("f-waves-0-dependsOn")), " checked>") {
		t.Errorf("dependency on a removed wave kept: %s", doc.byID("f-waves-0-dependsOn"))
	}
}

func TestPlanSaveKeepsDependenciesAcrossRename(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	f := planFormOf(e.plan, "save")
	f.Set("version", "1")
	f.Set("w0.name", "db") // wave 1 depends on wave 0 by position
	f.Set("w1.minSuccess", "50")
	f.Set("w1.before0.url", "https://hooks.example/ready")
	f.Set("w1.before0.retries", "2")
	rec, _ := e.post("/plans/"+e.plan.ID+"/edit", f)
	if rec.Code != 303 {
		t.Fatalf("status %d\n%s", rec.Code, rec.Body)
	}
	got, err := e.store.GetPlan(ctx, e.plan.ID)
	if err != nil {
		t.Fatal(err)
	}
	fifty := 50
	want := []plan.Wave{
		{Name: "db", ProtectionGroupIDs: []string{e.db.ID}, DependsOn: []string{}, FailurePolicy: "stop",
			MinSuccessPercent: ptr(100)},
		{Name: "application", ProtectionGroupIDs: []string{e.app.ID}, DependsOn: []string{"db"},
			PauseBefore: true, FailurePolicy: "stop", MinSuccessPercent: &fifty,
			Hooks: &plan.Hooks{Before: []plan.Hook{{URL: "https://hooks.example/ready", Retries: 2}}}},
	}
	if diff := cmp.Diff(want, got.Waves); diff != "" {
		t.Errorf("stored waves mismatch (-want +got):\n%s", diff)
	}
}

func ptr[T any](v T) *T { return &v }

// TestPlanValidationAtFields saves invalid plans: each problem shows at
// the field its path names, and nothing is stored.
func TestPlanValidationAtFields(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name   string
		edit   func(url.Values)
		status int
		at     string // element id holding the error
		want   string
	}{
		{"no groups", func(f url.Values) { delete(f, "w1.groups") }, 400,
			"f-waves-1-protectionGroupIds", `wave "application" has no protection group`},
		{"duplicate wave", func(f url.Values) { f.Set("w1.name", "database") }, 400,
			"f-waves-1-name", `wave name "database" is already used by waves[0]`},
		{"cycle", func(f url.Values) { f.Set("w0.deps", "1") }, 400,
			"f-summary", "cycle"},
		{"min success", func(f url.Values) { f.Set("w0.minSuccess", "150") }, 400,
			"f-waves-0-minSuccessPercent", "minSuccessPercent is 150; it must be 0 to 100"},
		{"not a number", func(f url.Values) { f.Set("w0.minSuccess", "most") }, 400,
			"f-waves-0-minSuccessPercent", `"most" is not a whole number`},
		{"hook url", func(f url.Values) { f.Set("w0.after0.url", "ftp://x") }, 400,
			"f-waves-0-hooks-after-0-url", `hook URL "ftp://x" is not an http or https URL`},
		{"rto", func(f url.Values) { f.Set("rtoMinutes", "-5") }, 400,
			"f-rtoMinutes", "rtoMinutes is -5; it cannot be negative"},
		{"name taken", func(f url.Values) {}, 409, "f-name", `a recovery plan named "shop" already exists`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := planFormOf(e.plan, "save")
			tt.edit(f)
			rec, doc := e.post("/plans/new", f)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d\n%s", rec.Code, tt.status, rec.Body)
			}
			at := doc.byID(tt.at)
			if at == "" {
				t.Fatalf("no element %s", tt.at)
			}
			text := strings.Join(at.fieldErrors(), " | ")
			if tt.at == "f-summary" {
				text = at.text()
			}
			if !strings.Contains(text, tt.want) {
				t.Errorf("errors at %s: %q, want %q", tt.at, text, tt.want)
			}
			// The summary links every problem to its field.
			for _, href := range doc.byID("f-summary").attrs("href") {
				if !doc.has(strings.TrimPrefix(href, "#")) {
					t.Errorf("summary links to missing %s", href)
				}
			}
			page, err := e.store.ListPlans(t.Context(), store.ListOptions{})
			if err != nil || len(page.Items) != 1 {
				t.Errorf("plans stored: %d, %v", len(page.Items), err)
			}
		})
	}
}

func TestStartDrillAndRecovery(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	path := "/plans/" + e.plan.ID + "/start"

	rec, doc := e.post(path, url.Values{"mode": {"recovery"}, "confirmName": {"Shop"}})
	if rec.Code != 400 || len(doc.byID("f-confirmName").fieldErrors()) != 1 {
		t.Fatalf("unconfirmed recovery: status %d, errors %q", rec.Code, doc.byID("f-confirmName").fieldErrors())
	}
	rec, doc = e.post(path, url.Values{"mode": {"drill"}, "pointInTime": {"yesterday"}})
	if rec.Code != 400 || len(doc.byID("f-pointInTime").fieldErrors()) != 1 {
		t.Errorf("bad point in time: status %d", rec.Code)
	}
	page, err := e.exec.List(ctx, execution.Filter{PlanID: e.plan.ID}, store.ListOptions{})
	if err != nil || len(page.Items) != 0 {
		t.Fatalf("refused starts created %d executions (%v)", len(page.Items), err)
	}

	rec, _ = e.post(path, url.Values{"mode": {"recovery"}, "confirmName": {"shop"}})
	if rec.Code != 303 || !strings.HasPrefix(rec.Header().Get("Location"), "/executions/ex-") {
		t.Fatalf("recovery: status %d, Location %q", rec.Code, rec.Header().Get("Location"))
	}
	id := strings.TrimPrefix(rec.Header().Get("Location"), "/executions/")
	v, err := e.exec.Get(ctx, id)
	if err != nil || v.Mode != plan.ModeRecovery || !strings.HasPrefix(v.StartedBy, "test-admin (") {
		t.Fatalf("started: %+v, %v", v, err)
	}

	// A second start while one runs is refused with the service's reason.
	rec, doc = e.post(path, url.Values{"mode": {"drill"}})
	if rec.Code != 409 || !strings.Contains(doc.byID("f-summary").text(), "active execution") {
		t.Errorf("second start: status %d, summary %q", rec.Code, doc.byID("f-summary").text())
	}
}

// TestPlanEditorKeepsLaunchTimeout edits a plan whose wave has a launch
// timeout: the editor shows it, saving the form as shown keeps it, and a
// value that is not a number is refused at its field.
func TestPlanEditorKeepsLaunchTimeout(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	p := e.plan
	p.Waves[0].LaunchTimeoutMinutes = 45
	if err := e.api.ReplacePlan(ctx, &p); err != nil {
		t.Fatal(err)
	}
	_, page := e.get("/plans/" + p.ID + "/edit")
	if got := page.byID("w0.launchTimeout").attr("value"); got != "45" {
		t.Fatalf("editor shows launch timeout %q, want 45", got)
	}

	f := planFormOf(p, "save")
	f.Set("version", strconv.FormatInt(p.Version, 10))
	f.Set("w0.launchTimeout", "45")
	if rec, _ := e.post("/plans/"+p.ID+"/edit", f); rec.Code != 303 {
		t.Fatalf("save: status %d\n%s", rec.Code, rec.Body)
	}
	got, err := e.store.GetPlan(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Waves[0].LaunchTimeoutMinutes != 45 || got.Waves[1].LaunchTimeoutMinutes != 0 {
		t.Errorf("stored launch timeouts %d, %d; want 45, 0",
			got.Waves[0].LaunchTimeoutMinutes, got.Waves[1].LaunchTimeoutMinutes)
	}

	f.Set("version", strconv.FormatInt(got.Version, 10))
	f.Set("w0.launchTimeout", "soon")
	rec, doc := e.post("/plans/"+p.ID+"/edit", f)
	if rec.Code != 400 {
		t.Fatalf("bad timeout: status %d, want 400", rec.Code)
	}
	if msg := doc.byID("f-waves-0-launchTimeoutMinutes").text(); !strings.Contains(msg, `"soon" is not a whole number`) {
		t.Errorf("error at the field: %q", msg)
	}
	if after, _ := e.store.GetPlan(ctx, p.ID); after.Version != got.Version {
		t.Errorf("a refused save changed the plan: version %d, want %d", after.Version, got.Version)
	}
}
