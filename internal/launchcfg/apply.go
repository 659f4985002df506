package launchcfg

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/ec2"
	"github.com/drsorch/drsorch/internal/plan"
)

// errNoTemplate reports a launch configuration that names no launch
// template, so the EC2-level fields have nowhere to go.
var errNoTemplate = errors.New("launchcfg: launch configuration names no launch template")

// Apply validates every target and, when all are valid, brings each
// server's DRS launch configuration and launch template in line with its
// settings, at most Concurrency servers at once. It returns an error, a
// plan.Errors or the call that failed, only when nothing was written;
// once writing began, a server whose calls fail has its Error set in its
// result and the others go on.
func (s *Service) Apply(ctx context.Context, accountID, region string, targets []plan.SettingsTarget) ([]plan.AppliedSettings, error) {
	if len(targets) == 0 {
		return nil, nil
	}
	if err := s.Validate(ctx, accountID, region, targets); err != nil {
		return nil, err
	}
	d, e, err := s.both(ctx, accountID, region)
	if err != nil {
		return nil, err
	}

	out := make([]plan.AppliedSettings, len(targets))
	s.each(ctx, len(targets), func(ctx context.Context, i int) {
		out[i] = s.applyOne(ctx, d, e, accountID, region, targets[i])
	})

	var changed, failed int
	for _, r := range out {
		if len(r.Changed) > 0 {
			changed++
		}
		if r.Error != "" {
			failed++
		}
	}
	s.log.Info("launch settings applied", "account_id", accountID, "region", region,
		"servers", len(out), "changed", changed, "failed", failed)
	return out, nil
}

// applyOne applies one server's settings: DRS first, because an update
// there writes a template version of DRS's own, then the template.
func (s *Service) applyOne(ctx context.Context, d DRS, e EC2, accountID, region string,
	t plan.SettingsTarget) plan.AppliedSettings {
	rec := plan.AppliedSettings{
		GroupID: t.GroupID, SourceServerID: t.SourceServerID,
		AccountID: accountID, Region: region, Settings: t.Settings,
	}
	err := s.write(ctx, d, e, t, &rec)
	slices.Sort(rec.Changed)
	rec.Time = s.now()
	if err != nil {
		rec.Error = err.Error()
		rec.Unanswered = errors.Is(err, drs.ErrThrottled) || errors.Is(err, drs.ErrTransient)
	}
	return rec
}

func (s *Service) write(ctx context.Context, d DRS, e EC2, t plan.SettingsTarget, rec *plan.AppliedSettings) error {
	lc, err := d.GetLaunchConfiguration(ctx, t.SourceServerID)
	if err != nil {
		return err
	}
	rec.LaunchTemplateID = lc.EC2LaunchTemplateID
	if ch := differs(t.Settings, held{lc: lc}, levelDRS); len(ch) > 0 {
		if _, err := d.UpdateLaunchConfiguration(ctx, withDRS(lc, t.Settings)); err != nil {
			return err
		}
		rec.Changed = append(rec.Changed, ch...)
	}
	if lc.EC2LaunchTemplateID == "" {
		if hasEC2Fields(t.Settings) {
			return errNoTemplate
		}
		return nil
	}

	tv, err := e.DefaultTemplateVersion(ctx, lc.EC2LaunchTemplateID)
	if err != nil {
		return fmt.Errorf("%s: %w", lc.EC2LaunchTemplateID, err)
	}
	rec.LaunchTemplateVersion = tv.Version
	ch := differs(t.Settings, held{data: tv.Data}, levelEC2)
	if len(ch) == 0 {
		return nil
	}
	if err := keptGroupsFit(ctx, e, t.Settings, tv.Data); err != nil {
		return fmt.Errorf("%s: %w", lc.EC2LaunchTemplateID, err)
	}
	desc := "drsorch: launch settings of group " + t.GroupID
	v, err := e.CreateTemplateVersion(ctx, lc.EC2LaunchTemplateID, tv.Version, withEC2(tv.Data, t.Settings), desc)
	if err != nil {
		return fmt.Errorf("%s: %w", lc.EC2LaunchTemplateID, err)
	}
	if err := e.SetDefaultVersion(ctx, lc.EC2LaunchTemplateID, v); err != nil {
		return fmt.Errorf("%s version %d: %w", lc.EC2LaunchTemplateID, v, err)
	}
	rec.LaunchTemplateVersion = v
	rec.Changed = append(rec.Changed, ch...)
	s.log.Debug("launch template version created", "source_server_id", t.SourceServerID,
		"launch_template_id", lc.EC2LaunchTemplateID, "version", v, "changed", ch)
	return nil
}

// keptGroupsFit checks, when the settings move a server to another subnet
// and leave its security groups to the template, that the template's
// groups are in the new subnet's VPC: EC2 would refuse to launch the
// instance otherwise.
func keptGroupsFit(ctx context.Context, e EC2, s plan.LaunchSettings, d ec2.TemplateData) error {
	if s.SubnetID == "" || s.SubnetID == d.SubnetID || len(s.SecurityGroupIDs) > 0 || len(d.SecurityGroupIDs) == 0 {
		return nil
	}
	subnets, err := e.DescribeSubnets(ctx, []string{s.SubnetID})
	if err != nil {
		return err
	}
	if len(subnets) != 1 {
		return fmt.Errorf("subnet %s not found", s.SubnetID)
	}
	groups, err := e.DescribeSecurityGroups(ctx, d.SecurityGroupIDs)
	if err != nil {
		return err
	}
	var other []string
	for _, g := range groups {
		if g.VPCID != subnets[0].VPCID {
			other = append(other, g.ID+" ("+g.VPCID+")")
		}
	}
	if len(other) > 0 {
		return fmt.Errorf("the template's security groups %s are not in %s of subnet %s: set securityGroupIds too",
			strings.Join(other, ", "), subnets[0].VPCID, s.SubnetID)
	}
	return nil
}

// hasEC2Fields reports whether s manages a field of the launch template.
func hasEC2Fields(s plan.LaunchSettings) bool {
	for _, f := range fields {
		if f.level == levelEC2 && f.managed(s) {
			return true
		}
	}
	return false
}
