package web

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/drsorch/drsorch/internal/api"
	"github.com/drsorch/drsorch/internal/auth"
	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/plan"
)

// serverLimit bounds the rows of the source servers page.
const serverLimit = 500

type serversPage struct {
	layout
	Query   serverFilter
	Groups  []plan.ProtectionGroup
	States  []string
	Rows    []serverRow
	Matched int
	Limited bool
	// CanSyncTags offers to copy EC2 tags onto the source servers.
	CanSyncTags bool
}

// serverFilter is the query of the source servers page.
type serverFilter struct {
	Region, Search, Tag, State, Group string
}

// serverRow is a source server with the group that claims it.
type serverRow struct {
	drs.SourceServer
	Tags      []tagRow
	GroupID   string
	GroupName string
}

func (s *Server) serverList(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := r.URL.Query()
	f := serverFilter{Region: q.Get("region"), Search: strings.TrimSpace(q.Get("q")),
		Tag: strings.TrimSpace(q.Get("tag")), State: q.Get("state"), Group: q.Get("group")}
	d := &serversPage{layout: layout{Title: "Source servers", Nav: "servers"}, Query: f,
		States:      []string{drs.StateContinuous, drs.StateStalled, drs.StateDisconnected},
		CanSyncTags: s.settings != nil && allows(r, auth.RoleAdmin)}
	groups, err := s.allGroups(ctx)
	if err != nil {
		return err
	}
	d.Groups = groups
	account, region := "", f.Region
	var only *plan.ProtectionGroup
	if f.Group != "" {
		for i := range groups {
			if groups[i].ID == f.Group {
				only = &groups[i]
			}
		}
		if only == nil {
			return pageError(http.StatusNotFound, "there is no protection group %q", f.Group)
		}
		account, region = only.AccountID, only.Region
	}
	if region == "" {
		region = s.defaultRegion
	}
	d.Query.Region = region
	tagKey, tagValue, hasValue := strings.Cut(f.Tag, "=")

	rows, err := s.serverRows(ctx, account, region, groups)
	if err != nil {
		d.Error = err.Error()
		return s.page(w, r, http.StatusBadGateway, "servers", d)
	}
	for _, row := range rows {
		switch {
		case f.State != "" && !strings.EqualFold(f.State, row.ReplicationState):
			continue
		case f.Tag != "" && !hasTag(row.SourceServer.Tags, tagKey, tagValue, hasValue):
			continue
		case f.Search != "" && !matchesSearch(row.SourceServer, f.Search):
			continue
		case only != nil && !only.Matches(row.ID, row.SourceServer.Tags):
			continue
		}
		d.Matched++
		if len(d.Rows) == serverLimit {
			d.Limited = true
			continue
		}
		d.Rows = append(d.Rows, row)
	}
	return s.page(w, r, http.StatusOK, "servers", d)
}

// serverRows lists the source servers of an account and region ordered by
// hostname, each with the group that claims it by the API's rule.
func (s *Server) serverRows(ctx context.Context, account, region string, groups []plan.ProtectionGroup) ([]serverRow, error) {
	servers, err := s.servers.SourceServers(ctx, account, region)
	if err != nil {
		s.log.WarnContext(ctx, "describe source servers", "region", region, "error", err)
		return nil, fmt.Errorf("the source servers of %s could not be listed: %s", region, short(err))
	}
	var local []plan.ProtectionGroup
	names := map[string]string{}
	for _, g := range groups {
		if g.AccountID == account && g.Region == region {
			local = append(local, g)
		}
		names[g.ID] = g.Name
	}
	rows := make([]serverRow, 0, len(servers))
	for _, srv := range servers {
		id := api.ClaimingGroup(local, srv)
		rows = append(rows, serverRow{SourceServer: srv, Tags: tagRowsOf(srv.Tags),
			GroupID: id, GroupName: names[id]})
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Hostname != rows[j].Hostname {
			return rows[i].Hostname < rows[j].Hostname
		}
		return rows[i].ID < rows[j].ID
	})
	return rows, nil
}

// hasTag reports whether tags carry key, with value when one is given.
func hasTag(tags map[string]string, key, value string, withValue bool) bool {
	got, ok := tags[key]
	return ok && (!withValue || got == value)
}

// matchesSearch reports whether a server's hostname or ID contains text,
// ignoring case.
func matchesSearch(srv drs.SourceServer, text string) bool {
	text = strings.ToLower(text)
	return strings.Contains(strings.ToLower(srv.Hostname), text) || strings.Contains(srv.ID, text)
}

// sourceServerOnlyID stands for a chosen server DRS did not list.
func sourceServerOnlyID(id string) drs.SourceServer {
	return drs.SourceServer{ID: id, Hostname: "(not listed by DRS)"}
}
