package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/drsorch/drsorch/internal/auth"
)

func (s *Server) routesReadiness(mux *http.ServeMux) {
	s.handle(mux, "GET", "/api/v1/readiness", auth.View, s.handleReadiness)
}

// handleReadiness serves the readiness of every plan, or of ?planId=:
// the cached result of the scheduled check while it is fresh, a new check
// otherwise or with ?refresh=true.
func (s *Server) handleReadiness(w http.ResponseWriter, r *http.Request) error {
	if s.readiness == nil {
		return errors.New("api: no readiness monitor configured")
	}
	q := r.URL.Query()
	refresh := false
	if v := q.Get("refresh"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return invalid("refresh", "refresh %q is not true or false", v)
		}
		refresh = b
	}
	planID := q.Get("planId")
	res, err := s.readiness.Get(r.Context(), planID, refresh)
	if err != nil {
		return about(err, fmt.Sprintf("recovery plan %q", planID))
	}
	return writeJSON(w, http.StatusOK, res)
}
