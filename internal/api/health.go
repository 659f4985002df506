package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/drsorch/drsorch/internal/auth"
	"github.com/drsorch/drsorch/internal/store"
)

// Pinger is the optional capability of a store to check its connection
// cheaply; stores without it are probed with a one-item list.
type Pinger interface {
	Ping(ctx context.Context) error
}

func (s *Server) routesHealth(mux *http.ServeMux) {
	s.handle(mux, "GET", "/healthz", auth.Public, s.handleHealthz)
	s.handle(mux, "GET", "/readyz", auth.Public, s.handleReadyz)
}

type healthBody struct {
	Status string `json:"status"`
	// Reason says what is wrong when the status is not "ok".
	Reason string `json:"reason,omitempty"`
}

// handleHealthz answers as long as the process serves requests.
func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, healthBody{Status: "ok"})
}

// handleReadyz answers 200 when the store is reachable and 503 otherwise.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	var err error
	if p, ok := s.store.(Pinger); ok {
		err = p.Ping(ctx)
	} else {
		_, err = s.store.ListGroups(ctx, store.ListOptions{Limit: 1})
	}
	if err != nil {
		s.log.WarnContext(ctx, "store not ready", "error", err)
		return writeJSON(w, http.StatusServiceUnavailable, healthBody{Status: "store unavailable", Reason: reason(err)})
	}
	if s.ready != nil {
		if err := s.ready(ctx); err != nil {
			s.log.WarnContext(ctx, "not ready", "error", err)
			return writeJSON(w, http.StatusServiceUnavailable, healthBody{Status: "degraded", Reason: reason(err)})
		}
	}
	return writeJSON(w, http.StatusOK, healthBody{Status: "ok"})
}

// reason is an error's message for /readyz, cut to a length a probe's log
// line can hold.
func reason(err error) string {
	const max = 1000
	msg := err.Error()
	if len(msg) > max {
		msg = strings.ToValidUTF8(msg[:max], "") + "…"
	}
	return msg
}
