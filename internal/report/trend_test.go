package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/drssim"
	"github.com/drsorch/drsorch/internal/plan"
)

// drillsOf makes points of the given durations in minutes; a negative
// one is a FAILED drill of that length.
func drillsOf(minutes ...float64) []DrillPoint {
	t0 := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	var out []DrillPoint
	for i, m := range minutes {
		st := plan.ExecCompleted
		if m < 0 {
			st, m = plan.ExecFailed, -m
		}
		out = append(out, DrillPoint{ExecutionID: fmt.Sprintf("ex-%d", i), Status: st,
			CreatedAt: t0.AddDate(0, i, 0), DurationSeconds: m * 60})
	}
	return out
}

func TestAlerts(t *testing.T) {
	tests := []struct {
		name    string
		minutes []float64
		opts    TrendOptions
		alerts  []int     // indexes that alert
		base    []float64 // baseline of the last point in minutes, 0 for none
	}{
		{name: "steady drills never alert", minutes: []float64{30, 31, 29, 30, 32, 30}, alerts: nil, base: []float64{30}},
		{name: "too few earlier drills", minutes: []float64{30, 30, 90}, alerts: nil, base: []float64{0}},
		{name: "just over the margin", minutes: []float64{30, 30, 30, 36.1}, alerts: []int{3}, base: []float64{30}},
		{name: "exactly the margin is no alert", minutes: []float64{30, 30, 30, 36}, alerts: nil, base: []float64{30}},
		{name: "median of the previous five only", minutes: []float64{100, 100, 100, 10, 10, 10, 10, 10, 13},
			alerts: []int{8}, base: []float64{10}},
		{name: "one slow drill among five does not move the median",
			minutes: []float64{20, 20, 20, 60, 20, 23}, alerts: []int{3}, base: []float64{20}},
		{name: "failed drills neither alert nor count", minutes: []float64{30, 30, 30, -90, 31},
			alerts: nil, base: []float64{30}},
		{name: "a wider margin", minutes: []float64{30, 30, 30, 40}, opts: TrendOptions{Margin: 0.5},
			alerts: nil, base: []float64{30}},
		{name: "a narrower margin", minutes: []float64{30, 30, 30, 34}, opts: TrendOptions{Margin: 0.1},
			alerts: []int{3}, base: []float64{30}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pts := drillsOf(tt.minutes...)
			Alerts(pts, tt.opts)
			var got []int
			for i, p := range pts {
				if p.Alert {
					got = append(got, i)
					if p.AlertReason == "" {
						t.Errorf("drill %d alerts without a reason", i)
					}
				}
			}
			if diff := cmp.Diff(tt.alerts, got); diff != "" {
				t.Errorf("alerting drills mismatch (-want +got):\n%s", diff)
			}
			last := pts[len(pts)-1]
			b := 0.0
			if last.BaselineSeconds != nil {
				b = *last.BaselineSeconds / 60
			}
			if diff := cmp.Diff(tt.base, []float64{b}); diff != "" {
				t.Errorf("baseline mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// svgShape is what TestTrendSVG reads of the chart.
type svgShape struct {
	circles, alerts, rtoLines int
}

func parseSVG(t *testing.T, b []byte) svgShape {
	t.Helper()
	var s svgShape
	d := xml.NewDecoder(bytes.NewReader(b))
	root := ""
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, b)
		}
		el, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if root == "" {
			root = el.Name.Space + " " + el.Name.Local
		}
		attr := map[string]string{}
		for _, a := range el.Attr {
			attr[a.Name.Local] = a.Value
		}
		switch {
		case el.Name.Local == "circle" && attr["class"] == "drill":
			s.circles++
			if attr["fill"] == svgColorAlert {
				s.alerts++
			}
		case el.Name.Local == "line" && attr["class"] == "rto":
			s.rtoLines++
		}
	}
	if root != "http://www.w3.org/2000/svg svg" {
		t.Errorf("root element %q, want svg in the SVG namespace", root)
	}
	return s
}

func TestTrendSVG(t *testing.T) {
	tests := []struct {
		name    string
		minutes []float64
		rto     int
		want    svgShape
	}{
		{"no drills", nil, 60, svgShape{0, 0, 1}},
		{"one drill", []float64{30}, 0, svgShape{1, 0, 0}},
		{"an alert", []float64{30, 30, 30, 45, 31}, 40, svgShape{5, 1, 1}},
		{"many drills", []float64{10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21}, 15, svgShape{12, 4, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pts := drillsOf(tt.minutes...)
			Alerts(pts, TrendOptions{})
			tr := &Trend{PlanName: `shop <&> "x"`, RTOMinutes: tt.rto, Drills: pts}
			got := parseSVG(t, TrendSVG(tr))
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(svgShape{})); diff != "" {
				t.Errorf("chart mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTrendOfDrills runs three drills and a recovery of one plan on the
// emulator: the trend holds the drills only, oldest first, with their
// durations.
func TestTrendOfDrills(t *testing.T) {
	isolateAWSEnv(t)
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, drssim.Options{Servers: 16, Seed: 3})
		p := e.shop(0)
		var want []string
		for i := range 4 {
			mode := plan.ModeDrill
			if i == 2 {
				mode = plan.ModeRecovery
			}
			ex := e.run(p.ID, mode, "bob")
			if mode == plan.ModeDrill {
				want = append(want, ex.ID)
			}
			time.Sleep(time.Hour)
		}
		tr, err := e.rep.Trend(e.ctx, p.ID, 0, TrendOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, d := range tr.Drills {
			got = append(got, d.ExecutionID)
			if d.DurationSeconds != seconds(d.EndTime.Sub(d.CreatedAt)) || len(d.Waves) != 3 {
				t.Errorf("drill %s: duration %v, %d waves", d.ExecutionID, d.DurationSeconds, len(d.Waves))
			}
			for _, w := range d.Waves {
				if w.DurationSeconds == nil || *w.DurationSeconds <= 0 {
					t.Errorf("drill %s wave %s: duration %v", d.ExecutionID, w.Name, w.DurationSeconds)
				}
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("drills mismatch (-want +got):\n%s", diff)
		}
		if tr.MarginPercent != 20 || tr.Window != 5 {
			t.Errorf("margin %v%% window %d, want the defaults 20%% and 5", tr.MarginPercent, tr.Window)
		}
		if got := parseSVG(t, TrendSVG(tr)); got.circles != 3 {
			t.Errorf("chart has %d drill points, want 3", got.circles)
		}
	})
}
