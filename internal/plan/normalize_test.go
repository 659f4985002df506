package plan

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestNormalizePlan(t *testing.T) {
	in := RecoveryPlan{Name: "p", Waves: []Wave{
		{Name: "a", ProtectionGroupIDs: []string{"g1"}},
		{Name: "b", ProtectionGroupIDs: []string{"g2"}, MinSuccessPercent: intp(0)},
		{Name: "c", ProtectionGroupIDs: []string{"g3"}, DependsOn: []string{}, FailurePolicy: FailureContinue,
			Hooks: &Hooks{Before: []Hook{}}},
		{Name: "d", ProtectionGroupIDs: []string{"g4"}, DependsOn: []string{"a", "c"},
			Hooks: &Hooks{After: []Hook{{URL: "https://x.example"}}}},
	}}
	want := RecoveryPlan{Name: "p", Waves: []Wave{
		{Name: "a", ProtectionGroupIDs: []string{"g1"}, DependsOn: []string{}, FailurePolicy: FailureStop,
			MinSuccessPercent: intp(100)},
		{Name: "b", ProtectionGroupIDs: []string{"g2"}, DependsOn: []string{"a"}, FailurePolicy: FailureStop,
			MinSuccessPercent: intp(0)},
		{Name: "c", ProtectionGroupIDs: []string{"g3"}, DependsOn: []string{}, FailurePolicy: FailureContinue,
			MinSuccessPercent: intp(100)},
		{Name: "d", ProtectionGroupIDs: []string{"g4"}, DependsOn: []string{"a", "c"}, FailurePolicy: FailureStop,
			MinSuccessPercent: intp(100), Hooks: &Hooks{After: []Hook{{URL: "https://x.example"}}}},
	}}
	got := NormalizePlan(in)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, NormalizePlan(got)); diff != "" {
		t.Errorf("not idempotent (-want +got):\n%s", diff)
	}
	if in.Waves[0].DependsOn != nil || in.Waves[1].MinSuccessPercent == got.Waves[1].MinSuccessPercent {
		t.Error("NormalizePlan changed or shares its input")
	}
}

func TestNormalizeGroup(t *testing.T) {
	in := ProtectionGroup{Name: " db ", Region: "us-east-1", SourceServerIDs: []string{srvC, srvA, srvB},
		ServerSelector: &Selector{Tags: map[string]string{}}}
	want := ProtectionGroup{Name: " db ", Region: "us-east-1", SourceServerIDs: []string{srvA, srvB, srvC},
		ServerSelector: &Selector{}}
	got := NormalizeGroup(in)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	if in.SourceServerIDs[0] != srvC {
		t.Error("NormalizeGroup sorted its input in place")
	}
	if got := NormalizeGroup(ProtectionGroup{SourceServerIDs: []string{}}); got.SourceServerIDs != nil {
		t.Errorf("empty sourceServerIds normalized to %#v, want nil", got.SourceServerIDs)
	}
}

func TestSame(t *testing.T) {
	g := validGroup()
	stored := NormalizeGroup(g)
	stored.ID, stored.Version, stored.CreatedAt = "pg-other", 7, time.Now()
	if !SameGroup(g, stored) {
		t.Error("SameGroup = false for a group and its stored form")
	}
	stored.Region = "eu-west-1"
	if SameGroup(g, stored) {
		t.Error("SameGroup = true for groups in different regions")
	}

	p := validPlan()
	sp := NormalizePlan(p)
	sp.Version, sp.UpdatedAt = 3, time.Now()
	if !SamePlan(p, sp) {
		t.Error("SamePlan = false for a plan and its stored form")
	}
	sp.Waves[1].PauseBefore = false
	if SamePlan(p, sp) {
		t.Error("SamePlan = true for plans whose gate differs")
	}
}
