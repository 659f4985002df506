package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/plan"
)

// TestGroupsAndPlanLifecycle walks the happy path: two groups, a plan of
// three waves, reads, pages, an update, stale and in-use refusals, deletes.
func TestGroupsAndPlanLifecycle(t *testing.T) {
	e := newTestEnv(t)

	rec := e.do("POST", "/api/v1/protection-groups", group("db", sid(2), sid(1)))
	if rec.Code != http.StatusCreated {
		t.Fatalf("create db: status %d, body %s", rec.Code, rec.Body)
	}
	db := must[plan.ProtectionGroup](e, http.StatusOK, "GET", rec.Header().Get("Location"), nil)
	if !strings.HasPrefix(db.ID, plan.PrefixGroup) || rec.Header().Get("ETag") != `"1"` {
		t.Errorf("created group: id %q, ETag %s; want pg-… and \"1\"", db.ID, rec.Header().Get("ETag"))
	}
	wantDB := plan.ProtectionGroup{
		ID: db.ID, Name: "db", Region: "us-east-1",
		SourceServerIDs: []string{sid(1), sid(2)}, // sorted when stored
		Version:         1, CreatedAt: testNow, UpdatedAt: testNow,
	}
	if diff := cmp.Diff(wantDB, db); diff != "" {
		t.Errorf("stored group mismatch (-want +got):\n%s", diff)
	}

	// Region defaults to the server's; a selector group.
	app := must[plan.ProtectionGroup](e, http.StatusCreated, "POST", "/api/v1/protection-groups",
		`{"name": "app", "serverSelector": {"tags": {"tier": "app"}}}`)
	if app.Region != "us-east-1" {
		t.Errorf("app region = %q, want the default us-east-1", app.Region)
	}
	web := must[plan.ProtectionGroup](e, http.StatusCreated, "POST", "/api/v1/protection-groups", group("web", sid(3)))

	p := must[plan.RecoveryPlan](e, http.StatusCreated, "POST", "/api/v1/recovery-plans", plan.RecoveryPlan{
		Name: "shop", RTOMinutes: 60,
		Waves: []plan.Wave{
			{Name: "database", ProtectionGroupIDs: []string{db.ID}},
			{Name: "application", ProtectionGroupIDs: []string{app.ID}, PauseBefore: true},
			{Name: "web", ProtectionGroupIDs: []string{web.ID}, FailurePolicy: "continue", MinSuccessPercent: ptr(50)},
		},
	})
	got := must[plan.RecoveryPlan](e, http.StatusOK, "GET", "/api/v1/recovery-plans/"+p.ID, nil)
	want := plan.RecoveryPlan{
		ID: p.ID, Name: "shop", RTOMinutes: 60, Version: 1, CreatedAt: testNow, UpdatedAt: testNow,
		Waves: []plan.Wave{
			{Name: "database", ProtectionGroupIDs: []string{db.ID}, DependsOn: []string{}, FailurePolicy: "stop", MinSuccessPercent: ptr(100)},
			{Name: "application", ProtectionGroupIDs: []string{app.ID}, DependsOn: []string{"database"}, PauseBefore: true, FailurePolicy: "stop", MinSuccessPercent: ptr(100)},
			{Name: "web", ProtectionGroupIDs: []string{web.ID}, DependsOn: []string{"application"}, FailurePolicy: "continue", MinSuccessPercent: ptr(50)},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stored plan mismatch (-want +got):\n%s", diff)
	}

	// Lists come by name, in pages.
	var names []string
	token := ""
	for pages := 0; ; pages++ {
		path := "/api/v1/protection-groups?limit=2"
		if token != "" {
			path += "&nextToken=" + token
		}
		page := must[listBody[plan.ProtectionGroup]](e, http.StatusOK, "GET", path, nil)
		for _, g := range page.Items {
			names = append(names, g.Name)
		}
		if token = page.NextToken; token == "" || pages > 3 {
			break
		}
	}
	if diff := cmp.Diff([]string{"app", "db", "web"}, names); diff != "" {
		t.Errorf("paged group names mismatch (-want +got):\n%s", diff)
	}
	plans := must[listBody[plan.RecoveryPlan]](e, http.StatusOK, "GET", "/api/v1/recovery-plans", nil)
	if len(plans.Items) != 1 || plans.NextToken != "" {
		t.Errorf("plan list: %d items, token %q; want 1 and none", len(plans.Items), plans.NextToken)
	}

	// An update with the current ETag; the same ETag again is stale.
	upd := got
	upd.RTOMinutes = 30
	rec = e.do("PUT", "/api/v1/recovery-plans/"+p.ID, upd, "If-Match", `"1"`)
	if rec.Code != http.StatusOK || rec.Header().Get("ETag") != `"2"` {
		t.Fatalf("update plan: status %d ETag %s, body %s", rec.Code, rec.Header().Get("ETag"), rec.Body)
	}
	before := e.snapshot()
	upd.RTOMinutes = 15
	stale := must[errorBody](e, http.StatusPreconditionFailed, "PUT", "/api/v1/recovery-plans/"+p.ID, upd, "If-Match", `"1"`)
	if stale.Error.Code != CodePreconditionFailed {
		t.Errorf("stale update code = %q", stale.Error.Code)
	}
	if after := e.snapshot(); after != before {
		t.Errorf("stale update changed the store:\n%s", cmp.Diff(before, after))
	}

	// A group in use cannot go; the 409 names the plan.
	inUse := must[errorBody](e, http.StatusConflict, "DELETE", "/api/v1/protection-groups/"+db.ID, nil, "If-Match", `"1"`)
	if !strings.Contains(inUse.Error.Message, `"shop"`) || !strings.Contains(inUse.Error.Message, p.ID) {
		t.Errorf("in-use message %q does not name plan shop (%s)", inUse.Error.Message, p.ID)
	}

	// Group updates keep the ID and creation time.
	db.Description = "orders database"
	rec = e.do("PUT", "/api/v1/protection-groups/"+db.ID, db, "If-Match", `"1"`)
	if rec.Code != http.StatusOK || rec.Header().Get("ETag") != `"2"` {
		t.Fatalf("update group: status %d ETag %s, body %s", rec.Code, rec.Header().Get("ETag"), rec.Body)
	}

	if rec := e.do("DELETE", "/api/v1/recovery-plans/"+p.ID, nil, "If-Match", `"2"`); rec.Code != http.StatusNoContent {
		t.Fatalf("delete plan: status %d, body %s", rec.Code, rec.Body)
	}
	if rec := e.do("DELETE", "/api/v1/protection-groups/"+db.ID, nil, "If-Match", `"2"`); rec.Code != http.StatusNoContent {
		t.Fatalf("delete group: status %d, body %s", rec.Code, rec.Body)
	}
	must[errorBody](e, http.StatusNotFound, "GET", "/api/v1/protection-groups/"+db.ID, nil)
	must[errorBody](e, http.StatusNotFound, "GET", "/api/v1/recovery-plans/"+p.ID, nil)
}
