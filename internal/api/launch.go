package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/drsorch/drsorch/internal/auth"
	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/execution"
	"github.com/drsorch/drsorch/internal/plan"
)

// LaunchSettings is the part of the launch settings service
// (internal/launchcfg) the API calls: checking, applying and reading back
// the launch settings of servers of one account and region, and copying
// EC2 tags onto DRS source servers.
type LaunchSettings interface {
	// Validate checks targets against EC2 (subnets, security groups,
	// static IPs); its refusal is a plan.Errors.
	Validate(ctx context.Context, accountID, region string, targets []plan.SettingsTarget) error
	// Apply writes what differs; an error means nothing was written.
	Apply(ctx context.Context, accountID, region string, targets []plan.SettingsTarget) ([]plan.AppliedSettings, error)
	// Drift reads back what DRS and EC2 hold and compares it.
	Drift(ctx context.Context, accountID, region string, targets []plan.SettingsTarget) ([]plan.ServerDrift, error)
	// SyncTags copies source machines' EC2 tags onto their source servers.
	SyncTags(ctx context.Context, accountID, region string) (plan.TagSyncResult, error)
}

// appliedStore is the part of store.SettingsStore the API calls: the
// latest application of each server's launch settings. Stores without it
// keep no record; the settings are applied all the same.
type appliedStore interface {
	PutAppliedSettings(ctx context.Context, records []plan.AppliedSettings) error
	ListAppliedSettings(ctx context.Context, groupID string) ([]plan.AppliedSettings, error)
}

// Codes of the launch settings routes.
const (
	// CodeUnavailable is a 503: a part the route needs (the launch
	// settings service) is not configured, or EC2 could not be asked.
	CodeUnavailable = "unavailable"
)

// WarningHeader carries a warning on an answer whose body has no room for
// one: a group with static IPs saved without the EC2 check because no
// launch settings service is configured.
const WarningHeader = "Warning"

const tagSyncPath = "/api/v1/tag-sync"

func (s *Server) routesLaunch(mux *http.ServeMux) {
	s.handle(mux, "POST", groupsPath+"/{id}/apply-launch-settings", auth.Admin, s.handleApplyLaunchSettings)
	s.handle(mux, "GET", groupsPath+"/{id}/launch-settings", auth.View, s.handleGroupLaunchSettings)
	s.handle(mux, "GET", groupsPath+"/{id}/drift", auth.View, s.handleGroupDrift)
	s.handle(mux, "POST", tagSyncPath, auth.Admin, s.handleTagSync)
}

// errNoSettings answers the routes that need the launch settings service
// when the server was built without one.
var errNoSettings = &Error{Status: http.StatusServiceUnavailable, Code: CodeUnavailable,
	Message: "launch settings are not available: this server has no launch settings service (EC2) configured"}

// ApplyResults is the answer of POST …/{id}/apply-launch-settings: one
// result per server of the group whose settings manage something.
type ApplyResults struct {
	GroupID string                 `json:"protectionGroupId"`
	Results []plan.AppliedSettings `json:"results"`
}

// GroupSettingsView is the launch settings of each server of a group now:
// what they are, where in the group they come from, and their latest
// application.
type GroupSettingsView struct {
	GroupID string `json:"protectionGroupId"`
	// Servers are the group's servers, by ID, as DRS resolves them now.
	Servers []ServerSettingsView `json:"servers"`
	// Missing lists the group's explicit server IDs DRS does not know.
	Missing []string `json:"missingServers,omitempty"`
}

// ServerSettingsView is one server of a GroupSettingsView.
type ServerSettingsView struct {
	SourceServerID string `json:"sourceServerId"`
	Hostname       string `json:"hostname,omitempty"`
	// Settings are the effective settings: the group's, overridden by the
	// server's own entry.
	Settings plan.LaunchSettings `json:"settings"`
	// Field is "serverLaunchSettings.<ID>" or "launchSettings".
	Field string `json:"field"`
	// Applied is the latest application recorded, nil when none is.
	Applied *plan.AppliedSettings `json:"applied,omitempty"`
}

// GroupDrift is a group's launch settings drift: every managed server
// read back from DRS and EC2 and compared with its effective settings.
type GroupDrift struct {
	GroupID   string             `json:"protectionGroupId"`
	CheckedAt time.Time          `json:"checkedAt"`
	Servers   []plan.ServerDrift `json:"servers"`
	// Drifted counts the servers with at least one field that differs,
	// Unreadable those that could not be read back (their Error says why).
	Drifted    int `json:"drifted"`
	Unreadable int `json:"unreadable"`
}

// tagSyncRequest is the body of POST /api/v1/tag-sync.
type tagSyncRequest struct {
	AccountID string `json:"accountId,omitempty"`
	Region    string `json:"region,omitempty"`
}

func (s *Server) handleApplyLaunchSettings(w http.ResponseWriter, r *http.Request) error {
	if err := emptyBody(w, r); err != nil {
		return err
	}
	id := r.PathValue("id")
	res, err := s.ApplyLaunchSettings(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ApplyResults{GroupID: id, Results: nonNil(res)})
}

func (s *Server) handleGroupLaunchSettings(w http.ResponseWriter, r *http.Request) error {
	v, err := s.GroupLaunchSettings(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

func (s *Server) handleGroupDrift(w http.ResponseWriter, r *http.Request) error {
	d, err := s.GroupDrift(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}

func (s *Server) handleTagSync(w http.ResponseWriter, r *http.Request) error {
	var req tagSyncRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	res, err := s.SyncTags(r.Context(), req.AccountID, req.Region)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

// emptyBody accepts a POST without a body, or with an empty JSON object,
// and refuses anything else: the route takes no parameters, and a body
// that means something elsewhere must not be ignored silently.
func emptyBody(w http.ResponseWriter, r *http.Request) error {
	if r.ContentLength == 0 && r.Header.Get("Content-Type") == "" {
		return nil
	}
	var none struct{}
	return decode(w, r, &none)
}

// ApplyLaunchSettings applies the launch settings of every server of the
// group groupID as DRS resolves it now (its explicit IDs and its tag
// selector), and records the results, as POST
// /api/v1/protection-groups/{id}/apply-launch-settings does. A refusal of
// the settings (nothing written) is a 422 listing every problem; servers
// the group lists but DRS does not know get a result with an error.
func (s *Server) ApplyLaunchSettings(ctx context.Context, groupID string) ([]plan.AppliedSettings, error) {
	if s.settings == nil {
		return nil, errNoSettings
	}
	g, err := s.store.GetGroup(ctx, groupID)
	if err != nil {
		return nil, about(err, groupName(groupID))
	}
	return s.applyGroup(ctx, *g)
}

// applyGroup resolves g, applies the settings of its servers and records
// the results.
func (s *Server) applyGroup(ctx context.Context, g plan.ProtectionGroup) ([]plan.AppliedSettings, error) {
	targets, missing, err := s.groupTargets(ctx, g)
	if err != nil {
		return nil, err
	}
	var res []plan.AppliedSettings
	if len(targets) > 0 {
		if res, err = s.settings.Apply(ctx, g.AccountID, g.Region, targets); err != nil {
			return nil, s.settingsRefusal(ctx, err, "apply launch settings")
		}
		s.recordApplied(ctx, res)
	}
	now := s.now().UTC()
	for _, id := range missing {
		if !plan.EffectiveSettings(g, id).IsZero() {
			res = append(res, plan.AppliedSettings{GroupID: g.ID, SourceServerID: id, AccountID: g.AccountID,
				Region: g.Region, Settings: plan.EffectiveSettings(g, id), Time: now,
				Error: fmt.Sprintf("source server %s does not exist in DRS in %s; nothing applied", id, g.Region)})
		}
	}
	changed, failed := 0, 0
	for _, a := range res {
		switch {
		case a.Error != "":
			failed++
			s.log.WarnContext(ctx, "launch settings not applied", "group", g.ID, "server", a.SourceServerID, "error", a.Error)
		case len(a.Changed) > 0:
			changed++
		}
	}
	s.log.InfoContext(ctx, "launch settings applied", "group", g.ID, "servers", len(res),
		"changed", changed, "failed", failed)
	return res, nil
}

// recordApplied keeps the results in the store when it keeps them; a
// failure to record is logged, since the settings are applied already.
func (s *Server) recordApplied(ctx context.Context, res []plan.AppliedSettings) {
	as, ok := s.store.(appliedStore)
	if !ok || len(res) == 0 {
		return
	}
	if err := as.PutAppliedSettings(ctx, res); err != nil {
		s.log.ErrorContext(ctx, "record applied launch settings", "error", err)
	}
}

// GroupLaunchSettings returns the effective launch settings of each server
// of groupID as DRS resolves it now, with the latest application recorded,
// as GET /api/v1/protection-groups/{id}/launch-settings does. It needs no
// launch settings service.
func (s *Server) GroupLaunchSettings(ctx context.Context, groupID string) (GroupSettingsView, error) {
	g, err := s.store.GetGroup(ctx, groupID)
	if err != nil {
		return GroupSettingsView{}, about(err, groupName(groupID))
	}
	servers, missing, err := s.resolve(ctx, *g)
	if err != nil {
		return GroupSettingsView{}, err
	}
	latest := map[string]plan.AppliedSettings{}
	if as, ok := s.store.(appliedStore); ok {
		recs, err := as.ListAppliedSettings(ctx, g.ID)
		if err != nil {
			return GroupSettingsView{}, fmt.Errorf("list applied launch settings: %w", err)
		}
		for _, a := range recs {
			if cur, ok := latest[a.SourceServerID]; !ok || a.Time.After(cur.Time) {
				latest[a.SourceServerID] = a
			}
		}
	}
	v := GroupSettingsView{GroupID: g.ID, Servers: []ServerSettingsView{}, Missing: missing}
	for _, srv := range servers {
		sv := ServerSettingsView{SourceServerID: srv.ID, Hostname: srv.Hostname,
			Settings: plan.EffectiveSettings(*g, srv.ID), Field: "launchSettings"}
		if _, ok := g.ServerLaunchSettings[srv.ID]; ok {
			sv.Field = "serverLaunchSettings." + srv.ID
		}
		if a, ok := latest[srv.ID]; ok {
			sv.Applied = &a
		}
		v.Servers = append(v.Servers, sv)
	}
	return v, nil
}

// GroupDrift reads back the launch settings of every managed server of
// groupID and compares them with its effective settings, as GET
// /api/v1/protection-groups/{id}/drift does.
func (s *Server) GroupDrift(ctx context.Context, groupID string) (GroupDrift, error) {
	if s.settings == nil {
		return GroupDrift{}, errNoSettings
	}
	g, err := s.store.GetGroup(ctx, groupID)
	if err != nil {
		return GroupDrift{}, about(err, groupName(groupID))
	}
	targets, missing, err := s.groupTargets(ctx, *g)
	if err != nil {
		return GroupDrift{}, err
	}
	d := GroupDrift{GroupID: g.ID, CheckedAt: s.now().UTC(), Servers: []plan.ServerDrift{}}
	var servers []plan.ServerDrift
	if len(targets) > 0 {
		servers, err = s.settings.Drift(ctx, g.AccountID, g.Region, targets)
		if err != nil {
			return GroupDrift{}, s.settingsRefusal(ctx, err, "read back launch settings")
		}
	}
	// A listed server DRS no longer knows has nothing to read back: it is
	// unreadable, not in line.
	for _, t := range plan.SettingsTargets(*g, missing) {
		servers = append(servers, plan.ServerDrift{GroupID: g.ID, SourceServerID: t.SourceServerID,
			Error: fmt.Sprintf("source server %s does not exist in DRS in %s; nothing read back", t.SourceServerID, g.Region)})
	}
	for i := range servers {
		if servers[i].Fields == nil {
			servers[i].Fields = []plan.FieldDrift{}
		}
		switch {
		case servers[i].Error != "":
			d.Unreadable++
		case len(servers[i].Fields) > 0:
			d.Drifted++
		}
	}
	d.Servers = servers
	return d, nil
}

// SyncTags copies the EC2 tags of the source machines of an account and
// region onto their DRS source servers, as POST /api/v1/tag-sync does. An
// empty region is the server's default.
func (s *Server) SyncTags(ctx context.Context, accountID, region string) (plan.TagSyncResult, error) {
	if accountID != "" && !plan.ValidAccountID(accountID) {
		return plan.TagSyncResult{}, invalid("accountId", "accountId %q is not a 12-digit AWS account ID", accountID)
	}
	if region == "" {
		region = s.defaultRegion
	}
	if !plan.ValidRegion(region) {
		return plan.TagSyncResult{}, invalid("region", "region %q is not an AWS region such as us-east-1", region)
	}
	if s.settings == nil {
		return plan.TagSyncResult{}, errNoSettings
	}
	res, err := s.settings.SyncTags(ctx, accountID, region)
	if err != nil {
		return plan.TagSyncResult{}, s.settingsRefusal(ctx, err, "sync tags")
	}
	s.log.InfoContext(ctx, "tags synced", "account", accountID, "region", region,
		"servers", res.Servers, "linked", res.Linked, "updated", res.Updated, "errors", len(res.Errors))
	return res, nil
}

// resolve returns the servers of g as DRS lists them now, by the rule an
// execution's start uses, and the explicit IDs DRS does not know.
func (s *Server) resolve(ctx context.Context, g plan.ProtectionGroup) ([]drs.SourceServer, []string, error) {
	if s.drs == nil {
		return nil, nil, errors.New("resolve group: no DRS client configured")
	}
	inv, err := s.drs.SourceServers(ctx, g.AccountID, g.Region)
	if err != nil {
		return nil, nil, s.unavailable(ctx, fmt.Sprintf("DRS could not be asked for the source servers in %s", g.Region),
			fmt.Errorf("describe source servers in %s: %w", g.Region, err))
	}
	servers, missing := execution.ResolveGroup(g, inv)
	return servers, missing, nil
}

// groupTargets returns the settings targets of g's servers as DRS
// resolves them now, and the explicit IDs DRS does not know.
func (s *Server) groupTargets(ctx context.Context, g plan.ProtectionGroup) ([]plan.SettingsTarget, []string, error) {
	if !g.HasLaunchSettings() {
		return nil, nil, nil
	}
	servers, missing, err := s.resolve(ctx, g)
	if err != nil {
		return nil, nil, err
	}
	ids := make([]string, len(servers))
	for i, srv := range servers {
		ids[i] = srv.ID
	}
	return plan.SettingsTargets(g, ids), missing, nil
}

// checkStaticIPs runs the EC2 check of the servers of g that have launch
// settings of their own, when one of them has a static IP: the subnet's
// range, its reserved addresses, the addresses in use. Without a launch
// settings service the check is skipped and the warning returned, for the
// answer's Warning header.
func (s *Server) checkStaticIPs(ctx context.Context, g plan.ProtectionGroup) (warning string, err error) {
	ids := staticIPServers(g)
	if len(ids) == 0 {
		return "", nil
	}
	if s.settings == nil {
		return "static private IPs were not checked against EC2: this server has no launch settings service configured", nil
	}
	return "", s.settingsRefusal(ctx, s.settings.Validate(ctx, g.AccountID, g.Region, plan.SettingsTargets(g, ids)),
		"check launch settings")
}

// staticIPServers returns, sorted, the servers of g with an entry of their
// own in ServerLaunchSettings when any of them has a static private IP.
func staticIPServers(g plan.ProtectionGroup) []string {
	static := false
	var ids []string
	for id, ls := range g.ServerLaunchSettings {
		static = static || ls.PrivateIP != ""
		ids = append(ids, id)
	}
	if !static {
		return nil
	}
	slices.Sort(ids)
	return ids
}

// settingsRefusal turns an error of the launch settings service into the
// answer: its validation refusal (plan.Errors) is a 422 listing every
// problem with its code and field; any other error means DRS or EC2 could
// not be asked, a 503 whose detail goes to the log. A nil err stays nil.
func (s *Server) settingsRefusal(ctx context.Context, err error, step string) error {
	if err == nil {
		return nil
	}
	var pe plan.Errors
	if errors.As(err, &pe) && len(pe) > 0 {
		e := validationError(pe)
		e.Status = http.StatusUnprocessableEntity
		return e
	}
	var he *Error
	if errors.As(err, &he) || errors.Is(err, context.Canceled) {
		return err
	}
	return s.unavailable(ctx, step+": DRS or EC2 could not be asked; the server log has the detail",
		fmt.Errorf("%s: %w", step, err))
}

// unavailable logs cause and returns the 503 that shows message.
func (s *Server) unavailable(ctx context.Context, message string, cause error) error {
	s.log.WarnContext(ctx, "launch settings", "error", cause)
	return &Error{Status: http.StatusServiceUnavailable, Code: CodeUnavailable, Message: message}
}

// applyParam reads ?applyLaunchSettings= of a group POST or PUT.
func applyParam(r *http.Request) (bool, error) {
	q := r.URL.Query()
	vs := q["applyLaunchSettings"]
	switch len(vs) {
	case 0:
		return false, nil
	case 1:
	default:
		return false, invalid("applyLaunchSettings", "applyLaunchSettings is given %d times; give it once", len(vs))
	}
	b, err := strconv.ParseBool(vs[0])
	if err != nil {
		return false, invalid("applyLaunchSettings", "applyLaunchSettings %q is not true or false", vs[0])
	}
	return b, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
