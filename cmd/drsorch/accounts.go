package main

import (
	"flag"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
)

// accountsConfig says how drsorch reaches DRS in accounts other than its
// own: the role it assumes there, and, for emulators standing for
// accounts, an endpoint per account.
type accountsConfig struct {
	// TargetRoleName is the role assumed in another account,
	// arn:aws:iam::ACCOUNT:role/NAME; empty assumes none.
	TargetRoleName string
	// HomeAccount is drsorch's own account (empty: STS says).
	HomeAccount string
	// Endpoints are the --drs-endpoint-for values.
	Endpoints endpointFlags
}

// addAccountFlags adds the flags of accountsConfig to fs; roleDefault is
// the default role name.
func addAccountFlags(fs *flag.FlagSet, c *accountsConfig, roleDefault string) {
	fs.StringVar(&c.TargetRoleName, "target-role-name", roleDefault,
		"role assumed through STS in an account a group names, other than drsorch's own: arn:aws:iam::ACCOUNT:role/NAME (empty: none, every account uses the default credentials)")
	fs.StringVar(&c.HomeAccount, "home-account", "",
		"drsorch's own AWS account ID, which needs no role (default: asked of STS GetCallerIdentity when a group names an account)")
	c.Endpoints = endpointFlags{}
	fs.Var(&c.Endpoints, "drs-endpoint-for",
		"ACCOUNT=URL: the DRS endpoint of one account, such as an emulator's; repeatable, or comma-separated")
}

// endpointFlags collects --drs-endpoint-for ACCOUNT=URL values.
type endpointFlags map[string]string

var accountID = regexp.MustCompile(`^\d{12}$`)

func (e endpointFlags) String() string {
	var out []string
	for k, v := range e {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

func (e endpointFlags) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		acct, u, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || !accountID.MatchString(acct) {
			return fmt.Errorf("%q: want ACCOUNT=URL with a 12-digit account ID", part)
		}
		parsed, err := url.Parse(u)
		if err != nil || parsed.Host == "" || (parsed.Scheme != "http" && parsed.Scheme != "https") {
			return fmt.Errorf("%q: %q is not an http(s) URL", part, u)
		}
		e[acct] = u
	}
	return nil
}
