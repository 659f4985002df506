package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/drsorch/drsorch/internal/auth"
	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
)

const groupsPath = "/api/v1/protection-groups"

func (s *Server) routesGroups(mux *http.ServeMux) {
	s.handle(mux, "GET", groupsPath, auth.View, s.handleListGroups)
	s.handle(mux, "POST", groupsPath, auth.Admin, s.handleCreateGroup)
	s.handle(mux, "GET", groupsPath+"/{id}", auth.View, s.handleGetGroup)
	s.handle(mux, "PUT", groupsPath+"/{id}", auth.Admin, s.handleReplaceGroup)
	s.handle(mux, "DELETE", groupsPath+"/{id}", auth.Admin, s.handleDeleteGroup)
}

func (s *Server) handleListGroups(w http.ResponseWriter, r *http.Request) error {
	opts, err := listOptions(r)
	if err != nil {
		return err
	}
	page, err := s.store.ListGroups(r.Context(), opts)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newList(page.Items, page.NextToken))
}

func (s *Server) handleGetGroup(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	g, err := s.store.GetGroup(r.Context(), id)
	if err != nil {
		return about(err, groupName(id))
	}
	w.Header().Set("ETag", etag(g.Version))
	return writeJSON(w, http.StatusOK, g)
}

func (s *Server) handleCreateGroup(w http.ResponseWriter, r *http.Request) error {
	var g plan.ProtectionGroup
	if err := decode(w, r, &g); err != nil {
		return err
	}
	if err := s.createGroup(r.Context(), &g); err != nil {
		return err
	}
	w.Header().Set("Location", groupsPath+"/"+g.ID)
	w.Header().Set("ETag", etag(g.Version))
	return writeJSON(w, http.StatusCreated, g)
}

func (s *Server) handleReplaceGroup(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	version, err := ifMatch(r)
	if err != nil {
		return err
	}
	var g plan.ProtectionGroup
	if err := decode(w, r, &g); err != nil {
		return err
	}
	if g.ID != "" && g.ID != id {
		return invalid("id", "id %q differs from the path's %q", g.ID, id)
	}
	g.ID, g.Version = id, version
	if err := s.replaceGroup(r.Context(), &g); err != nil {
		return err
	}
	w.Header().Set("ETag", etag(g.Version))
	return writeJSON(w, http.StatusOK, g)
}

func (s *Server) handleDeleteGroup(w http.ResponseWriter, r *http.Request) error {
	version, err := ifMatch(r)
	if err != nil {
		return err
	}
	if err := s.deleteGroup(r.Context(), r.PathValue("id"), version); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// createGroup gives g its ID and times, checks it against every stored
// group and stores it.
func (s *Server) createGroup(ctx context.Context, g *plan.ProtectionGroup) error {
	now := s.now().UTC()
	g.ID = plan.NewID(plan.PrefixGroup)
	g.Version = 0
	g.CreatedAt, g.UpdatedAt = now, now
	if err := s.checkGroup(ctx, g); err != nil {
		return err
	}
	return aboutField(s.store.CreateGroup(ctx, g), groupNamed(g.Name), "name")
}

// replaceGroup stores g in place of the group with its ID, if that group is
// still at g.Version.
func (s *Server) replaceGroup(ctx context.Context, g *plan.ProtectionGroup) error {
	cur, err := s.store.GetGroup(ctx, g.ID)
	if err != nil {
		return about(err, groupName(g.ID))
	}
	if cur.Version != g.Version {
		return stale(groupName(g.ID), cur.Version)
	}
	g.CreatedAt, g.UpdatedAt = cur.CreatedAt, s.now().UTC()
	if err := s.checkGroup(ctx, g); err != nil {
		return err
	}
	err = s.store.UpdateGroup(ctx, g)
	if errors.Is(err, store.ErrExists) {
		return aboutField(err, groupNamed(g.Name), "name")
	}
	return about(err, groupName(g.ID))
}

// checkGroup normalizes g and validates it against every other stored
// group, so that a server claimed by two groups is refused.
func (s *Server) checkGroup(ctx context.Context, g *plan.ProtectionGroup) error {
	if g.Region == "" {
		g.Region = s.defaultRegion
	}
	groups, err := s.allGroups(ctx)
	if err != nil {
		return err
	}
	others := groups[:0]
	for _, o := range groups {
		if o.ID != g.ID {
			others = append(others, o)
		}
	}
	return validateGroup(g, others)
}

// deleteGroup deletes a group at version unless a plan uses it.
func (s *Server) deleteGroup(ctx context.Context, id string, version int64) error {
	cur, err := s.store.GetGroup(ctx, id)
	if err != nil {
		return about(err, groupName(id))
	}
	if cur.Version != version {
		return stale(groupName(id), cur.Version)
	}
	plans, err := s.allPlans(ctx)
	if err != nil {
		return err
	}
	var users []string
	for _, p := range plans {
		if usesGroup(p, id) {
			users = append(users, fmt.Sprintf("%q (%s)", p.Name, p.ID))
		}
	}
	if len(users) > 0 {
		return &Error{
			Status: http.StatusConflict,
			Code:   CodeConflict,
			Message: fmt.Sprintf("%s is used by recovery plans %s; remove it from them first",
				groupName(id), strings.Join(users, ", ")),
		}
	}
	return about(s.store.DeleteGroup(ctx, id, version), groupName(id))
}

func usesGroup(p plan.RecoveryPlan, groupID string) bool {
	for _, w := range p.Waves {
		for _, id := range w.ProtectionGroupIDs {
			if id == groupID {
				return true
			}
		}
	}
	return false
}

// allGroups reads every stored group, page by page.
func (s *Server) allGroups(ctx context.Context) ([]plan.ProtectionGroup, error) {
	var all []plan.ProtectionGroup
	opts := store.ListOptions{Limit: maxLimit}
	for {
		page, err := s.store.ListGroups(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("list groups: %w", err)
		}
		all = append(all, page.Items...)
		if page.NextToken == "" {
			return all, nil
		}
		opts.NextToken = page.NextToken
	}
}

func groupName(id string) string    { return fmt.Sprintf("protection group %q", id) }
func groupNamed(name string) string { return fmt.Sprintf("a protection group named %q", name) }
