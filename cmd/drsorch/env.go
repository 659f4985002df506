package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
)

// envDefaults sets every flag of fs that was not given on the command line
// from the environment variable DRSORCH_<NAME>, where NAME is the flag name
// in upper case with dashes as underscores. Call it after fs.Parse.
func envDefaults(fs *flag.FlagSet) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || err != nil {
			return
		}
		key := "DRSORCH_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(key); ok {
			if e := f.Value.Set(v); e != nil {
				err = fmt.Errorf("%s: %w", key, e)
			}
		}
	})
	return err
}

// parseFlags parses the flags of a command that takes no positional
// argument, then fills the flags not given from DRSORCH_* variables. An
// argument left over prints the usage and is an error naming it.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return envDefaults(fs)
}
