package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/drsorch/drsorch/internal/api"
	"github.com/drsorch/drsorch/internal/auth"
	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/ec2"
	"github.com/drsorch/drsorch/internal/engine"
	"github.com/drsorch/drsorch/internal/execution"
	"github.com/drsorch/drsorch/internal/launchcfg"
	"github.com/drsorch/drsorch/internal/notify"
	"github.com/drsorch/drsorch/internal/readiness"
	"github.com/drsorch/drsorch/internal/report"
	"github.com/drsorch/drsorch/internal/store"
	"github.com/drsorch/drsorch/internal/store/dynamostore"
	"github.com/drsorch/drsorch/internal/store/sqlitestore"
	"github.com/drsorch/drsorch/internal/web"
)

// appConfig is what a serving drsorch process needs to know. serve fills
// it from flags; demo fills it too and adds its own parts to the app.
type appConfig struct {
	// Store names the store: "sqlite:PATH".
	Store string
	// Region is the default region of DRS calls and of new groups.
	Region string
	// DRSEndpoint overrides the DRS endpoint (empty: the SDK's
	// resolution, AWS_ENDPOINT_URL_DRS included).
	DRSEndpoint string
	// DRSHTTPClient, when set, carries the DRS requests, so that an
	// in-process emulator can answer them without a socket. EC2 requests
	// go through it too.
	DRSHTTPClient *http.Client
	// EC2Endpoint overrides the EC2 endpoint. Empty: the DRS endpoint
	// when one is set (an emulator serves both), else the SDK's
	// resolution (AWS_ENDPOINT_URL_EC2 included). Accounts with an
	// endpoint of their own (--drs-endpoint-for) use it for EC2 too.
	EC2Endpoint string
	// TagSyncInterval is the wait between two scheduled tag syncs of
	// every account and region a group names; 0 schedules none.
	TagSyncInterval time.Duration

	Logger *slog.Logger
	// Engine configures the execution engine the app runs while it
	// serves.
	Engine engineConfig
	// Evidence configures reports, readiness checks and notifications.
	Evidence evidenceConfig
	// Accounts says how DRS is reached in other accounts.
	Accounts accountsConfig
	// TLSCert and TLSKey, when both set, make serve answer HTTPS with
	// that certificate and key (PEM files).
	TLSCert, TLSKey string
	// OIDC, when its issuer is set, offers sign-in through an OpenID
	// Connect provider.
	OIDC auth.OIDCConfig
}

// engineConfig is the part of appConfig that tunes the engine.
type engineConfig struct {
	// Owner names this process in execution leases (default: host name
	// and process ID, so that two processes never share one).
	Owner string
	// LeaseDuration is how long a lease lasts unrenewed: how soon another
	// process takes over the executions of one that died.
	LeaseDuration time.Duration
	// PollInterval is the engine's shortest wait between two rounds, and
	// PollMax the longest between two observations of a region's jobs.
	PollInterval, PollMax time.Duration
	// ExpectedJob is how long a launch job is assumed to take before the
	// engine has seen one end, and StuckTimeout how long before a job not
	// finished fails its servers; an emulator's time scale shortens both.
	ExpectedJob, StuckTimeout time.Duration
	// CallTimeout bounds one DRS call, and LandingMargin is how long after
	// it a request may still create a job: together, how long a batch
	// interrupted mid-call waits before it is requested again.
	CallTimeout, LandingMargin time.Duration
}

// app is a wired drsorch server: store, DRS clients, REST API and the HTTP
// routes on top. Callers may mount more handlers on mux before serve.
type app struct {
	log   *slog.Logger
	store store.Store
	drs   *drs.Clients
	api   *api.Server
	mux   *http.ServeMux

	// engine carries executions out while serve runs; executions starts
	// and controls them for the API.
	engine     *engine.Engine
	executions *execution.Service

	// reports builds execution reports, trends and predictions;
	// readiness checks the plans on a schedule while serve runs.
	reports   *report.Service
	readiness *readiness.Monitor
	// readinessEvery is the schedule of readiness; 0 runs no schedule.
	readinessEvery time.Duration
	// notifier sends notifications while serve runs; nil without targets.
	notifier *notify.Notifier

	// ec2 are the EC2 clients, beside drs; settings checks, applies and
	// reads back launch settings and syncs tags with them.
	ec2      *ec2.Clients
	settings *launchcfg.Service
	// tagSyncEvery is the schedule of tag syncs; 0 runs none.
	tagSyncEvery time.Duration

	// shutdownGrace is how long serve lets requests finish on shutdown
	// before it closes their connections.
	shutdownGrace time.Duration

	// auth checks tokens and sessions for the API and the UI alike;
	// audit records what they change and what the engine does in AWS.
	auth  *auth.Service
	audit *auth.Auditor
	// tlsCert and tlsKey are the files of serve's certificate, if any.
	tlsCert, tlsKey string
}

// newApp opens the store and builds the DRS clients and the API. It makes
// no DRS request. Close the app to close its store.
func newApp(ctx context.Context, cfg appConfig) (*app, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	st, err := openStore(ctx, cfg.Store)
	if err != nil {
		return nil, err
	}
	clients := drs.NewClients(ctx, drs.Config{
		Region:     cfg.Region,
		Endpoint:   cfg.DRSEndpoint,
		HTTPClient: cfg.DRSHTTPClient,
		Logger:     log,

		TargetRoleName:   cfg.Accounts.TargetRoleName,
		HomeAccount:      cfg.Accounts.HomeAccount,
		AccountEndpoints: cfg.Accounts.Endpoints,
	})
	ec2Endpoint := cfg.EC2Endpoint
	if ec2Endpoint == "" {
		ec2Endpoint = cfg.DRSEndpoint
	}
	ec2Clients := ec2.NewClients(clients, ec2.Config{
		Region:           cfg.Region,
		Endpoint:         ec2Endpoint,
		AccountEndpoints: cfg.Accounts.Endpoints,
		HTTPClient:       cfg.DRSHTTPClient,
		Logger:           log,
	})
	settingsOpts := launchcfg.FromClients(clients, ec2Clients)
	settingsOpts.Logger = log
	settings := launchcfg.New(settingsOpts)
	a := &app{
		log:           log,
		store:         st,
		drs:           clients,
		ec2:           ec2Clients,
		settings:      settings,
		tagSyncEvery:  cfg.TagSyncInterval,
		mux:           http.NewServeMux(),
		shutdownGrace: 10 * time.Second,
		auth:          auth.ForStore(st),
		audit:         auth.NewAuditor(st, log),
		tlsCert:       cfg.TLSCert,
		tlsKey:        cfg.TLSKey,
	}
	if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		st.Close()
		return nil, errors.New("--tls-cert and --tls-key go together")
	}
	owner := engineOwner(cfg.Engine.Owner)
	a.engine = engine.New(engine.Options{
		Audit:         engineAudit(a.audit, owner),
		Store:         st,
		DRS:           engine.FromClients(clients),
		EC2:           engine.FromEC2Clients(ec2Clients),
		Settings:      settings,
		Owner:         owner,
		Logger:        log,
		LeaseDuration: cfg.Engine.LeaseDuration,
		PollMin:       cfg.Engine.PollInterval,
		PollMax:       cfg.Engine.PollMax,
		// Zero takes the engine's default.
		ExpectedJobDuration: cfg.Engine.ExpectedJob,
		StuckTimeout:        cfg.Engine.StuckTimeout,
		CallTimeout:         cfg.Engine.CallTimeout,
		LandingMargin:       cfg.Engine.LandingMargin,
	})
	a.executions = execution.New(execution.Options{
		Store:  st,
		DRS:    execution.Clients(clients.For),
		Logger: log,
	})
	a.wireEvidence(cfg.Evidence, clients, settings)
	var deliveries api.Deliveries
	if a.notifier != nil {
		deliveries = a.notifier
	}
	// One limiter: a token's requests to the API and the UI share a
	// bucket.
	limiter := auth.NewLimiter(api.DefaultRateLimit, api.DefaultRateBurst, nil)
	a.api = api.New(api.Options{
		Store:         st,
		DRS:           api.SourceServersFunc(a.sourceServers),
		DefaultRegion: cfg.Region,
		Logger:        log,
		Executions:    a.executions,
		Reports:       a.reports,
		Readiness:     a.readiness,
		Deliveries:    deliveries,
		Settings:      settings,
		Ready: readyChecks(storeFileCheck(cfg.Store),
			func(context.Context) error { return a.engine.Health() }),
		Auth:    a.auth,
		Audit:   a.audit,
		Limiter: limiter,
	})
	h := a.api.Handler()
	a.mux.Handle("/api/", h)
	a.mux.Handle("/healthz", h)
	a.mux.Handle("/readyz", h)
	var oidc *auth.OIDC
	if cfg.OIDC.Issuer != "" {
		if oidc, err = auth.NewOIDC(ctx, cfg.OIDC); err != nil {
			st.Close()
			return nil, err
		}
	}
	// The web UI has every path the API does not.
	ui, err := web.New(web.Options{
		Store:         st,
		Executions:    a.executions,
		Definitions:   a.api,
		Servers:       api.SourceServersFunc(a.sourceServers),
		DefaultRegion: cfg.Region,
		Logger:        log,
		Reports:       a.reports,
		Readiness:     a.readiness,
		Deliveries:    deliveries,
		Settings:      a.api,
		Auth:          a.auth,
		Audit:         a.audit,
		Limiter:       limiter,
		OIDC:          oidc,
	})
	if err != nil {
		st.Close()
		return nil, err
	}
	a.mux.Handle("/", ui.Handler())
	return a, nil
}

// engineAudit records the engine's calls that change something in AWS.
func engineAudit(a *auth.Auditor, owner string) func(context.Context, engine.Action) {
	return func(ctx context.Context, x engine.Action) {
		e := store.AuditEntry{
			Actor:       "engine " + owner,
			Action:      "drs:" + x.Operation,
			Target:      strings.Trim(x.AccountID+"/"+x.Region, "/"),
			Outcome:     "ok",
			ExecutionID: x.ExecutionID,
			BatchID:     x.BatchID,
			JobID:       x.JobID,
		}
		if x.Err != nil {
			e.Outcome, e.Error = "error", x.Err.Error()
		}
		a.Record(ctx, e)
	}
}

// engineOwner returns owner, or one made of the host name and process ID
// when it is empty.
func engineOwner(owner string) string {
	if owner != "" {
		return owner
	}
	host, err := os.Hostname()
	if err != nil {
		host = "drsorch"
	}
	return fmt.Sprintf("%s-%d", host, os.Getpid())
}

// sourceServers lists every source server of an account and region.
func (a *app) sourceServers(ctx context.Context, accountID, region string) ([]drs.SourceServer, error) {
	c, err := a.drs.For(ctx, accountID, region)
	if err != nil {
		return nil, err
	}
	return c.DescribeSourceServers(ctx, nil)
}

// openStore opens the store a --store value names.
func openStore(ctx context.Context, spec string) (store.Store, error) {
	kind, arg, ok := strings.Cut(spec, ":")
	switch {
	case !ok || arg == "":
		return nil, fmt.Errorf("store %q: want sqlite:PATH", spec)
	case kind == "sqlite":
		st, err := sqlitestore.Open(ctx, arg)
		if err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
		return st, nil
	case kind == "dynamodb":
		st, err := dynamostore.Open(ctx, spec)
		if err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
		return st, nil
	}
	return nil, fmt.Errorf("store %q: unknown kind %q (want sqlite:PATH or dynamodb://PREFIX?region=&endpoint=)", spec, kind)
}

// serve answers HTTP on ln until ctx is done, then shuts down: it stops
// accepting, lets requests in flight finish for shutdownGrace, and then
// cancels the rest (long-lived event streams among them).
func (a *app) serve(ctx context.Context, ln net.Listener) error {
	base, cancelBase := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelBase()
	srv := &http.Server{
		Handler:           api.SecurityHeaders(a.mux),
		MaxHeaderBytes:    64 << 10,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		// No WriteTimeout: event streams stay open for as long as an
		// execution runs. Slow clients are bounded by the idle timeout.
		IdleTimeout: 2 * time.Minute,
		ErrorLog:    slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
		BaseContext: func(net.Listener) context.Context { return base },
	}
	// The engine stops, releasing its leases, after the HTTP server has.
	a.engine.Start(ctx)
	defer a.engine.Stop()
	stopEvidence := a.startEvidence(ctx)
	defer stopEvidence()
	stopTagSync := a.startTagSync(ctx)
	defer stopTagSync()
	errc := make(chan error, 1)
	go func() {
		if a.tlsCert != "" {
			errc <- srv.ServeTLS(ln, a.tlsCert, a.tlsKey)
			return
		}
		errc <- srv.Serve(ln)
	}()
	a.log.Info("listening", "addr", ln.Addr().String(), "tls", a.tlsCert != "")

	select {
	case err := <-errc:
		return fmt.Errorf("serve http: %w", err)
	case <-ctx.Done():
	}
	a.log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), a.shutdownGrace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		cancelBase()
		err = srv.Close()
	}
	if err != nil {
		return fmt.Errorf("shut down http: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve http: %w", err)
	}
	a.log.Info("stopped")
	return nil
}

// Close releases the app's store.
func (a *app) Close() error { return a.store.Close() }

// newLogger returns the process logger writing to w in format "text" or
// "json" at level "debug", "info", "warn" or "error".
func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log format %q: want text or json", format)
}
