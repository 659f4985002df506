package web

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/readiness"
	"github.com/drsorch/drsorch/internal/report"
	"github.com/drsorch/drsorch/internal/store"
)

// fakeReports answers with a canned trend and prediction, and records
// the plans asked about.
type fakeReports struct {
	trend   *report.Trend
	predict *report.Prediction
	asked   []string
}

func (f *fakeReports) Trend(ctx context.Context, planID string, limit int, opts report.TrendOptions) (*report.Trend, error) {
	f.asked = append(f.asked, "trend "+planID)
	return f.trend, nil
}

func (f *fakeReports) Predict(ctx context.Context, planID string) (*report.Prediction, error) {
	f.asked = append(f.asked, "predict "+planID)
	return f.predict, nil
}

type fakeReadiness struct{ result *readiness.Result }

func (f fakeReadiness) Latest() *readiness.Result { return f.result }

type fakeDeliveries struct {
	items []store.Delivery
	err   error
}

func (f fakeDeliveries) Deliveries(ctx context.Context, limit int) ([]store.Delivery, error) {
	return f.items, f.err
}

var tEvidence = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// withEvidence rebuilds the env's UI with the evidence services.
func (e *env) withEvidence(r Reports, rd Readiness, d fakeDeliveries) {
	e.t.Helper()
	var err error
	e.web, err = New(Options{Store: e.store, Executions: e.exec, Definitions: e.api,
		Servers: e.web.servers, DefaultRegion: "us-east-1",
		Now:     func() time.Time { return tEvidence.Add(90 * time.Second) },
		Reports: r, Readiness: rd, Deliveries: d})
	if err != nil {
		e.t.Fatal(err)
	}
}

func TestPlanPageShowsTrend(t *testing.T) {
	e := newEnv(t)
	reports := &fakeReports{trend: &report.Trend{PlanID: e.plan.ID, PlanName: "shop", RTOMinutes: 30,
		MarginPercent: 20, Window: 5, Alert: true, Drills: []report.DrillPoint{
			{ExecutionID: "ex-slow", Status: plan.ExecPartial, CreatedAt: tEvidence.Add(-72 * time.Hour),
				DurationSeconds: 2400, RTOMet: ptr(false)},
			{ExecutionID: "ex-old", Status: plan.ExecCompleted, CreatedAt: tEvidence.Add(-48 * time.Hour),
				DurationSeconds: 600, RTOMet: ptr(true)},
			{ExecutionID: "ex-new", Status: plan.ExecCompleted, CreatedAt: tEvidence,
				DurationSeconds: 905, RTOMet: ptr(true), BaselineSeconds: ptr(600.0), Alert: true,
				AlertReason: "15m 05s is 51% over the median 10m 00s of the 3 drills before"},
		}}}
	e.withEvidence(reports, nil, fakeDeliveries{})

	rec, d := e.get("/plans/" + e.plan.ID)
	if rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, d)
	}
	trend := d.byID("trend")
	if trend.attr("data-alert") != "true" {
		t.Errorf("trend data-alert %q, want true", trend.attr("data-alert"))
	}
	if got, want := trend.byID("trend-alert").text(), "Slowdown: 15m 05s is 51% over the median 10m 00s of the 3 drills before"; got != want {
		t.Errorf("alert %q, want %q", got, want)
	}
	img := trend.byID("trend-chart")
	if got, want := img.attr("src"), "/api/v1/recovery-plans/"+e.plan.ID+"/trends.svg?limit=3"; got != want {
		t.Errorf("chart src %q, want %q", got, want)
	}
	if got, want := img.attr("alt"), "Total duration of the last 3 drills against the RTO of 30 minutes"; got != want {
		t.Errorf("chart alt %q, want %q", got, want)
	}
	// Newest first, with durations, baselines and the alert's reason.
	if got := trend.byID("trend-drills").attrs("data-drill"); !cmp.Equal(got, []string{"ex-new", "ex-old", "ex-slow"}) {
		t.Errorf("drill rows %v, want [ex-new ex-old ex-slow]", got)
	}
	row := trend.with("data-drill", "ex-new").text()
	for _, want := range []string{"15m 05s", "10m 00s", "met", "51% over the median"} {
		if !strings.Contains(row, want) {
			t.Errorf("drill row %q lacks %q", row, want)
		}
	}
	if got := trend.with("data-drill", "ex-old").text(); !strings.Contains(got, "10m 00s – met –") {
		t.Errorf("old drill row %q", got)
	}
	if got := trend.with("data-drill", "ex-slow").text(); !strings.Contains(got, "PARTIAL 40m 00s – not met –") {
		t.Errorf("slow drill row %q", got)
	}
	form := d.byID("predict-form")
	if form.attr("method") != "get" || form.attr("action") != "/plans/"+e.plan.ID+"/predict" || !form.has("predict") {
		t.Errorf("predict form: %s", form)
	}

	// Without a report service neither the trend nor the button shows.
	e.withEvidence(nil, nil, fakeDeliveries{})
	_, d = e.get("/plans/" + e.plan.ID)
	if d.has("trend") || d.has("predict-form") {
		t.Error("trend or prediction shown without reports")
	}
}

func TestPlanTrendWithoutAlert(t *testing.T) {
	e := newEnv(t)
	e.withEvidence(&fakeReports{trend: &report.Trend{PlanID: e.plan.ID, MarginPercent: 20, Window: 5,
		Drills: []report.DrillPoint{{ExecutionID: "ex-1", Status: plan.ExecCompleted, CreatedAt: tEvidence,
			DurationSeconds: 610, BaselineSeconds: ptr(600.0)}}}}, nil, fakeDeliveries{})
	_, d := e.get("/plans/" + e.plan.ID)
	if d.has("trend-alert") {
		t.Error("alert shown for a drill that does not alert")
	}
	want := "The latest drill took 10m 10s, within 20 % of the median of the drills before it (10m 00s)."
	if got := d.byID("trend-ok").text(); got != want {
		t.Errorf("trend note %q, want %q", got, want)
	}
}

func TestPredictPage(t *testing.T) {
	e := newEnv(t)
	reports := &fakeReports{predict: &report.Prediction{PlanID: e.plan.ID, PlanName: "shop", RTOMinutes: 30,
		MakespanSeconds: 2100, RTOMet: ptr(false), CriticalPath: []string{"database", "application"},
		ApprovalGates: []string{"application"}, Servers: 5, Measured: 3, DrillsUsed: 2,
		Quotas:      report.Quotas{ServersPerJob: 100, ActiveJobs: 20, ServersInActiveJobs: 500},
		GeneratedAt: tEvidence, Warnings: []string{"server s-9 has no OS; assumed Linux"},
		Waves: []report.WavePrediction{
			{Name: "database", DependsOn: []string{}, Servers: 2, Jobs: 1, StartSeconds: 30, EndSeconds: 630,
				DurationSeconds: 600, Critical: true, Estimates: []report.ServerEstimate{
					{SourceServerID: "s-1", OS: "Linux", Seconds: 300, Source: report.SourceMeasured}}},
			{Name: "application", DependsOn: []string{"database"}, Gated: true, Servers: 3, Jobs: 1,
				StartSeconds: 630, EndSeconds: 2100, DurationSeconds: 1470, Critical: true},
		}}}
	e.withEvidence(reports, nil, fakeDeliveries{})

	rec, d := e.get("/plans/" + e.plan.ID + "/predict")
	if rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, d)
	}
	if diff := cmp.Diff([]string{"predict " + e.plan.ID}, reports.asked); diff != "" {
		t.Errorf("calls mismatch (-want +got):\n%s", diff)
	}
	checks := map[string]string{
		"makespan":      "35m 00s from the request to the last wave's end, against an RTO of 30 minutes: not met",
		"rto-verdict":   "not met",
		"critical-path": "Critical path: database → application",
		"gates":         "Approval gates, whose wait is not in the estimate: application",
		"warnings":      "server s-9 has no OS; assumed Linux",
	}
	for id, want := range checks {
		if got := d.byID(id).text(); got != want {
			t.Errorf("#%s %q, want %q", id, got, want)
		}
	}
	if got := d.byID("verdict").attr("data-rto-met"); got != "not met" {
		t.Errorf("data-rto-met %q, want not met", got)
	}
	waves := d.byID("predicted-waves")
	if got, want := waves.with("data-wave", "database").text(), "database – 2 1 +30s +10m 30s 10m 00s critical –"; got != want {
		t.Errorf("database row %q, want %q", got, want)
	}
	if got, want := waves.with("data-wave", "application").text(), "application database 3 1 +10m 30s +35m 00s 24m 30s critical approval (excluded)"; got != want {
		t.Errorf("application row %q, want %q", got, want)
	}
	if got := d.with("data-estimates", "database").text(); !strings.Contains(got, "s-1 Linux: 5m 00s (measured)") {
		t.Errorf("estimates %q", got)
	}

	rec, _ = e.get("/plans/rp-nope/predict")
	if rec.Code != 404 {
		t.Errorf("unknown plan: status %d, want 404", rec.Code)
	}
}

func TestOverviewShowsReadinessAndDeliveries(t *testing.T) {
	e := newEnv(t)
	res := &readiness.Result{CheckedAt: tEvidence, MaxSnapshotAgeSeconds: 3600, Problems: 2, Warnings: 1, Plans: []readiness.PlanResult{
		{PlanID: e.plan.ID, PlanName: "shop", Servers: 6, Problems: []readiness.Problem{
			{Code: readiness.CodeStaleSnapshot, Message: "source server s-3 has no snapshot younger than 1h"},
			{Code: readiness.CodeDrift, Message: "1 server joined since the last drill"},
		}, Warnings: []readiness.Problem{
			{Code: readiness.CodeSettingsDrift, Message: "source server s-4: launch settings drifted: subnetId"},
		}, Drift: &readiness.Drift{ExecutionID: "ex-d", DrillTime: tEvidence.Add(-time.Hour), Changed: true,
			Added: []readiness.DriftServer{{SourceServerID: "s-7", GroupID: e.app.ID}}}},
		{PlanID: "rp-other", PlanName: "other", Ready: true, Servers: 2},
	}}
	deliveries := fakeDeliveries{items: []store.Delivery{
		{Key: "k2", Target: "webhook:hooks.example", Type: "execution.completed", ExecutionID: "ex-d",
			Attempts: 1, StatusCode: 200, OK: true, Time: tEvidence},
		{Key: "k1", Target: "sns:arn:aws:sns:us-east-1:1:t", Type: "readiness.failed", Attempts: 3,
			OK: false, Error: "publish: throttled", Time: tEvidence.Add(-time.Minute)},
	}}
	e.withEvidence(nil, fakeReadiness{res}, deliveries)

	rec, d := e.get("/")
	if rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	rd := d.byID("readiness")
	if rd.attr("data-ready") != "false" {
		t.Errorf("data-ready %q, want false", rd.attr("data-ready"))
	}
	if got := rd.text(); !strings.Contains(got, "2 problems · 1 warnings · checked 2026-03-01 12:00:00 UTC (1m30s ago)") {
		t.Errorf("readiness summary %q", got)
	}
	shop := rd.with("data-plan", e.plan.ID)
	if got := shop.with("class", "plain problems").each("data-code"); len(got) != 2 ||
		got[0].text() != "source server s-3 has no snapshot younger than 1h" || got[1].attr("data-code") != "drift" {
		t.Errorf("problems %v", got)
	}
	if got := shop.with("class", "plain warnings").text(); got != "source server s-4: launch settings drifted: subnetId" {
		t.Errorf("warnings %q", got)
	}
	if got, want := shop.with("class", "drift").text(), "1 added s-7 , 0 removed (since 2026-03-01 11:00:00 UTC )"; got != want {
		t.Errorf("drift %q, want %q", got, want)
	}
	if got := rd.with("data-plan", "rp-other").text(); got != "other ready 2 – – no drill yet" {
		t.Errorf("other plan %q", got)
	}

	dl := d.byID("deliveries")
	if got := dl.attrs("data-delivery"); !cmp.Equal(got, []string{"k2", "k1"}) {
		t.Errorf("deliveries %v, want [k2 k1]", got)
	}
	if got, want := dl.with("data-delivery", "k2").text(),
		"2026-03-01 12:00:00 UTC execution.completed webhook:hooks.example ex-d delivered · HTTP 200 · 1 attempts"; got != want {
		t.Errorf("delivery k2 %q, want %q", got, want)
	}
	if got := dl.with("data-delivery", "k1"); got.attr("data-ok") != "false" || !strings.Contains(got.text(), "failed publish: throttled · 3 attempts") {
		t.Errorf("delivery k1 %q", got.text())
	}

	// A check not yet run, and deliveries that cannot be read.
	e.withEvidence(nil, fakeReadiness{}, fakeDeliveries{err: errors.New("table gone")})
	_, d = e.get("/")
	if got := d.byID("readiness").text(); got != "Readiness No readiness check has run yet." {
		t.Errorf("readiness before a check %q", got)
	}
	if got := d.byID("deliveries").text(); got != "Recent notifications deliveries could not be read: table gone" {
		t.Errorf("deliveries error %q", got)
	}
}

func TestExecutionPageLinksReport(t *testing.T) {
	e := newEnv(t)
	id := e.startDrill()
	_, d := e.get("/executions/" + id)
	links := d.byID("report-links")
	want := map[string]string{
		"report-html": "/api/v1/executions/" + id + "/report?format=html",
		"report-csv":  "/api/v1/executions/" + id + "/report?format=csv",
		"report-json": "/api/v1/executions/" + id + "/report",
	}
	for linkID, href := range want {
		if got := links.byID(linkID).attr("href"); got != href {
			t.Errorf("%s href %q, want %q", linkID, got, href)
		}
	}
	if got := links.byID("report-csv").attr("download"); got != id+".csv" {
		t.Errorf("csv download name %q", got)
	}
}
