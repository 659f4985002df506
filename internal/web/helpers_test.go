package web

import (
	"context"
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/drsorch/drsorch/internal/api"
	"github.com/drsorch/drsorch/internal/auth"
	"github.com/drsorch/drsorch/internal/auth/authtest"
	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/drssim"
	"github.com/drsorch/drsorch/internal/ec2"
	"github.com/drsorch/drsorch/internal/execution"
	"github.com/drsorch/drsorch/internal/launchcfg"
	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
	"github.com/drsorch/drsorch/internal/store/sqlitestore"
)

// env is the UI on a real SQLite store, the real DRS client talking to the
// emulator in-process, the execution service and the API's definitions.
type env struct {
	t     *testing.T
	store store.Store
	sim   *drssim.Sim
	drs   *drs.Client
	exec  *execution.Service
	api   *api.Server
	web   *Server
	logs  *strings.Builder
	// session is the value of an admin's session cookie, which serve
	// sends unless the request has a session cookie of its own.
	session string

	db, app plan.ProtectionGroup
	plan    plan.RecoveryPlan
}

// newEnv stores groups shop-db and shop-app (tag selectors of the
// emulator's shop application) and a plan "shop" of two waves, the second
// gated.
func newEnv(t *testing.T) *env {
	t.Helper()
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	ctx := t.Context()
	st, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "drsorch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sim := drssim.New(drssim.Options{Servers: 16, Seed: 1})
	client, err := drs.NewClient(ctx, drs.Config{Region: "us-east-1", Endpoint: "http://drs.test",
		HTTPClient: &http.Client{Transport: sim.Transport()}})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, store: st, sim: sim, drs: client, logs: &strings.Builder{}}
	log := slog.New(slog.NewTextHandler(e.logs, nil))
	e.exec = execution.New(execution.Options{Store: st, Logger: log,
		DRS: func(ctx context.Context, accountID, region string) (execution.DRS, error) { return client, nil }})
	lister := api.SourceServersFunc(func(ctx context.Context, accountID, region string) ([]drs.SourceServer, error) {
		return client.DescribeSourceServers(ctx, nil)
	})
	e.api = api.New(api.Options{Store: st, DRS: lister, DefaultRegion: "us-east-1", Executions: e.exec, Logger: log})
	e.web, err = New(Options{Store: st, Executions: e.exec, Definitions: e.api, Servers: lister,
		DefaultRegion: "us-east-1", Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	e.session = e.signIn(auth.RoleAdmin)

	for _, tier := range []string{"db", "app"} {
		g := plan.ProtectionGroup{Name: "shop-" + tier, Region: "us-east-1",
			ServerSelector: &plan.Selector{Tags: map[string]string{"app": "shop", "tier": tier}}}
		if err := e.api.CreateGroup(ctx, &g); err != nil {
			t.Fatal(err)
		}
		if tier == "db" {
			e.db = g
		} else {
			e.app = g
		}
	}
	e.plan = plan.RecoveryPlan{Name: "shop", RTOMinutes: 30, Waves: []plan.Wave{
		{Name: "database", ProtectionGroupIDs: []string{e.db.ID}},
		{Name: "application", ProtectionGroupIDs: []string{e.app.ID}, PauseBefore: true},
	}}
	if err := e.api.CreatePlan(ctx, &e.plan); err != nil {
		t.Fatal(err)
	}
	return e
}

// serversWith returns the emulator's servers carrying tag k=v, by ID.
func (e *env) serversWith(k, v string) []drssim.Server {
	var out []drssim.Server
	for _, s := range e.sim.Servers() {
		if s.Tags[k] == v {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// get fetches a page.
func (e *env) get(path string, cookies ...*http.Cookie) (*httptest.ResponseRecorder, doc) {
	e.t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	return e.serve(req)
}

// post submits a form.
func (e *env) post(path string, form url.Values) (*httptest.ResponseRecorder, doc) {
	e.t.Helper()
	if _, ok := form["_csrf"]; !ok && e.session != "" {
		f := url.Values{"_csrf": {auth.CSRFToken(e.session)}}
		for k, v := range form {
			f[k] = v
		}
		form = f
	}
	req := httptest.NewRequest("POST", path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return e.serve(req)
}

func (e *env) serve(req *http.Request) (*httptest.ResponseRecorder, doc) {
	e.t.Helper()
	if _, err := req.Cookie(auth.SessionCookie); err != nil && e.session != "" {
		req.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: e.session})
	}
	rec := httptest.NewRecorder()
	e.web.Handler().ServeHTTP(rec, req)
	return rec, doc(rec.Body.String())
}

// signIn opens a session of a new token of role and returns the value of
// its cookie.
func (e *env) signIn(role auth.Role) string {
	e.t.Helper()
	secret, _, _, err := auth.ForStore(e.store).SignIn(e.t.Context(), authtest.Token(e.t, e.store, role))
	if err != nil {
		e.t.Fatal(err)
	}
	return secret
}

// startDrill starts a drill of the env's plan through the service.
func (e *env) startDrill() string {
	e.t.Helper()
	res, err := e.exec.Start(e.t.Context(), e.plan.ID, plan.ModeDrill, nil, "test")
	if err != nil {
		e.t.Fatal(err)
	}
	return res.ExecutionID
}

// startRecovery starts a recovery of a plan of its own (the shop's web
// tier), beside the env's plan, and returns its ID.
func (e *env) startRecovery() string {
	e.t.Helper()
	ctx := e.t.Context()
	web := plan.ProtectionGroup{Name: "shop-web", Region: "us-east-1",
		ServerSelector: &plan.Selector{Tags: map[string]string{"app": "shop", "tier": "web"}}}
	if err := e.api.CreateGroup(ctx, &web); err != nil {
		e.t.Fatal(err)
	}
	p := plan.RecoveryPlan{Name: "shop-web", Waves: []plan.Wave{{Name: "web", ProtectionGroupIDs: []string{web.ID}}}}
	if err := e.api.CreatePlan(ctx, &p); err != nil {
		e.t.Fatal(err)
	}
	res, err := e.exec.Start(ctx, p.ID, plan.ModeRecovery, nil, "test")
	if err != nil {
		e.t.Fatal(err)
	}
	return res.ExecutionID
}

// doc is a page, or a part of one, as the templates wrote it. The helpers
// find elements by the stable ids and data attributes the templates give
// them; they rely on the templates' well-formed output, not on a general
// HTML parser.
type doc string

// has reports whether an element has the id.
func (d doc) has(id string) bool {
	return strings.Contains(string(d), ` id="`+html.EscapeString(id)+`"`)
}

// byID returns the element with the id, or "".
func (d doc) byID(id string) doc { return d.with("id", id) }

// with returns the first element whose attribute key is value, or "".
func (d doc) with(key, value string) doc {
	i := strings.Index(string(d), " "+key+`="`+html.EscapeString(value)+`"`)
	if i < 0 {
		return ""
	}
	return d.elementAt(i)
}

// each returns every element that has the attribute key, in order.
func (d doc) each(key string) []doc {
	var out []doc
	s := string(d)
	for off := 0; ; {
		i := strings.Index(s[off:], " "+key+`="`)
		if i < 0 {
			return out
		}
		out = append(out, d.elementAt(off+i))
		off += i + len(key) + 3
	}
}

// attrs returns the value of attribute key of every element having it.
func (d doc) attrs(key string) []string {
	var out []string
	for _, m := range regexp.MustCompile(` `+regexp.QuoteMeta(key)+`="([^"]*)"`).FindAllStringSubmatch(string(d), -1) {
		out = append(out, html.UnescapeString(m[1]))
	}
	return out
}

// attr returns the value of attribute key of the element d starts with.
func (d doc) attr(key string) string {
	end := strings.IndexByte(string(d), '>')
	if end < 0 {
		return ""
	}
	m := regexp.MustCompile(` ` + regexp.QuoteMeta(key) + `="([^"]*)"`).FindStringSubmatch(string(d[:end]))
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

var voidTags = map[string]bool{"input": true, "br": true, "meta": true, "link": true, "img": true, "hr": true}

// elementAt returns the element whose start tag contains offset i.
func (d doc) elementAt(i int) doc {
	s := string(d)
	start := strings.LastIndexByte(s[:i], '<')
	if start < 0 {
		return ""
	}
	name := s[start+1:]
	name = name[:strings.IndexAny(name, " >\n")]
	tagEnd := start + strings.IndexByte(s[start:], '>') + 1
	if voidTags[name] {
		return doc(s[start:tagEnd])
	}
	open := regexp.MustCompile(`<` + name + `[\s>]|</` + name + `>`)
	depth := 1
	for _, m := range open.FindAllStringIndex(s[tagEnd:], -1) {
		if strings.HasPrefix(s[tagEnd+m[0]:], "</") {
			depth--
		} else {
			depth++
		}
		if depth == 0 {
			return doc(s[start : tagEnd+m[1]])
		}
	}
	return doc(s[start:])
}

// text returns the text of d, tags removed and white space collapsed.
func (d doc) text() string {
	t := regexp.MustCompile(`<[^>]*>`).ReplaceAllString(string(d), " ")
	return strings.Join(strings.Fields(html.UnescapeString(t)), " ")
}

// fieldErrors returns the texts of the field errors inside d.
func (d doc) fieldErrors() []string {
	var out []string
	for _, p := range d.each("class") {
		if p.attr("class") == "field-error" {
			out = append(out, p.text())
		}
	}
	return out
}

// formValues returns what a browser would submit of the form with the
// id, pressing no button: its inputs (checkboxes only when checked), the
// selected option of each select (the first without one) and its
// textareas.
func (d doc) formValues(formID string) url.Values {
	form := string(d.byID(formID))
	v := url.Values{}
	for _, tag := range regexp.MustCompile(`<input[^>]*>`).FindAllString(form, -1) {
		in := doc(tag)
		name := in.attr("name")
		if name == "" {
			continue
		}
		typ := in.attr("type")
		if (typ == "checkbox" || typ == "radio") && !regexp.MustCompile(`\schecked[\s>]`).MatchString(tag) {
			continue
		}
		v.Add(name, in.attr("value"))
	}
	selects := regexp.MustCompile(`(?s)<select[^>]*>.*?</select>`)
	for _, sel := range selects.FindAllString(form, -1) {
		s := doc(sel)
		opts := regexp.MustCompile(`<option[^>]*>`).FindAllString(sel, -1)
		if len(opts) == 0 {
			continue
		}
		chosen := doc(opts[0]).attr("value")
		for _, o := range opts {
			if strings.Contains(o, " selected") {
				chosen = doc(o).attr("value")
			}
		}
		v.Add(s.attr("name"), chosen)
	}
	areas := regexp.MustCompile(`(?s)(<textarea[^>]*>)(.*?)</textarea>`)
	for _, m := range areas.FindAllStringSubmatch(form, -1) {
		v.Add(doc(m[1]).attr("name"), html.UnescapeString(m[2]))
	}
	return v
}

// withLaunchSettings serves the env's UI with the real launch settings
// service behind the API, its DRS and EC2 clients talking to the
// emulator in-process.
func (e *env) withLaunchSettings() {
	e.t.Helper()
	ec2c, err := ec2.NewClient(e.t.Context(), ec2.Config{Region: "us-east-1", Endpoint: "http://drs.test",
		HTTPClient: &http.Client{Transport: e.sim.Transport()}})
	if err != nil {
		e.t.Fatal(err)
	}
	settings := launchcfg.New(launchcfg.Options{
		DRS: func(ctx context.Context, accountID, region string) (launchcfg.DRS, error) { return e.drs, nil },
		EC2: func(ctx context.Context, accountID, region string) (launchcfg.EC2, error) { return ec2c, nil },
	})
	lister := e.web.servers
	e.api = api.New(api.Options{Store: e.store, DRS: lister, DefaultRegion: "us-east-1", Executions: e.exec,
		Settings: settings})
	e.web, err = New(Options{Store: e.store, Executions: e.exec, Definitions: e.api, Servers: lister,
		DefaultRegion: "us-east-1", Settings: e.api})
	if err != nil {
		e.t.Fatal(err)
	}
}
