package report

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"
)

//go:embed templates/*.tmpl
var templates embed.FS

var funcs = template.FuncMap{
	"fmtTime": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"fmtTimeP": func(t *time.Time) string {
		if t == nil {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"fmtDur": func(s *float64) string {
		if s == nil {
			return "—"
		}
		return FormatSeconds(*s)
	},
	"deref": func(b *bool) bool { return b != nil && *b },
	"join":  func(s []string) string { return strings.Join(s, ", ") },
}

var reportPage = template.Must(template.New("report.html.tmpl").Funcs(funcs).
	ParseFS(templates, "templates/report.html.tmpl"))

// WriteHTML writes r as one self-contained, printable HTML page: inline
// CSS, no script, no external resource. The page is rendered in full
// before anything is written, so a template error never leaves half a
// page.
func WriteHTML(w io.Writer, r *Report) error {
	def, err := json.MarshalIndent(struct {
		Plan   any `json:"plan"`
		Groups any `json:"groups"`
	}{r.Plan, r.Groups}, "", "  ")
	if err != nil {
		return fmt.Errorf("encode plan: %w", err)
	}
	var buf bytes.Buffer
	data := struct {
		*Report
		PlanJSON string
	}{r, string(def)}
	if err := reportPage.Execute(&buf, data); err != nil {
		return fmt.Errorf("render report: %w", err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// FormatSeconds renders a duration in seconds for people: "42s",
// "6m 05s", "1h 02m 03s".
func FormatSeconds(s float64) string {
	d := time.Duration(s * float64(time.Second)).Round(time.Second)
	h, m, sec := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	switch {
	case h > 0:
		return fmt.Sprintf("%dh %02dm %02ds", h, m, sec)
	case m > 0:
		return fmt.Sprintf("%dm %02ds", m, sec)
	}
	return fmt.Sprintf("%ds", sec)
}
