package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
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
	apply, err := applyParam(r)
	if err != nil {
		return err
	}
	var g plan.ProtectionGroup
	if err := decode(w, r, &g); err != nil {
		return err
	}
	sv, err := s.saveGroup(r.Context(), &g, true, apply)
	if err != nil {
		return err
	}
	w.Header().Set("Location", groupsPath+"/"+g.ID)
	return s.writeSaved(w, http.StatusCreated, g, sv, apply)
}

func (s *Server) handleReplaceGroup(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	apply, err := applyParam(r)
	if err != nil {
		return err
	}
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
	sv, err := s.saveGroup(r.Context(), &g, false, apply)
	if err != nil {
		return err
	}
	return s.writeSaved(w, http.StatusOK, g, sv, apply)
}

// savedGroup is the answer of a group POST or PUT with
// ?applyLaunchSettings=true: the group as stored, and what applying its
// launch settings did. ApplyError says why nothing was applied, the group
// being stored all the same.
type savedGroup struct {
	plan.ProtectionGroup
	ApplyResults []plan.AppliedSettings `json:"applyResults"`
	ApplyError   string                 `json:"applyError,omitempty"`
}

// saved is what saveGroup did beside storing the group.
type saved struct {
	warning string
	results []plan.AppliedSettings
	// applyErr is why the apply after the save failed.
	applyErr error
}

// saveGroup creates or replaces g. With apply, the group's settings are
// checked against EC2 before anything is stored, and applied after: a
// refusal stores nothing, a failure after the save is reported beside
// the stored group.
func (s *Server) saveGroup(ctx context.Context, g *plan.ProtectionGroup, create, apply bool) (saved, error) {
	var sv saved
	if apply && s.settings == nil {
		return sv, errNoSettings
	}
	var err error
	if create {
		sv.warning, err = s.createGroupChecked(ctx, g, apply)
	} else {
		sv.warning, err = s.replaceGroupChecked(ctx, g, apply)
	}
	if err != nil || !apply {
		return sv, err
	}
	sv.results, sv.applyErr = s.applyGroup(ctx, *g)
	if sv.applyErr != nil {
		s.log.WarnContext(ctx, "apply launch settings after saving the group", "group", g.ID, "error", sv.applyErr)
	}
	return sv, nil
}

func (s *Server) writeSaved(w http.ResponseWriter, status int, g plan.ProtectionGroup, sv saved, apply bool) error {
	w.Header().Set("ETag", etag(g.Version))
	if sv.warning != "" {
		w.Header().Set(WarningHeader, warningValue(sv.warning))
	}
	if !apply {
		return writeJSON(w, status, g)
	}
	out := savedGroup{ProtectionGroup: g, ApplyResults: nonNil(sv.results)}
	if sv.applyErr != nil {
		he, _ := toHTTP(sv.applyErr)
		out.ApplyError = he.Message
	}
	return writeJSON(w, status, out)
}

// warningValue is an RFC 9111 Warning header value of code 299
// (miscellaneous persistent warning).
func warningValue(text string) string {
	return `299 drsorch ` + strconv.Quote(text)
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
// group and against EC2 when it has static IPs, and stores it.
func (s *Server) createGroup(ctx context.Context, g *plan.ProtectionGroup) error {
	warning, err := s.createGroupChecked(ctx, g, false)
	if warning != "" {
		s.log.WarnContext(ctx, warning, "group", g.ID)
	}
	return err
}

// createGroupChecked is createGroup returning the warning of a skipped EC2
// check; with all, every server's settings are checked against EC2, not
// only those with static IPs.
func (s *Server) createGroupChecked(ctx context.Context, g *plan.ProtectionGroup, all bool) (string, error) {
	now := s.now().UTC()
	g.ID = plan.NewID(plan.PrefixGroup)
	g.Version = 0
	g.CreatedAt, g.UpdatedAt = now, now
	if err := s.checkGroup(ctx, g); err != nil {
		return "", err
	}
	warning, err := s.checkSettings(ctx, *g, all)
	if err != nil {
		return "", err
	}
	return warning, aboutField(s.store.CreateGroup(ctx, g), groupNamed(g.Name), "name")
}

// replaceGroup stores g in place of the group with its ID, if that group is
// still at g.Version.
func (s *Server) replaceGroup(ctx context.Context, g *plan.ProtectionGroup) error {
	warning, err := s.replaceGroupChecked(ctx, g, false)
	if warning != "" {
		s.log.WarnContext(ctx, warning, "group", g.ID)
	}
	return err
}

// replaceGroupChecked is replaceGroup returning the warning of a skipped
// EC2 check, as createGroupChecked.
func (s *Server) replaceGroupChecked(ctx context.Context, g *plan.ProtectionGroup, all bool) (string, error) {
	cur, err := s.store.GetGroup(ctx, g.ID)
	if err != nil {
		return "", about(err, groupName(g.ID))
	}
	if cur.Version != g.Version {
		return "", stale(groupName(g.ID), cur.Version)
	}
	g.CreatedAt, g.UpdatedAt = cur.CreatedAt, s.now().UTC()
	if err := s.checkGroup(ctx, g); err != nil {
		return "", err
	}
	warning, err := s.checkSettings(ctx, *g, all)
	if err != nil {
		return "", err
	}
	err = s.store.UpdateGroup(ctx, g)
	if errors.Is(err, store.ErrExists) {
		return "", aboutField(err, groupNamed(g.Name), "name")
	}
	return warning, about(err, groupName(g.ID))
}

// checkSettings checks g's launch settings against EC2 before it is
// stored: with all, those of every server DRS resolves it to (a save that
// applies them next); otherwise only those of servers with static IPs.
func (s *Server) checkSettings(ctx context.Context, g plan.ProtectionGroup, all bool) (string, error) {
	if !all {
		return s.checkStaticIPs(ctx, g)
	}
	if !g.HasLaunchSettings() {
		return "", nil
	}
	servers, _, err := s.resolve(ctx, g)
	if err != nil {
		return "", err
	}
	ids := staticIPServers(g)
	for _, srv := range servers {
		if !slices.Contains(ids, srv.ID) {
			ids = append(ids, srv.ID)
		}
	}
	targets := plan.SettingsTargets(g, ids)
	if len(targets) == 0 {
		return "", nil
	}
	return "", s.settingsRefusal(ctx, s.settings.Validate(ctx, g.AccountID, g.Region, targets), "check launch settings")
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
