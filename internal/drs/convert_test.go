package drs

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/drs/types"
	"github.com/google/go-cmp/cmp"
)

func TestParseTime(t *testing.T) {
	noon := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   *string
		want time.Time
	}{
		{nil, time.Time{}},
		{aws.String(""), time.Time{}},
		{aws.String("2026-12-03T12:00:00Z"), noon},
		{aws.String("2026-12-03T12:00:00.000Z"), noon},
		{aws.String("2026-12-03T12:00:00.632532+00:00"), noon.Add(632532 * time.Microsecond)},
		{aws.String("2026-12-03T13:00:00+01:00"), noon},
		{aws.String("2026-12-03T12:00:00"), noon},
		{aws.String("2026-12-03T12:00:00.5"), noon.Add(500 * time.Millisecond)},
		{aws.String("2026-12-03"), time.Time{}},
		{aws.String("yesterday"), time.Time{}},
		{aws.String("2026-12-03T12:00:00Z trailing"), time.Time{}},
	}
	for _, tt := range tests {
		got := parseTime(tt.in)
		if !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("parseTime(%q) = %v, want %v in UTC", aws.ToString(tt.in), got, tt.want)
		}
	}
}

func TestSourceServerFrom(t *testing.T) {
	tests := []struct {
		name string
		in   types.SourceServer
		want SourceServer
	}{
		{"full", types.SourceServer{
			SourceServerID:     aws.String("s-0123456789abcdef0"),
			Arn:                aws.String("arn:aws:drs:us-east-1:123456789012:source-server/s-0123456789abcdef0"),
			Tags:               map[string]string{"app": "web"},
			RecoveryInstanceId: aws.String("i-0123456789abcdef0"),
			LastLaunchResult:   types.LastLaunchResultSucceeded,
			DataReplicationInfo: &types.DataReplicationInfo{
				DataReplicationState: types.DataReplicationStateContinuous,
				LagDuration:          aws.String("PT12S"),
			},
			SourceProperties: &types.SourceProperties{
				IdentificationHints: &types.IdentificationHints{Hostname: aws.String("web-1")},
				Os:                  &types.OS{FullString: aws.String("Ubuntu 24.04")},
			},
		}, SourceServer{
			ID:                 "s-0123456789abcdef0",
			ARN:                "arn:aws:drs:us-east-1:123456789012:source-server/s-0123456789abcdef0",
			Hostname:           "web-1",
			OS:                 "Ubuntu 24.04",
			Tags:               map[string]string{"app": "web"},
			ReplicationState:   StateContinuous,
			Lag:                12 * time.Second,
			RecoveryInstanceID: "i-0123456789abcdef0",
			LastLaunchResult:   "SUCCEEDED",
		}},
		{"empty", types.SourceServer{}, SourceServer{}},
		{"hollow nested members", types.SourceServer{
			DataReplicationInfo: &types.DataReplicationInfo{LagDuration: aws.String("P1DT")},
			SourceProperties:    &types.SourceProperties{},
		}, SourceServer{}},
		{"negative lag", types.SourceServer{
			DataReplicationInfo: &types.DataReplicationInfo{LagDuration: aws.String("-PT5S")},
		}, SourceServer{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, sourceServerFrom(tt.in)); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestJobFrom(t *testing.T) {
	in := &types.Job{
		JobID:            aws.String("drsjob-0123456789abcdef0"),
		Type:             types.JobTypeTerminate,
		InitiatedBy:      types.InitiatedByTerminateRecoveryInstances,
		Status:           types.JobStatusCompleted,
		CreationDateTime: aws.String("2026-12-03T10:00:00Z"),
		EndDateTime:      aws.String("2026-12-03T10:05:00.25Z"),
		Tags:             map[string]string{"k": "v"},
		ParticipatingServers: []types.ParticipatingServer{
			{SourceServerID: aws.String("s-0123456789abcdef0"), RecoveryInstanceID: aws.String("i-0123456789abcdef0"),
				LaunchStatus: types.LaunchStatusTerminated},
			{}, // a hollow entry maps to a hollow entry
		},
	}
	want := Job{
		ID: "drsjob-0123456789abcdef0", Type: JobTypeTerminate, InitiatedBy: "TERMINATE_RECOVERY_INSTANCES",
		Status:    JobCompleted,
		CreatedAt: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC),
		EndedAt:   time.Date(2026, 12, 3, 10, 5, 0, 250_000_000, time.UTC),
		Tags:      map[string]string{"k": "v"},
		Servers: []JobServer{
			{SourceServerID: "s-0123456789abcdef0", RecoveryInstanceID: "i-0123456789abcdef0", LaunchStatus: LaunchTerminated},
			{},
		},
	}
	if diff := cmp.Diff(want, jobFrom(in)); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(Job{}, jobFrom(nil)); diff != "" {
		t.Errorf("nil job mismatch (-want +got):\n%s", diff)
	}
}

func TestSmallConversions(t *testing.T) {
	logItem := jobLogItemFrom(types.JobLog{
		Event: types.JobLogEventLaunchFailed, LogDateTime: aws.String("2026-12-03T10:00:00Z"),
		EventData: &types.JobLogEventData{SourceServerID: aws.String("s-1"), TargetInstanceID: aws.String("i-1"),
			RawError: aws.String("boom")},
	})
	wantLog := JobLogItem{Time: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC), Event: "LAUNCH_FAILED",
		SourceServerID: "s-1", TargetInstanceID: "i-1", RawError: "boom"}
	if diff := cmp.Diff(wantLog, logItem); diff != "" {
		t.Errorf("job log item mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(JobLogItem{Event: "JOB_START"}, jobLogItemFrom(types.JobLog{Event: "JOB_START"})); diff != "" {
		t.Errorf("bare job log item mismatch (-want +got):\n%s", diff)
	}

	ri := recoveryInstanceFrom(types.RecoveryInstance{
		RecoveryInstanceID: aws.String("i-1"), Ec2InstanceID: aws.String("i-1"),
		Ec2InstanceState: types.EC2InstanceStateShuttingDown, SourceServerID: aws.String("s-1"),
		JobID: aws.String("drsjob-1"), IsDrill: aws.Bool(true),
		PointInTimeSnapshotDateTime: aws.String("2026-12-03T09:59:00Z"), Tags: map[string]string{"a": "b"},
	})
	wantRI := RecoveryInstance{ID: "i-1", EC2InstanceID: "i-1", EC2State: "SHUTTING-DOWN", SourceServerID: "s-1",
		JobID: "drsjob-1", IsDrill: true, PointInTime: time.Date(2026, 12, 3, 9, 59, 0, 0, time.UTC),
		Tags: map[string]string{"a": "b"}}
	if diff := cmp.Diff(wantRI, ri); diff != "" {
		t.Errorf("recovery instance mismatch (-want +got):\n%s", diff)
	}

	snap := snapshotFrom(types.RecoverySnapshot{SnapshotID: aws.String("pit-1"), SourceServerID: aws.String("s-1"),
		ExpectedTimestamp: aws.String("2026-12-03T09:00:00Z")})
	wantSnap := Snapshot{ID: "pit-1", SourceServerID: "s-1", Expected: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)}
	if diff := cmp.Diff(wantSnap, snap); diff != "" {
		t.Errorf("snapshot mismatch (-want +got):\n%s", diff)
	}

	if diff := cmp.Diff(LaunchConfiguration{}, launchConfigurationFrom(fromGetOutput(nil))); diff != "" {
		t.Errorf("nil launch configuration mismatch (-want +got):\n%s", diff)
	}
}
