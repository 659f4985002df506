package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/drsorch/drsorch/internal/auth"
	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
)

const plansPath = "/api/v1/recovery-plans"

func (s *Server) routesPlans(mux *http.ServeMux) {
	s.handle(mux, "GET", plansPath, auth.View, s.handleListPlans)
	s.handle(mux, "POST", plansPath, auth.Admin, s.handleCreatePlan)
	s.handle(mux, "GET", plansPath+"/{id}", auth.View, s.handleGetPlan)
	s.handle(mux, "PUT", plansPath+"/{id}", auth.Admin, s.handleReplacePlan)
	s.handle(mux, "DELETE", plansPath+"/{id}", auth.Admin, s.handleDeletePlan)
}

func (s *Server) handleListPlans(w http.ResponseWriter, r *http.Request) error {
	opts, err := listOptions(r)
	if err != nil {
		return err
	}
	page, err := s.store.ListPlans(r.Context(), opts)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newList(page.Items, page.NextToken))
}

func (s *Server) handleGetPlan(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	p, err := s.store.GetPlan(r.Context(), id)
	if err != nil {
		return about(err, planName(id))
	}
	w.Header().Set("ETag", etag(p.Version))
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) handleCreatePlan(w http.ResponseWriter, r *http.Request) error {
	var p plan.RecoveryPlan
	if err := decode(w, r, &p); err != nil {
		return err
	}
	if err := s.createPlan(r.Context(), &p); err != nil {
		return err
	}
	w.Header().Set("Location", plansPath+"/"+p.ID)
	w.Header().Set("ETag", etag(p.Version))
	return writeJSON(w, http.StatusCreated, p)
}

func (s *Server) handleReplacePlan(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	version, err := ifMatch(r)
	if err != nil {
		return err
	}
	var p plan.RecoveryPlan
	if err := decode(w, r, &p); err != nil {
		return err
	}
	if p.ID != "" && p.ID != id {
		return invalid("id", "id %q differs from the path's %q", p.ID, id)
	}
	p.ID, p.Version = id, version
	if err := s.replacePlan(r.Context(), &p); err != nil {
		return err
	}
	w.Header().Set("ETag", etag(p.Version))
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) handleDeletePlan(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	version, err := ifMatch(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	cur, err := s.store.GetPlan(ctx, id)
	if err != nil {
		return about(err, planName(id))
	}
	if cur.Version != version {
		return stale(planName(id), cur.Version)
	}
	if err := s.store.DeletePlan(ctx, id, version); err != nil {
		return about(err, planName(id))
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// createPlan gives p its ID and times, checks it against the stored groups
// and stores it.
func (s *Server) createPlan(ctx context.Context, p *plan.RecoveryPlan) error {
	now := s.now().UTC()
	p.ID = plan.NewID(plan.PrefixPlan)
	p.Version = 0
	p.CreatedAt, p.UpdatedAt = now, now
	if err := s.checkPlan(ctx, p); err != nil {
		return err
	}
	return aboutField(s.store.CreatePlan(ctx, p), planNamed(p.Name), "name")
}

// replacePlan stores p in place of the plan with its ID, if that plan is
// still at p.Version.
func (s *Server) replacePlan(ctx context.Context, p *plan.RecoveryPlan) error {
	cur, err := s.store.GetPlan(ctx, p.ID)
	if err != nil {
		return about(err, planName(p.ID))
	}
	if cur.Version != p.Version {
		return stale(planName(p.ID), cur.Version)
	}
	p.CreatedAt, p.UpdatedAt = cur.CreatedAt, s.now().UTC()
	if err := s.checkPlan(ctx, p); err != nil {
		return err
	}
	err = s.store.UpdatePlan(ctx, p)
	if errors.Is(err, store.ErrExists) {
		return aboutField(err, planNamed(p.Name), "name")
	}
	return about(err, planName(p.ID))
}

// checkPlan normalizes p and validates it, its waves' groups looked up by
// ID among the stored groups.
func (s *Server) checkPlan(ctx context.Context, p *plan.RecoveryPlan) error {
	groups, err := s.allGroups(ctx)
	if err != nil {
		return err
	}
	byID := make(map[string]plan.ProtectionGroup, len(groups))
	for _, g := range groups {
		byID[g.ID] = g
	}
	return validatePlan(p, byID)
}

// allPlans reads every stored plan, page by page.
func (s *Server) allPlans(ctx context.Context) ([]plan.RecoveryPlan, error) {
	var all []plan.RecoveryPlan
	opts := store.ListOptions{Limit: maxLimit}
	for {
		page, err := s.store.ListPlans(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("list plans: %w", err)
		}
		all = append(all, page.Items...)
		if page.NextToken == "" {
			return all, nil
		}
		opts.NextToken = page.NextToken
	}
}

func planName(id string) string    { return fmt.Sprintf("recovery plan %q", id) }
func planNamed(name string) string { return fmt.Sprintf("a recovery plan named %q", name) }
