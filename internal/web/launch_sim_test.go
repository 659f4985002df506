package web

import (
	"net/url"
	"strings"
	"testing"
)

// TestGroupSettingsOnEmulator sets a group's launch settings through the
// form with the real settings service on the emulator: a static IP the
// subnet reserves is refused at its field by EC2's check, a good one is
// saved and applied, the page shows what was written, and drift finds
// the servers in line.
func TestGroupSettingsOnEmulator(t *testing.T) {
	e := newEnv(t)
	e.withLaunchSettings()
	ctx := t.Context()
	crm := e.serversWith("app", "crm")
	a, b := crm[0].ID, crm[1].ID
	form := url.Values{"op": {"save"}, "name": {"crm"}, "region": {"us-east-1"}, "servers": {a, b},
		"ls.subnetId": {"subnet-0e5a1d00000000011"}, "ls.securityGroupIds": {"sg-0e5a1d00000000023"},
		"ls.instanceType": {"m6i.large"}, "ls.tags": {"env=dr"},
		"o0.server": {a}, "o0.privateIp": {"10.10.1.3"}, "applyLaunchSettings": {"on"}}
	rec, page := e.post("/groups/new", form)
	if rec.Code != 422 && rec.Code != 400 {
		t.Fatalf("reserved IP: status %d\n%s", rec.Code, page.byID("f-summary").text())
	}
	if errs := page.byID("f-serverLaunchSettings-" + a + "-privateIp").fieldErrors(); len(errs) != 1 || !strings.Contains(errs[0], "reserve") {
		t.Errorf("errors at the static IP: %q\nsummary: %s", errs, page.byID("f-summary").text())
	}
	if page.byID("o0.privateIp").attr("value") != "10.10.1.3" || page.byID("ls.tags").text() != "env=dr" {
		t.Error("the refused form lost what was typed")
	}

	form.Set("o0.privateIp", "10.10.1.40")
	rec, page = e.post("/groups/new", form)
	if rec.Code != 303 {
		t.Fatalf("save and apply: status %d\n%s", rec.Code, page.byID("f-summary").text())
	}
	g, err := e.store.GetGroupByName(ctx, "crm")
	if err != nil {
		t.Fatal(err)
	}
	_, page = e.get(rec.Header().Get("Location"), rec.Result().Cookies()...)
	if n := page.byID("page-notice").text(); !strings.Contains(n, "applied to 2 servers: 2 changed") {
		t.Errorf("notice %q", n)
	}
	for _, id := range []string{a, b} {
		row := page.byID("settings").with("data-server", id)
		if row.with("class", "applied-at").text() == "" || row.with("class", "template-version").text() == "–" ||
			!strings.Contains(row.with("class", "changed").text(), "subnetId") {
			t.Errorf("settings row of %s: %q", id, row.text())
		}
	}
	if !strings.Contains(page.byID("settings").with("data-server", a).with("class", "changed").text(), "privateIp") {
		t.Errorf("the static IP of %s is not among the fields written", a)
	}

	// Read back, everything is in line; applying again writes nothing.
	_, page = e.get("/groups/" + g.ID + "?drift=1")
	if !page.has("drift-none") {
		t.Errorf("drift after applying: %s", page.byID("drift").text())
	}
	rec, page = e.post("/groups/"+g.ID+"/apply-launch-settings", url.Values{})
	if rec.Code != 303 {
		t.Fatalf("apply again: status %d\n%s", rec.Code, page.byID("main").text())
	}
	if loc := rec.Header().Get("Location"); loc != "/groups/"+g.ID+"#launch-settings" {
		t.Errorf("apply again led to %q", loc)
	}
	_, page = e.get("/groups/"+g.ID, rec.Result().Cookies()...)
	if n := page.byID("page-notice").text(); !strings.Contains(n, "0 changed, 2 already in line") {
		t.Errorf("notice after applying again: %q", n)
	}
}

// TestTagSyncOnEmulator copies the emulator's EC2 tags onto its source
// servers from the servers page.
func TestTagSyncOnEmulator(t *testing.T) {
	e := newEnv(t)
	_, page := e.get("/servers")
	if page.has("tag-sync") {
		t.Error("tag sync offered without the launch settings service")
	}
	e.withLaunchSettings()
	_, page = e.get("/servers")
	if !page.has("tag-sync") {
		t.Fatal("no tag sync button")
	}
	rec, _ := e.post("/servers/tag-sync", url.Values{"region": {"us-east-1"}})
	if rec.Code != 303 || rec.Header().Get("Location") != "/servers?region=us-east-1" {
		t.Fatalf("tag sync: status %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	_, page = e.get("/servers?region=us-east-1", rec.Result().Cookies()...)
	// Every emulated source server names its source EC2 instance, whose
	// EC2-only tags (Name, Team, CostCenter) are new to DRS.
	if n := page.byID("page-notice").text(); !strings.Contains(n, "EC2 tags of us-east-1 copied: 16 source servers, 16 naming their EC2 instance, 16 updated.") {
		t.Errorf("notice %q", n)
	}
}
