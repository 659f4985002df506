package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/drssim"
	"github.com/drsorch/drsorch/internal/plan"
)

// TestExecutionReport runs a drill of the shop plan on the emulator and
// checks the report's values against the stored records.
func TestExecutionReport(t *testing.T) {
	isolateAWSEnv(t)
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, drssim.Options{Servers: 24, Seed: 7})
		p := e.shop(30)
		ex := e.run(p.ID, plan.ModeDrill, "alice")
		if ex.Status != plan.ExecCompleted {
			t.Fatalf("execution %s, want COMPLETED", ex.Status)
		}
		r, err := e.rep.Execution(e.ctx, ex.ID)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("total %s; waves %s, %s, %s", FormatSeconds(deref(r.DurationSeconds)),
			FormatSeconds(deref(r.Waves[0].DurationSeconds)), FormatSeconds(deref(r.Waves[1].DurationSeconds)),
			FormatSeconds(deref(r.Waves[2].DurationSeconds)))
		launches, err := e.st.ListLaunches(e.ctx, ex.ID)
		if err != nil {
			t.Fatal(err)
		}
		waves, err := e.st.ListWaves(e.ctx, ex.ID)
		if err != nil {
			t.Fatal(err)
		}

		type header struct {
			Mode, Status, StartedBy, PlanName string
			Servers, Launched, Waves          int
			Duration                          float64
			RTOMet                            bool
		}
		total := seconds(ex.EndTime.Sub(ex.CreatedAt))
		want := header{plan.ModeDrill, plan.ExecCompleted, "alice", "shop", 24, 24, 3, total, total <= 30*60}
		got := header{r.Mode, r.Status, r.StartedBy, r.PlanName, r.Servers, r.Launched, len(r.Waves),
			deref(r.DurationSeconds), r.RTOMet != nil && *r.RTOMet}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("report header mismatch (-want +got):\n%s", diff)
		}
		if r.RTOMet == nil {
			t.Error("rtoMet absent for a finished execution with an RTO")
		}
		if diff := cmp.Diff(ex.Plan, r.Plan); diff != "" {
			t.Errorf("frozen plan mismatch (-want +got):\n%s", diff)
		}

		for i, w := range waves {
			rw := r.Waves[i]
			if rw.Name != w.Name || rw.DurationSeconds == nil ||
				*rw.DurationSeconds != seconds(w.EndTime.Sub(*w.StartTime)) {
				t.Errorf("wave %s: duration %v, want %v", w.Name, rw.DurationSeconds, w.EndTime.Sub(*w.StartTime))
			}
			if *rw.DurationSeconds <= 0 {
				t.Errorf("wave %s: duration %v is not positive", w.Name, *rw.DurationSeconds)
			}
		}
		byID := map[string]ServerReport{}
		for _, w := range r.Waves {
			for _, s := range w.Servers {
				byID[s.SourceServerID] = s
			}
		}
		for _, l := range launches {
			s, ok := byID[l.SourceServerID]
			if !ok {
				t.Errorf("server %s missing from the report", l.SourceServerID)
				continue
			}
			wantLaunch := seconds(l.LaunchTime.Sub(*l.RequestTime))
			if s.LaunchSeconds == nil || *s.LaunchSeconds != wantLaunch || s.EC2InstanceID != l.EC2InstanceID {
				t.Errorf("server %s: launch %v instance %q, want %v %q", l.SourceServerID,
					s.LaunchSeconds, s.EC2InstanceID, wantLaunch, l.EC2InstanceID)
			}
			// On-demand snapshots: the point is the request, after the
			// execution was asked for, so nothing was lost.
			if s.PointInTimeSource != PointOnDemand || !s.PointInTime.Equal(*l.RequestTime) ||
				s.RPOSeconds == nil || *s.RPOSeconds != 0 {
				t.Errorf("server %s: point %v (%s), rpo %v", l.SourceServerID, s.PointInTime,
					s.PointInTimeSource, s.RPOSeconds)
			}
		}

		var csvBuf bytes.Buffer
		if err := WriteCSV(&csvBuf, r); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&csvBuf).ReadAll()
		if err != nil {
			t.Fatalf("parse csv: %v", err)
		}
		if diff := cmp.Diff(CSVHeader, rows[0]); diff != "" {
			t.Errorf("csv header mismatch (-want +got):\n%s", diff)
		}
		if len(rows)-1 != len(launches) {
			t.Fatalf("%d csv rows, want %d", len(rows)-1, len(launches))
		}
		col := map[string]int{}
		for i, h := range rows[0] {
			col[h] = i
		}
		for i, l := range launches {
			row := rows[i+1]
			got := []string{row[col["sourceServerId"]], row[col["wave"]], row[col["status"]],
				row[col["ec2InstanceId"]], row[col["launchSeconds"]]}
			want := []string{l.SourceServerID, l.Wave, l.Status, l.EC2InstanceID,
				csvNum(byID[l.SourceServerID].LaunchSeconds)}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("csv row %d mismatch (-want +got):\n%s", i+1, diff)
			}
		}

		var page bytes.Buffer
		if err := WriteHTML(&page, r); err != nil {
			t.Fatal(err)
		}
		html := page.String()
		for _, l := range launches {
			if !strings.Contains(html, l.SourceServerID) {
				t.Errorf("html lacks server %s", l.SourceServerID)
			}
		}
		for _, bad := range []string{"<script", "src=", "href=", "@import", "url("} {
			if strings.Contains(html, bad) {
				t.Errorf("html is not self-contained: it contains %q", bad)
			}
		}
		verdict := ">missed<"
		if *r.RTOMet {
			verdict = ">met<"
		}
		if !strings.Contains(html, "alice") || !strings.Contains(html, verdict) {
			t.Errorf("html lacks who started it or the RTO verdict %q", verdict)
		}

		// The JSON form carries the same values.
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		var back Report
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if back.Servers != 24 || len(back.Waves) != 3 || *back.Waves[1].DurationSeconds != *r.Waves[1].DurationSeconds {
			t.Errorf("json round trip lost values: %+v", back)
		}
	})
}

// TestBuildRPOFromSnapshot checks the RPO of a server recovered to a
// chosen snapshot, and that an unfinished execution decides no RTO.
func TestBuildRPOFromSnapshot(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	at := func(m int) *time.Time { v := t0.Add(time.Duration(m) * time.Minute); return &v }
	ex := &plan.Execution{ID: "ex-1", Mode: plan.ModeRecovery, Status: plan.ExecRunning,
		CreatedAt: t0, StartTime: at(0), Plan: plan.RecoveryPlan{RTOMinutes: 60,
			Waves: []plan.Wave{{Name: "a", DependsOn: []string{}}}}}
	waves := []plan.WaveRun{{Index: 0, Name: "a", Status: plan.WaveLaunching, StartTime: at(0)}}
	launches := []plan.Launch{
		{Wave: "a", SourceServerID: "s-1", Status: plan.LaunchLaunched, PointInTime: at(-25),
			RequestTime: at(1), LaunchTime: at(7)},
		{Wave: "a", SourceServerID: "s-2", Status: plan.LaunchLaunching, RequestTime: at(1)},
		{Wave: "a", SourceServerID: "s-3", Status: plan.LaunchPending},
	}
	r := Build(ex, waves, launches, t0)
	type row struct {
		ID, Source string
		RPO        *float64
		Launch     *float64
	}
	var got []row
	for _, s := range r.Waves[0].Servers {
		got = append(got, row{s.SourceServerID, s.PointInTimeSource, s.RPOSeconds, s.LaunchSeconds})
	}
	want := []row{
		{"s-1", PointSnapshot, ptr(25 * 60.0), ptr(6 * 60.0)},
		{"s-2", PointOnDemand, ptr(0.0), nil},
		{"s-3", "", nil, nil},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("servers mismatch (-want +got):\n%s", diff)
	}
	if r.RTOMet != nil || r.DurationSeconds != nil || r.Waves[0].DurationSeconds != nil {
		t.Errorf("a running execution decided rto %v duration %v", r.RTOMet, r.DurationSeconds)
	}
	if r.MaxRPOSeconds == nil || *r.MaxRPOSeconds != 25*60 {
		t.Errorf("max rpo %v, want 1500", r.MaxRPOSeconds)
	}
}

func ptr[T any](v T) *T { return &v }

func deref(v *float64) float64 {
	if v == nil {
		return -1
	}
	return *v
}
