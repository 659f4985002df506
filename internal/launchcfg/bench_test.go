package launchcfg

import (
	"testing"

	"github.com/drsorch/drsorch/internal/plan"
)

// benchServers is the size of the benchmarks' inventory.
const benchServers = 500

func benchTargets(h *harness, instanceType string) []plan.SettingsTarget {
	g := group(h.servers, &plan.LaunchSettings{SubnetID: simSubnet2, SecurityGroupIDs: []string{simSGApp},
		InstanceType: instanceType, CopyPrivateIP: ptr(false), Tags: map[string]string{"Env": "dr"}}, nil)
	return plan.SettingsTargets(g, h.servers)
}

// BenchmarkApply applies settings to 500 servers against the in-process
// emulator: "changed" alternates the instance type so that every server
// gets a template version each time, "inline" applies what is already
// there (reads only).
func BenchmarkApply(b *testing.B) {
	for _, mode := range []string{"changed", "inline"} {
		b.Run(mode, func(b *testing.B) {
			h := newHarness(b, benchServers)
			ctx := b.Context()
			types := []string{"m6i.large", "m6i.xlarge"}
			if _, err := h.svc.Apply(ctx, "", simRegion, benchTargets(h, types[0])); err != nil {
				b.Fatal(err)
			}
			h.calls.take()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				typ := types[0]
				if mode == "changed" {
					typ = types[(i+1)%2]
				}
				res, err := h.svc.Apply(ctx, "", simRegion, benchTargets(h, typ))
				if err != nil {
					b.Fatal(err)
				}
				if res[0].Error != "" {
					b.Fatal(res[0].Error)
				}
			}
			b.StopTimer()
			reportCalls(b, h.calls.take())
		})
	}
}

// BenchmarkDrift reads back 500 servers' settings against the in-process
// emulator.
func BenchmarkDrift(b *testing.B) {
	h := newHarness(b, benchServers)
	ctx := b.Context()
	targets := benchTargets(h, "m6i.large")
	if _, err := h.svc.Apply(ctx, "", simRegion, targets); err != nil {
		b.Fatal(err)
	}
	h.calls.take()
	b.ResetTimer()
	for b.Loop() {
		got, err := h.svc.Drift(ctx, "", simRegion, targets)
		if err != nil {
			b.Fatal(err)
		}
		if len(got[0].Fields) != 0 || got[0].Error != "" {
			b.Fatalf("drift right after apply: %+v", got[0])
		}
	}
	b.StopTimer()
	reportCalls(b, h.calls.take())
}

func reportCalls(b *testing.B, ops map[string]int) {
	b.Helper()
	if b.N == 0 {
		return
	}
	per := float64(total(ops)) / float64(b.N) / benchServers
	b.ReportMetric(per, "calls/server")
	b.ReportMetric(float64(total(writes(ops)))/float64(b.N)/benchServers, "writes/server")
}
