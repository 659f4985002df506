package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/drsorch/drsorch/internal/plan"
)

// TestConsistentPointInTime: a wave recovered to one instant carries it
// into the report, and each server's RPO is measured from its snapshot.
func TestConsistentPointInTime(t *testing.T) {
	created := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	instant := created.Add(-7 * time.Minute)
	snapA, snapB := instant, instant.Add(-4*time.Minute)
	e := &plan.Execution{ID: "ex-1", PlanName: "shop", Mode: plan.ModeDrill, Status: plan.ExecRunning,
		CreatedAt: created, ConsistentPointInTime: true,
		Plan: plan.RecoveryPlan{Waves: []plan.Wave{{Name: "db"}}}}
	waves := []plan.WaveRun{{Name: "db", Status: plan.WaveLaunching, PointInTime: &instant}}
	launches := []plan.Launch{
		{Wave: "db", SourceServerID: "s-a", Status: plan.LaunchLaunched, PointInTime: &snapA, RecoverySnapshotID: "pit-a"},
		{Wave: "db", SourceServerID: "s-b", Status: plan.LaunchLaunched, PointInTime: &snapB, RecoverySnapshotID: "pit-b"},
	}
	r := Build(e, waves, launches, created)
	if !r.ConsistentPointInTime || r.Waves[0].PointInTime == nil || !r.Waves[0].PointInTime.Equal(instant) {
		t.Fatalf("consistent %v, wave point %v; want true, %v", r.ConsistentPointInTime, r.Waves[0].PointInTime, instant)
	}
	var rpo []float64
	for _, s := range r.Waves[0].Servers {
		rpo = append(rpo, *s.RPOSeconds)
	}
	if len(rpo) != 2 || rpo[0] != 420 || rpo[1] != 660 || *r.MaxRPOSeconds != 660 {
		t.Errorf("RPOs %v, max %v; want [420 660], 660", rpo, r.MaxRPOSeconds)
	}
	var b bytes.Buffer
	if err := WriteHTML(&b, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"consistent: each wave recovered to one instant",
		"Recovered to one instant: 2026-03-01 11:53:00 UTC"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
}
