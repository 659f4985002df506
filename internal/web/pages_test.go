package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/api"
	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
)

// TestPages fetches every page and checks its status and the elements it
// must have.
func TestPages(t *testing.T) {
	e := newEnv(t)
	id := e.startDrill()
	tests := []struct {
		path   string
		status int
		ids    []string // elements that must exist
	}{
		{"/", 200, []string{"active", "recent", "main"}},
		{"/servers", 200, []string{"servers", "q", "tag", "state", "group", "server-count"}},
		{"/groups", 200, []string{"groups", "new-group"}},
		{"/groups/new", 200, []string{"group-form", "name", "region", "picker", "tagKey0", "preview-button", "save-group"}},
		{"/groups/" + e.db.ID, 200, []string{"group-form", "picker"}},
		{"/plans", 200, []string{"plans", "new-plan"}},
		{"/plans/new", 200, []string{"plan-form", "add-wave", "save-plan", "w0.name"}},
		{"/plans/" + e.plan.ID, 200, []string{"waves", "start-drill", "start-recovery", "confirmName"}},
		{"/plans/" + e.plan.ID + "/edit", 200, []string{"plan-form", "w0.name", "w1.name", "w1.pause"}},
		{"/executions", 200, []string{"history", "plan", "mode", "outcome"}},
		{"/executions/" + id, 200, []string{"live", "timeline", "events", "control-pause", "control-cancel"}},
		{"/executions/ex-none", 404, []string{"page-error"}},
		{"/groups/pg-none", 404, []string{"page-error"}},
		{"/plans/rp-none", 404, []string{"page-error"}},
		{"/nowhere", 404, []string{"page-error"}},
		{"/executions?outcome=GREAT", 400, []string{"page-error"}},
	}
	for _, tt := range tests {
		t.Run(strings.TrimPrefix(tt.path, "/"), func(t *testing.T) {
			rec, doc := e.get(tt.path)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d\n%s", rec.Code, tt.status, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			for _, want := range tt.ids {
				if !doc.has(want) {
					t.Errorf("no element with id %q", want)
				}
			}
			for _, c := range unlabelled(doc) {
				t.Errorf("control without a label: %s", c)
			}
		})
	}
}

var controlTag = regexp.MustCompile(`<(input|select)\b[^>]*>`)

// unlabelled returns the form controls of a page that have no label: no
// <label for>, no aria-label and no enclosing <label>.
func unlabelled(d doc) []string {
	s := string(d)
	var out []string
	for _, m := range controlTag.FindAllStringIndex(s, -1) {
		c := doc(s[m[0]:m[1]])
		if c.attr("type") == "hidden" || c.attr("aria-label") != "" {
			continue
		}
		if id := c.attr("id"); id != "" && strings.Contains(s, ` for="`+id+`"`) {
			continue
		}
		if strings.LastIndex(s[:m[0]], "<label") > strings.LastIndex(s[:m[0]], "</label>") {
			continue
		}
		out = append(out, string(c))
	}
	return out
}

func TestStaticFiles(t *testing.T) {
	e := newEnv(t)
	for _, name := range []string{"app.js", "app.css"} {
		rec, _ := e.get("/static/" + name)
		if rec.Code != 200 || rec.Body.Len() < 1000 {
			t.Errorf("%s: status %d, %d bytes", name, rec.Code, rec.Body.Len())
		}
	}
}

// TestTemplateErrorIsClean500 renders a page with data its template cannot
// read: the answer is a 500 error page, with nothing of the failed page.
func TestTemplateErrorIsClean500(t *testing.T) {
	e := newEnv(t)
	h := e.web.adapt(func(w http.ResponseWriter, r *http.Request) error {
		return e.web.page(w, r, http.StatusOK, "overview", &struct{ layout }{})
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != 500 {
		t.Fatalf("status %d, want 500", rec.Code)
	}
	body := rec.Body.String()
	if strings.Contains(body, "Active executions") || !strings.Contains(body, "internal error") {
		t.Errorf("body:\n%s", body)
	}
	if strings.Count(body, "<html") != 1 {
		t.Errorf("%d documents in the body", strings.Count(body, "<html"))
	}
	if !strings.Contains(e.logs.String(), "page failed") {
		t.Errorf("the failure was not logged:\n%s", e.logs)
	}
}

func TestServersFilter(t *testing.T) {
	e := newEnv(t)
	db := e.serversWith("tier", "db")
	var shopDB []string
	for _, s := range db {
		if s.Tags["app"] == "shop" {
			shopDB = append(shopDB, s.ID)
		}
	}
	all16 := e.sim.Servers()
	tests := []struct {
		query string
		want  int
	}{
		{"", len(all16)},
		{"?tag=tier=db", len(db)},
		{"?tag=app", len(all16)},
		{"?tag=app=shop", len(e.serversWith("app", "shop"))},
		{"?group=" + e.db.ID, len(shopDB)},
		{"?q=" + strings.ToUpper(db[0].Hostname), 1},
		{"?q=" + db[0].ID[2:12], 1},
		{"?state=DISCONNECTED&tag=tier=db", 0},
	}
	for _, tt := range tests {
		rec, doc := e.get("/servers" + tt.query)
		if rec.Code != 200 {
			t.Fatalf("%s: status %d", tt.query, rec.Code)
		}
		rows := doc.byID("servers").each("data-server")
		if len(rows) != tt.want {
			t.Errorf("%s: %d rows, want %d", tt.query, len(rows), tt.want)
		}
	}
	// Servers show the group that claims them.
	_, doc := e.get("/servers?group=" + e.db.ID)
	if got := doc.byID("servers").attrs("data-server"); !cmp.Equal(got, shopDB) {
		t.Errorf("servers of group shop-db %v, want %v", got, shopDB)
	}
	for _, row := range doc.each("data-server") {
		if !strings.Contains(row.text(), "shop-db") {
			t.Errorf("row %s does not name its group: %s", row.attr("data-server"), row.text())
		}
	}
}

func TestOverview(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	id := e.startDrill()

	// A requested batch holds DRS capacity until its job ends.
	v, err := e.exec.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, l := range v.Waves[0].Servers {
		ids = append(ids, l.SourceServerID)
	}
	b := &plan.Batch{ID: "bt-1", Kind: plan.BatchLaunch, Wave: "database", Region: "us-east-1",
		SourceServerIDs: ids, Status: plan.BatchRequested, JobID: "drsjob-1", RequestTime: time.Now()}
	ex, err := e.store.GetExecution(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	ex.Status = plan.ExecRunning
	if err := e.store.Commit(ctx, &store.Change{ExecutionID: id, Execution: ex, Batches: []*plan.Batch{b}}); err != nil {
		t.Fatal(err)
	}
	finished := finishedExecution(t, e, "nightly", plan.ModeDrill, plan.ExecCompleted, 45*time.Minute, 30)

	rec, doc := e.get("/")
	if rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	if got := doc.byID("active").attrs("data-execution"); !cmp.Equal(got, []string{id}) {
		t.Errorf("active executions %v, want [%s]", got, id)
	}
	row := doc.byID("recent").with("data-execution", finished)
	if !strings.Contains(row.text(), "over the RTO") {
		t.Errorf("recent row of %s: %q, want it over the RTO", finished, row.text())
	}
	region := doc.with("data-region", "us-east-1")
	if region == "" {
		t.Fatal("no us-east-1 panel")
	}
	quota := func(name string) string { return region.with("data-quota", name).text() }
	got := []string{quota("jobs"), quota("servers"), quota("replicating")}
	want := []string{"1 / 20", "2 / 500", "16 / 300"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("capacity mismatch (-want +got):\n%s", diff)
	}
	if !strings.Contains(region.text(), "CONTINUOUS 16") {
		t.Errorf("replication health: %s", region.text())
	}
}

// created counts the executions finishedExecution stored.
var created int

// finishedExecution stores a finished execution of a plan of its own that
// ran for d, and returns its ID.
func finishedExecution(t *testing.T, e *env, name, mode, status string, d time.Duration, rto int) string {
	t.Helper()
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	end := start.Add(d)
	// Each is created a minute after the one before, so that lists, newest
	// first, have one order.
	created++
	ex := &plan.Execution{ID: plan.NewID(plan.PrefixExecution), PlanID: plan.NewID(plan.PrefixPlan),
		PlanName: name, Mode: mode, Status: status, StartTime: &start, EndTime: &end,
		CreatedAt: start.Add(time.Duration(created) * time.Minute),
		Plan:      plan.RecoveryPlan{Name: name, RTOMinutes: rto, Waves: []plan.Wave{{Name: "w"}}}}
	waves := []plan.WaveRun{{Index: 0, Name: "w", Status: plan.WaveCompleted}}
	if err := e.store.CreateExecution(t.Context(), ex, waves, nil, nil); err != nil {
		t.Fatal(err)
	}
	return ex.ID
}

func TestHistoryFilters(t *testing.T) {
	e := newEnv(t)
	drillOK := finishedExecution(t, e, "a", plan.ModeDrill, plan.ExecCompleted, time.Minute, 0)
	drillBad := finishedExecution(t, e, "b", plan.ModeDrill, plan.ExecFailed, time.Minute, 0)
	recovery := finishedExecution(t, e, "c", plan.ModeRecovery, plan.ExecCompleted, time.Minute, 0)
	running := e.startDrill()
	tests := []struct {
		query string
		want  []string
	}{
		{"", []string{running, recovery, drillBad, drillOK}},
		{"?mode=drill", []string{running, drillBad, drillOK}},
		{"?mode=recovery", []string{recovery}},
		{"?outcome=COMPLETED", []string{recovery, drillOK}},
		{"?outcome=FAILED&mode=recovery", nil},
		{"?plan=" + e.plan.ID, []string{running}},
	}
	for _, tt := range tests {
		rec, doc := e.get("/executions" + tt.query)
		if rec.Code != 200 {
			t.Fatalf("%s: status %d", tt.query, rec.Code)
		}
		got := doc.byID("history").attrs("data-execution")
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: executions mismatch (-want +got):\n%s", tt.query, diff)
		}
		if tt.want == nil && !doc.has("no-history") {
			t.Errorf("%s: no empty-list message", tt.query)
		}
	}
	if rec, _ := e.get("/executions?next=garbage"); rec.Code != 400 {
		t.Errorf("a bad page token: status %d, want 400", rec.Code)
	}
}

func TestTimeTag(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 30, 5, 0, time.FixedZone("CET", 3600))
	got := string(timeTag(&at))
	want := `<time datetime="2026-03-01T11:30:05Z" title="2026-03-01 11:30:05 UTC">2026-03-01 11:30:05 UTC</time>`
	if got != want {
		t.Errorf("timeTag = %s, want %s", got, want)
	}
	var none *time.Time
	if got := string(timeTag(none)); got != "–" {
		t.Errorf("timeTag(nil) = %q", got)
	}
}

func TestFieldID(t *testing.T) {
	for in, want := range map[string]string{
		"name":                                   "f-name",
		"waves[1].dependsOn[0]":                  "f-waves-1-dependsOn-0",
		`serverSelector.tags["a b"]`:             "f-serverSelector-tags-a-b",
		"waves[0].hooks.before[2].url":           "f-waves-0-hooks-before-2-url",
		anchor("waves[3].protectionGroupIds[1]"): "f-waves-3-protectionGroupIds",
	} {
		if got := fieldID(in); got != want {
			t.Errorf("fieldID(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestDRSUnavailable shows pages whose DRS calls fail: each says why in
// words, and the pages that can do without DRS still answer.
func TestDRSUnavailable(t *testing.T) {
	e := newEnv(t)
	broken := api.SourceServersFunc(func(ctx context.Context, account, region string) ([]drs.SourceServer, error) {
		return nil, fmt.Errorf("describe source servers: %w", drs.ErrThrottled)
	})
	w, err := New(Options{Store: e.store, Executions: e.exec, Definitions: e.api, Servers: broken,
		DefaultRegion: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	e.web = w
	tests := []struct {
		path   string
		status int
		id     string
	}{
		{"/", 200, ""},
		{"/servers", 502, "page-error"},
		{"/groups/new", 200, ""},
		{"/plans", 200, ""},
	}
	for _, tt := range tests {
		rec, doc := e.get(tt.path)
		if rec.Code != tt.status {
			t.Errorf("%s: status %d, want %d", tt.path, rec.Code, tt.status)
		}
		if !strings.Contains(doc.text(), "drs: throttled") && tt.path != "/plans" {
			t.Errorf("%s does not say why DRS failed:\n%s", tt.path, doc.text())
		}
	}
}
