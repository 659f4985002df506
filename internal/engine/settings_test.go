package engine

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/drssim"
	"github.com/drsorch/drsorch/internal/plan"
)

// countingApplier records every Apply call and hands it on to inner;
// without inner it answers each target as applied (version 2), except the
// servers named in fail, which get that error.
type countingApplier struct {
	inner SettingsApplier
	clock func() time.Time

	mu      sync.Mutex
	calls   [][]plan.SettingsTarget
	results [][]plan.AppliedSettings
	fail    map[string]string
}

func (a *countingApplier) Apply(ctx context.Context, accountID, region string, targets []plan.SettingsTarget) ([]plan.AppliedSettings, error) {
	a.mu.Lock()
	a.calls = append(a.calls, targets)
	fail := a.fail
	a.mu.Unlock()
	if a.inner != nil {
		res, err := a.inner.Apply(ctx, accountID, region, targets)
		a.mu.Lock()
		a.results = append(a.results, res)
		a.mu.Unlock()
		return res, err
	}
	var out []plan.AppliedSettings
	for _, t := range targets {
		out = append(out, plan.AppliedSettings{
			GroupID: t.GroupID, SourceServerID: t.SourceServerID, AccountID: accountID, Region: region,
			Settings: t.Settings, LaunchTemplateVersion: 2, Time: time.Now(), Error: fail[t.SourceServerID],
		})
	}
	return out, nil
}

func (a *countingApplier) servers() [][]string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out [][]string
	for _, ts := range a.calls {
		var ids []string
		for _, t := range ts {
			ids = append(ids, t.SourceServerID)
		}
		out = append(out, ids)
	}
	return out
}

// withSettings gives the group of the named wave launch settings, and
// the given servers of it (by index) overrides.
func withSettings(ex *plan.Execution, wave string, s plan.LaunchSettings, overrides map[int]plan.LaunchSettings) {
	for i := range ex.Groups {
		g := &ex.Groups[i]
		if g.Name != wave {
			continue
		}
		g.LaunchSettings = &s
		for idx, o := range overrides {
			if g.ServerLaunchSettings == nil {
				g.ServerLaunchSettings = make(map[string]plan.LaunchSettings)
			}
			g.ServerLaunchSettings[g.SourceServerIDs[idx]] = o
		}
	}
}

// TestSettingsBeforeLaunch applies a group's launch settings before its
// wave's first batch, one call for the wave, and never for a group
// without settings; a per-server failure fails that server alone.
func TestSettingsBeforeLaunch(t *testing.T) {
	isolateAWSEnv(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, linuxServers(10), 1)
		h.prepare = func(ex *plan.Execution) {
			withSettings(ex, "db", plan.LaunchSettings{InstanceType: "m6i.large"},
				map[int]plan.LaunchSettings{1: {InstanceType: "r6i.xlarge"}})
		}
		ws := chain(wave("db", 3), wave("app", 2))
		ws[0].MinSuccessPercent = percent(50)
		id := h.start(plan.ModeRecovery, ws)
		db := h.get(id).Groups[0].SourceServerIDs
		bad := db[2]
		ap := &countingApplier{fail: map[string]string{bad: "update launch configuration: boom"}}
		e := h.engine("e1", func(o *Options) {
			o.Settings = ap
			o.Quotas.ServersPerJob = 1 // batches in several rounds
		})
		ex := h.finish(e, id, 500)

		if ex.Status != plan.ExecPartial {
			t.Errorf("status %s, want PARTIAL", ex.Status)
		}
		// One call for the wave, with each server's effective settings.
		ap.mu.Lock()
		got := make(map[string]string)
		for _, ts := range ap.calls {
			for _, t := range ts {
				got[t.SourceServerID] = t.Settings.InstanceType
			}
		}
		calls := len(ap.calls)
		ap.mu.Unlock()
		want := map[string]string{db[0]: "m6i.large", db[1]: "r6i.xlarge", bad: "m6i.large"}
		if diff := cmp.Diff(want, got); diff != "" || calls != 1 {
			t.Errorf("%d apply calls, instance types mismatch (-want +got):\n%s", calls, diff)
		}
		for _, l := range h.launches(id) {
			switch {
			case l.SourceServerID == bad:
				if l.Status != plan.LaunchFailed || l.Error != "launch settings: update launch configuration: boom" ||
					l.SettingsError != "update launch configuration: boom" || l.RequestTime != nil {
					t.Errorf("failed server: %s %q %q, requested %v", l.Status, l.Error, l.SettingsError, l.RequestTime)
				}
			case l.Wave == "db":
				if l.SettingsAppliedAt == nil || l.RequestTime == nil || l.RequestTime.Before(*l.SettingsAppliedAt) ||
					l.LaunchTemplateVersion != 2 || l.Status != plan.LaunchLaunched {
					t.Errorf("db server %s: %s applied %v requested %v version %d", l.SourceServerID, l.Status,
						l.SettingsAppliedAt, l.RequestTime, l.LaunchTemplateVersion)
				}
			default:
				if l.SettingsAppliedAt != nil || l.Status != plan.LaunchLaunched {
					t.Errorf("app server %s: %s applied %v; want launched, no settings", l.SourceServerID, l.Status, l.SettingsAppliedAt)
				}
			}
		}
		// The same instant on the bubble's clock: the events order them.
		var order []string
		for _, ev := range h.events(id) {
			if ev.Wave == "db" && (ev.Type == "settings_failed" || ev.Type == "batch_requested") {
				order = append(order, ev.Type)
			}
		}
		if len(order) == 0 || order[0] != "settings_failed" {
			t.Errorf("db events %v, want the settings first", order)
		}
		if got := h.sim.Launches()[bad]; got != 0 {
			t.Errorf("the server whose settings failed was launched %d times", got)
		}

		// A retry applies the failed server's settings again.
		ap.mu.Lock()
		ap.fail = nil
		ap.mu.Unlock()
		h.control(id, func(ex *plan.Execution) { ex.Requests.Retry = true })
		ex = h.finish(e, id, 500)
		if ex.Status != plan.ExecCompleted {
			t.Errorf("after retry: status %s, want COMPLETED", ex.Status)
		}
		if got := ap.servers(); len(got) != 2 || !slices.Equal(got[1], []string{bad}) {
			t.Errorf("apply calls %v, want a second one of %s alone", got, bad)
		}
		for _, l := range h.launches(id) {
			if l.SourceServerID == bad && (l.SettingsError != "" || l.SettingsAppliedAt == nil || l.Status != plan.LaunchLaunched) {
				t.Errorf("after retry: %s %q applied %v", l.Status, l.SettingsError, l.SettingsAppliedAt)
			}
		}
		h.checkOnce(id, 1)
	})
}

// TestSettingsWithoutApplier fails the launches of a group with settings
// when the engine has no applier; other groups launch.
func TestSettingsWithoutApplier(t *testing.T) {
	isolateAWSEnv(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, linuxServers(10), 1)
		h.prepare = func(ex *plan.Execution) {
			withSettings(ex, "app", plan.LaunchSettings{SubnetID: "subnet-0e5a1d00000000011"}, nil)
		}
		ws := chain(wave("db", 2), wave("app", 2))
		id := h.start(plan.ModeRecovery, ws)
		ex := h.finish(h.engine("e1", nil), id, 500)
		if ex.Status != plan.ExecFailed {
			t.Errorf("status %s, want FAILED", ex.Status)
		}
		for _, l := range h.launches(id) {
			want := plan.LaunchLaunched
			if l.Wave == "app" {
				want = plan.LaunchFailed
				if l.Error != "launch settings: no applier configured" {
					t.Errorf("app launch error %q", l.Error)
				}
			}
			if l.Status != want {
				t.Errorf("%s launch %s, want %s", l.Wave, l.Status, want)
			}
		}
		if n := len(h.sim.Launches()); n != 2 {
			t.Errorf("%d servers launched, want db's 2", n)
		}
	})
}

// TestSettingsCrash kills the engine between the Apply call (of the real
// launch settings service) and its commit: the next engine applies the
// settings again, which writes nothing the first call wrote, and every
// server is still launched once.
func TestSettingsCrash(t *testing.T) {
	isolateAWSEnv(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, linuxServers(10), 1)
		h.prepare = func(ex *plan.Execution) {
			withSettings(ex, "b", plan.LaunchSettings{InstanceType: "m6i.large", SubnetID: simSubnet1}, nil)
		}
		id := h.start(plan.ModeRecovery, chain(wave("a", 2), wave("b", 3)))
		ap := &countingApplier{}
		withEC2 := func(o *Options) {
			h.withEC2(o)
			ap.inner = o.Settings
			o.Settings = ap
		}
		crashed := false
		e := h.engine("e1", func(o *Options) {
			withEC2(o)
			o.crashAt = func(s string) bool {
				if s == "settings_applied" && !crashed {
					crashed = true
					return true
				}
				return false
			}
		})
		for !crashed {
			if err := h.step(e, e.opts.PollMin); err != nil && !errors.Is(err, errCrash) {
				t.Fatalf("round: %v", err)
			}
		}
		for _, l := range h.launches(id) {
			if l.Wave == "b" && (l.SettingsAppliedAt != nil || l.Status != plan.LaunchPending) {
				t.Fatalf("after the crash: b launch %s applied %v, want PENDING, not applied", l.Status, l.SettingsAppliedAt)
			}
		}
		e = h.engine("e1", withEC2)
		ex := h.finish(e, id, 500)
		if ex.Status != plan.ExecCompleted {
			t.Errorf("status %s, want COMPLETED", ex.Status)
		}
		if n := len(ap.servers()); n != 2 {
			t.Errorf("%d apply calls, want 2 (again after the crash)", n)
		}
		for _, l := range h.launches(id) {
			if l.Wave == "b" && (l.SettingsAppliedAt == nil || l.RequestTime.Before(*l.SettingsAppliedAt)) {
				t.Errorf("b launch applied %v requested %v", l.SettingsAppliedAt, l.RequestTime)
			}
		}
		h.checkOnce(id, 1)
		if n := eventTypes(h.events(id))["settings_applied"]; n != 1 {
			t.Errorf("%d settings_applied events, want 1", n)
		}

		// The first call wrote something for every server; the second
		// found all of it in place.
		var changed []int
		ap.mu.Lock()
		for _, res := range ap.results {
			n := 0
			for _, r := range res {
				if len(r.Changed) > 0 {
					n++
				}
			}
			changed = append(changed, n)
		}
		ap.mu.Unlock()
		if diff := cmp.Diff([]int{3, 0}, changed); diff != "" {
			t.Errorf("servers with changed fields per call mismatch (-want +got):\n%s", diff)
		}

		// The store keeps the group's latest records, of this execution.
		recs, err := h.st.ListAppliedSettings(h.ctx, "pg-b")
		must(t, err)
		if len(recs) != 3 {
			t.Fatalf("%d applied settings records, want 3", len(recs))
		}
		for _, rec := range recs {
			if rec.ExecutionID != id || rec.Error != "" || rec.LaunchTemplateVersion < 2 || rec.Settings.InstanceType != "m6i.large" {
				t.Errorf("record %+v", rec)
			}
		}
	})
}

// TestSettingsInvalid: the real service refuses a static IP outside its
// subnet and writes nothing; every launch of the call fails with its
// error, and none is launched.
func TestSettingsInvalid(t *testing.T) {
	isolateAWSEnv(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, linuxServers(10), 1)
		h.prepare = func(ex *plan.Execution) {
			withSettings(ex, "db", plan.LaunchSettings{SubnetID: simSubnet1},
				map[int]plan.LaunchSettings{0: {PrivateIP: "10.10.2.50"}})
		}
		id := h.start(plan.ModeRecovery, chain(wave("db", 3)))
		ex := h.finish(h.engine("e1", h.withEC2), id, 100)
		if ex.Status != plan.ExecFailed {
			t.Errorf("status %s, want FAILED", ex.Status)
		}
		for _, l := range h.launches(id) {
			if l.Status != plan.LaunchFailed || !strings.HasPrefix(l.Error, "launch settings: ") ||
				l.SettingsError == "" || !strings.Contains(l.Error, "10.10.2.50") {
				t.Errorf("launch %s: %s %q", l.SourceServerID, l.Status, l.Error)
			}
		}
		if n := len(h.sim.Launches()); n != 0 {
			t.Errorf("%d servers launched, want 0", n)
		}
	})
}

// TestSettingsDeferredWhileEC2Fails has EC2 answer 500 to the first
// DescribeSubnets calls of the launch settings service: the wave's
// servers wait unlaunched, with one settings_deferred event, and are
// applied and launched once EC2 answers, none of them failed.
func TestSettingsDeferredWhileEC2Fails(t *testing.T) {
	isolateAWSEnv(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, linuxServers(4), 1)
		h.prepare = func(ex *plan.Execution) {
			withSettings(ex, "db", plan.LaunchSettings{SubnetID: simSubnet2, InstanceType: "m6i.large"}, nil)
		}
		if err := h.sim.SetFaults(drssim.Faults{FailNext: []drssim.FailNext{{Operation: "DescribeSubnets", Count: 3}}}); err != nil {
			t.Fatal(err)
		}
		id := h.start(plan.ModeDrill, chain(wave("db", 4)))
		e := h.engine("e1", h.withEC2)
		ex := h.finish(e, id, 2000)
		if ex.Status != plan.ExecCompleted {
			for _, l := range h.launches(id) {
				t.Logf("%s %s %q", l.SourceServerID, l.Status, l.Error)
			}
			t.Fatalf("status %s, want COMPLETED", ex.Status)
		}
		deferred := h.eventCount(id, "settings_deferred")
		if deferred != 1 {
			t.Errorf("%d settings_deferred events, want 1", deferred)
		}
		for _, l := range h.launches(id) {
			if l.SettingsAppliedAt == nil || l.SettingsError != "" || l.Attempts != 0 {
				t.Errorf("%s: applied %v, error %q, attempts %d", l.SourceServerID, l.SettingsAppliedAt, l.SettingsError, l.Attempts)
			}
			inst, ok := h.sim.Instance(l.EC2InstanceID)
			if !ok || inst.SubnetID != simSubnet2 || inst.InstanceType != "m6i.large" {
				t.Errorf("%s: instance %+v, want m6i.large in %s", l.SourceServerID, inst, simSubnet2)
			}
		}
		h.checkOnce(id, 1)
	})
}

// TestSettingsDeferredPerServer has EC2 answer 500 to two of a wave's
// CreateLaunchTemplateVersion calls, after validation passed: those two
// servers wait and are applied on a later round, the third is applied at
// once, and none fails.
func TestSettingsDeferredPerServer(t *testing.T) {
	isolateAWSEnv(t)
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, linuxServers(3), 1)
		h.prepare = func(ex *plan.Execution) {
			withSettings(ex, "db", plan.LaunchSettings{SubnetID: simSubnet2}, nil)
		}
		if err := h.sim.SetFaults(drssim.Faults{FailNext: []drssim.FailNext{{Operation: "CreateLaunchTemplateVersion", Count: 2}}}); err != nil {
			t.Fatal(err)
		}
		id := h.start(plan.ModeDrill, chain(wave("db", 3)))
		e := h.engine("e1", h.withEC2)
		ex := h.finish(e, id, 2000)
		if ex.Status != plan.ExecCompleted {
			for _, l := range h.launches(id) {
				t.Logf("%s %s %q", l.SourceServerID, l.Status, l.Error)
			}
			t.Fatalf("status %s, want COMPLETED", ex.Status)
		}
		var types []string
		for _, ev := range h.events(id) {
			if strings.HasPrefix(ev.Type, "settings_") {
				types = append(types, ev.Type)
			}
		}
		if diff := cmp.Diff([]string{"settings_applied", "settings_deferred", "settings_applied"}, types); diff != "" {
			t.Errorf("settings events mismatch (-want +got):\n%s", diff)
		}
		for _, l := range h.launches(id) {
			if inst, ok := h.sim.Instance(l.EC2InstanceID); !ok || inst.SubnetID != simSubnet2 || l.SettingsError != "" {
				t.Errorf("%s: instance in %q, settings error %q", l.SourceServerID, inst.SubnetID, l.SettingsError)
			}
		}
		h.checkOnce(id, 1)
	})
}
