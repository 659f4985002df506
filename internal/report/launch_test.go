package report

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/plan"
)

// TestReportCarriesGateAndInstance builds a report of an execution whose
// wave passed a health gate and whose launch EC2 described, and checks
// that the JSON fields, the CSV columns and the HTML carry both.
func TestReportCarriesGateAndInstance(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	at := func(m int) *time.Time { v := t0.Add(time.Duration(m) * time.Minute); return &v }
	gate := &plan.HealthGate{StatusChecks: true, CheckURL: "https://check.example.com/db", TimeoutMinutes: 20}
	ex := &plan.Execution{ID: "ex-1", PlanID: "rp-1", PlanName: "shop", Mode: plan.ModeDrill,
		Status: plan.ExecCompleted, CreatedAt: t0, StartTime: at(0), EndTime: at(30),
		Plan: plan.RecoveryPlan{Name: "shop", Waves: []plan.Wave{{Name: "db", HealthGate: gate}}}}
	run := &plan.GateRun{Status: plan.GatePassed, StartTime: *at(12), EndTime: at(16), Checks: []plan.GateCheck{
		{Kind: plan.CheckStatusChecks, OK: true, Attempts: 9, Message: "2 of 2 instances ok", Time: *at(16), PassedAt: at(16)},
		{Kind: plan.CheckURL, OK: true, Attempts: 3, StatusCode: 200, Time: *at(13), PassedAt: at(13)},
	}}
	waves := []plan.WaveRun{{ExecutionID: "ex-1", Name: "db", Status: plan.WaveCompleted,
		StartTime: at(0), EndTime: at(17), Gate: run}}
	launches := []plan.Launch{{ExecutionID: "ex-1", Wave: "db", GroupID: "pg-1",
		SourceServerID: "s-0123456789abcdef0", Region: "us-east-1", Status: plan.LaunchLaunched,
		EC2InstanceID: "i-0123456789abcdef0", RequestTime: at(1), LaunchTime: at(11),
		PrivateIP: "10.10.1.20", InstanceType: "r6i.xlarge", InstanceState: "running",
		SubnetID: "subnet-0e5a1d00000000011", SettingsAppliedAt: at(0), LaunchTemplateVersion: 4}}
	r := Build(ex, waves, launches, *at(40))

	if diff := cmp.Diff(gate, r.Waves[0].HealthGate); diff != "" {
		t.Errorf("health gate mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(run, r.Waves[0].Gate); diff != "" {
		t.Errorf("gate run mismatch (-want +got):\n%s", diff)
	}
	s := r.Waves[0].Servers[0]
	type inst struct {
		IP, Type, State, Subnet string
		Version                 int64
		Applied                 *time.Time
	}
	if diff := cmp.Diff(inst{"10.10.1.20", "r6i.xlarge", "running", "subnet-0e5a1d00000000011", 4, at(0)},
		inst{s.PrivateIP, s.InstanceType, s.InstanceState, s.SubnetID, s.LaunchTemplateVersion, s.SettingsAppliedAt}); diff != "" {
		t.Errorf("server instance fields mismatch (-want +got):\n%s", diff)
	}

	var buf bytes.Buffer
	if err := WriteCSV(&buf, r); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	cell := map[string]string{}
	for i, h := range rows[0] {
		cell[h] = rows[1][i]
	}
	wantCells := map[string]string{"privateIp": "10.10.1.20", "instanceType": "r6i.xlarge",
		"instanceState": "running", "subnetId": "subnet-0e5a1d00000000011",
		"settingsAppliedAt": "2026-12-03T10:00:00Z", "launchTemplateVersion": "4", "settingsError": ""}
	for k, v := range wantCells {
		if cell[k] != v {
			t.Errorf("csv %s = %q, want %q", k, cell[k], v)
		}
	}

	buf.Reset()
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	for _, want := range []string{"10.10.1.20", "r6i.xlarge", "subnet-0e5a1d00000000011",
		"template v4", "check URL", "https://check.example.com/db", "Gate PASSED", "2 of 2 instances ok"} {
		if !strings.Contains(html, want) {
			t.Errorf("html lacks %q", want)
		}
	}
}
