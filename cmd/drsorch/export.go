package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/drsorch/drsorch/internal/client"
	"github.com/drsorch/drsorch/internal/plan"
)

func init() {
	register("export", "write every group and plan of a server as a plans-as-code file", runExport)
}

func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: drsorch export [--server URL] [-o FILE]")
		fmt.Fprintln(fs.Output(), "\nWrites the server's protection groups and recovery plans as YAML that")
		fmt.Fprintln(fs.Output(), "`drsorch apply -f` accepts. Every flag can also be set as DRSORCH_<FLAG>.")
		fs.PrintDefaults()
	}
	out := fs.String("o", "", "file to write (default: standard output)")
	var cf clientFlags
	cf.add(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	data, err := export(ctx, c)
	if err != nil {
		return err
	}
	if *out == "" || *out == "-" {
		_, err = stdout.Write(data)
		return err
	}
	if err := os.WriteFile(*out, data, 0o644); err != nil {
		return fmt.Errorf("write export: %w", err)
	}
	return nil
}

// export returns the server's groups and plans as YAML, sorted by name,
// with group IDs in waves mapped back to names.
func export(ctx context.Context, c *client.Client) ([]byte, error) {
	groups, err := c.AllGroups(ctx)
	if err != nil {
		return nil, fmt.Errorf("list protection groups: %w", err)
	}
	plans, err := c.AllPlans(ctx)
	if err != nil {
		return nil, fmt.Errorf("list recovery plans: %w", err)
	}
	nameByID := map[string]string{}
	var doc plan.Document
	for _, g := range groups {
		nameByID[g.ID] = g.Name
		doc.Groups = append(doc.Groups, plan.NormalizeGroup(g))
	}
	for _, p := range plans {
		// A wave naming a group that no longer exists keeps its ID, so
		// that apply reports it rather than silently dropping it.
		doc.Plans = append(doc.Plans, plan.RenameGroups(plan.NormalizePlan(p), nameByID))
	}
	slices.SortFunc(doc.Groups, func(a, b plan.ProtectionGroup) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortFunc(doc.Plans, func(a, b plan.RecoveryPlan) int { return cmp.Compare(a.Name, b.Name) })
	data, err := plan.MarshalYAML(doc)
	if err != nil {
		return nil, fmt.Errorf("encode export: %w", err)
	}
	return data, nil
}
