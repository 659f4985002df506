package launchcfg

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/plan"
)

// SyncTags copies the EC2 tags of source machines onto their DRS source
// servers in an account and region: for every source server that names
// its source instance, the instance's tags that the server lacks or holds
// with another value are added. Keys starting with "aws:" are AWS's own
// and are left out; no tag is ever removed. Instances are described once
// per origin account and region. A server that cannot be synced is listed
// in the result's Errors and the others go on; the error returned is for
// the source servers that cannot be listed at all.
func (s *Service) SyncTags(ctx context.Context, accountID, region string) (plan.TagSyncResult, error) {
	res := plan.TagSyncResult{AccountID: accountID, Region: region}
	d, err := s.drs(ctx, accountID, region)
	if err != nil {
		return res, err
	}
	servers, err := d.DescribeSourceServers(ctx, nil)
	if err != nil {
		return res, err
	}
	res.Servers = len(servers)

	// Source machines may live in another account or region than DRS.
	type origin struct{ account, region string }
	byOrigin := make(map[origin][]drs.SourceServer)
	for _, ss := range servers {
		if ss.AWSInstanceID == "" {
			continue
		}
		res.Linked++
		o := origin{ss.OriginAccountID, ss.OriginRegion}
		if o.account == "" {
			o.account = accountID
		}
		if o.region == "" {
			o.region = region
		}
		byOrigin[o] = append(byOrigin[o], ss)
	}

	var (
		mu      sync.Mutex
		updates []tagUpdate
		errs    []string
	)
	fail := func(ss drs.SourceServer, format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		errs = append(errs, ss.ID+": "+fmt.Sprintf(format, args...))
	}
	origins := slices.SortedFunc(maps.Keys(byOrigin), func(a, b origin) int {
		return strings.Compare(a.account+"/"+a.region, b.account+"/"+b.region)
	})
	for _, o := range origins {
		group := byOrigin[o]
		tags, err := s.instanceTags(ctx, o.account, o.region, group)
		if err != nil {
			for _, ss := range group {
				fail(ss, "%v", err)
			}
			continue
		}
		for _, ss := range group {
			it, ok := tags[ss.AWSInstanceID]
			if !ok {
				fail(ss, "source instance %s not found in %s", ss.AWSInstanceID, where(o.account, o.region))
				continue
			}
			if add := missingTags(ss.Tags, it); len(add) > 0 {
				updates = append(updates, tagUpdate{ss, add})
			}
		}
	}

	var updated int
	s.each(ctx, len(updates), func(ctx context.Context, i int) {
		u := updates[i]
		if u.server.ARN == "" {
			fail(u.server, "source server has no ARN to tag")
			return
		}
		if err := d.TagResource(ctx, u.server.ARN, u.tags); err != nil {
			fail(u.server, "tag resource: %v", err)
			return
		}
		mu.Lock()
		updated++
		mu.Unlock()
	})
	res.Updated = updated
	slices.Sort(errs)
	res.Errors = errs
	res.Time = s.now()
	s.log.Info("tags synced", "account_id", accountID, "region", region,
		"servers", res.Servers, "linked", res.Linked, "updated", res.Updated, "errors", len(errs))
	return res, nil
}

type tagUpdate struct {
	server drs.SourceServer
	tags   map[string]string
}

// instanceTags returns the tags of the source instances of servers, by
// instance ID, with one describe call.
func (s *Service) instanceTags(ctx context.Context, accountID, region string,
	servers []drs.SourceServer) (map[string]map[string]string, error) {
	e, err := s.ec2(ctx, accountID, region)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(servers))
	for _, ss := range servers {
		ids = append(ids, ss.AWSInstanceID)
	}
	insts, err := e.DescribeInstances(ctx, uniqueSorted(ids))
	if err != nil {
		return nil, fmt.Errorf("source instances in %s: %w", where(accountID, region), err)
	}
	out := make(map[string]map[string]string, len(insts))
	for _, in := range insts {
		out[in.ID] = in.Tags
	}
	return out, nil
}

// missingTags returns the tags of want, other than AWS's own, that have
// lacks or holds with another value.
func missingTags(have, want map[string]string) map[string]string {
	var out map[string]string
	for k, v := range want {
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			continue
		}
		if hv, ok := have[k]; ok && hv == v {
			continue
		}
		if out == nil {
			out = make(map[string]string)
		}
		out[k] = v
	}
	return out
}

func where(accountID, region string) string {
	if accountID == "" {
		return region
	}
	return accountID + "/" + region
}
