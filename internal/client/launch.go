package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/drsorch/drsorch/internal/api"
	"github.com/drsorch/drsorch/internal/plan"
)

const tagSyncPath = "/api/v1/tag-sync"

func groupPath(id string) string { return groupsPath + "/" + url.PathEscape(id) }

// ApplyLaunchSettings applies the launch settings of every server of the
// group id now, and returns one result per server. A refusal of the
// settings (nothing written) is an *Error with status 422 whose Details
// list every problem.
func (c *Client) ApplyLaunchSettings(ctx context.Context, id string) ([]plan.AppliedSettings, error) {
	var out api.ApplyResults
	_, err := c.do(ctx, request{method: http.MethodPost, path: groupPath(id) + "/apply-launch-settings",
		body: struct{}{}}, &out)
	return out.Results, err
}

// GroupLaunchSettings returns each server's effective launch settings in
// the group id, with its latest application.
func (c *Client) GroupLaunchSettings(ctx context.Context, id string) (api.GroupSettingsView, error) {
	var out api.GroupSettingsView
	_, err := c.do(ctx, request{method: http.MethodGet, path: groupPath(id) + "/launch-settings"}, &out)
	return out, err
}

// GroupDrift reads back the launch settings of the group id's servers and
// returns what differs from their intent.
func (c *Client) GroupDrift(ctx context.Context, id string) (api.GroupDrift, error) {
	var out api.GroupDrift
	_, err := c.do(ctx, request{method: http.MethodGet, path: groupPath(id) + "/drift"}, &out)
	return out, err
}

// SyncTags copies the EC2 tags of the source machines of an account (empty:
// the server's own) and region (empty: the server's default) onto their
// DRS source servers.
func (c *Client) SyncTags(ctx context.Context, accountID, region string) (plan.TagSyncResult, error) {
	var out plan.TagSyncResult
	body := map[string]string{}
	if accountID != "" {
		body["accountId"] = accountID
	}
	if region != "" {
		body["region"] = region
	}
	_, err := c.do(ctx, request{method: http.MethodPost, path: tagSyncPath, body: body}, &out)
	return out, err
}
