package web

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/drsorch/drsorch/internal/api"
	"github.com/drsorch/drsorch/internal/auth"
	"github.com/drsorch/drsorch/internal/auth/authtest"
	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/drssim"
	"github.com/drsorch/drsorch/internal/ec2"
	"github.com/drsorch/drsorch/internal/engine"
	"github.com/drsorch/drsorch/internal/execution"
	"github.com/drsorch/drsorch/internal/launchcfg"
	"github.com/drsorch/drsorch/internal/store/sqlitestore"
)

var updateScreenshot = flag.Bool("update-screenshot", false,
	"write the execution page's screenshot to docs/execution.png for the README")

// chromiumPath is Debian's chromium, which .ci/run installs.
const chromiumPath = "/usr/bin/chromium"

// browserScale is the emulator's time scale in the browser test: a launch
// job of about five emulated minutes takes half a second, long enough to watch
// a wave come up live, short enough for a quick test.
const browserScale = 600

// startApp serves the whole application, API and UI, on a loopback port
// with the engine running against the in-process emulator.
// startApp serves the API and the UI on a port of 127.0.0.1 and returns
// its base URL, the emulator, an admin token to sign in with, and a
// drill-operator's.
func startApp(t *testing.T) (string, *drssim.Sim, string, string) {
	t.Helper()
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	ctx := context.Background()
	st, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "drsorch.db"))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(&testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	sim := drssim.New(drssim.Options{Servers: 16, Seed: 1, TimeScale: browserScale})
	clients := drs.NewClients(ctx, drs.Config{Region: "us-east-1", Endpoint: "http://drssim.local",
		HTTPClient: &http.Client{Transport: sim.Transport()}, Logger: log})
	// The same emulator answers EC2 beside DRS, for the launch settings
	// and what the engine learns of recovery instances.
	ec2s := ec2.NewClients(clients, ec2.Config{Region: "us-east-1", Endpoint: "http://drssim.local",
		HTTPClient: &http.Client{Transport: sim.Transport()}, Logger: log})
	settingsOpts := launchcfg.FromClients(clients, ec2s)
	settingsOpts.Logger = log
	settings := launchcfg.New(settingsOpts)
	emulated := func(d time.Duration) time.Duration { return d / browserScale }
	eng := engine.New(engine.Options{Store: st, DRS: engine.FromClients(clients), Owner: "browser-test",
		Logger: log, PollMin: 50 * time.Millisecond, PollMax: 200 * time.Millisecond,
		ExpectedJobDuration: emulated(5 * time.Minute), StuckTimeout: emulated(time.Hour),
		EC2: engine.FromEC2Clients(ec2s), Settings: settings})
	svc := execution.New(execution.Options{Store: st, DRS: execution.Clients(clients.For), Logger: log})
	lister := api.SourceServersFunc(func(ctx context.Context, account, region string) ([]drs.SourceServer, error) {
		c, err := clients.For(ctx, account, region)
		if err != nil {
			return nil, err
		}
		return c.DescribeSourceServers(ctx, nil)
	})
	a := api.New(api.Options{Store: st, DRS: lister, DefaultRegion: "us-east-1", Executions: svc, Logger: log,
		Settings: settings})
	ui, err := New(Options{Store: st, Executions: svc, Definitions: a, Servers: lister,
		DefaultRegion: "us-east-1", Logger: log, Settings: a})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/", a.Handler())
	mux.Handle("/", ui.Handler())

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	engCtx, stopEngine := context.WithCancel(ctx)
	eng.Start(engCtx)
	go srv.Serve(ln)
	t.Cleanup(func() {
		// Event streams stay open; closing ends them.
		srv.Close()
		stopEngine()
		eng.Stop()
		st.Close()
	})
	return "http://" + ln.Addr().String(), sim, authtest.AdminToken(t, st),
		authtest.Token(t, st, auth.RoleDrillOperator)
}

// formClient returns an HTTP client signed in with token, as a browser
// without JavaScript would be.
func formClient(t *testing.T, base, token, page string) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	resp, err := c.PostForm(base+"/signin", url.Values{"token": {token}, "next": {page}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Request.URL.Path != page {
		t.Fatalf("sign in without JavaScript: status %d at %s", resp.StatusCode, resp.Request.URL)
	}
	return c
}

// csrfOf reads the CSRF token from a page's forms, as a browser submits it.
func csrfOf(t *testing.T, c *http.Client, page string) string {
	t.Helper()
	resp, err := c.Get(page)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("no CSRF token on %s", page)
	}
	return string(m[1])
}

// testWriter sends log lines to the test log.
type testWriter struct{ t *testing.T }

func (w *testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// newBrowser starts a headless chromium for the test, or skips the test
// when there is none, except in CI, which must have it.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("chromium is required in CI: %v (.ci/run installs Debian's chromium)", err)
		}
		t.Skipf("no browser: %v", err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		// Both tabs of the test stay live while the other is in front.
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
		// A zone other than UTC, to see times converted for the viewer.
		chromedp.Env("TZ=Europe/Paris"),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithErrorf(t.Logf))
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	// The first run starts the browser; it must not carry a timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// artifacts returns the folder for the test's screenshots.
func artifacts(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("DRSORCH_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	dir = filepath.Join(dir, "web")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// browser drives one tab with a deadline per step and saves screenshots.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string
	dir  string
}

// do runs steps with a deadline; a failure ends the test with a
// screenshot of where it stood.
func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.fail(what, err)
	}
}

// fail ends the test with what the page shows, and its screenshot.
func (b *browser) fail(what string, err error) {
	b.t.Helper()
	b.shot("failed-" + strings.ReplaceAll(what, " ", "-"))
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	body, _ := chromedp.Run(ctx, chromedp.Evaluate[string]("document.body ? document.body.innerText : ''"))
	b.t.Fatalf("%s: %v\nat %s:\n%s", what, err, loc, body)
}

// eval returns the value of a JavaScript expression on the page.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// wait waits until a JavaScript expression is true. It asks again and
// again from Go rather than polling inside the page, so that it survives
// the page navigating away, as a form's submission does.
func (b *browser) wait(what, expr string, timeout time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(b.ctx, time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+expr+")"))
		cancel()
		if err == nil && ok {
			return
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	b.fail(what, fmt.Errorf("not true after %v (last error %v): %s", timeout, last, expr))
}

// shot saves a screenshot of the whole page as name.png.
func (b *browser) shot(name string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Errorf("screenshot %s: %v", name, err)
		return ""
	}
	path := filepath.Join(b.dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	return path
}

// open navigates to a path of the app and waits for its main element.
func (b *browser) open(path string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(b.base+path), chromedp.WaitReady(chromedp.ID("main")))
}

// submit clicks a button and waits for the page it leads to.
func (b *browser) submit(what string, button string, then chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	b.do(what, chromedp.Evaluate[chromedp.Void](`window.__page = "old"`), chromedp.Click(chromedp.CSS(button)))
	b.wait(what+": new page", `window.__page !== "old" && document.readyState === "complete"`, 10*time.Second)
	if then != nil {
		b.do(what+": wait", then)
	}
}

// id selects the element with an id, which may hold dots, unlike in
// chromedp.ID's CSS.
func id(v string) chromedp.CSS { return chromedp.CSS(fmt.Sprintf("[id=%q]", v)) }

// press clicks the button with the id in one step of the page's own, so
// that a live update cannot replace the button between finding it and
// clicking it.
func press(id string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.getElementById(%q).click()`, id))
}

// checkGroup checks, in wave i of the plan editor, only the group named
// name.
func checkGroup(i int, name string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`[...document.querySelectorAll('input[name="w%d.groups"]')]
		.forEach(c => { c.checked = c.parentElement.textContent.includes(%q) })`, i, name))
}

// launchedIn is a condition: n servers of wave show an EC2 instance.
func launchedIn(wave string, n int) string {
	return fmt.Sprintf(`document.querySelectorAll('section[data-wave=%q] a.ec2').length === %d`, wave, n)
}

// waiting is a condition: wave waits for its approval.
func waiting(wave string) string {
	return fmt.Sprintf(`document.querySelector('#timeline li[data-wave=%q]').dataset.status === "AWAITING_APPROVAL"`, wave)
}

// sameLoad fails the test when the page was loaded again since marker
// was set in it: it was to update live.
func (b *browser) sameLoad(marker string) {
	b.t.Helper()
	if got := eval[string](b, "window.__marker"); got != marker {
		b.t.Fatalf("the page reloaded instead of updating live (marker %q, want %q)", got, marker)
	}
}

// fill sets the value of inputs by id.
func fill(fields ...string) chromedp.Action[chromedp.Void] {
	var steps []chromedp.Action[chromedp.Void]
	for i := 0; i+1 < len(fields); i += 2 {
		steps = append(steps, chromedp.SetValue(id(fields[i]), fields[i+1]))
	}
	return chromedp.Steps(steps...)
}

// TestBrowser uses the UI as an operator would, in headless chromium
// against the whole application: groups and a plan made through the
// forms, a group's launch settings saved, applied and read back in line,
// a validation error shown at its field, a drill watched live until every
// server has an EC2 instance with what EC2 says of it, the gated wave
// approved, and the drill cleaned up.
func TestBrowser(t *testing.T) {
	ctx := newBrowser(t)
	base, sim, token, operator := startApp(t)
	b := &browser{t: t, ctx: ctx, base: base, dir: artifacts(t)}
	t.Logf("screenshots in %s", b.dir)
	start := time.Now()

	// Signed out, every page leads to the sign-in form; a wrong token is
	// refused there, the right one signs in.
	b.open("/groups")
	if got := eval[string](b, "location.pathname"); got != "/signin" {
		t.Fatalf("signed out, /groups went to %s", got)
	}
	b.shot("signin")
	b.do("type a wrong token", fill("token", "drs_wrong"))
	b.submit("sign in wrongly", "#signin", chromedp.WaitVisible(chromedp.ID("page-error")))
	b.do("type the token", fill("token", token))
	b.submit("sign in", "#signin", chromedp.WaitVisible(chromedp.ID("signout")))
	if got := eval[string](b, "location.pathname"); got != "/groups" {
		t.Errorf("signed in at %s, want /groups", got)
	}
	b.open("/")
	b.shot("overview-empty")

	// Three groups through the form, the first previewed before saving.
	tiers := []string{"db", "app", "web"}
	for _, tier := range tiers {
		b.open("/groups/new")
		b.do("fill group "+tier, fill("name", "shop-"+tier, "tagKey0", "app", "tagValue0", "shop",
			"tagKey1", "tier", "tagValue1", tier))
		if tier == "db" {
			b.submit("preview group", "#preview-button", chromedp.WaitVisible(chromedp.ID("preview")))
			if got := eval[int](b, `document.querySelectorAll("#preview li[data-server]").length`); got != 2 {
				t.Errorf("preview of shop-db lists %d servers, want 2", got)
			}
			b.shot("group-preview")
		}
		b.submit("save group "+tier, "#save-group", chromedp.WaitVisible(chromedp.ID("page-notice")))
	}
	b.open("/groups")
	b.shot("groups")

	// Launch settings of a group of its own, through the form: saved,
	// applied, shown per server with what was written, and in line when
	// read back.
	var crmDB []string
	for _, srv := range sim.Servers() {
		if srv.Tags["app"] == "crm" && srv.Tags["tier"] == "db" {
			crmDB = append(crmDB, srv.ID)
		}
	}
	b.open("/groups/new")
	b.do("fill launch settings", fill("name", "crm-db", "moreServers", strings.Join(crmDB, " "),
		"ls.subnetId", "subnet-0e5a1d00000000011", "ls.securityGroupIds", "sg-0e5a1d00000000022",
		"ls.instanceType", "r6i.large", "ls.tags", "env=dr\nowner=team-crm",
		"o0.server", crmDB[0], "o0.privateIp", "10.10.1.50"),
		chromedp.SetValue(id("ls.copyTags"), "true"), chromedp.Click(id("applyLaunchSettings")))
	b.submit("save and apply", "#save-group", chromedp.WaitVisible(chromedp.ID("page-notice")))
	if n := eval[string](b, `document.getElementById("page-notice").textContent`); !strings.Contains(n, "applied to 2 servers: 2 changed") {
		t.Errorf("notice after saving with apply: %q", n)
	}
	if got := eval[int](b, `[...document.querySelectorAll("#settings tr[data-server] td.changed")]
		.filter(td => td.textContent.includes("subnetId")).length`); got != 2 {
		t.Errorf("%d servers show their subnet written, want 2", got)
	}
	b.shot("group-launch-settings")
	b.submit("check drift", "#check-drift", chromedp.WaitVisible(chromedp.ID("drift-checked")))
	if !eval[bool](b, `!!document.getElementById("drift-none")`) {
		t.Errorf("drift after applying: %s", eval[string](b, `document.getElementById("drift").innerText`))
	}
	b.shot("group-drift")
	b.open("/servers?tag=app%3Dshop")
	b.shot("servers")

	// A plan of three waves, the last two gated; saving it with a wave of
	// no group shows the error at that wave's groups.
	b.open("/plans/new")
	b.do("name the plan", fill("name", "shop", "rtoMinutes", "30", "w0.name", "database"))
	b.do("check the db group", checkGroup(0, "shop-db"))
	for i, name := range []string{"application", "web"} {
		w := fmt.Sprintf("w%d.", i+1)
		b.submit("add a wave", "#add-wave", chromedp.WaitVisible(id(w+"name")))
		b.do("name the wave", fill(w+"name", name), chromedp.Click(id(w+"pause")))
	}
	b.do("check the web group", checkGroup(2, "shop-web"))
	b.submit("save without groups", "#save-plan", chromedp.WaitVisible(chromedp.ID("f-summary")))
	msg := eval[string](b, `(document.querySelector("#f-waves-1-protectionGroupIds .field-error") || {}).textContent || ""`)
	if !strings.Contains(msg, `wave "application" has no protection group`) {
		t.Fatalf("error at waves[1].protectionGroupIds: %q", msg)
	}
	b.shot("plan-validation")
	b.do("check the app group", checkGroup(1, "shop-app"))
	b.submit("save the plan", "#save-plan", chromedp.WaitVisible(chromedp.ID("start-drill")))
	b.shot("plan")
	planURL := eval[string](b, "location.pathname")
	b.open(planURL + "/edit")
	b.shot("plan-editor")

	// A drill, watched live: the page is not reloaded while the first
	// wave's servers come up and the gated wave starts waiting.
	b.open(planURL)
	b.submit("start the drill", "#start-drill", chromedp.WaitVisible(chromedp.ID("live")))
	execURL := eval[string](b, "location.pathname")
	if !strings.HasPrefix(execURL, "/executions/ex-") {
		t.Fatalf("the drill went to %s", execURL)
	}
	b.do("mark the page", chromedp.Evaluate[chromedp.Void](`window.__marker = "loaded once"`))
	b.wait("first wave live", launchedIn("database", 2)+" && "+waiting("application"), 20*time.Second)
	b.sameLoad("loaded once")
	b.shot("execution-awaiting-approval")

	// Approve the second wave, confirming in place.
	b.do("approve", press("control-approve-application"), chromedp.WaitVisible(chromedp.ID("confirm-yes")))
	b.shot("execution-confirm")
	b.submit("confirm approval", "#confirm-yes", chromedp.WaitVisible(chromedp.ID("page-notice")))
	b.do("mark the page again", chromedp.Evaluate[chromedp.Void](`window.__marker = "approved"`))
	b.wait("second wave live", launchedIn("application", 3)+" && "+waiting("web"), 20*time.Second)

	// Another operator approves the last wave from a browser without
	// JavaScript. This page, loaded while that gate held, must show the
	// wave's servers come up without reloading.
	if n := eval[int](b, `document.querySelectorAll('section[data-wave="web"] a.ec2').length`); n != 0 {
		t.Fatalf("%d instances of the gated wave before its approval", n)
	}
	other := formClient(t, base, operator, execURL)
	resp, err := other.PostForm(base+execURL+"/waves/web/approve",
		url.Values{"confirm": {"yes"}, "_csrf": {csrfOf(t, other, base+execURL)}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Request.URL.Path != execURL {
		t.Fatalf("approval without JavaScript: status %d at %s", resp.StatusCode, resp.Request.URL)
	}
	b.wait("every server launched", `document.querySelectorAll("tr[data-server]").length === 8 &&
		document.querySelectorAll("tr[data-server] a.ec2").length === 8 &&
		document.querySelector("#live").dataset.final === "true"`, 30*time.Second)
	b.sameLoad("approved")
	href := eval[string](b, `document.querySelector("tr[data-server] a.ec2").href`)
	if !strings.HasPrefix(href, "https://us-east-1.console.aws.amazon.com/ec2/home?region=us-east-1#InstanceDetails:instanceId=i-") {
		t.Errorf("EC2 link %s", href)
	}
	// What EC2 says of each instance shows beside its link, its private IP
	// in the emulator's first subnet.
	b.wait("instances described", `[...document.querySelectorAll("tr[data-server] .private-ip")]
		.filter(el => el.textContent.startsWith("10.10.1.")).length === 8 &&
		document.querySelectorAll("tr[data-server] .instance-state").length === 8`, 15*time.Second)
	local := eval[string](b, `document.querySelector("#live time").textContent`)
	title := eval[string](b, `document.querySelector("#live time").title`)
	if strings.HasSuffix(local, "UTC") || !strings.HasSuffix(title, " UTC") {
		t.Errorf("time shown as %q with title %q; want the viewer's zone, UTC on hover", local, title)
	}
	path := b.shot("execution")
	if *updateScreenshot && path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("..", "..", "docs", "execution.png"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Log("wrote docs/execution.png")
	}

	// Clean up, confirming in place, and watch the cleanup finish.
	b.do("clean up", press("control-cleanup"), chromedp.WaitVisible(chromedp.ID("confirm-yes")))
	b.submit("confirm cleanup", "#confirm-yes", chromedp.WaitVisible(chromedp.ID("page-notice")))
	b.wait("cleanup done", `document.querySelector("#live").dataset.final === "true" &&
		document.querySelector("#live").textContent.includes("cleanup COMPLETED")`, 30*time.Second)
	b.shot("execution-cleaned-up")
	client, err := drs.NewClient(context.Background(), drs.Config{Region: "us-east-1",
		Endpoint: "http://drssim.local", HTTPClient: &http.Client{Transport: sim.Transport()}})
	if err != nil {
		t.Fatal(err)
	}
	left, err := client.DescribeRecoveryInstances(context.Background(), nil)
	if err != nil || len(left) != 0 {
		t.Errorf("%d recovery instances left after cleanup (%v)", len(left), err)
	}

	b.open("/executions")
	b.shot("history")
	b.open("/")
	b.shot("overview")

	// A narrow screen: nothing wider than the viewport but tables, which
	// scroll in their own box.
	b.do("narrow", chromedp.EmulateViewport(390, 800))
	b.open(execURL)
	if w := eval[int](b, "document.documentElement.scrollWidth"); w > 390 {
		t.Errorf("the execution page is %d pixels wide on a 390-pixel screen", w)
	}
	b.shot("execution-narrow")

	// Signing out ends the session: pages lead to the sign-in form again.
	b.submit("sign out", "#signout", chromedp.WaitVisible(chromedp.ID("signin")))
	b.open("/executions")
	if got := eval[string](b, "location.pathname"); got != "/signin" {
		t.Errorf("signed out, /executions went to %s", got)
	}
	t.Logf("browser test took %v", time.Since(start).Round(time.Millisecond))
}
