package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/drsorch/drsorch/internal/auth"
	"github.com/drsorch/drsorch/internal/drssim"
	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
)

func init() {
	register("demo", "serve drsorch on an in-process DRS emulator with a sample plan", runDemo)
}

// demoRegion is the emulated region of the demo.
const demoRegion = "us-east-1"

// demoConfig is what runDemo reads from its flags.
type demoConfig struct {
	Data      string
	Servers   int
	TimeScale float64
	Seed      int64
	Poll      time.Duration
	Logger    logConfig
	// Accounts may point other accounts at other emulators
	// (drsorch sim --account ...).
	Accounts accountsConfig
}

// logConfig names a log format and level.
type logConfig struct{ Format, Level string }

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: drsorch demo [flags]")
		fmt.Fprintln(fs.Output(), "\nServes drsorch against an emulated DRS account with sample groups and a plan.")
		fs.PrintDefaults()
	}
	listen := fs.String("listen", "127.0.0.1:8080", "address to serve HTTP on")
	var cfg demoConfig
	fs.StringVar(&cfg.Data, "data", "drsorch-data", "folder of the demo's database")
	fs.IntVar(&cfg.Servers, "servers", 60, "source servers in the emulated account")
	fs.Float64Var(&cfg.TimeScale, "time-scale", 20, "emulated seconds per real second")
	fs.Int64Var(&cfg.Seed, "seed", 1, "seed of the emulated inventory (keep it to keep the server IDs)")
	fs.DurationVar(&cfg.Poll, "poll-interval", time.Second, "shortest wait between two engine rounds")
	fs.StringVar(&cfg.Logger.Format, "log-format", "text", "log format: text or json")
	fs.StringVar(&cfg.Logger.Level, "log-level", "warn", "log level: debug, info, warn or error")
	addAccountFlags(fs, &cfg.Accounts, "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if cfg.TimeScale <= 0 || cfg.Poll <= 0 {
		return fmt.Errorf("demo: --time-scale and --poll-interval must be positive")
	}
	d, err := newDemo(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer d.Close()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	d.printWelcome(stdout, "http://"+ln.Addr().String())
	return d.serve(ctx, ln)
}

// demo is an app whose DRS is an emulator in the same process.
type demo struct {
	*app
	sim *drssim.Sim
	// gate is the check endpoint of the sample plan's health gate.
	gate *demoGate
	// token is the demo's admin token; freshToken says whether this run
	// made it.
	token      string
	freshToken bool
}

// newDemo builds the emulator and the app on it, and stores the sample
// groups and plan unless they exist.
func newDemo(ctx context.Context, cfg demoConfig, stderr io.Writer) (*demo, error) {
	log, err := newLogger(stderr, cfg.Logger.Format, cfg.Logger.Level)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Data, 0o755); err != nil {
		return nil, fmt.Errorf("demo data folder: %w", err)
	}
	// The emulator checks no signature, but the SDK signs every request
	// and would otherwise search the credential chain, instance metadata
	// included, for keys.
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "demo", "AWS_SECRET_ACCESS_KEY": "demo"} {
		if os.Getenv(k) == "" {
			os.Setenv(k, v)
		}
	}
	sim := drssim.New(drssim.Options{Servers: cfg.Servers, Seed: cfg.Seed, Region: demoRegion,
		TimeScale: cfg.TimeScale, Logger: log.With("component", "drssim")})
	a, err := newApp(ctx, appConfig{
		Store:  "sqlite:" + filepath.Join(cfg.Data, "drsorch.db"),
		Region: demoRegion,
		// Requests never leave the process; the host only has to parse.
		DRSEndpoint:   "http://drssim.local",
		DRSHTTPClient: &http.Client{Transport: demoTransport{sim: sim.Transport()}},
		Logger:        log,
		Accounts:      cfg.Accounts,
		Engine: engineConfig{PollInterval: cfg.Poll, PollMax: 4 * cfg.Poll,
			ExpectedJob:  emulated(6*time.Minute, cfg.TimeScale),
			StuckTimeout: emulated(time.Hour, cfg.TimeScale)},
		// Snapshots are on the emulator's clock, which runs ahead.
		Evidence: evidenceConfig{ReadinessInterval: time.Minute, SnapshotMaxAge: time.Hour,
			TrendMargin: 20, Clock: sim.Now},
		TagSyncInterval: time.Minute,
	})
	if err != nil {
		return nil, err
	}
	gate, err := startDemoGate(log)
	if err != nil {
		a.Close()
		return nil, err
	}
	// The emulator's control API, to look at launches and instances (and
	// to inject faults: admins only for anything but reading).
	a.mux.Handle("/_sim/", a.signedIn(sim))
	fail := func(err error) (*demo, error) {
		gate.Close()
		a.Close()
		return nil, err
	}
	if err := seedDemo(ctx, a.store, sim.Servers(), gate.URL()); err != nil {
		return fail(err)
	}
	if err := pointDemoGate(ctx, a.store, gate.URL()); err != nil {
		return fail(err)
	}
	if err := cancelLeftovers(ctx, a, stderr); err != nil {
		return fail(err)
	}
	tok, fresh, err := demoToken(ctx, a.auth, filepath.Join(cfg.Data, "admin-token"))
	if err != nil {
		return fail(err)
	}
	return &demo{app: a, sim: sim, gate: gate, token: tok, freshToken: fresh}, nil
}

// Close stops the gate's check endpoint and closes the app.
func (d *demo) Close() error {
	d.gate.Close()
	return d.app.Close()
}

// demoToken returns the demo's admin token, kept in a file of the data
// folder (mode 0600) so that a restarted demo signs in with the same one.
// A token that no longer works (revoked, expired, or the database was
// removed) is replaced; fresh reports whether it was made now.
func demoToken(ctx context.Context, svc *auth.Service, path string) (token string, fresh bool, err error) {
	if b, err := os.ReadFile(path); err == nil {
		tok := strings.TrimSpace(string(b))
		if _, err := svc.Authenticate(ctx, tok); err == nil {
			return tok, false, nil
		}
	}
	tok, _, err := svc.CreateToken(ctx, "demo admin", auth.RoleAdmin, 365*24*time.Hour, "drsorch demo")
	if err != nil {
		return "", false, fmt.Errorf("demo admin token: %w", err)
	}
	if err := os.WriteFile(path, []byte(tok+"\n"), 0o600); err != nil {
		return "", false, fmt.Errorf("demo admin token: %w", err)
	}
	return tok, true, nil
}

// signedIn lets through requests with a valid bearer token or UI session:
// any role may read, only admins may change anything.
func (a *app) signedIn(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p auth.Principal
		var err error
		if tok, ok := auth.BearerToken(r.Header.Get("Authorization")); ok {
			p, err = a.auth.Authenticate(r.Context(), tok)
		} else if c, cerr := r.Cookie(auth.SessionCookie); cerr == nil {
			p, err = a.auth.Session(r.Context(), c.Value)
		} else {
			err = auth.ErrUnauthenticated
		}
		switch {
		case err != nil:
			w.Header().Set("WWW-Authenticate", `Bearer realm="drsorch"`)
			http.Error(w, "sign in first at /signin, or send a bearer token", http.StatusUnauthorized)
		case r.Method != http.MethodGet && !p.Role.Allows(auth.RoleAdmin):
			http.Error(w, "only admins may change the emulator", http.StatusForbidden)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// demoTransport serves the in-process emulator's host itself and sends
// any other (an account's --drs-endpoint-for) over the network.
type demoTransport struct{ sim http.RoundTripper }

func (t demoTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host == "drssim.local" {
		return t.sim.RoundTrip(r)
	}
	return http.DefaultTransport.RoundTrip(r)
}

// emulated returns the real duration of d emulated at scale.
func emulated(d time.Duration, scale float64) time.Duration {
	return time.Duration(float64(d) / scale)
}

// cancelLeftovers asks to cancel the executions an earlier demo left
// active: their DRS jobs lived in that run's emulator, so the engine would
// only wait for them until its stuck timeout.
func cancelLeftovers(ctx context.Context, a *app, w io.Writer) error {
	page, err := a.store.ListExecutions(ctx, store.ExecutionFilter{Statuses: []string{
		plan.ExecPending, plan.ExecRunning, plan.ExecPaused}}, store.ListOptions{Limit: 1000})
	if err != nil {
		return fmt.Errorf("list executions: %w", err)
	}
	for _, e := range page.Items {
		if _, err := a.executions.Cancel(ctx, e.ID, "drsorch demo (restarted)"); err != nil {
			return fmt.Errorf("cancel execution %s: %w", e.ID, err)
		}
		fmt.Fprintf(w, "cancelling %s of plan %q, left running by an earlier demo\n", e.ID, e.PlanName)
	}
	return nil
}

// demoGroups are the sample groups: the tiers of the emulator's "shop"
// application, chosen by tag.
var demoGroups = []string{"db", "app", "web"}

// demoPlan is the sample plan's name.
const demoPlan = "shop"

// The emulator's fixed network (see internal/drssim): one subnet per tier
// and a security group per tier.
var demoNetwork = map[string]struct{ subnet, sg string }{
	"db":  {"subnet-0e5a1d00000000011", "sg-0e5a1d00000000022"}, // 10.10.1.0/24
	"app": {"subnet-0e5a1d00000000012", "sg-0e5a1d00000000023"}, // 10.10.2.0/24
	"web": {"subnet-0e5a1d00000000013", "sg-0e5a1d00000000024"}, // 10.10.3.0/24
}

// demoStaticIP is the static private IP of the first db server: high in
// its subnet, clear of the addresses the emulator hands out from the
// bottom.
const demoStaticIP = "10.10.1.200"

// demoSettings returns the sample launch settings of a tier's group: the
// tier's subnet and security group, tags on the recovery instances, an
// instance type for the app tier, and a static IP for the first db server
// of servers.
func demoSettings(tier string, servers []drssim.Server) (*plan.LaunchSettings, map[string]plan.LaunchSettings) {
	net := demoNetwork[tier]
	ls := &plan.LaunchSettings{SubnetID: net.subnet, SecurityGroupIDs: []string{net.sg},
		CopyTags: ptrBool(true), Tags: map[string]string{"recovered-by": "drsorch", "tier": tier}}
	if tier == "app" {
		ls.InstanceType, ls.RightSizing = "m6i.large", plan.RightSizingNone
	}
	if tier != "db" {
		return ls, nil
	}
	var first string
	for _, s := range servers {
		if s.Tags["app"] == "shop" && s.Tags["tier"] == "db" && (first == "" || s.ID < first) {
			first = s.ID
		}
	}
	if first == "" {
		return ls, nil
	}
	return ls, map[string]plan.LaunchSettings{first: {PrivateIP: demoStaticIP}}
}

func ptrBool(b bool) *bool { return &b }

// seedDemo stores the sample groups and plan, skipping any that exist, so
// that a restarted demo keeps what the user changed. servers are the
// emulator's, for the static IP; gateURL is the check endpoint of the
// application wave's health gate.
func seedDemo(ctx context.Context, st store.Store, servers []drssim.Server, gateURL string) error {
	ids := map[string]string{}
	for _, tier := range demoGroups {
		name := "shop-" + tier
		g, err := st.GetGroupByName(ctx, name)
		if errors.Is(err, store.ErrNotFound) {
			g = &plan.ProtectionGroup{Name: name, Region: demoRegion,
				Description:    "the " + tier + " tier of the shop application",
				ServerSelector: &plan.Selector{Tags: map[string]string{"app": "shop", "tier": tier}}}
			g.LaunchSettings, g.ServerLaunchSettings = demoSettings(tier, servers)
			err = createGroup(ctx, st, g)
		}
		if err != nil {
			return fmt.Errorf("seed group %q: %w", name, err)
		}
		ids[tier] = g.ID
	}
	if _, err := st.GetPlanByName(ctx, demoPlan); !errors.Is(err, store.ErrNotFound) {
		if err != nil {
			return fmt.Errorf("seed plan %q: %w", demoPlan, err)
		}
		return nil
	}
	p := plan.NormalizePlan(plan.RecoveryPlan{Name: demoPlan, RTOMinutes: 60,
		Description: "the shop application, tier by tier",
		Waves: []plan.Wave{
			// The databases must pass EC2's status checks, and the
			// application answer its check endpoint, before the next
			// wave starts.
			{Name: "database", ProtectionGroupIDs: []string{ids["db"]},
				HealthGate: &plan.HealthGate{StatusChecks: true, IntervalSeconds: plan.MinGateIntervalSeconds}},
			{Name: "application", ProtectionGroupIDs: []string{ids["app"]},
				HealthGate: &plan.HealthGate{CheckURL: gateURL, IntervalSeconds: plan.MinGateIntervalSeconds}},
			{Name: "web", ProtectionGroupIDs: []string{ids["web"]}},
		}})
	groups := map[string]plan.ProtectionGroup{}
	for _, tier := range demoGroups {
		g, err := st.GetGroup(ctx, ids[tier])
		if err != nil {
			return fmt.Errorf("seed plan %q: %w", demoPlan, err)
		}
		groups[g.ID] = *g
	}
	if err := plan.ValidatePlan(p, groups); err != nil {
		return fmt.Errorf("seed plan %q: %w", demoPlan, err)
	}
	if err := st.CreatePlan(ctx, &p); err != nil {
		return fmt.Errorf("seed plan %q: %w", demoPlan, err)
	}
	return nil
}

// createGroup validates g against the stored groups and stores it.
func createGroup(ctx context.Context, st store.Store, g *plan.ProtectionGroup) error {
	var others []plan.ProtectionGroup
	opts := store.ListOptions{Limit: 1000}
	for {
		page, err := st.ListGroups(ctx, opts)
		if err != nil {
			return err
		}
		others = append(others, page.Items...)
		if page.NextToken == "" {
			break
		}
		opts.NextToken = page.NextToken
	}
	*g = plan.NormalizeGroup(*g)
	if err := plan.ValidateGroup(*g, others); err != nil {
		return err
	}
	return st.CreateGroup(ctx, g)
}

func (d *demo) printWelcome(w io.Writer, base string) {
	server := ""
	if base != defaultServer {
		server = " --server " + base
	}
	made := "kept in"
	if d.freshToken {
		made = "new, saved in"
	}
	fmt.Fprintf(w, `drsorch demo: %d emulated source servers, serving on %s

Sign in to the UI (the link signs in and drops the token from the address):

  %s/signin?token=%s

The admin token (%s the data folder's admin-token file):

  export DRSORCH_TOKEN=%s

Groups shop-db, shop-app and shop-web select the shop application's tiers by
tag and carry launch settings (subnet, security group, tags; a static IP on
one db server); plan %q recovers them in three waves, the first two held by
health gates. Try, in another terminal, after the export above:

  drsorch drift%s
  drsorch run %s --mode drill --wait%s
  drsorch executions list%s
  drsorch executions cleanup EXECUTION_ID --wait%s

The emulator's own view: %s/_sim/launches
Press Ctrl-C to stop.
`, len(d.sim.Servers()), base, base, url.QueryEscape(d.token), made, d.token,
		demoPlan, server, demoPlan, server, server, server, base)
}
