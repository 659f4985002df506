package drs

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/drssim"
)

// fakeSTS answers AssumeRole with credentials naming the role's account,
// and records every call.
type fakeSTS struct {
	mu         sync.Mutex
	home       string
	assumed    []string // role ARNs
	sessions   []string
	identities int
}

var roleAccount = regexp.MustCompile(`^arn:aws[\w-]*:iam::(\d{12}):role/`)

func (f *fakeSTS) AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, _ ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	arn := aws.ToString(in.RoleArn)
	f.assumed = append(f.assumed, arn)
	f.sessions = append(f.sessions, aws.ToString(in.RoleSessionName))
	m := roleAccount.FindStringSubmatch(arn)
	if m == nil {
		return nil, errors.New("fake sts: malformed role ARN " + arn)
	}
	return &sts.AssumeRoleOutput{Credentials: &ststypes.Credentials{
		AccessKeyId: aws.String("ASIA" + m[1]), SecretAccessKey: aws.String("secret-" + m[1]),
		SessionToken: aws.String("token-" + m[1]), Expiration: aws.Time(time.Now().Add(time.Hour)),
	}}, nil
}

func (f *fakeSTS) GetCallerIdentity(ctx context.Context, _ *sts.GetCallerIdentityInput, _ ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.identities++
	return &sts.GetCallerIdentityOutput{Account: aws.String(f.home)}, nil
}

// hostRouter sends each request to the emulator of its host and records
// the access key that signed it.
type hostRouter struct {
	sims map[string]*drssim.Sim
	mu   sync.Mutex
	keys map[string]map[string]bool // host -> access keys
}

var credentialKey = regexp.MustCompile(`Credential=([^/]+)/`)

func (h *hostRouter) RoundTrip(r *http.Request) (*http.Response, error) {
	sim, ok := h.sims[r.URL.Host]
	if !ok {
		return nil, errors.New("no emulator at " + r.URL.Host)
	}
	h.mu.Lock()
	if h.keys[r.URL.Host] == nil {
		h.keys[r.URL.Host] = map[string]bool{}
	}
	if m := credentialKey.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		h.keys[r.URL.Host][m[1]] = true
	}
	h.mu.Unlock()
	return sim.Transport().RoundTrip(r)
}

func TestClientsAssumeRolePerAccount(t *testing.T) {
	isolateAWSEnv(t)
	const home, acctA, acctB = "999999999999", "111111111111", "222222222222"
	clock := func() time.Time { return simEpoch }
	sims := map[string]*drssim.Sim{
		"home.local": drssim.New(drssim.Options{Servers: 2, Seed: 9, Account: home, Clock: clock}),
		"a.local":    drssim.New(drssim.Options{Servers: 3, Seed: 1, Account: acctA, Clock: clock}),
		"b.local":    drssim.New(drssim.Options{Servers: 4, Seed: 2, Account: acctB, Region: "eu-west-1", Clock: clock}),
	}
	router := &hostRouter{sims: sims, keys: map[string]map[string]bool{}}
	fake := &fakeSTS{home: home}
	clients := NewClients(t.Context(), Config{
		Region: "us-east-1", Endpoint: "http://home.local",
		HTTPClient:     &http.Client{Transport: router},
		TargetRoleName: "drsorch-target", STS: fake,
		AccountEndpoints: map[string]string{acctA: "http://a.local", acctB: "http://b.local"},
	})

	tests := []struct {
		account, region, host string
		servers               int
	}{
		{"", "", "home.local", 2},
		{home, "us-east-1", "home.local", 2},
		{acctA, "us-east-1", "a.local", 3},
		{acctB, "eu-west-1", "b.local", 4},
		{acctA, "us-east-1", "a.local", 3}, // cached: no second AssumeRole
	}
	for _, tc := range tests {
		c, err := clients.For(t.Context(), tc.account, tc.region)
		if err != nil {
			t.Fatalf("For(%q, %q): %v", tc.account, tc.region, err)
		}
		got, err := c.DescribeSourceServers(t.Context(), nil)
		if err != nil {
			t.Fatalf("describe source servers of %q: %v", tc.account, err)
		}
		if len(got) != tc.servers {
			t.Errorf("account %q: %d servers, want %d (from %s)", tc.account, len(got), tc.servers, tc.host)
		}
	}
	again, _ := clients.For(t.Context(), acctA, "us-east-1")
	first, _ := clients.For(t.Context(), acctA, "us-east-1")
	if again != first {
		t.Error("For returned a new client for the same account and region")
	}

	wantRoles := []string{"arn:aws:iam::111111111111:role/drsorch-target",
		"arn:aws:iam::222222222222:role/drsorch-target"}
	if diff := cmp.Diff(wantRoles, fake.assumed); diff != "" {
		t.Errorf("assumed roles mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{RoleSessionName, RoleSessionName}, fake.sessions); diff != "" {
		t.Errorf("session names mismatch (-want +got):\n%s", diff)
	}
	if fake.identities != 1 {
		t.Errorf("GetCallerIdentity called %d times, want 1", fake.identities)
	}
	wantKeys := map[string]map[string]bool{
		"home.local": {"AKIDTEST": true},
		"a.local":    {"ASIA111111111111": true},
		"b.local":    {"ASIA222222222222": true},
	}
	if diff := cmp.Diff(wantKeys, router.keys); diff != "" {
		t.Errorf("signing keys per emulator mismatch (-want +got):\n%s", diff)
	}
}

func TestClientsWithoutTargetRole(t *testing.T) {
	isolateAWSEnv(t)
	sim := drssim.New(drssim.Options{Servers: 2, Account: "111111111111",
		Clock: func() time.Time { return simEpoch }})
	router := &hostRouter{sims: map[string]*drssim.Sim{"a.local": sim}, keys: map[string]map[string]bool{}}
	fake := &fakeSTS{home: "999999999999"}
	clients := NewClients(t.Context(), Config{Region: "us-east-1",
		HTTPClient: &http.Client{Transport: router}, STS: fake,
		AccountEndpoints: map[string]string{"111111111111": "http://a.local"}})
	c, err := clients.For(t.Context(), "111111111111", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.DescribeSourceServers(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	if len(fake.assumed) != 0 || fake.identities != 0 {
		t.Errorf("STS called without a target role: %v, %d identities", fake.assumed, fake.identities)
	}
	if diff := cmp.Diff(map[string]map[string]bool{"a.local": {"AKIDTEST": true}}, router.keys); diff != "" {
		t.Errorf("signing keys mismatch (-want +got):\n%s", diff)
	}
}

func TestRoleARN(t *testing.T) {
	tests := []struct{ region, want string }{
		{"us-east-1", "arn:aws:iam::111111111111:role/r"},
		{"cn-north-1", "arn:aws-cn:iam::111111111111:role/r"},
		{"us-gov-west-1", "arn:aws-us-gov:iam::111111111111:role/r"},
		{"", "arn:aws:iam::111111111111:role/r"},
	}
	for _, tc := range tests {
		if got := RoleARN(tc.region, "111111111111", "r"); got != tc.want {
			t.Errorf("RoleARN(%q) = %q, want %q", tc.region, got, tc.want)
		}
	}
}
