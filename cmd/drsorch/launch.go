package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/drsorch/drsorch/internal/api"
	"github.com/drsorch/drsorch/internal/client"
	"github.com/drsorch/drsorch/internal/plan"
)

func init() {
	register("drift", "compare groups' launch settings with what DRS and EC2 hold; exit 1 on drift", runDrift)
	register("apply-launch-settings", "apply a protection group's launch settings to its servers now", runApplyLaunchSettings)
	register("tag-sync", "copy source machines' EC2 tags onto their DRS source servers", runTagSync)
}

func runDrift(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("drift", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: drsorch drift [--group GROUP] [--json]")
		fmt.Fprintln(fs.Output(), "\nReads back the launch settings of every server of the group (default: of every group")
		fmt.Fprintln(fs.Output(), "that has launch settings) from DRS and EC2 and prints each field that differs from")
		fmt.Fprintln(fs.Output(), "what the group says. Exit status: 0 all in line, 1 something drifted, 2 something")
		fmt.Fprintln(fs.Output(), "could not be read back (and nothing drifted), so that cron or CI can run it.")
		fs.PrintDefaults()
	}
	groupRef := fs.String("group", "", "only this group (name or ID)")
	asJSON := fs.Bool("json", false, "print the API's JSON: a list of group drifts")
	var cf clientFlags
	cf.add(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	var groups []plan.ProtectionGroup
	if *groupRef != "" {
		g, err := findGroup(ctx, c, *groupRef)
		if err != nil {
			return err
		}
		groups = []plan.ProtectionGroup{g}
	} else {
		all, err := c.AllGroups(ctx)
		if err != nil {
			return fmt.Errorf("list protection groups: %w", err)
		}
		for _, g := range all {
			if g.HasLaunchSettings() {
				groups = append(groups, g)
			}
		}
	}
	drifts := []api.GroupDrift{}
	names := map[string]string{}
	failed := 0
	for _, g := range groups {
		names[g.ID] = g.Name
		d, err := c.GroupDrift(ctx, g.ID)
		if err != nil {
			// A group that cannot be read back is not drift: the others
			// are still checked, and the exit status says unreadable.
			fmt.Fprintf(stderr, "drift of group %q: %v\n", g.Name, err)
			failed++
			continue
		}
		drifts = append(drifts, d)
	}
	drifted, unreadable := 0, failed
	for _, d := range drifts {
		drifted += d.Drifted
		unreadable += d.Unreadable
	}
	if *asJSON {
		if err := printJSON(stdout, drifts); err != nil {
			return err
		}
	} else {
		printDrift(stdout, drifts, names)
		switch {
		case len(groups) == 0:
			fmt.Fprintln(stdout, "no protection group has launch settings")
		case drifted == 0 && unreadable == 0:
			fmt.Fprintf(stdout, "%s checked: every server in line\n", quantity(len(groups), "group"))
		case failed > 0:
			fmt.Fprintf(stdout, "%s checked: %d servers drifted, %d unreadable, %s not read back at all\n",
				quantity(len(groups), "group"), drifted, unreadable-failed, quantity(failed, "group"))
		default:
			fmt.Fprintf(stdout, "%s checked: %d servers drifted, %d unreadable\n",
				quantity(len(groups), "group"), drifted, unreadable)
		}
	}
	switch {
	case drifted > 0:
		return exitError{1}
	case unreadable > 0:
		return exitError{2}
	}
	return nil
}

// printDrift prints one row per drifted field, and one per server that
// could not be read back.
func printDrift(w io.Writer, drifts []api.GroupDrift, names map[string]string) {
	rows := 0
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, d := range drifts {
		for _, s := range d.Servers {
			if rows == 0 && (s.Error != "" || len(s.Fields) > 0) {
				fmt.Fprintln(tw, "GROUP\tSERVER\tFIELD\tWANT\tGOT")
			}
			if s.Error != "" {
				fmt.Fprintf(tw, "%s\t%s\t(unreadable)\t\t%s\n", names[d.GroupID], s.SourceServerID, oneLine(s.Error))
				rows++
			}
			for _, f := range s.Fields {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", names[d.GroupID], s.SourceServerID, f.Field,
					dash(f.Want), dash(f.Got))
				rows++
			}
		}
	}
	tw.Flush()
}

func runApplyLaunchSettings(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("apply-launch-settings", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: drsorch apply-launch-settings GROUP [--json]")
		fmt.Fprintln(fs.Output(), "\nGROUP is a protection group's name or ID. Writes what differs of each server's")
		fmt.Fprintln(fs.Output(), "launch settings to DRS and EC2 now; nothing is written when any server's settings")
		fmt.Fprintln(fs.Output(), "are refused. Exits 1 when a server's settings could not be applied.")
		fs.PrintDefaults()
	}
	asJSON := fs.Bool("json", false, "print the API's JSON")
	var cf clientFlags
	cf.add(fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return fmt.Errorf("apply-launch-settings: want one GROUP, got %d arguments", len(pos))
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	g, err := findGroup(ctx, c, pos[0])
	if err != nil {
		return err
	}
	res, err := c.ApplyLaunchSettings(ctx, g.ID)
	if err != nil {
		return describeRefusal(stderr, fmt.Sprintf("apply launch settings of group %q", g.Name), err)
	}
	failed := 0
	for _, r := range res {
		if r.Error != "" {
			failed++
		}
	}
	if *asJSON {
		if err := printJSON(stdout, api.ApplyResults{GroupID: g.ID, Results: nonNilResults(res)}); err != nil {
			return err
		}
	} else {
		printApplied(stdout, res)
		fmt.Fprintf(stdout, "group %s: %s, %d changed, %d failed\n", g.Name,
			quantity(len(res), "server"), changedCount(res), failed)
	}
	if failed > 0 {
		return exitError{1}
	}
	return nil
}

func printApplied(w io.Writer, res []plan.AppliedSettings) {
	if len(res) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVER\tCHANGED\tTEMPLATE\tVERSION\tERROR")
	for _, r := range res {
		changed := strings.Join(r.Changed, ",")
		if changed == "" && r.Error == "" {
			changed = "(in line)"
		}
		version := "-"
		if r.LaunchTemplateVersion > 0 {
			version = fmt.Sprint(r.LaunchTemplateVersion)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.SourceServerID, dash(changed), dash(r.LaunchTemplateID),
			version, oneLine(r.Error))
	}
	tw.Flush()
}

func changedCount(res []plan.AppliedSettings) int {
	n := 0
	for _, r := range res {
		if len(r.Changed) > 0 {
			n++
		}
	}
	return n
}

func nonNilResults(res []plan.AppliedSettings) []plan.AppliedSettings {
	if res == nil {
		return []plan.AppliedSettings{}
	}
	return res
}

func runTagSync(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tag-sync", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: drsorch tag-sync --region REGION [--account ACCOUNT] [--json]")
		fmt.Fprintln(fs.Output(), "\nSets on every DRS source server of the account and region the tags its source EC2")
		fmt.Fprintln(fs.Output(), "instance has and the server lacks or holds with another value (aws: keys left out).")
		fmt.Fprintln(fs.Output(), "Never removes tags. Exits 1 when a server could not be synced.")
		fs.PrintDefaults()
	}
	region := fs.String("region", "", "AWS region of the source servers (required)")
	account := fs.String("account", "", "12-digit AWS account ID (default: the server's own account)")
	asJSON := fs.Bool("json", false, "print the API's JSON")
	var cf clientFlags
	cf.add(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *region == "" {
		fs.Usage()
		return fmt.Errorf("tag-sync: --region is required")
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	res, err := c.SyncTags(ctx, *account, *region)
	if err != nil {
		return describeRefusal(stderr, "tag sync of "+strings.Trim(*account+"/"+*region, "/"), err)
	}
	if *asJSON {
		if err := printJSON(stdout, res); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(stdout, "%s: %d source servers, %d linked to their EC2 instance, %d updated\n",
			strings.Trim(res.AccountID+"/"+res.Region, "/"), res.Servers, res.Linked, res.Updated)
		for _, e := range res.Errors {
			fmt.Fprintf(stdout, "  error: %s\n", oneLine(e))
		}
	}
	if len(res.Errors) > 0 {
		return exitError{1}
	}
	return nil
}

// findGroup looks a protection group up by ID, or else by name.
func findGroup(ctx context.Context, c *client.Client, ref string) (plan.ProtectionGroup, error) {
	if strings.HasPrefix(ref, plan.PrefixGroup) {
		g, _, err := c.GetGroup(ctx, ref)
		if err == nil || client.ErrorCode(err) != "not_found" {
			return g, err
		}
	}
	groups, err := c.AllGroups(ctx)
	if err != nil {
		return plan.ProtectionGroup{}, fmt.Errorf("list protection groups: %w", err)
	}
	for _, g := range groups {
		if g.Name == ref {
			return g, nil
		}
	}
	return plan.ProtectionGroup{}, fmt.Errorf("no protection group named %q", ref)
}

// oneLine keeps a table row on one line whatever an error message holds.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
