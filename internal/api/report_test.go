package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	legacyrouter "github.com/getkin/kin-openapi/routers/legacy"

	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/readiness"
	"github.com/drsorch/drsorch/internal/report"
	"github.com/drsorch/drsorch/internal/store"
)

// reportDRS is one region's inventory with a snapshot per server.
type reportDRS struct{ servers []drs.SourceServer }

func (f *reportDRS) DescribeSourceServers(ctx context.Context, ids []string) ([]drs.SourceServer, error) {
	return f.servers, nil
}

func (f *reportDRS) DescribeSnapshots(ctx context.Context, id string, from, to time.Time) ([]drs.Snapshot, error) {
	return []drs.Snapshot{{ID: "pit-1", SourceServerID: id, Taken: to.Add(-time.Minute)}}, nil
}

// newReportEnv is a test API with reports and readiness, a plan "shop" of
// two waves and one finished drill of it.
func newReportEnv(t *testing.T) (*testEnv, *plan.RecoveryPlan, string) {
	t.Helper()
	e := newTestEnv(t)
	fake := &reportDRS{servers: []drs.SourceServer{
		{ID: sid(1), OS: "Ubuntu 22.04", ReplicationState: drs.StateContinuous},
		{ID: sid(2), OS: "Microsoft Windows Server 2022", ReplicationState: drs.StateContinuous},
	}}
	rep := report.New(report.Options{Store: e.store, Clock: func() time.Time { return testNow },
		DRS: func(ctx context.Context, a, r string) (report.DRS, error) { return fake, nil }})
	mon := readiness.New(readiness.Options{Store: e.store, Clock: func() time.Time { return testNow },
		DRS: func(ctx context.Context, a, r string) (readiness.DRS, error) { return fake, nil }})
	e.srv = New(Options{Store: e.store, DRS: e.drs, DefaultRegion: "us-east-1",
		Logger: slog.New(slog.NewTextHandler(e.logs, nil)), Now: func() time.Time { return testNow },
		Reports: rep, Readiness: mon})

	db := must[plan.ProtectionGroup](e, http.StatusCreated, "POST", "/api/v1/protection-groups", group("db", sid(1)))
	app := must[plan.ProtectionGroup](e, http.StatusCreated, "POST", "/api/v1/protection-groups", group("app", sid(2)))
	p := must[plan.RecoveryPlan](e, http.StatusCreated, "POST", "/api/v1/recovery-plans", plan.RecoveryPlan{
		Name: "shop", RTOMinutes: 60, Waves: []plan.Wave{
			{Name: "db", ProtectionGroupIDs: []string{db.ID}},
			{Name: "app", ProtectionGroupIDs: []string{app.ID}, PauseBefore: true},
		}})
	return e, &p, finishedDrill(t, e.store, &p, []plan.ProtectionGroup{db, app})
}

// finishedDrill stores a completed drill of p: wave db 10 minutes, wave
// app 25, every server launched.
func finishedDrill(t *testing.T, st store.Store, p *plan.RecoveryPlan, groups []plan.ProtectionGroup) string {
	t.Helper()
	ctx := context.Background()
	at := func(m int) *time.Time { v := testNow.Add(time.Duration(m) * time.Minute); return &v }
	ex := &plan.Execution{ID: plan.NewID(plan.PrefixExecution), PlanID: p.ID, PlanName: p.Name,
		Mode: plan.ModeDrill, Status: plan.ExecPending, Plan: *p, Groups: groups,
		StartedBy: "dana", CreatedAt: testNow, Cleanup: plan.CleanupNotStarted}
	waves := []plan.WaveRun{{Index: 0, Name: "db", Status: plan.WavePending},
		{Index: 1, Name: "app", Status: plan.WavePending}}
	launches := []plan.Launch{
		{Wave: "db", GroupID: groups[0].ID, SourceServerID: sid(1), Region: "us-east-1", Status: plan.LaunchPending},
		{Wave: "app", GroupID: groups[1].ID, SourceServerID: sid(2), Region: "us-east-1", Status: plan.LaunchPending},
	}
	if err := st.CreateExecution(ctx, ex, waves, launches, nil); err != nil {
		t.Fatal(err)
	}
	ex.Status, ex.StartTime, ex.EndTime = plan.ExecCompleted, at(0), at(40)
	waves[0].Status, waves[0].StartTime, waves[0].EndTime = plan.WaveCompleted, at(0), at(10)
	waves[1].Status, waves[1].StartTime, waves[1].EndTime = plan.WaveCompleted, at(15), at(40)
	waves[1].Approved, waves[1].ApprovedBy = true, "erin"
	for i, m := range []int{0, 15} {
		l := &launches[i]
		l.Status, l.RequestTime, l.LaunchTime = plan.LaunchLaunched, at(m+1), at(m+6+15*i)
		l.EC2InstanceID = "i-0" + l.SourceServerID[2:]
	}
	err := st.Commit(ctx, &store.Change{ExecutionID: ex.ID, Execution: ex,
		Waves:    []*plan.WaveRun{&waves[0], &waves[1]},
		Launches: []*plan.Launch{&launches[0], &launches[1]}})
	if err != nil {
		t.Fatal(err)
	}
	return ex.ID
}

// TestReportRoutes checks every report and readiness route, and each
// response against the OpenAPI document.
func TestReportRoutes(t *testing.T) {
	// The validator reads these as plain text, as it does text/plain.
	for _, ct := range []string{"text/html", "image/svg+xml"} {
		openapi3filter.RegisterBodyDecoder(ct, openapi3filter.PlainBodyDecoder)
	}
	e, p, exID := newReportEnv(t)
	doc := loadOpenAPI(t)
	router, err := legacyrouter.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string, hdr ...string) *httptest.ResponseRecorder {
		t.Helper()
		rec := e.do("GET", path, nil, hdr...)
		req := httptest.NewRequest("GET", path, nil)
		route, params, err := router.FindRoute(req)
		if err != nil {
			t.Fatalf("GET %s: no documented route: %v", path, err)
		}
		in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{IncludeResponseStatus: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
		out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: rec.Code,
			Header: rec.Header(), Body: io.NopCloser(bytes.NewReader(rec.Body.Bytes())),
			Options: &openapi3filter.Options{IncludeResponseStatus: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
		if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
			t.Errorf("GET %s → %d: response does not match the document: %v", path, rec.Code, err)
		}
		return rec
	}

	rep := decodeRec[report.Report](t, get("/api/v1/executions/"+exID+"/report"))
	if rep.Servers != 2 || *rep.DurationSeconds != 2400 || !*rep.RTOMet ||
		*rep.Waves[1].DurationSeconds != 1500 || rep.Waves[1].ApprovedBy != "erin" {
		t.Errorf("report: %d servers, %v s, rto met %v, app wave %v s by %q", rep.Servers,
			*rep.DurationSeconds, *rep.RTOMet, *rep.Waves[1].DurationSeconds, rep.Waves[1].ApprovedBy)
	}
	for _, c := range []struct{ query, accept, ctype string }{
		{"?format=csv", "", "text/csv; charset=utf-8"},
		{"", "text/csv", "text/csv; charset=utf-8"},
		{"?format=html", "", "text/html; charset=utf-8"},
		{"", "text/html,application/xhtml+xml", "text/html; charset=utf-8"},
		{"?format=json", "text/csv", "application/json"},
	} {
		rec := get("/api/v1/executions/"+exID+"/report"+c.query, "Accept", c.accept)
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != c.ctype {
			t.Errorf("%q accept %q: status %d, type %q, want %q", c.query, c.accept, rec.Code,
				rec.Header().Get("Content-Type"), c.ctype)
		}
	}
	rows, err := csv.NewReader(get("/api/v1/executions/" + exID + "/report?format=csv").Body).ReadAll()
	if err != nil || len(rows) != 3 || rows[1][4] != sid(1) || rows[2][4] != sid(2) {
		t.Errorf("csv rows %v, error %v", rows, err)
	}
	if rec := get("/api/v1/executions/" + exID + "/report?format=pdf"); rec.Code != http.StatusBadRequest ||
		!strings.Contains(rec.Body.String(), `"field":"format"`) {
		t.Errorf("bad format: %d %s", rec.Code, rec.Body)
	}
	if rec := get("/api/v1/executions/ex-missing/report"); rec.Code != http.StatusNotFound {
		t.Errorf("missing execution: %d %s", rec.Code, rec.Body)
	}

	tr := decodeRec[report.Trend](t, get("/api/v1/recovery-plans/"+p.ID+"/trends?margin=50"))
	if len(tr.Drills) != 1 || tr.Drills[0].ExecutionID != exID || tr.MarginPercent != 50 {
		t.Errorf("trend: %+v", tr)
	}
	svg := get("/api/v1/recovery-plans/" + p.ID + "/trends.svg")
	if svg.Header().Get("Content-Type") != "image/svg+xml" || !wellFormed(svg.Body.Bytes()) ||
		strings.Count(svg.Body.String(), `class="drill"`) != 1 {
		t.Errorf("svg: %q %s", svg.Header().Get("Content-Type"), svg.Body)
	}
	if rec := get("/api/v1/recovery-plans/" + p.ID + "/trends?margin=-3"); rec.Code != http.StatusBadRequest {
		t.Errorf("bad margin: %d", rec.Code)
	}
	if rec := get("/api/v1/recovery-plans/rp-missing/trends"); rec.Code != http.StatusNotFound {
		t.Errorf("missing plan: %d", rec.Code)
	}

	pr := decodeRec[report.Prediction](t, get("/api/v1/recovery-plans/"+p.ID+"/prediction"))
	// Both servers were measured in the drill: 5 and 20 minutes.
	if pr.Measured != 2 || len(pr.ApprovalGates) != 1 || pr.ApprovalGates[0] != "app" || !*pr.RTOMet {
		t.Errorf("prediction: %+v", pr)
	}
	if rec := get("/api/v1/recovery-plans/rp-missing/prediction"); rec.Code != http.StatusNotFound {
		t.Errorf("missing plan: %d", rec.Code)
	}

	rd := decodeRec[readiness.Result](t, get("/api/v1/readiness"))
	if !rd.Ready || len(rd.Plans) != 1 || rd.Plans[0].Drift == nil || rd.Plans[0].Drift.ExecutionID != exID {
		t.Errorf("readiness: %+v", rd)
	}
	one := decodeRec[readiness.Result](t, get("/api/v1/readiness?planId="+p.ID+"&refresh=true"))
	if len(one.Plans) != 1 || one.Plans[0].PlanID != p.ID {
		t.Errorf("readiness of one plan: %+v", one)
	}
	if rec := get("/api/v1/readiness?planId=rp-missing"); rec.Code != http.StatusNotFound {
		t.Errorf("readiness of a missing plan: %d %s", rec.Code, rec.Body)
	}
	if rec := get("/api/v1/readiness?refresh=maybe"); rec.Code != http.StatusBadRequest {
		t.Errorf("bad refresh: %d", rec.Code)
	}

	// Without a notifier the store's record is listed.
	ds := e.store.(store.DeliveryStore)
	for i, key := range []string{exID + "/2@ops", exID + "/9@ops"} {
		d := &store.Delivery{Key: key, Target: "ops", Type: "execution.started", Attempts: 1, OK: true,
			Time: testNow.Add(time.Duration(i) * time.Minute)}
		if err := ds.RecordDelivery(context.Background(), d); err != nil {
			t.Fatal(err)
		}
	}
	list := decodeRec[listBody[store.Delivery]](t, get("/api/v1/notifications/deliveries?limit=1"))
	if len(list.Items) != 1 || list.Items[0].Key != exID+"/9@ops" {
		t.Errorf("deliveries %+v", list.Items)
	}
}

func wellFormed(b []byte) bool {
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return true
		}
		if err != nil {
			return false
		}
	}
}
