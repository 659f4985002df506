package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/drsorch/drsorch/internal/auth"
	"github.com/drsorch/drsorch/internal/store"
)

// Error codes of authentication and rate limiting.
const (
	CodeUnauthenticated = "unauthenticated"
	CodeForbidden       = "forbidden"
	CodeRateLimited     = "rate_limited"
)

// guard authenticates, rate-limits and authorizes every request of a
// route before next, and records the outcome of every state-changing one
// in the audit trail. It is the only place the API checks access.
func (s *Server) guard(rt Route, next http.Handler) http.Handler {
	access := rt.Access
	if !access.Set() {
		// A route registered without a decision is for admins only; the
		// route table test fails on it.
		access = auth.Admin
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if access.Public {
			next.ServeHTTP(w, r)
			return
		}
		p, err := s.authenticate(r)
		if err != nil {
			s.refuse(w, r, err)
			return
		}
		r = r.WithContext(auth.WithPrincipal(r.Context(), p))
		if ok, wait := s.limiter.Allow(p.TokenID); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			s.refuse(w, r, &Error{Status: http.StatusTooManyRequests, Code: CodeRateLimited,
				Message: "too many requests with this token; retry after the Retry-After seconds"})
			return
		}
		if err := auth.Authorize(p, access, r); err != nil {
			if errors.Is(err, auth.ErrForbidden) {
				err = &Error{Status: http.StatusForbidden, Code: CodeForbidden,
					Message: fmt.Sprintf("role %s may not %s %s", p.Role, r.Method, r.URL.Path)}
			}
			s.refuse(w, r, err)
			s.auditRequest(w, r, rt)
			return
		}
		next.ServeHTTP(w, r)
		s.auditRequest(w, r, rt)
	})
}

// authenticate returns the caller of r: a bearer token, or, for reading
// only, the UI's session cookie (the UI's script reads the event stream
// of an execution with it). Writes with a cookie would need a CSRF check,
// so the API takes none.
func (s *Server) authenticate(r *http.Request) (auth.Principal, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		tok, ok := auth.BearerToken(h)
		if !ok {
			return auth.Principal{}, auth.ErrUnauthenticated
		}
		return s.auth.Authenticate(r.Context(), tok)
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		if c, err := r.Cookie(auth.SessionCookie); err == nil {
			return s.auth.Session(r.Context(), c.Value)
		}
	}
	return auth.Principal{}, auth.ErrUnauthenticated
}

// refuse answers a request the guard stops.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, auth.ErrUnauthenticated) {
		v := `Bearer realm="drsorch"`
		if r.Header.Get("Authorization") != "" {
			v += `, error="invalid_token"`
		}
		w.Header().Set("WWW-Authenticate", v)
		err = &Error{Status: http.StatusUnauthorized, Code: CodeUnauthenticated,
			Message: "a valid bearer token is required (Authorization: Bearer drs_…)"}
	}
	s.adapt(func(http.ResponseWriter, *http.Request) error { return err }).ServeHTTP(w, r)
}

// safeMethod reports whether method changes nothing, and so is not
// audited.
func safeMethod(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
}

// auditRequest records a state-changing request and its outcome.
func (s *Server) auditRequest(w http.ResponseWriter, r *http.Request, rt Route) {
	if safeMethod(r.Method) {
		return
	}
	status := http.StatusOK
	if sw, ok := w.(*statusWriter); ok {
		status = sw.status()
	}
	e := store.AuditEntry{
		Time:       s.now(),
		Actor:      caller(r),
		Action:     rt.Method + " " + rt.Pattern,
		Target:     r.URL.Path,
		RemoteAddr: r.RemoteAddr,
		Status:     status,
		Outcome:    Outcome(status),
		RequestID:  RequestID(r.Context()),
	}
	if strings.HasPrefix(rt.Pattern, executionsPath+"/{id}") {
		e.ExecutionID = r.PathValue("id")
	} else if loc, ok := strings.CutPrefix(w.Header().Get("Location"), executionsPath+"/"); ok {
		e.ExecutionID = loc
	}
	s.audit.Record(r.Context(), e)
}

// Outcome names an HTTP status in the audit trail.
func Outcome(status int) string {
	switch {
	case status >= 500:
		return "error"
	case status >= 400:
		return "refused"
	}
	return "ok"
}

// caller names who makes a request, for execution events and the audit
// trail: the authenticated principal.
func caller(r *http.Request) string {
	p, ok := auth.FromContext(r.Context())
	if !ok {
		return ""
	}
	return p.String()
}

// startAccess decides the role a start needs from the mode in its body:
// drill-operator for a drill, recovery-operator otherwise. The body is
// read here and put back for the handler, which decodes it strictly;
// whatever does not parse here is held to the stricter role.
var startAccess = auth.Access{Decide: func(r *http.Request) (auth.Role, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return auth.ModeRole(""), nil
	}
	var req struct {
		Mode string `json:"mode"`
	}
	if json.Unmarshal(body, &req) != nil {
		return auth.ModeRole(""), nil
	}
	return auth.ModeRole(req.Mode), nil
}}

const (
	tokensPath = "/api/v1/tokens"
	auditPath  = "/api/v1/audit"
)

func (s *Server) routesAuth(mux *http.ServeMux) {
	s.handle(mux, "GET", tokensPath, auth.Admin, s.handleListTokens)
	s.handle(mux, "POST", tokensPath, auth.Admin, s.handleCreateToken)
	s.handle(mux, "DELETE", tokensPath+"/{id}", auth.Admin, s.handleRevokeToken)
	s.handle(mux, "GET", auditPath, auth.Admin, s.handleListAudit)
}

// tokenJSON is a token as the API shows it: never its hash.
type tokenJSON struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Role      string     `json:"role"`
	CreatedAt time.Time  `json:"createdAt"`
	CreatedBy string     `json:"createdBy,omitempty"`
	ExpiresAt time.Time  `json:"expiresAt"`
	RevokedAt *time.Time `json:"revokedAt,omitempty"`
	// Token is the secret, in the answer of its creation only.
	Token string `json:"token,omitempty"`
}

func toTokenJSON(t store.Token) tokenJSON {
	return tokenJSON{ID: t.ID, Name: t.Name, Role: t.Role, CreatedAt: t.CreatedAt,
		CreatedBy: t.CreatedBy, ExpiresAt: t.ExpiresAt, RevokedAt: t.RevokedAt}
}

func (s *Server) handleListTokens(w http.ResponseWriter, r *http.Request) error {
	ts, err := s.auth.ListTokens(r.Context())
	if err != nil {
		return err
	}
	items := []tokenJSON{}
	for _, t := range ts {
		items = append(items, toTokenJSON(t))
	}
	return writeJSON(w, http.StatusOK, newList(items, ""))
}

// createTokenRequest is the body of POST /api/v1/tokens. ExpiresIn is a
// Go duration ("720h"); empty means DefaultTokenTTL.
type createTokenRequest struct {
	Name      string `json:"name"`
	Role      string `json:"role"`
	ExpiresIn string `json:"expiresIn,omitempty"`
}

// DefaultTokenTTL is how long a token lasts unless told.
const DefaultTokenTTL = 30 * 24 * time.Hour

func (s *Server) handleCreateToken(w http.ResponseWriter, r *http.Request) error {
	var req createTokenRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	role, err := auth.ParseRole(req.Role)
	if err != nil {
		return invalid("role", "%v", err)
	}
	if n := strings.TrimSpace(req.Name); n == "" || len(n) > 128 {
		return invalid("name", "name must have 1 to 128 characters")
	}
	ttl := DefaultTokenTTL
	if req.ExpiresIn != "" {
		if ttl, err = time.ParseDuration(req.ExpiresIn); err != nil || ttl <= 0 {
			return invalid("expiresIn", "expiresIn %q is not a positive duration such as 720h", req.ExpiresIn)
		}
	}
	secret, t, err := s.auth.CreateToken(r.Context(), req.Name, role, ttl, caller(r))
	if err != nil {
		return err
	}
	out := toTokenJSON(*t)
	out.Token = secret
	w.Header().Set("Location", tokensPath+"/"+t.ID)
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusCreated, out)
}

// handleRevokeToken revokes a token. Tokens have no versions: revoking
// twice is harmless, so no If-Match is asked for.
func (s *Server) handleRevokeToken(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := s.auth.RevokeToken(r.Context(), id); err != nil {
		return about(err, fmt.Sprintf("token %q", id))
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) handleListAudit(w http.ResponseWriter, r *http.Request) error {
	as := s.audit.Store()
	if as == nil {
		return errors.New("api: the store keeps no audit trail")
	}
	opts, err := listOptions(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := store.AuditFilter{Actor: q.Get("actor"), Action: q.Get("action")}
	for _, p := range []struct {
		name string
		t    *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		v := q.Get(p.name)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return invalid(p.name, "%s %q is not an RFC 3339 time", p.name, v)
		}
		// Stores compare Unix nanoseconds, which end in 2262.
		if t.Year() < 1970 || t.Year() > 2200 {
			return invalid(p.name, "%s %q is not between 1970 and 2200", p.name, v)
		}
		*p.t = t
	}
	page, err := as.ListAudit(r.Context(), f, opts)
	if err != nil {
		return err
	}
	items := page.Items
	if items == nil {
		items = []store.AuditEntry{}
	}
	return writeJSON(w, http.StatusOK, newList(items, page.NextToken))
}
