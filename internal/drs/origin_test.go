package drs

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/drs"
	"github.com/aws/aws-sdk-go-v2/service/drs/types"
	"github.com/google/go-cmp/cmp"
)

// TestSourceServerOrigin: the EC2 instance a server replicates from, and
// where it runs, come from the identification hints and the source cloud
// properties; a server outside AWS has none.
func TestSourceServerOrigin(t *testing.T) {
	tests := []struct {
		name string
		in   types.SourceServer
		want [3]string
	}{
		{"in AWS", types.SourceServer{
			SourceProperties: &types.SourceProperties{IdentificationHints: &types.IdentificationHints{
				AwsInstanceID: aws.String("i-0123456789abcdef0"), Hostname: aws.String("web-1")}},
			SourceCloudProperties: &types.SourceCloudProperties{
				OriginAccountID: aws.String("123456789012"), OriginRegion: aws.String("eu-west-1")},
		}, [3]string{"i-0123456789abcdef0", "123456789012", "eu-west-1"}},
		{"on premises", types.SourceServer{
			SourceProperties: &types.SourceProperties{IdentificationHints: &types.IdentificationHints{
				Hostname: aws.String("db-1")}},
		}, [3]string{}},
		{"nothing", types.SourceServer{}, [3]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := sourceServerFrom(tt.in)
			got := [3]string{s.AWSInstanceID, s.OriginAccountID, s.OriginRegion}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("origin mismatch (-want +got):\n%s", d)
			}
		})
	}
}

// TestTagResource: the tags go as given; no tags make no call; no ARN is
// refused without one.
func TestTagResource(t *testing.T) {
	f := &fakeAPI{pageSize: 10}
	c := newFakeClient(f)
	const arn = "arn:aws:drs:eu-west-1:123456789012:source-server/s-0123456789abcdef0"
	tags := map[string]string{"app": "web", "env": "dr"}
	if err := c.TagResource(t.Context(), arn, tags); err != nil {
		t.Fatal(err)
	}
	tags["app"] = "changed after the call"
	if err := c.TagResource(t.Context(), arn, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.TagResource(t.Context(), "", map[string]string{"a": "b"}); !errors.Is(err, ErrValidation) {
		t.Errorf("no ARN: %v, want ErrValidation", err)
	}
	if len(f.inputs) != 1 {
		t.Fatalf("%d calls, want 1", len(f.inputs))
	}
	in := f.inputs[0].(*drs.TagResourceInput)
	if aws.ToString(in.ResourceArn) != arn {
		t.Errorf("ARN %q, want %q", aws.ToString(in.ResourceArn), arn)
	}
	if d := cmp.Diff(map[string]string{"app": "web", "env": "dr"}, in.Tags); d != "" {
		t.Errorf("tags mismatch (-want +got):\n%s", d)
	}
}

// TestCredentialsShared: the EC2 clients of an account get the provider
// its DRS clients use, so the role is assumed once for both; the home
// account and a deployment without a target role get the SDK's chain.
func TestCredentialsShared(t *testing.T) {
	isolateAWSEnv(t)
	const home, acct = "999999999999", "111111111111"
	fake := &fakeSTS{home: home}
	clients := NewClients(t.Context(), Config{Region: "us-east-1", TargetRoleName: "drsorch-target", STS: fake})
	ctx := t.Context()

	p1, err := clients.Credentials(ctx, acct, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	p2, err := clients.Credentials(ctx, acct, "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	if p1 == nil || p1 != p2 {
		t.Fatalf("providers %v and %v, want one for the account", p1, p2)
	}
	for range 3 {
		creds, err := p2.Retrieve(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if creds.AccessKeyID != "ASIA"+acct {
			t.Errorf("access key %q, want the role's", creds.AccessKeyID)
		}
	}
	if _, err := clients.For(ctx, acct, "eu-west-1"); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"arn:aws:iam::111111111111:role/drsorch-target"}, fake.assumed); d != "" {
		t.Errorf("assumed roles mismatch (-want +got):\n%s", d)
	}

	for _, account := range []string{home, ""} {
		if p, err := clients.Credentials(ctx, account, "us-east-1"); p != nil || err != nil {
			t.Errorf("account %q: %v, %v; want the SDK's chain", account, p, err)
		}
	}
	noRole := NewClients(ctx, Config{Region: "us-east-1", STS: fake})
	if p, err := noRole.Credentials(ctx, acct, "us-east-1"); p != nil || err != nil {
		t.Errorf("no target role: %v, %v; want the SDK's chain", p, err)
	}
}
