package client

import (
	"context"
	"net/http"
	"net/url"
	"slices"

	"github.com/drsorch/drsorch/internal/plan"
)

const (
	groupsPath  = "/api/v1/protection-groups"
	plansPath   = "/api/v1/recovery-plans"
	serversPath = "/api/v1/source-servers"
)

// groupBody and planBody are what create and replace send: the definition
// only, never the server's ID, version or times.
type groupBody struct {
	Name            string         `json:"name"`
	Description     string         `json:"description,omitempty"`
	AccountID       string         `json:"accountId,omitempty"`
	Region          string         `json:"region"`
	SourceServerIDs []string       `json:"sourceServerIds,omitempty"`
	ServerSelector  *plan.Selector `json:"serverSelector,omitempty"`

	LaunchSettings       *plan.LaunchSettings           `json:"launchSettings,omitempty"`
	ServerLaunchSettings map[string]plan.LaunchSettings `json:"serverLaunchSettings,omitempty"`
}

type planBody struct {
	Name        string      `json:"name"`
	Description string      `json:"description,omitempty"`
	RTOMinutes  int         `json:"rtoMinutes,omitempty"`
	Waves       []plan.Wave `json:"waves"`
}

func bodyOfGroup(g plan.ProtectionGroup) groupBody {
	return groupBody{Name: g.Name, Description: g.Description, AccountID: g.AccountID, Region: g.Region,
		SourceServerIDs: g.SourceServerIDs, ServerSelector: g.ServerSelector,
		LaunchSettings: g.LaunchSettings, ServerLaunchSettings: g.ServerLaunchSettings}
}

func bodyOfPlan(p plan.RecoveryPlan) planBody {
	return planBody{Name: p.Name, Description: p.Description, RTOMinutes: p.RTOMinutes, Waves: p.Waves}
}

// ListGroups returns one page of protection groups, ordered by name.
func (c *Client) ListGroups(ctx context.Context, opts ListOptions) (Page[plan.ProtectionGroup], error) {
	var page Page[plan.ProtectionGroup]
	_, err := c.do(ctx, request{method: http.MethodGet, path: groupsPath, query: opts.query()}, &page)
	return page, err
}

// AllGroups returns every protection group, following the pages.
func (c *Client) AllGroups(ctx context.Context) ([]plan.ProtectionGroup, error) {
	return all(ctx, c.ListGroups)
}

// GetGroup returns a protection group and its ETag.
func (c *Client) GetGroup(ctx context.Context, id string) (plan.ProtectionGroup, string, error) {
	var g plan.ProtectionGroup
	res, err := c.do(ctx, request{method: http.MethodGet, path: groupsPath + "/" + url.PathEscape(id)}, &g)
	return g, res.etag, err
}

// CreateGroup creates a protection group from g's definition and returns it
// as stored, with its ETag.
func (c *Client) CreateGroup(ctx context.Context, g plan.ProtectionGroup) (plan.ProtectionGroup, string, error) {
	var out plan.ProtectionGroup
	res, err := c.do(ctx, request{method: http.MethodPost, path: groupsPath, body: bodyOfGroup(g)}, &out)
	return out, res.etag, err
}

// UpdateGroup replaces the definition of the group id if it is still at
// the version etag names (see ETag), and returns it as stored, with its
// new ETag.
func (c *Client) UpdateGroup(ctx context.Context, id string, g plan.ProtectionGroup, etag string) (plan.ProtectionGroup, string, error) {
	var out plan.ProtectionGroup
	res, err := c.do(ctx, request{method: http.MethodPut, path: groupsPath + "/" + url.PathEscape(id),
		ifMatch: etag, body: bodyOfGroup(g)}, &out)
	return out, res.etag, err
}

// DeleteGroup deletes the group id if it is still at the version etag
// names.
func (c *Client) DeleteGroup(ctx context.Context, id, etag string) error {
	_, err := c.do(ctx, request{method: http.MethodDelete, path: groupsPath + "/" + url.PathEscape(id),
		ifMatch: etag}, nil)
	return err
}

// ListPlans returns one page of recovery plans, ordered by name.
func (c *Client) ListPlans(ctx context.Context, opts ListOptions) (Page[plan.RecoveryPlan], error) {
	var page Page[plan.RecoveryPlan]
	_, err := c.do(ctx, request{method: http.MethodGet, path: plansPath, query: opts.query()}, &page)
	return page, err
}

// AllPlans returns every recovery plan, following the pages.
func (c *Client) AllPlans(ctx context.Context) ([]plan.RecoveryPlan, error) {
	return all(ctx, c.ListPlans)
}

// GetPlan returns a recovery plan and its ETag.
func (c *Client) GetPlan(ctx context.Context, id string) (plan.RecoveryPlan, string, error) {
	var p plan.RecoveryPlan
	res, err := c.do(ctx, request{method: http.MethodGet, path: plansPath + "/" + url.PathEscape(id)}, &p)
	return p, res.etag, err
}

// CreatePlan creates a recovery plan from p's definition (its waves name
// groups by ID) and returns it as stored, with its ETag.
func (c *Client) CreatePlan(ctx context.Context, p plan.RecoveryPlan) (plan.RecoveryPlan, string, error) {
	var out plan.RecoveryPlan
	res, err := c.do(ctx, request{method: http.MethodPost, path: plansPath, body: bodyOfPlan(p)}, &out)
	return out, res.etag, err
}

// UpdatePlan replaces the definition of the plan id if it is still at the
// version etag names, and returns it as stored, with its new ETag.
func (c *Client) UpdatePlan(ctx context.Context, id string, p plan.RecoveryPlan, etag string) (plan.RecoveryPlan, string, error) {
	var out plan.RecoveryPlan
	res, err := c.do(ctx, request{method: http.MethodPut, path: plansPath + "/" + url.PathEscape(id),
		ifMatch: etag, body: bodyOfPlan(p)}, &out)
	return out, res.etag, err
}

// DeletePlan deletes the plan id if it is still at the version etag names.
func (c *Client) DeletePlan(ctx context.Context, id, etag string) error {
	_, err := c.do(ctx, request{method: http.MethodDelete, path: plansPath + "/" + url.PathEscape(id),
		ifMatch: etag}, nil)
	return err
}

// SourceServer is a DRS source server as the API lists it.
type SourceServer struct {
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

// ServerFilter narrows ListSourceServers; empty fields match everything.
// A server matches Tags when it carries each of them.
type ServerFilter struct {
	Region  string
	Tags    map[string]string
	State   string
	GroupID string
}

// ListSourceServers returns one page of the source servers DRS reports.
func (c *Client) ListSourceServers(ctx context.Context, f ServerFilter, opts ListOptions) (Page[SourceServer], error) {
	q := opts.query()
	if f.Region != "" {
		q.Set("region", f.Region)
	}
	if f.State != "" {
		q.Set("state", f.State)
	}
	if f.GroupID != "" {
		q.Set("groupId", f.GroupID)
	}
	keys := make([]string, 0, len(f.Tags))
	for k := range f.Tags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		q.Add("tag", k+"="+f.Tags[k])
	}
	var page Page[SourceServer]
	_, err := c.do(ctx, request{method: http.MethodGet, path: serversPath, query: q}, &page)
	return page, err
}

// AllSourceServers returns every source server that matches f.
func (c *Client) AllSourceServers(ctx context.Context, f ServerFilter) ([]SourceServer, error) {
	return all(ctx, func(ctx context.Context, opts ListOptions) (Page[SourceServer], error) {
		return c.ListSourceServers(ctx, f, opts)
	})
}
