package readiness

import (
	"context"
	"fmt"
	"strings"

	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/plan"
)

// settingsDrift returns the warnings of g's launch settings: one per
// server whose settings drifted, naming its fields, or that could not be
// read back. A group is read back once per check, however many plans
// name it.
func (c *check) settingsDrift(ctx context.Context, g plan.ProtectionGroup, servers []drs.SourceServer) []Problem {
	if c.opts.Settings == nil || !g.HasLaunchSettings() {
		return nil
	}
	if w, ok := c.settings[g.ID]; ok {
		return w
	}
	if c.settings == nil {
		c.settings = map[string][]Problem{}
	}
	ids := make([]string, len(servers))
	for i, s := range servers {
		ids[i] = s.ID
	}
	var out []Problem
	targets := plan.SettingsTargets(g, ids)
	if len(targets) > 0 {
		drifts, err := c.opts.Settings.Drift(ctx, g.AccountID, g.Region, targets)
		if err != nil {
			out = append(out, Problem{Code: CodeSettingsUnreadable, GroupID: g.ID,
				Message: fmt.Sprintf("group %q: launch settings could not be read back: %v", g.Name, err)})
		}
		for _, d := range drifts {
			switch {
			case d.Error != "":
				out = append(out, Problem{Code: CodeSettingsUnreadable, GroupID: g.ID, SourceServerID: d.SourceServerID,
					Message: fmt.Sprintf("source server %s (group %q): launch settings could not be read back: %s",
						d.SourceServerID, g.Name, d.Error)})
			case len(d.Fields) > 0:
				out = append(out, Problem{Code: CodeSettingsDrift, GroupID: g.ID, SourceServerID: d.SourceServerID,
					Message: fmt.Sprintf("source server %s (group %q): launch settings drifted: %s",
						d.SourceServerID, g.Name, fieldList(d.Fields))})
			}
		}
	}
	c.settings[g.ID] = out
	return out
}

// fieldList renders drifted fields as "subnetId (want a, got b), …".
func fieldList(fields []plan.FieldDrift) string {
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = fmt.Sprintf("%s (want %q, got %q)", f.Field, f.Want, f.Got)
	}
	return strings.Join(parts, ", ")
}
