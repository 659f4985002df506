package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/drsorch/drsorch/internal/auth"
)

func init() { register("serve", "serve the REST API", runServe) }

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: drsorch serve [flags]")
		fmt.Fprintln(fs.Output(), "\nEvery flag can also be set as DRSORCH_<FLAG>, such as DRSORCH_LISTEN.")
		fs.PrintDefaults()
	}
	listen := fs.String("listen", "127.0.0.1:8080", "address to serve HTTP on")
	storeSpec := fs.String("store", "sqlite:drsorch.db", "store: sqlite:PATH or dynamodb://PREFIX?region=&endpoint= (see store init)")
	endpoint := fs.String("drs-endpoint", "", "DRS endpoint URL, such as an emulator's (default: the AWS SDK's, AWS_ENDPOINT_URL_DRS included)")
	ec2Endpoint := fs.String("ec2-endpoint", "", "EC2 endpoint URL (default: --drs-endpoint when set, since the emulator serves both; else the AWS SDK's, AWS_ENDPOINT_URL_EC2 included)")
	region := fs.String("region", defaultRegion(), "default AWS region of DRS calls and new groups")
	tagSync := fs.Duration("tag-sync-interval", 0, "copy source machines' EC2 tags onto their DRS source servers in every account and region a group names, this often (0: never; every replica may run it, it is idempotent)")
	logFormat := fs.String("log-format", "text", "log format: text or json")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	var eng engineConfig
	fs.StringVar(&eng.Owner, "owner", "", "name of this process in execution leases (default: host name and process ID)")
	fs.DurationVar(&eng.LeaseDuration, "lease-duration", 2*time.Minute, "how long an execution lease lasts unrenewed; another process takes over after it")
	fs.DurationVar(&eng.PollInterval, "poll-interval", 5*time.Second, "shortest wait between two engine rounds")
	fs.DurationVar(&eng.PollMax, "poll-max", time.Minute, "longest wait between two looks at a region's DRS jobs")
	fs.DurationVar(&eng.CallTimeout, "drs-call-timeout", time.Minute, "bound of one DRS call, its retries included")
	fs.DurationVar(&eng.LandingMargin, "drs-landing-margin", time.Minute, "how long after a DRS call's timeout it may still start a job")
	tlsCert := fs.String("tls-cert", "", "certificate (PEM) to serve HTTPS with; needs --tls-key")
	tlsKey := fs.String("tls-key", "", "private key (PEM) of --tls-cert")
	var oidc auth.OIDCConfig
	fs.StringVar(&oidc.Issuer, "oidc-issuer", "", "OpenID Connect issuer URL; set, the UI offers sign-in through it")
	fs.StringVar(&oidc.ClientID, "oidc-client-id", "", "OpenID Connect client ID")
	fs.StringVar(&oidc.ClientSecret, "oidc-client-secret", "", "OpenID Connect client secret (better as DRSORCH_OIDC_CLIENT_SECRET)")
	fs.StringVar(&oidc.RedirectURL, "oidc-redirect-url", "", "this server's callback as registered: https://HOST/signin/oidc/callback")
	fs.StringVar(&oidc.RoleClaim, "oidc-role-claim", "groups", "ID token claim of the user's groups, mapped to roles by --oidc-roles")
	oidcRoles := fs.String("oidc-roles", "", "claim values and their roles: VALUE=ROLE,VALUE=ROLE (such as dr-admins=admin,sre=drill-operator)")
	var ev evidenceConfig
	addEvidenceFlags(fs, &ev)
	var accts accountsConfig
	addAccountFlags(fs, &accts, "drsorch-target")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	roles, err := parseOIDCRoles(*oidcRoles)
	if err != nil {
		return err
	}
	oidc.Roles = roles
	log, err := newLogger(stderr, *logFormat, *logLevel)
	if err != nil {
		return err
	}

	a, err := newApp(ctx, appConfig{
		Store:       *storeSpec,
		Region:      *region,
		DRSEndpoint: *endpoint,
		EC2Endpoint: *ec2Endpoint,
		Logger:      log,
		Engine:      eng,
		Evidence:    ev,
		Accounts:    accts,
		TLSCert:     *tlsCert,
		TLSKey:      *tlsKey,
		OIDC:        oidc,

		TagSyncInterval: *tagSync,
	})
	if err != nil {
		return err
	}
	defer a.Close()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	return a.serve(ctx, ln)
}

// defaultRegion is the region the AWS SDK would pick from the environment,
// or us-east-1.
func defaultRegion() string {
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return "us-east-1"
}

// parseOIDCRoles reads --oidc-roles: VALUE=ROLE pairs, comma-separated.
func parseOIDCRoles(spec string) (map[string]auth.Role, error) {
	if spec == "" {
		return nil, nil
	}
	out := map[string]auth.Role{}
	for _, pair := range strings.Split(spec, ",") {
		v, r, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if !ok || v == "" {
			return nil, fmt.Errorf("--oidc-roles %q: want VALUE=ROLE pairs", spec)
		}
		role, err := auth.ParseRole(r)
		if err != nil {
			return nil, fmt.Errorf("--oidc-roles: %w", err)
		}
		out[v] = role
	}
	return out, nil
}
