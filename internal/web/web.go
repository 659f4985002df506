// Package web serves drsorch's browser UI: server-rendered pages for the
// overview, source servers, protection groups, recovery plans, executions
// and their history. Pages are html/template files embedded in the binary,
// one folder per page on a shared layout; a small script adds live updates
// and conveniences, and every page works without it.
//
// Handlers are thin: groups and plans are saved through the same service
// methods as the REST API, executions are started and controlled through
// the execution service, and source servers come from the same DRS lister
// the API uses. The browser never talks to DRS.
package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/drsorch/drsorch/internal/api"
	"github.com/drsorch/drsorch/internal/auth"
	"github.com/drsorch/drsorch/internal/execution"
	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
)

// Definitions saves and checks protection groups and recovery plans; the
// API's *api.Server is one, so that forms obey exactly the API's rules.
type Definitions interface {
	CreateGroup(ctx context.Context, g *plan.ProtectionGroup) error
	ReplaceGroup(ctx context.Context, g *plan.ProtectionGroup) error
	CheckGroup(ctx context.Context, g *plan.ProtectionGroup) error
	CreatePlan(ctx context.Context, p *plan.RecoveryPlan) error
	ReplacePlan(ctx context.Context, p *plan.RecoveryPlan) error
}

// Options configure a Server. Every field but Logger and Now is required.
type Options struct {
	Store       store.Store
	Executions  *execution.Service
	Definitions Definitions
	// Servers lists the DRS source servers of an account and region.
	Servers       api.SourceServers
	DefaultRegion string
	Logger        *slog.Logger
	// Now is the clock of durations shown; nil means time.Now.
	Now func() time.Time

	// The evidence panels; each is left out when its field is nil.

	// Reports draws plans' RTO trends and predicts their RTO.
	Reports Reports
	// Readiness has the latest readiness check, for the overview.
	Readiness Readiness
	// Deliveries lists recent notification deliveries, for the overview.
	Deliveries api.Deliveries
	// Settings applies groups' launch settings and reads their drift,
	// for the group page.
	Settings Settings

	// Auth checks sign-ins and sessions; nil means auth.ForStore of
	// Store, which signs nobody in when the store keeps no tokens.
	Auth *auth.Service
	// Audit records every form posted; nil means one on Store.
	Audit *auth.Auditor
	// Limiter bounds each token's request rate; nil means the API's
	// default.
	Limiter *auth.Limiter
	// OIDC, when set, offers sign-in through an OpenID Connect provider
	// beside tokens.
	OIDC *auth.OIDC
}

// Server is the web UI. It is safe for concurrent use.
type Server struct {
	store         store.Store
	executions    *execution.Service
	defs          Definitions
	servers       api.SourceServers
	defaultRegion string
	log           *slog.Logger
	now           func() time.Time
	reports       Reports
	readiness     Readiness
	deliveries    api.Deliveries
	settings      Settings

	auth    *auth.Service
	audit   *auth.Auditor
	limiter *auth.Limiter
	oidc    *auth.OIDC

	pages   *pages
	routes  []Route
	handler http.Handler
}

// Route is one registered page or form, and what it requires of its
// caller.
type Route struct {
	Pattern string
	Access  auth.Access
}

// New returns a Server with its pages parsed and its routes registered.
func New(opts Options) (*Server, error) {
	pg, err := parsePages()
	if err != nil {
		return nil, err
	}
	s := &Server{
		store:         opts.Store,
		executions:    opts.Executions,
		defs:          opts.Definitions,
		servers:       opts.Servers,
		defaultRegion: opts.DefaultRegion,
		log:           opts.Logger,
		now:           opts.Now,
		reports:       opts.Reports,
		readiness:     opts.Readiness,
		deliveries:    opts.Deliveries,
		settings:      opts.Settings,
		auth:          opts.Auth,
		audit:         opts.Audit,
		limiter:       opts.Limiter,
		oidc:          opts.OIDC,
		pages:         pg,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("component", "web")
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
		s.limiter = auth.NewLimiter(api.DefaultRateLimit, api.DefaultRateBurst, nil)
	}
	mux := http.NewServeMux()
	s.routes = append(s.routes, Route{Pattern: "GET /static/", Access: auth.Public})
	mux.Handle("GET /static/", staticHandler())
	s.handle(mux, "GET /signin", auth.Public, s.signInPage)
	s.post(mux, "/signin", auth.Public, s.signIn)
	s.handle(mux, "GET /signin/oidc", auth.Public, s.oidcStart)
	s.handle(mux, "GET /signin/oidc/callback", auth.Public, s.oidcCallback)
	s.post(mux, "/signout", auth.View, s.signOut)
	s.handle(mux, "GET /{$}", auth.View, s.overview)
	s.handle(mux, "GET /servers", auth.View, s.serverList)
	s.post(mux, "/servers/tag-sync", auth.Admin, s.tagSync)
	s.handle(mux, "GET /groups", auth.View, s.groupList)
	s.handle(mux, "GET /groups/new", auth.View, s.groupNew)
	s.post(mux, "/groups/new", auth.Admin, s.groupSubmit)
	s.handle(mux, "GET /groups/{id}", auth.View, s.groupEdit)
	s.post(mux, "/groups/{id}", auth.Admin, s.groupSubmit)
	s.post(mux, "/groups/{id}/apply-launch-settings", auth.Admin, s.groupApply)
	s.handle(mux, "GET /plans", auth.View, s.planList)
	s.handle(mux, "GET /plans/new", auth.View, s.planNew)
	s.post(mux, "/plans/new", auth.Admin, s.planSubmit)
	s.handle(mux, "GET /plans/{id}", auth.View, s.planShow)
	s.handle(mux, "GET /plans/{id}/edit", auth.View, s.planEdit)
	s.handle(mux, "GET /plans/{id}/predict", auth.View, s.planPredict)
	s.post(mux, "/plans/{id}/edit", auth.Admin, s.planSubmit)
	s.post(mux, "/plans/{id}/start", startAccess, s.planStart)
	s.handle(mux, "GET /executions", auth.View, s.history)
	s.handle(mux, "GET /executions/{id}", auth.View, s.executionShow)
	s.post(mux, "/executions/{id}/waves/{wave}/approve", auth.Operate(s.store), s.executionControl)
	s.post(mux, "/executions/{id}/{action}", auth.Operate(s.store), s.executionControl)
	s.handle(mux, "/", auth.View, func(w http.ResponseWriter, r *http.Request) error {
		return &httpError{status: http.StatusNotFound, msg: "there is no page at " + r.URL.Path}
	})
	s.handler = api.SecurityHeaders(s.recoverer(mux))
	return s, nil
}

// Handler returns the http.Handler serving every page.
func (s *Server) Handler() http.Handler { return s.handler }

// Routes returns the registered pages and forms in registration order.
func (s *Server) Routes() []Route { return append([]Route(nil), s.routes...) }

// handlerFunc is a page handler that returns its error for adapt to show.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle registers a page with the access it requires.
func (s *Server) handle(mux *http.ServeMux, pattern string, access auth.Access, h handlerFunc) {
	s.routes = append(s.routes, Route{Pattern: pattern, Access: access})
	mux.Handle(pattern, s.guard(access, false, s.adapt(h)))
}

// post registers a form handler. Every form of the UI goes through it, so
// that the CSRF check, the access check and the audit record are made in
// this one place.
func (s *Server) post(mux *http.ServeMux, path string, access auth.Access, h handlerFunc) {
	pattern := "POST " + path
	s.routes = append(s.routes, Route{Pattern: pattern, Access: access})
	form := s.adapt(func(w http.ResponseWriter, r *http.Request) error {
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		if err := r.ParseForm(); err != nil {
			return pageError(http.StatusBadRequest, "the form could not be read: %v", err)
		}
		if err := s.checkForm(r, access); err != nil {
			return err
		}
		return h(w, r)
	})
	mux.Handle(pattern, s.guard(access, true, s.audited(pattern, form)))
}

// maxForm bounds a form body; the largest, a plan's editor, is far below.
const maxForm = 1 << 20

// httpError is an error to answer with a status and a message for people.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

// pageError returns an httpError with a formatted message.
func pageError(status int, format string, args ...any) error {
	return &httpError{status: status, msg: fmt.Sprintf(format, args...)}
}

// adapt turns a handlerFunc into an http.Handler: a returned error becomes
// an error page saying why, and an unexpected one is logged with its
// detail and shown without it.
func (s *Server) adapt(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		status, msg := s.describe(r, err)
		s.renderError(w, r, status, msg)
	})
}

// describe returns the status and message to show for err, logging the
// ones that are not the user's doing.
func (s *Server) describe(r *http.Request, err error) (int, string) {
	var he *httpError
	if errors.As(err, &he) {
		return he.status, he.msg
	}
	ae, unexpected := api.HTTPError(err)
	if unexpected {
		s.log.ErrorContext(r.Context(), "page failed", "method", r.Method,
			"path", r.URL.Path, "error", err)
	}
	return ae.Status, ae.Message
}

// recoverer turns a panic into a logged 500.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.ErrorContext(r.Context(), "page panicked", "path", r.URL.Path,
				"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			http.Error(w, "internal error; the server log has the detail", http.StatusInternalServerError)
		}()
		next.ServeHTTP(w, r)
	})
}

// redirect answers a successful form with 303 See Other, so that reloading
// the page that follows does not post the form again.
func redirect(w http.ResponseWriter, r *http.Request, to string) error {
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}
