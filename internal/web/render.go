package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
)

//go:embed all:templates
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pages holds one template set per page: the layout, the shared partials
// and the page's own files, so that pages may define the same blocks.
type pages struct {
	byName map[string]*template.Template
}

// parsePages parses every folder under templates/ as a page.
func parsePages() (*pages, error) {
	shared := []string{"templates/base.tmpl"}
	partials, err := fs.Glob(templateFS, "templates/_*.tmpl")
	if err != nil {
		return nil, err
	}
	shared = append(shared, partials...)
	entries, err := templateFS.ReadDir("templates")
	if err != nil {
		return nil, err
	}
	p := &pages{byName: map[string]*template.Template{}}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		files := append([]string{}, shared...)
		own, err := fs.Glob(templateFS, path.Join("templates", e.Name(), "*.tmpl"))
		if err != nil {
			return nil, err
		}
		files = append(files, own...)
		t, err := template.New("base.tmpl").Funcs(funcs).ParseFS(templateFS, files...)
		if err != nil {
			return nil, fmt.Errorf("parse page %s: %w", e.Name(), err)
		}
		p.byName[e.Name()] = t
	}
	return p, nil
}

// layout is what the base layout reads from every page's data.
type layout struct {
	Title string
	// Nav names the navigation entry to mark as current.
	Nav string
	// Notice is a success message carried across a redirect; Warnings
	// come with it.
	Notice   string
	Warnings []string
	// Error says why the action just tried failed.
	Error string
	// User and Role name who is signed in; empty on the sign-in page.
	User, Role string
}

// Layout returns l, so that every page's data, embedding a layout, gives
// the base template the same accessor.
func (l *layout) Layout() *layout { return l }

// render executes page (or one template of it, such as a fragment that
// live updates fetch) into a buffer and writes it with status: a template
// error becomes a clean 500, never half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, page, name string, data any) error {
	t := s.pages.byName[page]
	if t == nil {
		return fmt.Errorf("render: no page %q", page)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, data); err != nil {
		return fmt.Errorf("render %s/%s: %w", page, name, err)
	}
	out := fillCSRF(r, buf.Bytes())
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	w.WriteHeader(status)
	// A failed write means the client went away: nobody is left to tell.
	w.Write(out)
	return nil
}

// page renders a whole page through the base layout.
func (s *Server) page(w http.ResponseWriter, r *http.Request, status int, page string, data any) error {
	if fl := takeFlash(w, r); fl != nil {
		if l, ok := data.(interface{ Layout() *layout }); ok {
			l.Layout().Notice = fl.Notice
			l.Layout().Warnings = fl.Warnings
		}
	}
	if a := requestAuth(r.Context()); a != nil && a.ok {
		if l, ok := data.(interface{ Layout() *layout }); ok {
			l.Layout().User, l.Layout().Role = a.p.Name, string(a.p.Role)
		}
	}
	return s.render(w, r, status, page, "base.tmpl", data)
}

// errorPage is the data of the error page.
type errorPage struct {
	layout
	Status int
}

// renderError shows an error page; when even that fails, plain text.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	d := &errorPage{layout: layout{Title: http.StatusText(status), Error: msg}, Status: status}
	if err := s.render(w, r, status, "error", "base.tmpl", d); err != nil {
		s.log.ErrorContext(r.Context(), "error page failed", "error", err)
		http.Error(w, msg, status)
	}
}

// staticHandler serves the embedded script and style sheet. They change
// only with the binary, whose start time versions their URLs.
func staticHandler() http.Handler {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err) // the embed pattern guarantees the folder
	}
	files := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		files.ServeHTTP(w, r)
	})
}

// staticVersion is appended to static URLs so that a new binary's files
// are fetched anew despite the cache.
var staticVersion = fmt.Sprint(time.Now().Unix())

// funcs are the template functions every page may use.
var funcs = template.FuncMap{
	"static":       func(name string) string { return "/static/" + name + "?v=" + staticVersion },
	"time":         timeTag,
	"duration":     formatDuration,
	"seconds":      formatSeconds,
	"verdict":      verdict,
	"ec2URL":       ec2URL,
	"join":         strings.Join,
	"add":          func(a, b int) int { return a + b },
	"fieldID":      fieldID,
	"statusClass":  statusClass,
	"anchor":       anchor,
	"waveData":     waveData,
	"hookData":     hookData,
	"settingsData": settingsData,
	"gateData":     gateData,
	"gateOf":       gateOf,
	"controlData":  controlData,
	"pathEscape":   url.PathEscape,
	"list":         func(s ...string) []string { return s },
}

// timeTag renders a time for people: UTC in the page, converted to the
// viewer's zone by the script, and UTC in the title on hover either way.
// A nil or zero time renders as a dash.
func timeTag(v any) template.HTML {
	var t time.Time
	switch x := v.(type) {
	case time.Time:
		t = x
	case *time.Time:
		if x != nil {
			t = *x
		}
	}
	if t.IsZero() {
		return "–"
	}
	u := t.UTC()
	utc := u.Format("2006-01-02 15:04:05 UTC")
	return template.HTML(fmt.Sprintf(`<time datetime="%s" title="%s">%s</time>`,
		u.Format(time.RFC3339), utc, utc))
}

// formatDuration rounds d for people: seconds under ten minutes, minutes
// after.
func formatDuration(d time.Duration) string {
	switch {
	case d < 0:
		return "–"
	case d < 10*time.Minute:
		return d.Round(time.Second).String()
	}
	return d.Round(time.Minute).String()
}

// ec2URL links an EC2 instance to its page in the console of its region.
func ec2URL(region, instanceID string) string {
	return fmt.Sprintf("https://%s.console.aws.amazon.com/ec2/home?region=%s#InstanceDetails:instanceId=%s",
		region, region, instanceID)
}

// fieldID turns a validation field path such as waves[1].dependsOn[0]
// into an HTML id, f-waves-1-dependsOn-0, for labels and error links.
func fieldID(path string) string {
	var b strings.Builder
	b.WriteString("f-")
	dash := false
	for _, r := range path {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
		if ok {
			b.WriteRune(r)
			dash = false
		} else if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimRight(b.String(), "-")
}

// statusClass is the CSS class that colours a status.
func statusClass(status string) string {
	switch status {
	case "COMPLETED", "LAUNCHED", "CONTINUOUS", "TERMINATED", "PASSED":
		return "ok"
	case "FAILED", "CANCELLED", "DISCONNECTED":
		return "bad"
	case "PARTIAL", "STALLED", "AWAITING_APPROVAL", "PAUSED", "CANCELLING", "SKIPPED":
		return "warn"
	case "RUNNING", "LAUNCHING", "REQUESTED", "VERIFYING", "TERMINATING", "CHECKING":
		return "busy"
	}
	return ""
}
