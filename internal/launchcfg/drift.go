package launchcfg

import (
	"context"
	"fmt"

	"github.com/drsorch/drsorch/internal/plan"
)

// Drift reads back each target's DRS launch configuration and the default
// version of its launch template, at most Concurrency servers at once, and
// reports every managed field that differs from the settings. A server
// that cannot be read has its Error set; the error returned is for
// clients that cannot be had at all.
func (s *Service) Drift(ctx context.Context, accountID, region string, targets []plan.SettingsTarget) ([]plan.ServerDrift, error) {
	if len(targets) == 0 {
		return nil, nil
	}
	d, e, err := s.both(ctx, accountID, region)
	if err != nil {
		return nil, err
	}
	out := make([]plan.ServerDrift, len(targets))
	s.each(ctx, len(targets), func(ctx context.Context, i int) {
		out[i] = driftOne(ctx, d, e, targets[i])
	})
	return out, nil
}

func driftOne(ctx context.Context, d DRS, e EC2, t plan.SettingsTarget) plan.ServerDrift {
	sd := plan.ServerDrift{GroupID: t.GroupID, SourceServerID: t.SourceServerID, Fields: []plan.FieldDrift{}}
	lc, err := d.GetLaunchConfiguration(ctx, t.SourceServerID)
	if err != nil {
		sd.Error = err.Error()
		return sd
	}
	h := held{lc: lc}
	sd.LaunchTemplateID = lc.EC2LaunchTemplateID
	if lc.EC2LaunchTemplateID != "" {
		tv, err := e.DefaultTemplateVersion(ctx, lc.EC2LaunchTemplateID)
		if err != nil {
			sd.Error = fmt.Sprintf("%s: %v", lc.EC2LaunchTemplateID, err)
			return sd
		}
		h.data = tv.Data
		sd.LaunchTemplateVersion = tv.Version
	} else if hasEC2Fields(t.Settings) {
		sd.Error = errNoTemplate.Error()
		return sd
	}
	sd.Fields = drift(t.Settings, h)
	return sd
}
