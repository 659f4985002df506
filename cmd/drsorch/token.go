package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/drsorch/drsorch/internal/auth"
	"github.com/drsorch/drsorch/internal/store"
)

func init() {
	register("token", "create, list and revoke API tokens: token create --role R --name N", runToken)
}

func tokenUsage(w io.Writer) {
	fmt.Fprintln(w, `usage: drsorch token create --role ROLE --name NAME [--expires 720h] [--store URL]
       drsorch token list [--store URL]
       drsorch token revoke ID [--store URL]

Tokens are kept in the store as SHA-256 hashes; create prints the token
once. Roles, lowest first: viewer, drill-operator, recovery-operator, admin.
Every flag can also be set as DRSORCH_<FLAG>.`)
}

// runToken works on the store directly, not through a server, so that
// the first admin token can be made before anyone can sign in.
func runToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		tokenUsage(stderr)
		return errors.New("token: want a subcommand (create, list or revoke)")
	}
	sub := args[0]
	fs := flag.NewFlagSet("token "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { tokenUsage(fs.Output()); fs.PrintDefaults() }
	storeSpec := fs.String("store", "sqlite:drsorch.db", "store: sqlite:PATH or dynamodb://PREFIX?region=&endpoint=")
	role := fs.String("role", "", "role of the new token (create)")
	name := fs.String("name", "", "name of the new token, shown in audit records (create)")
	expires := fs.Duration("expires", 720*time.Hour, "lifetime of the new token (create)")
	switch sub {
	case "create", "list", "revoke":
	default:
		fs.Usage()
		return fmt.Errorf("token: unknown subcommand %q (want create, list or revoke)", sub)
	}
	pos, err := parseArgs(fs, args[1:])
	if err != nil {
		return err
	}
	want := 0
	if sub == "revoke" {
		want = 1
	}
	if len(pos) != want {
		fs.Usage()
		return fmt.Errorf("token %s: want %d arguments, got %d", sub, want, len(pos))
	}

	st, err := openStore(ctx, *storeSpec)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, ok := st.(store.AuthStore); !ok {
		return fmt.Errorf("token: store %q keeps no tokens", *storeSpec)
	}
	svc := auth.ForStore(st)
	switch sub {
	case "create":
		r, err := auth.ParseRole(*role)
		if err != nil {
			return fmt.Errorf("token create: --%w", err)
		}
		if *name == "" {
			return errors.New("token create: --name is required")
		}
		secret, t, err := svc.CreateToken(ctx, *name, r, *expires, "drsorch token create")
		if err != nil {
			return fmt.Errorf("token create: %w", err)
		}
		fmt.Fprintln(stdout, secret)
		fmt.Fprintf(stderr, "token %s (%s, %s) expires %s; it is shown only this once\n",
			t.ID, t.Name, t.Role, t.ExpiresAt.Format(time.RFC3339))
	case "list":
		ts, err := svc.ListTokens(ctx)
		if err != nil {
			return fmt.Errorf("token list: %w", err)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tROLE\tCREATED\tEXPIRES\tSTATE")
		now := time.Now()
		for _, t := range ts {
			state := "active"
			switch {
			case t.RevokedAt != nil:
				state = "revoked " + t.RevokedAt.Format(time.RFC3339)
			case !now.Before(t.ExpiresAt):
				state = "expired"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.Role,
				t.CreatedAt.Format(time.RFC3339), t.ExpiresAt.Format(time.RFC3339), state)
		}
		return tw.Flush()
	case "revoke":
		if err := svc.RevokeToken(ctx, pos[0]); err != nil {
			return fmt.Errorf("token revoke: %w", err)
		}
		fmt.Fprintf(stdout, "token %s revoked\n", pos[0])
	}
	return nil
}
