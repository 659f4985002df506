package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	legacyrouter "github.com/getkin/kin-openapi/routers/legacy"
	"github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/auth/authtest"
	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/drssim"
	"github.com/drsorch/drsorch/internal/execution"
	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
	"github.com/drsorch/drsorch/internal/store/sqlitestore"
)

// execEnv is the API on a real store and the real DRS client talking to
// the emulator in-process.
type execEnv struct {
	*testEnv
	sim  *drssim.Sim
	plan plan.RecoveryPlan
}

// newExecEnv stores groups db and app (tag selectors of the emulator's
// "shop" application) and a plan "shop" of two waves, the second gated.
func newExecEnv(t *testing.T) *execEnv {
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
	client, err := drs.NewClient(ctx, drs.Config{Region: "us-east-1", Endpoint: "http://drs.test",
		HTTPClient: &http.Client{Transport: sim.Transport()}})
	if err != nil {
		t.Fatal(err)
	}
	svc := execution.New(execution.Options{Store: st, Logger: slog.New(slog.DiscardHandler),
		DRS: func(ctx context.Context, accountID, region string) (execution.DRS, error) { return client, nil }})
	e := &execEnv{testEnv: &testEnv{t: t, store: st, drs: &fakeDRS{}, logs: &syncBuffer{}}, sim: sim}
	e.srv = New(Options{Store: st, DRS: e.drs, DefaultRegion: "us-east-1", Executions: svc,
		Logger: slog.New(slog.NewTextHandler(e.logs, nil)), Now: func() time.Time { return testNow }})
	e.token = authtest.AdminToken(t, st)

	var ids []string
	for _, tier := range []string{"db", "app"} {
		g := plan.ProtectionGroup{Name: tier, Region: "us-east-1",
			ServerSelector: &plan.Selector{Tags: map[string]string{"app": "shop", "tier": tier}}}
		ids = append(ids, must[plan.ProtectionGroup](e.testEnv, 201, "POST", "/api/v1/protection-groups", g).ID)
	}
	e.plan = must[plan.RecoveryPlan](e.testEnv, 201, "POST", "/api/v1/recovery-plans", plan.RecoveryPlan{
		Name: "shop", Waves: []plan.Wave{
			{Name: "database", ProtectionGroupIDs: ids[:1]},
			{Name: "application", ProtectionGroupIDs: ids[1:], PauseBefore: true},
		}})
	return e
}

type startAnswer struct {
	ExecutionID string              `json:"executionId"`
	Warnings    []execution.Warning `json:"warnings"`
}

func (e *execEnv) start(mode string) string {
	e.t.Helper()
	res := must[startAnswer](e.testEnv, 202, "POST", plansPath+"/"+e.plan.ID+"/executions",
		map[string]string{"mode": mode})
	if !strings.HasPrefix(res.ExecutionID, plan.PrefixExecution) || res.Warnings == nil {
		e.t.Fatalf("start answered %+v", res)
	}
	return res.ExecutionID
}

func TestStartAndGetExecution(t *testing.T) {
	e := newExecEnv(t)
	rec := e.do("POST", plansPath+"/"+e.plan.ID+"/executions", map[string]string{"mode": "drill"})
	if rec.Code != 202 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var res startAnswer
	if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	if got, want := rec.Header().Get("Location"), executionsPath+"/"+res.ExecutionID; got != want {
		t.Errorf("Location %q, want %q", got, want)
	}

	v := must[execution.View](e.testEnv, 200, "GET", executionsPath+"/"+res.ExecutionID, nil)
	type wave struct {
		Name           string
		Pending        int
		Servers, Hosts []string
	}
	var got []wave
	for _, w := range v.Waves {
		gw := wave{Name: w.Name, Pending: w.Pending}
		for _, l := range w.Servers {
			gw.Hosts = append(gw.Hosts, l.Hostname)
		}
		got = append(got, gw)
	}
	want := []wave{
		{Name: "database", Pending: 2, Hosts: []string{"shop-db-01", "shop-db-02"}},
		{Name: "application", Pending: 3, Hosts: []string{"shop-app-01", "shop-app-02", "shop-app-03"}},
	}
	sortHosts := func(ws []wave) {
		for _, w := range ws {
			slices.Sort(w.Hosts)
		}
	}
	sortHosts(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("waves mismatch (-want +got):\n%s", diff)
	}
	if v.Status != plan.ExecPending || v.Mode != plan.ModeDrill || v.PlanID != e.plan.ID {
		t.Errorf("header %s %s %s", v.Status, v.Mode, v.PlanID)
	}

	list := must[listBody[plan.Execution]](e.testEnv, 200, "GET", executionsPath+"?planId="+e.plan.ID+"&status=PENDING", nil)
	if len(list.Items) != 1 || list.Items[0].ID != res.ExecutionID {
		t.Errorf("list = %+v", list.Items)
	}
	list = must[listBody[plan.Execution]](e.testEnv, 200, "GET", executionsPath+"?status=RUNNING", nil)
	if len(list.Items) != 0 {
		t.Errorf("RUNNING list = %+v", list.Items)
	}
}

func TestExecutionRefusals(t *testing.T) {
	e := newExecEnv(t)
	first := e.start("drill")
	start := plansPath + "/" + e.plan.ID + "/executions"
	tests := []struct {
		name   string
		method string
		path   string
		body   any
		status int
		code   string
		field  string
	}{
		{"bad mode", "POST", start, map[string]string{"mode": "fire"}, 400, "invalid", "mode"},
		{"unknown field", "POST", start, map[string]any{"mode": "drill", "x": 1}, 400, "invalid", "x"},
		{"bad point in time", "POST", start, map[string]any{"mode": "drill", "pointInTime": "yesterday"},
			400, "invalid", "pointInTime"},
		{"plan already running", "POST", start, map[string]string{"mode": "drill"}, 409, "conflict", ""},
		{"unknown plan", "POST", plansPath + "/rp-nope/executions", map[string]string{"mode": "drill"},
			404, "not_found", ""},
		{"unknown execution", "GET", executionsPath + "/ex-nope", nil, 404, "not_found", ""},
		{"bad status filter", "GET", executionsPath + "?status=DONE", nil, 400, "invalid", "status"},
		{"bad limit", "GET", executionsPath + "?limit=0", nil, 400, "invalid", "limit"},
		{"resume pending", "POST", executionsPath + "/" + first + "/resume", nil, 409, "conflict", ""},
		{"approve ungated", "POST", executionsPath + "/" + first + "/waves/database/approve", nil,
			409, "conflict", ""},
		{"approve unknown wave", "POST", executionsPath + "/" + first + "/waves/nope/approve", nil,
			404, "not_found", ""},
		{"cleanup running drill", "POST", executionsPath + "/" + first + "/cleanup", nil, 409, "conflict", ""},
		{"retry without failures", "POST", executionsPath + "/" + first + "/retry", nil, 409, "conflict", ""},
		{"bad after", "GET", executionsPath + "/" + first + "/events?after=x", nil, 400, "invalid", "after"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := e.do(tt.method, tt.path, tt.body)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			var body errorBody
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			if body.Error.Code != tt.code || body.Error.Field != tt.field || body.Error.Message == "" {
				t.Errorf("error %+v, want code %q field %q", body.Error, tt.code, tt.field)
			}
		})
	}
	page, err := e.store.ListExecutions(t.Context(), store.ExecutionFilter{}, store.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 {
		t.Errorf("%d executions stored, want 1", len(page.Items))
	}
}

func TestStartRefusalListsEveryProblem(t *testing.T) {
	e := newExecEnv(t)
	// Point the db group at a server the emulator does not have too.
	var db plan.ProtectionGroup
	rec := e.do("GET", "/api/v1/protection-groups/"+e.plan.Waves[0].ProtectionGroupIDs[0], nil)
	if err := json.Unmarshal(rec.Body.Bytes(), &db); err != nil {
		t.Fatal(err)
	}
	db.SourceServerIDs = []string{sid(0xdead)}
	body := map[string]any{"name": db.Name, "region": db.Region, "sourceServerIds": db.SourceServerIDs,
		"serverSelector": db.ServerSelector}
	must[plan.ProtectionGroup](e.testEnv, 200, "PUT", "/api/v1/protection-groups/"+db.ID, body,
		"If-Match", rec.Header().Get("ETag"))

	rec = e.do("POST", plansPath+"/"+e.plan.ID+"/executions", map[string]string{"mode": "sideways"})
	if rec.Code != 400 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var got errorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, d := range got.Error.Details {
		codes = append(codes, d.Code)
	}
	if diff := cmp.Diff([]string{"invalid", "unknown_server"}, codes); diff != "" {
		t.Errorf("detail codes mismatch (-want +got):\n%s", diff)
	}
	if got.Error.Field != "mode" {
		t.Errorf("field %q, want mode", got.Error.Field)
	}
}

func TestControlRoutes(t *testing.T) {
	e := newExecEnv(t)
	id := e.start("drill")
	path := executionsPath + "/" + id
	v := must[execution.View](e.testEnv, 202, "POST", path+"/pause", nil)
	if !v.Requests.Pause {
		t.Errorf("after pause: requests %+v", v.Requests)
	}
	v = must[execution.View](e.testEnv, 202, "POST", path+"/resume", nil)
	if v.Requests.Pause {
		t.Errorf("after resume: requests %+v", v.Requests)
	}
	v = must[execution.View](e.testEnv, 202, "POST", path+"/waves/application/approve", nil)
	if !v.Waves[1].Approved {
		t.Errorf("application not approved: %+v", v.Waves[1].WaveRun)
	}
	v = must[execution.View](e.testEnv, 202, "POST", path+"/cancel", nil)
	if !v.Requests.Cancel {
		t.Errorf("after cancel: requests %+v", v.Requests)
	}
	events := must[listBody[plan.Event]](e.testEnv, 200, "GET", path+"/events", nil)
	var types []string
	for _, ev := range events.Items {
		types = append(types, ev.Type)
	}
	want := []string{execution.EventCreated, execution.EventPauseRequested, execution.EventResumeRequested,
		execution.EventWaveApproved, execution.EventCancelRequested}
	if diff := cmp.Diff(want, types); diff != "" {
		t.Errorf("events mismatch (-want +got):\n%s", diff)
	}
	page := must[listBody[plan.Event]](e.testEnv, 200, "GET", path+"/events?after=1&limit=2", nil)
	if len(page.Items) != 2 || page.Items[0].Seq != 2 || page.NextToken != "3" {
		t.Errorf("page after 1: %+v next %q", page.Items, page.NextToken)
	}
}

func TestEventStream(t *testing.T) {
	old := streamPoll
	streamPoll = 10 * time.Millisecond
	t.Cleanup(func() { streamPoll = old })

	e := newExecEnv(t)
	id := e.start("drill")
	ts := httptest.NewServer(e.handler())
	t.Cleanup(ts.Close)

	// Replay from Last-Event-ID, then live events until the end.
	must[execution.View](e.testEnv, 202, "POST", executionsPath+"/"+id+"/pause", nil)
	req, err := http.NewRequestWithContext(t.Context(), "GET", ts.URL+executionsPath+"/"+id+"/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Last-Event-ID", "1")
	req.Header.Set("Authorization", "Bearer "+e.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	lines := bufio.NewScanner(resp.Body)
	next := func() string {
		t.Helper()
		var ev []string
		for lines.Scan() {
			if lines.Text() == "" {
				return strings.Join(ev, "|")
			}
			if !strings.HasPrefix(lines.Text(), ":") {
				ev = append(ev, lines.Text())
			}
		}
		return "EOF " + strings.Join(ev, "|")
	}
	if got := next(); !strings.HasPrefix(got, "id: 2|event: pause_requested|data: {") {
		t.Errorf("first event %q", got)
	}

	// What the engine would write: the end of the execution.
	ex, err := e.store.GetExecution(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	ex.Status, ex.Requests = plan.ExecCancelled, plan.Requests{}
	err = e.store.Commit(t.Context(), &store.Change{ExecutionID: id, Execution: ex,
		Events: []*plan.Event{{Type: "execution_cancelled", Message: "cancelled"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := next(); !strings.HasPrefix(got, "id: 3|event: execution_cancelled|data: {") {
		t.Errorf("second event %q", got)
	}
	rest, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("stream did not end cleanly: %v", err)
	}
	if strings.TrimSpace(string(rest)) != "" {
		t.Errorf("after the final event: %q", rest)
	}
}

// TestExecutionResponsesMatchOpenAPI holds the execution routes' answers
// to the document.
func TestExecutionResponsesMatchOpenAPI(t *testing.T) {
	doc := loadOpenAPI(t)
	router, err := legacyrouter.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	e := newExecEnv(t)
	check := func(method, path string, body any) *httptest.ResponseRecorder {
		t.Helper()
		rec := e.do(method, path, body)
		req := httptest.NewRequest(method, path, nil)
		route, params, err := router.FindRoute(req)
		if err != nil {
			t.Fatalf("%s %s: no documented route: %v", method, path, err)
		}
		in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{IncludeResponseStatus: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
		if rec.Code < 300 {
			validateRequest(t, in, method, path, body, nil)
		}
		out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in,
			Status: rec.Code, Header: rec.Header(), Body: io.NopCloser(bytes.NewReader(rec.Body.Bytes())),
			Options: &openapi3filter.Options{IncludeResponseStatus: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
		if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
			t.Errorf("%s %s → %d %s: response does not match the document: %v", method, path, rec.Code, rec.Body, err)
		}
		return rec
	}
	start := plansPath + "/" + e.plan.ID + "/executions"
	var res startAnswer
	if err := json.Unmarshal(check("POST", start, map[string]string{"mode": "drill"}).Body.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	path := executionsPath + "/" + res.ExecutionID
	check("POST", start, map[string]string{"mode": "drill"})
	check("POST", start, map[string]string{"mode": "other"})
	check("GET", path, nil)
	check("GET", executionsPath+"?planId="+e.plan.ID+"&limit=5", nil)
	check("GET", path+"/events?after=0", nil)
	check("POST", path+"/pause", nil)
	check("POST", path+"/resume", nil)
	check("POST", path+"/waves/application/approve", nil)
	check("POST", path+"/retry", nil)
	check("POST", path+"/cancel", nil)
	check("POST", path+"/cleanup", nil)
	check("GET", executionsPath+"/ex-missing", nil)
}
