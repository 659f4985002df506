package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"

	"github.com/drsorch/drsorch/internal/client"
	"github.com/drsorch/drsorch/internal/plan"
)

func init() {
	register("apply", "create or update the groups and plans of a file on a server", runApply)
}

func runApply(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("apply", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: drsorch apply -f FILE [--server URL]")
		fmt.Fprintln(fs.Output(), "\nValidates the file against the server's groups, then creates or updates its")
		fmt.Fprintln(fs.Output(), "protection groups and recovery plans by name; objects the file does not")
		fmt.Fprintln(fs.Output(), "name are left alone. Every flag can also be set as DRSORCH_<FLAG>.")
		fs.PrintDefaults()
	}
	file := fs.String("f", "", "file to apply: YAML, or JSON when its name ends in .json; - for standard input")
	var cf clientFlags
	cf.add(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *file == "" {
		fs.Usage()
		return errors.New("apply: -f is required")
	}
	doc, err := readDocument(*file)
	if err != nil {
		return err
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	return apply(ctx, c, doc, stdout, stderr)
}

// apply makes the server's groups and plans of doc's names match doc:
// groups first, since plans refer to them. It prints one line per object.
func apply(ctx context.Context, c *client.Client, doc plan.Document, stdout, stderr io.Writer) error {
	groups, err := c.AllGroups(ctx)
	if err != nil {
		return fmt.Errorf("list protection groups: %w", err)
	}
	plans, err := c.AllPlans(ctx)
	if err != nil {
		return fmt.Errorf("list recovery plans: %w", err)
	}
	// Nothing changes unless the whole file is valid.
	if problems := checkDocument(doc, groups); len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(stderr, p)
		}
		fmt.Fprintf(stderr, "%s; nothing was changed\n", quantity(len(problems), "problem"))
		return exitError{1}
	}

	groupByName := map[string]plan.ProtectionGroup{}
	idByName := map[string]string{}
	versions := map[string]int64{}
	for _, g := range groups {
		versions[g.Name] = g.Version
		groupByName[g.Name] = g
		idByName[g.Name] = g.ID
	}
	released, err := releaseMoved(ctx, c, doc, groupByName)
	if err != nil {
		return refused(stderr, objectName(plan.KindGroup, released, 0), err)
	}
	for _, g := range doc.Groups {
		what := objectName(plan.KindGroup, g.Name, 0)
		cur, exists := groupByName[g.Name]
		var got plan.ProtectionGroup
		var outcome string
		switch {
		case !exists:
			got, _, err = c.CreateGroup(ctx, g)
			outcome = "created"
		case plan.SameGroup(g, cur):
			got, outcome = cur, "unchanged"
			if cur.Version != versions[g.Name] {
				outcome = "updated" // by releaseMoved
			}
		default:
			got, _, err = c.UpdateGroup(ctx, cur.ID, g, client.ETag(cur.Version))
			outcome = "updated"
		}
		if err != nil {
			return refused(stderr, what, err)
		}
		idByName[g.Name] = got.ID
		fmt.Fprintf(stdout, "protection-group/%s %s\n", g.Name, outcome)
	}

	planByName := map[string]plan.RecoveryPlan{}
	for _, p := range plans {
		planByName[p.Name] = p
	}
	for _, p := range doc.Plans {
		what := objectName(plan.KindPlan, p.Name, 0)
		p = plan.RenameGroups(p, idByName)
		cur, exists := planByName[p.Name]
		var outcome string
		switch {
		case !exists:
			_, _, err = c.CreatePlan(ctx, p)
			outcome = "created"
		case plan.SamePlan(p, cur):
			outcome = "unchanged"
		default:
			_, _, err = c.UpdatePlan(ctx, cur.ID, p, client.ETag(cur.Version))
			outcome = "updated"
		}
		if err != nil {
			return refused(stderr, what, err)
		}
		fmt.Fprintf(stdout, "recovery-plan/%s %s\n", p.Name, outcome)
	}
	return nil
}

// releaseMoved prepares moves of source servers between groups of the
// server: the server refuses any write that puts a server in two groups,
// so a group giving servers away is first written as its new definition
// minus the servers other groups still hold. The groups written are
// updated in byName. On error it returns the name of the group refused.
//
// TODO: a swap in which a group is left with no server and no selector in
// between still fails; it would need a temporary selector.
func releaseMoved(ctx context.Context, c *client.Client, doc plan.Document,
	byName map[string]plan.ProtectionGroup) (string, error) {
	claimed := map[string]string{} // source server → file group
	for _, g := range doc.Groups {
		for _, id := range g.SourceServerIDs {
			claimed[id] = g.Name
		}
	}
	holder := map[string]string{} // source server → server group
	for _, g := range byName {
		for _, id := range g.SourceServerIDs {
			holder[id] = g.Name
		}
	}
	for _, g := range doc.Groups {
		cur, ok := byName[g.Name]
		if !ok || !slices.ContainsFunc(cur.SourceServerIDs, func(id string) bool {
			return claimed[id] != "" && claimed[id] != g.Name
		}) {
			continue
		}
		step := g
		step.SourceServerIDs = slices.DeleteFunc(slices.Clone(g.SourceServerIDs), func(id string) bool {
			return holder[id] != "" && holder[id] != g.Name
		})
		got, _, err := c.UpdateGroup(ctx, cur.ID, step, client.ETag(cur.Version))
		if err != nil {
			return g.Name, err
		}
		byName[g.Name] = got
		for _, id := range cur.SourceServerIDs {
			if holder[id] == g.Name && !slices.Contains(got.SourceServerIDs, id) {
				delete(holder, id)
			}
		}
	}
	return "", nil
}

// refused prints the problems of an object the server refused, one per
// line, and returns exit status 1; errors other than the API's answers are
// returned as they are.
func refused(stderr io.Writer, what string, err error) error {
	var ae *client.Error
	if !errors.As(err, &ae) {
		return fmt.Errorf("apply %s: %w", what, err)
	}
	if len(ae.Details) == 0 {
		fmt.Fprintf(stderr, "%s: %v\n", what, ae)
		return exitError{1}
	}
	for _, d := range ae.Details {
		fmt.Fprintf(stderr, "%s: %s\n", what, d)
	}
	return exitError{1}
}
