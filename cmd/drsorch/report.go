package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
)

func init() {
	register("report", "write an execution's report as JSON, CSV or HTML", runReport)
}

func runReport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: drsorch report EXECUTION_ID [--format json|csv|html] [-o FILE]")
		fmt.Fprintln(fs.Output(), "\nWrites the evidence of an execution: its frozen plan, who started it, each wave's")
		fmt.Fprintln(fs.Output(), "times, each server's launch and RPO, and the total against the plan's RTO.")
		fs.PrintDefaults()
	}
	format := fs.String("format", "json", "json, csv (one row per server) or html (a printable page)")
	out := fs.String("o", "", "write to this file instead of standard output")
	var cf clientFlags
	cf.add(fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return fmt.Errorf("report: want one EXECUTION_ID, got %d arguments", len(pos))
	}
	switch *format {
	case "json", "csv", "html":
	default:
		return fmt.Errorf("report: --format %q is not json, csv or html", *format)
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	var data []byte
	if *format == "json" {
		// Indented for people; the API's own bytes are one line.
		r, err := c.ExecutionReport(ctx, pos[0])
		if err != nil {
			return fmt.Errorf("report of %s: %w", pos[0], err)
		}
		if data, err = json.MarshalIndent(r, "", "  "); err != nil {
			return err
		}
		data = append(data, '\n')
	} else if data, err = c.ExecutionReportAs(ctx, pos[0], *format); err != nil {
		return fmt.Errorf("report of %s: %w", pos[0], err)
	}
	if *out == "" {
		_, err := stdout.Write(data)
		return err
	}
	if err := os.WriteFile(*out, data, 0o644); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}
