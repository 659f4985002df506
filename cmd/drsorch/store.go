package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/drsorch/drsorch/internal/store/dynamostore"
)

func init() {
	register("store", "prepare a store: store init --store dynamodb://… creates its table", runStore)
}

// runStore runs a store subcommand; init is the only one.
func runStore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("store init", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: drsorch store init --store dynamodb://PREFIX?region=REGION&endpoint=URL")
		fmt.Fprintln(fs.Output(), "\nCreates the store's DynamoDB table and indexes when absent and waits until")
		fmt.Fprintln(fs.Output(), "they are active; running it again changes nothing. A sqlite: store needs no")
		fmt.Fprintln(fs.Output(), "init (serve creates it). Every flag can also be set as DRSORCH_<FLAG>.")
		fs.PrintDefaults()
	}
	storeSpec := fs.String("store", "", "store to initialize: dynamodb://PREFIX?region=&endpoint=")
	if len(args) == 0 || args[0] != "init" {
		fs.Usage()
		if len(args) == 0 {
			return fmt.Errorf("store: want a subcommand (init)")
		}
		return fmt.Errorf("store: unknown subcommand %q (want init)", args[0])
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if err := envDefaults(fs); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("store init: unexpected argument %q", fs.Arg(0))
	}
	switch {
	case *storeSpec == "":
		return fmt.Errorf("store init: --store is required")
	case strings.HasPrefix(*storeSpec, "sqlite:"):
		fmt.Fprintln(stdout, "sqlite stores need no init: serve creates and migrates them")
		return nil
	case !strings.HasPrefix(*storeSpec, "dynamodb:"):
		return fmt.Errorf("store init: store %q: want dynamodb://PREFIX?region=&endpoint=", *storeSpec)
	}
	st, err := dynamostore.Open(ctx, *storeSpec)
	if err != nil {
		return fmt.Errorf("store init: %w", err)
	}
	defer st.Close()
	if err := st.CreateTables(ctx); err != nil {
		return fmt.Errorf("store init: %w", err)
	}
	fmt.Fprintf(stdout, "table %s ready\n", st.Table())
	return nil
}
