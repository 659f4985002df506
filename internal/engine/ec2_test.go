package engine

import (
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/ec2"
	"github.com/drsorch/drsorch/internal/launchcfg"
	"github.com/drsorch/drsorch/internal/plan"
)

// ec2Clients are the real EC2 clients on the harness's emulator, which
// serves EC2 Query requests beside DRS on the same transport.
func (h *harness) ec2Clients() *ec2.Clients {
	return ec2.NewClients(h.clients, ec2.Config{
		Region:      testRegion,
		Endpoint:    "http://drs.local",
		MaxAttempts: 1,
		HTTPClient:  &http.Client{Transport: h.sim.Transport()},
	})
}

// withEC2 gives an engine the real EC2 clients and the real launch
// settings service on the emulator.
func (h *harness) withEC2(o *Options) {
	ec := h.ec2Clients()
	o.EC2 = FromEC2Clients(ec)
	opts := launchcfg.FromClients(h.clients, ec)
	opts.Logger = testLogger()
	o.Settings = launchcfg.New(opts)
}

// The emulator's well-known network.
const (
	simSubnet1 = "subnet-0e5a1d00000000011" // 10.10.1.0/24
	simSubnet2 = "subnet-0e5a1d00000000012" // 10.10.2.0/24
	simSGApp   = "sg-0e5a1d00000000023"
)

// TestLaunchSettingsAndGateOnEC2 runs a drill on the emulator's DRS and
// EC2 through the real clients and the real launch settings service: db's
// group settings (and one server's override) are applied before db
// launches, its recovery instances come up with them, the launches are
// enriched from EC2, and db is held in VERIFYING until its instances pass
// their status checks and its check URL answers; app starts only after.
func TestLaunchSettingsAndGateOnEC2(t *testing.T) {
	isolateAWSEnv(t)
	gs := newGateServer(t, 2)
	synctest.Test(t, func(t *testing.T) {
		opts := linuxServers(10)
		opts.StatusCheckDelay = 10 * time.Minute
		h := newHarness(t, opts, 1)
		var over string
		h.prepare = func(ex *plan.Execution) {
			withSettings(ex, "db", plan.LaunchSettings{SubnetID: simSubnet2, InstanceType: "m6i.large",
				SecurityGroupIDs: []string{simSGApp}},
				map[int]plan.LaunchSettings{1: {PrivateIP: "10.10.2.50", InstanceType: "r6i.xlarge"}})
			over = ex.Groups[0].SourceServerIDs[1]
		}
		ws := chain(wave("db", 3), wave("app", 2))
		ws[0].HealthGate = &plan.HealthGate{StatusChecks: true, CheckURL: gs.URL + "/gate", IntervalSeconds: 15}
		id := h.start(plan.ModeDrill, ws)
		e := h.engine("e1", func(o *Options) {
			h.withEC2(o)
			o.GateClient = hookClient()
		})
		ex := h.finish(e, id, 2000)
		if ex.Status != plan.ExecCompleted {
			for _, l := range h.launches(id) {
				t.Logf("%s %s %s %q", l.Wave, l.SourceServerID, l.Status, l.Error)
			}
			t.Fatalf("status %s, want COMPLETED; errors %v", ex.Status, h.lastErrs())
		}

		type got struct {
			Applied             bool
			Version             bool
			PrivateIP, Subnet   string
			InstanceType, State string
		}
		ips := map[string]string{}
		for _, l := range h.launches(id) {
			g := got{l.SettingsAppliedAt != nil, l.LaunchTemplateVersion > 1, l.PrivateIP, l.SubnetID, l.InstanceType, l.InstanceState}
			want := got{true, true, g.PrivateIP, simSubnet2, "m6i.large", "running"}
			switch {
			case l.SourceServerID == over:
				want.PrivateIP, want.InstanceType = "10.10.2.50", "r6i.xlarge"
			case l.Wave == "app":
				want = got{false, false, g.PrivateIP, g.Subnet, g.InstanceType, "running"}
			}
			if diff := cmp.Diff(want, g); diff != "" {
				t.Errorf("%s launch %s mismatch (-want +got):\n%s", l.Wave, l.SourceServerID, diff)
			}
			if l.PrivateIP == "" || l.InstanceType == "" || l.SubnetID == "" {
				t.Errorf("%s launch %s not enriched: %+v", l.Wave, l.SourceServerID, g)
			}
			// The emulator's instance is what the settings say.
			in, ok := h.sim.Instance(l.EC2InstanceID)
			if !ok || in.PrivateIP != l.PrivateIP || in.SubnetID != l.SubnetID || in.InstanceType != l.InstanceType ||
				(l.Wave == "db" && !cmp.Equal(in.SecurityGroupIDs, []string{simSGApp})) {
				t.Errorf("%s launch %s: emulator instance %+v (found %v)", l.Wave, l.SourceServerID, in, ok)
			}
			if l.Wave == "db" {
				ips[l.EC2InstanceID] = l.PrivateIP
				if l.RequestTime.Before(*l.SettingsAppliedAt) {
					t.Errorf("db launch %s requested %v before its settings %v", l.SourceServerID, l.RequestTime, l.SettingsAppliedAt)
				}
			}
		}

		waves := h.waves(id)
		db, app := waves["db"], waves["app"]
		if db.Gate == nil || db.Gate.Status != plan.GatePassed {
			t.Fatalf("db gate %+v, want PASSED", db.Gate)
		}
		checks := checksOf(db.Gate)
		if len(checks) != 2 || checks[0].Kind != plan.CheckStatusChecks || !checks[0].OK || checks[0].Attempts < 2 ||
			checks[1] != (gateCheck{plan.CheckURL, true, 3, 200, "status 200"}) {
			t.Errorf("gate checks %+v; want statusChecks passed after several attempts, checkUrl after 3", checks)
		}
		if app.StartTime.Before(*db.Gate.EndTime) {
			t.Errorf("app started %v, before db's gate passed %v", app.StartTime, db.Gate.EndTime)
		}
		var failed []string
		for _, ev := range h.events(id) {
			if ev.Type == "gate_check_failed" {
				failed = append(failed, ev.Message)
			}
		}
		if len(failed) < 2 || !strings.Contains(strings.Join(failed, "\n"), "statusChecks: 3 of 3 instances not ok: i-") ||
			!strings.Contains(strings.Join(failed, "\n"), "initializing") {
			t.Errorf("gate_check_failed events %q; want the check URL's and the initializing instances", failed)
		}
		for _, r := range gs.requests("/gate") {
			got := map[string]string{}
			for _, in := range r.Instances {
				got[in.EC2InstanceID] = in.PrivateIP
			}
			if r.Wave != "db" || !cmp.Equal(ips, got) {
				t.Errorf("gate request of wave %s, instances %v; want db's %v", r.Wave, got, ips)
			}
		}
		t.Logf("gate %s, checks %+v; %d DescribeInstances, %d DescribeInstanceStatus, %d Apply calls",
			db.Gate.EndTime.Sub(db.Gate.StartTime), checks, e.calls.describeInstances, e.calls.instanceStatus, e.calls.applySettings)
		h.checkOnce(id, 1)
	})
}

// TestGateImpairedInstance fails a wave one of whose instances never
// passes its status checks; with "continue" the next wave goes on.
func TestGateImpairedInstance(t *testing.T) {
	isolateAWSEnv(t)
	synctest.Test(t, func(t *testing.T) {
		opts := linuxServers(10)
		opts.StatusCheckDelay = 5 * time.Minute
		h := newHarness(t, opts, 1)
		ws := chain(wave("db", 2), wave("app", 2))
		ws[0].HealthGate = &plan.HealthGate{StatusChecks: true, TimeoutMinutes: 10, IntervalSeconds: 30}
		ws[0].FailurePolicy = plan.FailureContinue
		id := h.start(plan.ModeRecovery, ws)
		e := h.engine("e1", h.withEC2)

		var bad string
		h.until(e, 500, func() bool {
			for _, l := range h.launches(id) {
				if l.Wave == "db" && l.Status == plan.LaunchLaunched {
					bad = l.EC2InstanceID
					return true
				}
			}
			return false
		})
		h.sim.SetInstanceImpaired(bad, true)

		// While the gate runs, the launches are read every attempt and
		// written only when something changed: never, once enriched.
		versions := func() map[string]int64 {
			out := map[string]int64{}
			for _, l := range h.launches(id) {
				if l.Wave == "db" {
					out[l.SourceServerID] = l.Version
				}
			}
			return out
		}
		h.until(e, 500, func() bool {
			if w := h.waves(id)["db"]; w.Gate == nil || w.Gate.Checks[0].Attempts < 2 {
				return false
			}
			for _, l := range h.launches(id) {
				if l.Wave == "db" && l.PrivateIP == "" {
					return false
				}
			}
			return true
		})
		before := versions()
		calls := e.calls.instanceStatus
		for range 12 {
			h.step(e, e.opts.PollMin)
		}
		if diff := cmp.Diff(before, versions()); diff != "" || e.calls.instanceStatus == calls {
			t.Errorf("%d attempts; launch versions mismatch (-before +after):\n%s", e.calls.instanceStatus-calls, diff)
		}
		ex := h.finish(e, id, 2000)

		waves := h.waves(id)
		db := waves["db"]
		want := "health gate: statusChecks: 1 of 2 instances not ok: " + bad + " (system impaired)"
		if db.Status != plan.WaveFailed || db.Error != want || db.Gate.Status != plan.GateFailed {
			t.Errorf("db %s %q gate %s; want FAILED with %q", db.Status, db.Error, db.Gate.Status, want)
		}
		if d := db.Gate.EndTime.Sub(db.Gate.StartTime); d < 10*time.Minute || d > 10*time.Minute+30*time.Second {
			t.Errorf("gate failed after %s, want its 10m timeout", d)
		}
		if waves["app"].Status != plan.WaveCompleted || ex.Status != plan.ExecPartial {
			t.Errorf("app %s, execution %s; want COMPLETED, PARTIAL", waves["app"].Status, ex.Status)
		}
		for _, l := range h.launches(id) {
			if l.Wave == "db" && l.InstanceState != "running" {
				t.Errorf("db launch %s state %q, want running", l.SourceServerID, l.InstanceState)
			}
		}
		// Attempts once per 30s: the outcome changed from initializing
		// to one impaired, then stayed.
		if n := eventTypes(h.events(id))["gate_check_failed"]; n < 2 || n > 4 {
			t.Errorf("%d gate_check_failed events, want 2 to 4 (one per change)", n)
		}
		t.Logf("%d DescribeInstanceStatus, %d DescribeInstances calls; gate_check_failed %d",
			e.calls.instanceStatus, e.calls.describeInstances, eventTypes(h.events(id))["gate_check_failed"])
		if n := e.calls.instanceStatus; n < 15 || n > 22 {
			t.Errorf("%d DescribeInstanceStatus calls, want one per 30s attempt over 10m (about 21)", n)
		}
	})
}
