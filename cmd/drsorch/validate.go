package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/drsorch/drsorch/internal/plan"
)

func init() {
	register("validate", "check a plans-as-code file, offline", runValidate)
}

func runValidate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: drsorch validate -f FILE")
		fmt.Fprintln(fs.Output(), "\nChecks protection groups and recovery plans without a server. The groups")
		fmt.Fprintln(fs.Output(), "a plan names must be defined in the same file.")
		fs.PrintDefaults()
	}
	file := fs.String("f", "", "file to check: YAML, or JSON when its name ends in .json; - for standard input")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("validate: unexpected argument %q", fs.Arg(0))
	}
	if *file == "" {
		fs.Usage()
		return errors.New("validate: -f is required")
	}
	doc, err := readDocument(*file)
	if err != nil {
		return err
	}
	if problems := checkDocument(doc, nil); len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(stderr, p)
		}
		fmt.Fprintf(stderr, "%s: %s\n", *file, quantity(len(problems), "problem"))
		return exitError{1}
	}
	fmt.Fprintf(stdout, "%s: %s and %s, valid\n", *file,
		quantity(len(doc.Groups), "protection group"), quantity(len(doc.Plans), "recovery plan"))
	return nil
}

// readDocument reads and decodes a plans-as-code file; "-" is standard
// input, read as YAML.
func readDocument(name string) (plan.Document, error) {
	var data []byte
	var err error
	if name == "-" {
		data, err = io.ReadAll(os.Stdin)
	} else {
		data, err = os.ReadFile(name)
	}
	if err != nil {
		return plan.Document{}, fmt.Errorf("read %s: %w", name, err)
	}
	doc, err := plan.Decode(name, data)
	if err != nil {
		return plan.Document{}, fmt.Errorf("%s: %w", name, err)
	}
	return doc, nil
}

// checkDocument validates every object of doc and returns one line per
// problem, such as
//
//	RecoveryPlan "shop": waves[1].dependsOn[0]: unknown wave "x" (unknown_wave)
//
// existing are the groups a server already has: the file's groups replace
// those of the same name, and plans may name the others too.
func checkDocument(doc plan.Document, existing []plan.ProtectionGroup) []string {
	var problems []string
	report := func(what string, err error) {
		var errs plan.Errors
		if !errors.As(err, &errs) {
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: %v", what, err))
			}
			return
		}
		for _, fe := range errs {
			problems = append(problems, what+": "+fe.String())
		}
	}

	inFile := map[string]bool{}
	for _, g := range doc.Groups {
		inFile[g.Name] = true
	}
	var kept []plan.ProtectionGroup
	byName := map[string]plan.ProtectionGroup{}
	for _, g := range existing {
		if !inFile[g.Name] {
			kept = append(kept, g)
			byName[g.Name] = g
		}
	}
	// Each group is checked against the server's others and the file's
	// earlier ones, so that a clash is reported once, on the later object.
	for i, g := range doc.Groups {
		others := append(append([]plan.ProtectionGroup{}, kept...), doc.Groups[:i]...)
		report(objectName(plan.KindGroup, g.Name, i), plan.ValidateGroup(g, others))
		if _, ok := byName[g.Name]; !ok {
			byName[g.Name] = g
		}
	}

	seen := map[string]bool{}
	for i, p := range doc.Plans {
		what := objectName(plan.KindPlan, p.Name, i)
		if seen[p.Name] && p.Name != "" {
			problems = append(problems, fmt.Sprintf("%s: name: the file defines recovery plan %q twice (%s)",
				what, p.Name, plan.CodeDuplicateName))
		}
		seen[p.Name] = true
		report(what, plan.ValidatePlan(p, byName))
	}
	return problems
}

// quantity writes n things in English.
func quantity(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

// objectName names an object of a file in messages: its kind and name, or
// its position when it has no name.
func objectName(kind, name string, i int) string {
	if name == "" {
		return fmt.Sprintf("%s #%d", kind, i+1)
	}
	return fmt.Sprintf("%s %q", kind, name)
}
