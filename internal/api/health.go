package api

import (
	"context"
	"net/http"
	"time"

	"github.com/drsorch/drsorch/internal/store"
)

// Pinger is the optional capability of a store to check its connection
// cheaply; stores without it are probed with a one-item list.
type Pinger interface {
	Ping(ctx context.Context) error
}

func (s *Server) routesHealth(mux *http.ServeMux) {
	s.handle(mux, "GET", "/healthz", s.handleHealthz)
	s.handle(mux, "GET", "/readyz", s.handleReadyz)
}

type healthBody struct {
	Status string `json:"status"`
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
		return writeJSON(w, http.StatusServiceUnavailable, healthBody{Status: "store unavailable"})
	}
	return writeJSON(w, http.StatusOK, healthBody{Status: "ok"})
}
