package api

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/drsorch/drsorch/internal/execution"
	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/report"
)

// TestLaunchSchemasCoverTypes encodes values of the launch settings types
// with every field set and validates them against their schemas, which
// refuse unknown properties: a field added to a type without its schema
// fails here.
func TestLaunchSchemasCoverTypes(t *testing.T) {
	doc := loadOpenAPI(t)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	yes := true
	settings := plan.LaunchSettings{SubnetID: simSubnetA, SecurityGroupIDs: []string{simSGDB},
		InstanceType: "m6i.large", RightSizing: plan.RightSizingNone, InstanceProfile: "dr-profile",
		PrivateIP: "10.10.1.9", CopyPrivateIP: &yes, CopyTags: &yes, LaunchDisposition: plan.DispositionStarted,
		BYOL: &yes, Tags: map[string]string{"k": "v"}}
	applied := plan.AppliedSettings{GroupID: "pg-1", SourceServerID: sid(1), AccountID: "123456789012",
		Region: "us-east-1", Settings: settings, Changed: []string{"subnetId"}, LaunchTemplateID: "lt-1",
		LaunchTemplateVersion: 3, ExecutionID: "ex-1", Time: now, Error: "e"}
	gate := plan.HealthGate{StatusChecks: true, CheckURL: "https://checks.example/x", TimeoutMinutes: 20, IntervalSeconds: 30}
	run := plan.GateRun{Status: plan.GatePassed, StartTime: now, EndTime: &now, Error: "e",
		Checks: []plan.GateCheck{{Kind: plan.CheckURL, OK: true, Attempts: 2, StatusCode: 200, Message: "m", Time: now, PassedAt: &now}}}
	launch := plan.Launch{ExecutionID: "ex-1", Wave: "db", GroupID: "pg-1", SourceServerID: sid(1), AccountID: "123456789012",
		Region: "us-east-1", Hostname: "db1", OS: "linux", Status: plan.LaunchLaunched, BatchID: "b", JobID: "drsjob-1",
		RecoveryInstanceID: "i-1", EC2InstanceID: "i-2", RecoverySnapshotID: "pit-1", PointInTime: &now,
		RequestTime: &now, LaunchTime: &now, EndTime: &now, Error: "e", Attempts: 1, TerminateJobID: "drsjob-2",
		SettingsAppliedAt: &now, LaunchTemplateVersion: 3, SettingsError: "e", PrivateIP: "10.10.1.9",
		InstanceType: "m6i.large", InstanceState: "running", SubnetID: simSubnetA, Version: 2}
	wave := execution.WaveView{WaveRun: plan.WaveRun{ExecutionID: "ex-1", Name: "db", Status: plan.WaveCompleted,
		StartTime: &now, EndTime: &now, Gate: &run, Version: 1}, Launched: 1, Servers: []plan.Launch{launch}}

	for _, tt := range []struct {
		schema string
		value  any
	}{
		{"LaunchSettings", settings},
		{"AppliedSettings", applied},
		{"HealthGate", gate},
		{"GateRun", run},
		{"ServerDrift", plan.ServerDrift{GroupID: "pg-1", SourceServerID: sid(1), LaunchTemplateID: "lt-1",
			LaunchTemplateVersion: 2, Error: "e", Fields: []plan.FieldDrift{{Field: "subnetId", Want: "a", Got: "b"}}}},
		{"TagSyncResult", plan.TagSyncResult{AccountID: "123456789012", Region: "us-east-1", Servers: 3, Linked: 2,
			Updated: 1, Time: now, Errors: []string{"s-1: e"}}},
		{"GroupDrift", GroupDrift{GroupID: "pg-1", CheckedAt: now, Servers: []plan.ServerDrift{}, Drifted: 1, Unreadable: 1}},
		{"GroupLaunchSettings", GroupSettingsView{GroupID: "pg-1", Missing: []string{sid(2)},
			Servers: []ServerSettingsView{{SourceServerID: sid(1), Hostname: "db1", Settings: settings,
				Field: "launchSettings", Applied: &applied}}}},
		{"ApplyResults", ApplyResults{GroupID: "pg-1", Results: []plan.AppliedSettings{applied}}},
		{"ProtectionGroup", plan.ProtectionGroup{ID: "pg-1", Name: "db", Region: "us-east-1",
			LaunchSettings: &settings, ServerLaunchSettings: map[string]plan.LaunchSettings{sid(1): settings}}},
		{"ProtectionGroupApplied", savedGroup{ProtectionGroup: plan.ProtectionGroup{ID: "pg-1", Name: "db",
			Region: "us-east-1", LaunchSettings: &settings}, ApplyResults: []plan.AppliedSettings{applied}, ApplyError: "e"}},
		{"Wave", plan.Wave{Name: "db", ProtectionGroupIDs: []string{"pg-1"}, HealthGate: &gate}},
		{"Launch", launch},
		{"ExecutionWave", wave},
		{"WaveReport", report.WaveReport{Index: 0, Name: "db", Status: plan.WaveCompleted, DependsOn: []string{},
			Hooks: []plan.HookResult{}, HealthGate: &gate, Gate: &run,
			Servers: []report.ServerReport{{SourceServerID: sid(1), Wave: "db", GroupID: "pg-1", Region: "us-east-1",
				Status: plan.LaunchLaunched, PrivateIP: "10.10.1.9", InstanceType: "m6i.large", InstanceState: "running",
				SubnetID: simSubnetA, SettingsAppliedAt: &now, LaunchTemplateVersion: 3, SettingsError: "e"}}}},
	} {
		ref, ok := doc.Components.Schemas[tt.schema]
		if !ok {
			t.Errorf("no schema %s", tt.schema)
			continue
		}
		b, err := json.Marshal(tt.value)
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatal(err)
		}
		if err := ref.Value.VisitJSON(v); err != nil {
			t.Errorf("%s does not match its schema: %v\n%s", tt.schema, err, b)
		}
	}
}
