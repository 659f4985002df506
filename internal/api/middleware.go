package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"runtime/debug"
	"strings"
	"time"
)

// RequestIDHeader carries the request ID, taken from the request when the
// client sent a usable one and generated otherwise.
const RequestIDHeader = "X-Request-Id"

type requestIDKey struct{}

// RequestID returns the ID of the request ctx belongs to, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// middleware wraps every request: a request ID, panic recovery, and one
// Debug log line per request. Bodies are never logged.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get(RequestIDHeader)
		if !usableID(id) {
			id = newRequestID()
		}
		w.Header().Set(RequestIDHeader, id)
		SetSecurityHeaders(w.Header())
		r = r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id))
		sw := &statusWriter{ResponseWriter: w}

		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.ErrorContext(r.Context(), "handler panicked",
					"method", r.Method, "path", r.URL.Path, "request_id", id,
					"panic", v, "stack", string(debug.Stack()))
				if !sw.wrote {
					writeJSON(sw, http.StatusInternalServerError, errorBody{Error: errorJSON{
						Code: CodeInternal, Message: "internal error; the server log has the detail",
					}})
				}
			}
			s.log.DebugContext(r.Context(), "request",
				"method", r.Method, "path", r.URL.Path, "status", sw.status(),
				"duration", time.Since(start), "request_id", id)
		}()
		next.ServeHTTP(sw, r)
	})
}

// usableID reports whether a client's request ID is safe to echo and log:
// short, and made of letters, digits and a few punctuation marks.
func usableID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == ':'
		if !ok {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// statusWriter remembers the status written, and whether anything was.
type statusWriter struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.code = code
		w.wrote = true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.code = http.StatusOK
		w.wrote = true
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) status() int {
	if !w.wrote {
		return http.StatusOK
	}
	return w.code
}

// Flush lets streaming handlers (server-sent events) flush through the
// wrapper; Unwrap lets http.ResponseController find the other methods.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		if !w.wrote {
			w.code, w.wrote = http.StatusOK, true
		}
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// unmatched answers requests that match no route with the JSON error body
// instead of the mux's plain text: 404 for an unknown path, 405 (with the
// mux's Allow header) for a known path with another method.
func (s *Server) unmatched(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		cw := &captureWriter{header: w.Header()}
		h.ServeHTTP(cw, r)
		var err *Error
		switch cw.code {
		case http.StatusNotFound:
			err = &Error{Status: http.StatusNotFound, Code: CodeNotFound,
				Message: "no route for " + r.URL.Path}
		case http.StatusMethodNotAllowed:
			err = &Error{Status: http.StatusMethodNotAllowed, Code: CodeMethodNotAllowed,
				Message: "method " + r.Method + " is not allowed on " + r.URL.Path}
		default:
			// A redirect to the cleaned path, say: pass it on as it was.
			w.WriteHeader(cw.code)
			w.Write(cw.body)
			return
		}
		s.adapt(func(http.ResponseWriter, *http.Request) error { return err }).ServeHTTP(w, r)
	})
}

// captureWriter records what the mux's fallback handlers write, sharing
// the real writer's header map so that Allow and Location survive.
type captureWriter struct {
	header http.Header
	code   int
	body   []byte
}

func (c *captureWriter) Header() http.Header { return c.header }
func (c *captureWriter) WriteHeader(code int) {
	if c.code == 0 {
		c.code = code
	}
}
func (c *captureWriter) Write(b []byte) (int, error) {
	if c.code == 0 {
		c.code = http.StatusOK
	}
	c.body = append(c.body, b...)
	return len(b), nil
}

// ContentSecurityPolicy allows the UI's own script, style sheet, images
// and connections, and nothing inline, framed or from elsewhere.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; connect-src 'self'; form-action 'self'; " +
	"frame-ancestors 'none'; base-uri 'none'"

// SetSecurityHeaders sets the headers every response of drsorch carries.
func SetSecurityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
}

// SecurityHeaders wraps next so that every response carries the
// security headers, and over TLS Strict-Transport-Security too.
func SecurityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		SetSecurityHeaders(w.Header())
		if OverTLS(r) {
			w.Header().Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// OverTLS reports whether the client reached us over TLS: directly, or
// through a load balancer that terminated it and says so in
// X-Forwarded-Proto. Trusting the header can only make a spoofing client
// stricter with itself (Secure cookies, HSTS), never weaken anyone else.
func OverTLS(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}
