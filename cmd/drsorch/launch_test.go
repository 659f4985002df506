package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/drsorch/drsorch/internal/api"
	"github.com/drsorch/drsorch/internal/execution"
	"github.com/drsorch/drsorch/internal/plan"
)

// TestLaunchSettingsCommands runs the launch settings commands against the
// demo as a user would: drift finds the sample settings unapplied (exit
// 1), apply-launch-settings writes them, drift then passes (exit 0), and
// tag-sync copies tags. A drill then shows the health gates passing and
// the launches enriched from EC2, the static IP among them.
func TestLaunchSettingsCommands(t *testing.T) {
	d, url := startDemo(t, fastDemo(t, t.TempDir()))
	ctx := t.Context()
	var out, errOut bytes.Buffer
	exitCode := func(err error) int {
		var ee exitError
		switch {
		case err == nil:
			return 0
		case errors.As(err, &ee):
			return ee.code
		}
		t.Fatalf("error %v\nstdout:\n%s\nstderr:\n%s", err, &out, &errOut)
		return -1
	}

	// Unapplied: every shop server drifts.
	if code := exitCode(runDrift(ctx, []string{"--server", url}, &out, &errOut)); code != 1 {
		t.Fatalf("drift before apply: exit %d, want 1\n%s%s", code, &out, &errOut)
	}
	for _, want := range []string{"GROUP", "SERVER", "FIELD", "WANT", "GOT", "shop-db", "subnetId",
		"subnet-0e5a1d00000000011", "privateIp", demoStaticIP, "3 groups checked: 8 servers drifted"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("drift output lacks %q:\n%s", want, &out)
		}
	}
	out.Reset()
	if code := exitCode(runDrift(ctx, []string{"--group", "shop-db", "--json", "--server", url}, &out, &errOut)); code != 1 {
		t.Fatalf("drift --json: exit %d, want 1", code)
	}
	var drifts []api.GroupDrift
	if err := json.Unmarshal(out.Bytes(), &drifts); err != nil {
		t.Fatalf("drift --json: %v\n%s", err, &out)
	}
	if len(drifts) != 1 || drifts[0].Drifted != len(drifts[0].Servers) || drifts[0].Drifted == 0 {
		t.Errorf("drift --json: %+v", drifts)
	}

	// Readiness shows the drift as warnings.
	out.Reset()
	exitCode(runReadiness(ctx, []string{"--refresh", "--server", url}, &out, &errOut))
	if !strings.Contains(out.String(), "8 warnings") || !strings.Contains(out.String(), "warning launch_settings_drift: source server") {
		t.Errorf("readiness output lacks the drift warnings:\n%s", &out)
	}

	for _, g := range demoGroups {
		out.Reset()
		if err := runApplyLaunchSettings(ctx, []string{"shop-" + g, "--server", url}, &out, &errOut); err != nil {
			t.Fatalf("apply-launch-settings shop-%s: %v\n%s%s", g, err, &out, &errOut)
		}
		if !strings.Contains(out.String(), "SERVER") || !strings.Contains(out.String(), "0 failed") {
			t.Errorf("apply-launch-settings shop-%s output:\n%s", g, &out)
		}
	}
	out.Reset()
	if code := exitCode(runDrift(ctx, []string{"--server", url}, &out, &errOut)); code != 0 {
		t.Fatalf("drift after apply: exit %d, want 0\n%s", code, &out)
	}
	if !strings.Contains(out.String(), "every server in line") {
		t.Errorf("drift after apply:\n%s", &out)
	}

	out.Reset()
	if err := runTagSync(ctx, []string{"--region", demoRegion, "--server", url}, &out, &errOut); err != nil {
		t.Fatalf("tag-sync: %v\n%s%s", err, &out, &errOut)
	}
	if !strings.Contains(out.String(), "us-east-1: 24 source servers") {
		t.Errorf("tag-sync output: %s", &out)
	}
	for _, bad := range [][]string{{"--server", url}, {"--region", demoRegion, "--account", "12", "--server", url}} {
		errOut.Reset()
		if err := runTagSync(ctx, bad, &out, &errOut); err == nil {
			t.Errorf("tag-sync %v: no error", bad)
		}
	}
	if err := runApplyLaunchSettings(ctx, []string{"nosuch", "--server", url}, &out, &errOut); err == nil ||
		!strings.Contains(err.Error(), `no protection group named "nosuch"`) {
		t.Errorf("apply-launch-settings nosuch: %v", err)
	}

	// A drill: gates pass, launches are enriched.
	out.Reset()
	if err := runRun(ctx, []string{"shop", "--mode", "drill", "--wait", "--server", url}, &out, &errOut); err != nil {
		t.Fatalf("run: %v\n%s%s", err, &out, &errOut)
	}
	id, _, _ := strings.Cut(out.String(), "\n")
	var v execution.View
	getJSON(t, url+"/api/v1/executions/"+id, &v)
	gates := map[string]string{}
	for _, w := range v.Waves {
		if w.Gate != nil {
			var kinds []string
			for _, c := range w.Gate.Checks {
				if !c.OK || c.PassedAt == nil {
					t.Errorf("wave %s: check %+v did not pass", w.Name, c)
				}
				if c.Kind == plan.CheckURL && c.StatusCode != 200 {
					t.Errorf("wave %s: check URL answered %d", w.Name, c.StatusCode)
				}
				kinds = append(kinds, c.Kind)
			}
			gates[w.Name] = w.Gate.Status + " " + strings.Join(kinds, ",")
		}
		for _, l := range w.Servers {
			if l.SettingsAppliedAt == nil || l.PrivateIP == "" || l.SubnetID != demoNetwork[tierOfWave(w.Name)].subnet ||
				l.InstanceType == "" {
				t.Errorf("launch of %s in wave %s: applied %v, ip %q, subnet %q, type %q; want settings applied and EC2 details",
					l.SourceServerID, w.Name, l.SettingsAppliedAt, l.PrivateIP, l.SubnetID, l.InstanceType)
			}
			if w.Name == "application" && l.InstanceType != "m6i.large" {
				t.Errorf("app launch %s: instance type %q, want m6i.large", l.SourceServerID, l.InstanceType)
			}
		}
	}
	want := map[string]string{"database": "PASSED statusChecks", "application": "PASSED checkUrl"}
	if len(gates) != 2 || gates["database"] != want["database"] || gates["application"] != want["application"] {
		t.Errorf("gates %v, want %v", gates, want)
	}
	static := false
	for _, w := range v.Waves {
		for _, l := range w.Servers {
			static = static || l.PrivateIP == demoStaticIP
		}
	}
	if !static {
		t.Errorf("no launch came up at the static IP %s", demoStaticIP)
	}
	if d.gate.calls.Load() == 0 {
		t.Error("the demo's check endpoint was never called")
	}
}

// tierOfWave names the tier the demo plan's wave recovers.
func tierOfWave(wave string) string {
	switch wave {
	case "database":
		return "db"
	case "application":
		return "app"
	}
	return wave
}

// TestExampleMatchesDemo applies examples/shop.yaml to a demo of the
// default inventory: its groups, launch settings and static IP included,
// are the demo's own, and only the plan changes.
func TestExampleMatchesDemo(t *testing.T) {
	cfg := fastDemo(t, t.TempDir())
	cfg.Servers = 60
	_, url := startDemo(t, cfg)
	code, out, errs := runCLI(t, "apply", "-f", "../../examples/shop.yaml", "--server", url)
	want := []string{
		"protection-group/shop-db unchanged",
		"protection-group/shop-app unchanged",
		"protection-group/shop-web unchanged",
		"recovery-plan/shop updated",
	}
	if code != 0 || strings.Join(out, "\n") != strings.Join(want, "\n") {
		t.Errorf("apply: exit %d, stdout %q, stderr %q; want %q", code, out, errs, want)
	}
}
