package ec2

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/google/go-cmp/cmp"
)

// fakeCreds hands out static credentials named after the account, none for
// the home account, and fails for "000000000000".
type fakeCreds struct {
	home  string
	calls []string
}

func (f *fakeCreds) Credentials(_ context.Context, accountID, region string) (aws.CredentialsProvider, error) {
	f.calls = append(f.calls, accountID+"/"+region)
	switch accountID {
	case "000000000000":
		return nil, errors.New("no role")
	case f.home, "":
		return nil, nil
	}
	return credentials.NewStaticCredentialsProvider("ASIA"+accountID, "secret", "token"), nil
}

// TestClientsPerAccount: one Client per account and region, with the
// credentials the source gives (the SDK chain when it gives none) and the
// account's endpoint.
func TestClientsPerAccount(t *testing.T) {
	isolateAWSEnv(t)
	ok := cannedResponse{status: 200, body: `<DescribeSubnetsResponse><subnetSet/></DescribeSubnetsResponse>`}
	rt := &cannedTransport{responses: []cannedResponse{ok}}
	src := &fakeCreds{home: "111111111111"}
	cs := NewClients(src, Config{
		Region: "us-east-1", Endpoint: "http://home.invalid", MaxAttempts: 1,
		HTTPClient:       &http.Client{Transport: rt},
		AccountEndpoints: map[string]string{"222222222222": "http://target.invalid"},
	})
	ctx := t.Context()

	calls := []struct{ account, region string }{
		{"111111111111", ""}, {"222222222222", "us-west-2"}, {"333333333333", "us-east-1"},
		{"222222222222", "us-west-2"}, // the same Client again
	}
	var regions []string
	var first *Client
	for i, k := range calls {
		c, err := cs.For(ctx, k.account, k.region)
		if err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			first = c
		}
		if i == 3 && c != first {
			t.Error("a second Client for the same account and region")
		}
		regions = append(regions, c.Region())
		if _, err := c.DescribeSubnets(ctx, nil); err != nil {
			t.Fatal(err)
		}
	}
	if d := cmp.Diff([]string{"us-east-1", "us-west-2", "us-east-1", "us-west-2"}, regions); d != "" {
		t.Errorf("regions mismatch (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"home.invalid", "target.invalid", "home.invalid", "target.invalid"}, rt.hosts); d != "" {
		t.Errorf("hosts mismatch (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"AKIDTEST", "ASIA222222222222", "ASIA333333333333", "ASIA222222222222"}, rt.keys); d != "" {
		t.Errorf("access keys mismatch (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"111111111111/us-east-1", "222222222222/us-west-2", "333333333333/us-east-1"}, src.calls); d != "" {
		t.Errorf("credential requests mismatch (-want +got):\n%s", d)
	}

	if _, err := cs.For(ctx, "000000000000", ""); err == nil {
		t.Error("a Client despite the credential source's error")
	}

	// No source: the SDK's chain for every account.
	rt2 := &cannedTransport{responses: []cannedResponse{ok}}
	cs2 := NewClients(nil, Config{Region: "eu-west-1", Endpoint: "http://x.invalid", MaxAttempts: 1,
		HTTPClient: &http.Client{Transport: rt2}})
	c, err := cs2.For(ctx, "444444444444", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.DescribeSubnets(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"AKIDTEST"}, rt2.keys); d != "" {
		t.Errorf("access keys mismatch (-want +got):\n%s", d)
	}
}
