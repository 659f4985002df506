package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math"
	"strings"
)

// Chart geometry of TrendSVG, in pixels, and its colours.
const (
	svgWidth, svgHeight  = 640, 240
	svgLeft, svgRight    = 52, 16
	svgTop, svgBottom    = 16, 36
	svgPlotW, svgPlotH   = svgWidth - svgLeft - svgRight, svgHeight - svgTop - svgBottom
	svgGridLines         = 4
	svgPointRadius       = 4
	svgColorLine         = "#3467b0"
	svgColorAlert        = "#b3261e"
	svgColorNotCompleted = "#9aa3ad"
	svgColorRTO          = "#c77700"
	svgColorGrid         = "#e3e6ea"
	svgColorText         = "#5f6b7a"
)

// TrendSVG draws a trend as a standalone SVG document: total drill
// duration in minutes, one point per drill in order (a <circle
// class="drill"> each, red when it alerts, grey when the drill did not
// complete), the line through them, and the plan's RTO as a dashed line.
// It needs no script or external resource, so a page can inline it or
// link to it.
func TrendSVG(t *Trend) []byte {
	var b bytes.Buffer
	// The y axis, in minutes, leaves a tenth of headroom above the
	// highest point or the RTO, and is at least 10 minutes tall.
	top := 10.0
	for _, d := range t.Drills {
		top = math.Max(top, d.DurationSeconds/60*1.1)
	}
	if t.RTOMinutes > 0 {
		top = math.Max(top, float64(t.RTOMinutes)*1.1)
	}
	top = niceCeil(top)
	y := func(minutes float64) float64 { return svgTop + svgPlotH*(1-minutes/top) }
	x := func(i int) float64 {
		if len(t.Drills) <= 1 {
			return svgLeft + svgPlotW/2
		}
		return svgLeft + svgPlotW*float64(i)/float64(len(t.Drills)-1)
	}

	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`,
		svgWidth, svgHeight, svgWidth, svgHeight)
	b.WriteString("\n<title>")
	xml.EscapeText(&b, []byte(fmt.Sprintf("Drill durations of plan %s", t.PlanName)))
	b.WriteString("</title>\n")
	for i := 0; i <= svgGridLines; i++ {
		m := top * float64(i) / svgGridLines
		fmt.Fprintf(&b, `<line class="grid" x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="%s"/>`+"\n",
			svgLeft, svgWidth-svgRight, y(m), y(m), svgColorGrid)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" fill="%s">%s min</text>`+"\n",
			svgLeft-6, y(m)+4, svgColorText, trimFloat(m))
	}
	if t.RTOMinutes > 0 {
		ry := y(float64(t.RTOMinutes))
		fmt.Fprintf(&b, `<line class="rto" x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="%s" stroke-dasharray="6 4"/>`+"\n",
			svgLeft, svgWidth-svgRight, ry, ry, svgColorRTO)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" fill="%s">RTO %d min</text>`+"\n",
			svgWidth-svgRight, ry-4, svgColorRTO, t.RTOMinutes)
	}
	if len(t.Drills) == 0 {
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" fill="%s">no finished drills yet</text>`+"\n",
			svgLeft+svgPlotW/2, svgTop+svgPlotH/2, svgColorText)
	}
	if len(t.Drills) > 1 {
		var pts []string
		for i, d := range t.Drills {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(i), y(d.DurationSeconds/60)))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`+"\n",
			svgColorLine, strings.Join(pts, " "))
	}
	for i, d := range t.Drills {
		color := svgColorLine
		switch {
		case d.Alert:
			color = svgColorAlert
		case d.Status != "COMPLETED":
			color = svgColorNotCompleted
		}
		fmt.Fprintf(&b, `<circle class="drill" cx="%.1f" cy="%.1f" r="%d" fill="%s"><title>`,
			x(i), y(d.DurationSeconds/60), svgPointRadius, color)
		label := fmt.Sprintf("%s %s: %s (%s)", d.CreatedAt.UTC().Format("2006-01-02 15:04"),
			d.ExecutionID, FormatSeconds(d.DurationSeconds), d.Status)
		if d.Alert {
			label += " — " + d.AlertReason
		}
		xml.EscapeText(&b, []byte(label))
		b.WriteString("</title></circle>\n")
	}
	for i, d := range t.Drills {
		// Label the first and last drill only; more would overlap.
		if i != 0 && i != len(t.Drills)-1 {
			continue
		}
		anchor := "start"
		switch {
		case len(t.Drills) == 1:
			anchor = "middle"
		case i > 0:
			anchor = "end"
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="%s" fill="%s">%s</text>`+"\n",
			x(i), svgHeight-svgBottom+16, anchor, svgColorText, d.CreatedAt.UTC().Format("2006-01-02"))
	}
	b.WriteString("</svg>\n")
	return b.Bytes()
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func trimFloat(v float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.1f", v), "0"), ".")
}
