// Package api serves drsorch's REST API under /api/v1: protection groups,
// recovery plans, the DRS source servers they select, and executions, plus
// the OpenAPI document that describes them and the health endpoints.
//
// Handlers return errors and one adapter writes every response, so that
// statuses, error bodies and logging are the same on every route.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/drsorch/drsorch/internal/auth"
	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/execution"
	"github.com/drsorch/drsorch/internal/readiness"
	"github.com/drsorch/drsorch/internal/report"
	"github.com/drsorch/drsorch/internal/store"
)

// SourceServers lists the DRS source servers of one account and region.
// An empty accountID means the account of the credentials in use.
type SourceServers interface {
	SourceServers(ctx context.Context, accountID, region string) ([]drs.SourceServer, error)
}

// SourceServersFunc adapts a function to SourceServers; main uses it to
// put *drs.Clients behind the interface.
type SourceServersFunc func(ctx context.Context, accountID, region string) ([]drs.SourceServer, error)

// SourceServers calls f.
func (f SourceServersFunc) SourceServers(ctx context.Context, accountID, region string) ([]drs.SourceServer, error) {
	return f(ctx, accountID, region)
}

// Options configure a Server.
type Options struct {
	Store store.Store
	// DRS lists source servers; nil makes /api/v1/source-servers a 500.
	DRS SourceServers
	// DefaultRegion is used when a group or a query names no region.
	DefaultRegion string
	Logger        *slog.Logger
	// Now is the clock for timestamps; nil means time.Now.
	Now func() time.Time
	// Executions starts, controls and reads executions; nil makes the
	// execution routes a 500.
	Executions *execution.Service
	// Reports builds execution reports, trends and predictions; nil makes
	// their routes a 500.
	Reports *report.Service
	// Readiness checks plans and caches the result; nil makes
	// /api/v1/readiness a 500.
	Readiness *readiness.Monitor
	// Deliveries lists notification deliveries; nil lists those the
	// store keeps, if it keeps any.
	Deliveries Deliveries
	// Settings checks, applies and reads back launch settings and syncs
	// tags; nil makes the routes that need it a 503, and group saves with
	// static IPs skip their EC2 check with a Warning header.
	Settings LaunchSettings
	// Ready, when set, is checked by /readyz after the store: an error
	// (DRS unreachable, the store refusing writes) makes it a 503 with
	// the error as its reason.
	Ready func(ctx context.Context) error

	// Auth checks callers' tokens and sessions; nil means auth.ForStore
	// of Store, which authenticates nobody when the store keeps no
	// tokens: the API fails closed.
	Auth *auth.Service
	// Audit records state-changing requests; nil means one on Store.
	Audit *auth.Auditor
	// Limiter bounds each token's request rate; nil means
	// DefaultRateLimit.
	Limiter *auth.Limiter
}

// DefaultRateLimit is the request rate each token may sustain (a second),
// and DefaultRateBurst the burst above it.
const (
	DefaultRateLimit = 50
	DefaultRateBurst = 200
)

// Server is the REST API. It is safe for concurrent use.
type Server struct {
	store         store.Store
	drs           SourceServers
	defaultRegion string
	log           *slog.Logger
	now           func() time.Time
	executions    *execution.Service
	views         *viewCache // encoded GET responses of executions
	reports       *report.Service
	readiness     *readiness.Monitor
	deliveries    Deliveries
	ready         func(ctx context.Context) error
	settings      LaunchSettings
	auth          *auth.Service
	audit         *auth.Auditor
	limiter       *auth.Limiter

	routes  []Route
	handler http.Handler
}

// Route is one registered method and path pattern, and what it requires
// of its caller.
type Route struct {
	Method  string
	Pattern string
	Access  auth.Access
}

// New returns a Server with its routes registered.
func New(opts Options) *Server {
	s := &Server{
		store:         opts.Store,
		drs:           opts.DRS,
		defaultRegion: opts.DefaultRegion,
		log:           opts.Logger,
		now:           opts.Now,
		executions:    opts.Executions,
		views:         newViewCache(viewCacheBytes),
		reports:       opts.Reports,
		readiness:     opts.Readiness,
		deliveries:    opts.Deliveries,
		ready:         opts.Ready,
		settings:      opts.Settings,
		auth:          opts.Auth,
		audit:         opts.Audit,
		limiter:       opts.Limiter,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("component", "api")
	if s.now == nil {
		s.now = time.Now
	}
	if s.auth == nil {
		s.auth = auth.ForStore(s.store)
	}
	if s.audit == nil {
		s.audit = auth.NewAuditor(s.store, s.log)
	}
	if s.limiter == nil {
		s.limiter = auth.NewLimiter(DefaultRateLimit, DefaultRateBurst, nil)
	}
	mux := http.NewServeMux()
	s.routesHealth(mux)
	s.routesGroups(mux)
	s.routesPlans(mux)
	s.routesServers(mux)
	s.routesExecutions(mux)
	s.routesReports(mux)
	s.routesReadiness(mux)
	s.routesLaunch(mux)
	s.routesAuth(mux)
	s.handle(mux, "GET", "/api/v1/openapi.json", auth.View, s.openAPI)
	s.handler = s.middleware(s.unmatched(mux))
	return s
}

// Handler returns the http.Handler serving every route.
func (s *Server) Handler() http.Handler { return s.handler }

// Routes returns the registered routes in registration order.
func (s *Server) Routes() []Route { return append([]Route(nil), s.routes...) }

// handlerFunc is a handler that returns its error for adapt to render.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle registers h for method and path on mux with the access it
// requires, and records the route, so that tests can compare the routes
// with the OpenAPI document and try every route with every role.
func (s *Server) handle(mux *http.ServeMux, method, path string, access auth.Access, h handlerFunc) {
	rt := Route{Method: method, Pattern: path, Access: access}
	s.routes = append(s.routes, rt)
	mux.Handle(method+" "+path, s.guard(rt, s.adapt(h)))
}

// adapt turns a handlerFunc into an http.Handler: a returned error becomes
// the JSON error response, and an unexpected one is logged with its detail.
func (s *Server) adapt(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		he, unexpected := toHTTP(err)
		if unexpected {
			s.log.ErrorContext(r.Context(), "request failed",
				"method", r.Method, "path", r.URL.Path,
				"request_id", RequestID(r.Context()), "error", err)
		}
		if sw, ok := w.(*statusWriter); ok && sw.wrote {
			// Part of the response is out; a second status cannot follow.
			return
		}
		writeJSON(w, he.Status, errorBody{Error: errorJSON{
			Code: he.Code, Message: he.Message, Field: he.Field, Details: he.Details,
		}})
	})
}
