package api

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/drsorch/drsorch/internal/auth"
	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
)

func (s *Server) routesServers(mux *http.ServeMux) {
	s.handle(mux, "GET", "/api/v1/source-servers", auth.View, s.handleListServers)
}

// serverQuery is a parsed GET /api/v1/source-servers.
type serverQuery struct {
	region  string
	tags    map[string]string
	state   string
	groupID string
	opts    store.ListOptions
}

// sourceServer is a DRS source server as the API shows it: the DRS fields,
// the lag in whole seconds, and the protection group that claims it.
type sourceServer struct {
	ID                 string            `json:"sourceServerId"`
	ARN                string            `json:"arn,omitempty"`
	Hostname           string            `json:"hostname,omitempty"`
	OS                 string            `json:"os,omitempty"`
	Tags               map[string]string `json:"tags,omitempty"`
	ReplicationState   string            `json:"replicationState"`
	LagSeconds         int64             `json:"lagSeconds"`
	RecoveryInstanceID string            `json:"recoveryInstanceId,omitempty"`
	LastLaunchResult   string            `json:"lastLaunchResult,omitempty"`
	ProtectionGroupID  string            `json:"protectionGroupId,omitempty"`
}

func (s *Server) handleListServers(w http.ResponseWriter, r *http.Request) error {
	q, err := parseServerQuery(r)
	if err != nil {
		return err
	}
	items, next, err := s.listServers(r.Context(), q)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newList(items, next))
}

func parseServerQuery(r *http.Request) (serverQuery, error) {
	v := r.URL.Query()
	opts, err := listOptions(r)
	if err != nil {
		return serverQuery{}, err
	}
	q := serverQuery{
		region:  v.Get("region"),
		state:   v.Get("state"),
		groupID: v.Get("groupId"),
		opts:    opts,
	}
	for _, t := range v["tag"] {
		k, val, ok := strings.Cut(t, "=")
		if !ok || k == "" {
			return q, invalid("tag", "tag %q must be key=value", t)
		}
		if q.tags == nil {
			q.tags = map[string]string{}
		}
		q.tags[k] = val
	}
	return q, nil
}

// listServers lists the source servers of one account and region from DRS,
// filters them, marks each with the stored group that claims it, and
// returns one page ordered by ID. The page token is the last ID returned,
// so that servers appearing between pages neither repeat nor shift others.
func (s *Server) listServers(ctx context.Context, q serverQuery) ([]sourceServer, string, error) {
	if s.drs == nil {
		return nil, "", errors.New("list source servers: no DRS client configured")
	}
	after := ""
	if q.opts.NextToken != "" {
		b, err := base64.RawURLEncoding.DecodeString(q.opts.NextToken)
		if err != nil || len(b) == 0 {
			return nil, "", invalid("nextToken", "nextToken is not one that this list returned")
		}
		after = string(b)
	}

	groups, err := s.allGroups(ctx)
	if err != nil {
		return nil, "", err
	}
	account, region := "", q.region
	var only *plan.ProtectionGroup
	if q.groupID != "" {
		i := slices.IndexFunc(groups, func(g plan.ProtectionGroup) bool { return g.ID == q.groupID })
		if i < 0 {
			return nil, "", invalid("groupId", "there is no protection group %q", q.groupID)
		}
		only = &groups[i]
		if region != "" && region != only.Region {
			return nil, "", invalid("region", "protection group %q is in region %s, not %s",
				only.ID, only.Region, region)
		}
		account, region = only.AccountID, only.Region
	}
	if region == "" {
		region = s.defaultRegion
	}
	// Only groups of the same account and region can claim these servers.
	local := groups[:0:0]
	for _, g := range groups {
		if g.AccountID == account && g.Region == region {
			local = append(local, g)
		}
	}

	servers, err := s.drs.SourceServers(ctx, account, region)
	if err != nil {
		return nil, "", fmt.Errorf("describe source servers in %s: %w", region, err)
	}
	slices.SortFunc(servers, func(a, b drs.SourceServer) int { return strings.Compare(a.ID, b.ID) })

	var items []sourceServer
	for _, srv := range servers {
		if srv.ID <= after || !q.matches(srv, only) {
			continue
		}
		if len(items) == q.opts.Limit {
			last := items[len(items)-1].ID
			return items, base64.RawURLEncoding.EncodeToString([]byte(last)), nil
		}
		items = append(items, apiServer(srv, claimant(local, srv)))
	}
	return items, "", nil
}

// matches reports whether srv passes the query's filters.
func (q serverQuery) matches(srv drs.SourceServer, only *plan.ProtectionGroup) bool {
	if q.state != "" && !strings.EqualFold(q.state, srv.ReplicationState) {
		return false
	}
	for k, v := range q.tags {
		if got, ok := srv.Tags[k]; !ok || got != v {
			return false
		}
	}
	return only == nil || only.Matches(srv.ID, srv.Tags)
}

// claimant returns the ID of the group that claims srv, or "". A group
// listing the server by ID wins over one selecting it by tags; groups come
// ordered by name, so when selectors overlap the first name wins.
func claimant(groups []plan.ProtectionGroup, srv drs.SourceServer) string {
	for _, g := range groups {
		if slices.Contains(g.SourceServerIDs, srv.ID) {
			return g.ID
		}
	}
	for _, g := range groups {
		if g.Matches(srv.ID, srv.Tags) {
			return g.ID
		}
	}
	return ""
}

func apiServer(srv drs.SourceServer, groupID string) sourceServer {
	return sourceServer{
		ID:                 srv.ID,
		ARN:                srv.ARN,
		Hostname:           srv.Hostname,
		OS:                 srv.OS,
		Tags:               srv.Tags,
		ReplicationState:   srv.ReplicationState,
		LagSeconds:         int64(srv.Lag.Seconds()),
		RecoveryInstanceID: srv.RecoveryInstanceID,
		LastLaunchResult:   srv.LastLaunchResult,
		ProtectionGroupID:  groupID,
	}
}
