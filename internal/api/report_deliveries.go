package api

import (
	"context"
	"net/http"

	"github.com/drsorch/drsorch/internal/store"
)

// Deliveries lists notification deliveries, newest first; the notifier
// is one.
type Deliveries interface {
	Deliveries(ctx context.Context, limit int) ([]store.Delivery, error)
}

// handleDeliveries lists the latest notification deliveries (?limit=).
func (s *Server) handleDeliveries(w http.ResponseWriter, r *http.Request) error {
	opts, err := listOptions(r)
	if err != nil {
		return err
	}
	if opts.NextToken != "" {
		return invalid("nextToken", "deliveries have one page: the latest up to limit")
	}
	var items []store.Delivery
	switch ds, ok := s.store.(store.DeliveryStore); {
	case s.deliveries != nil:
		items, err = s.deliveries.Deliveries(r.Context(), opts.Limit)
	case ok:
		items, err = ds.ListDeliveries(r.Context(), opts.Limit)
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newList(items, ""))
}
