package drssim_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"sort"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/drssim"
)

func ec2Client(endpoint string, hc *http.Client) *ec2.Client {
	return ec2.New(ec2.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(endpoint),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDLOCAL", "secretlocal", ""),
		RetryMaxAttempts: 1,
		HTTPClient:       hc,
	})
}

// ec2InProcess returns an EC2 SDK client that reaches sim through its
// Transport.
func ec2InProcess(sim *drssim.Sim) *ec2.Client {
	return ec2Client("http://ec2.local", &http.Client{Transport: sim.Transport()})
}

// ec2Loopback returns an EC2 SDK client for sim behind an httptest server.
func ec2Loopback(t *testing.T, sim *drssim.Sim) *ec2.Client {
	t.Helper()
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	hc := &http.Client{Transport: drssim.BufferedBodies(&http.Transport{})}
	t.Cleanup(hc.CloseIdleConnections)
	return ec2Client(srv.URL, hc)
}

// apiCode is the error code of an SDK error, "" when err is nil.
func apiCode(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("not an API error: %v", err)
	}
	return ae.ErrorCode()
}

func filter(name string, values ...string) ec2types.Filter {
	return ec2types.Filter{Name: aws.String(name), Values: values}
}

func TestEC2DescribeSubnets(t *testing.T) {
	sim := drssim.New(drssim.Options{Servers: 3, Seed: 1})
	c := ec2Loopback(t, sim)
	type row struct{ ID, VPC, CIDR, AZ string }
	all := []row{
		{"subnet-0e5a1d00000000011", "vpc-0e5a1d00000000001", "10.10.1.0/24", "us-east-1a"},
		{"subnet-0e5a1d00000000012", "vpc-0e5a1d00000000001", "10.10.2.0/24", "us-east-1b"},
		{"subnet-0e5a1d00000000013", "vpc-0e5a1d00000000001", "10.10.3.0/24", "us-east-1c"},
	}
	tests := []struct {
		name string
		in   ec2.DescribeSubnetsInput
		want []row
		code string
	}{
		{"all", ec2.DescribeSubnetsInput{}, all, ""},
		{"by id", ec2.DescribeSubnetsInput{SubnetIds: []string{"subnet-0e5a1d00000000013", "subnet-0e5a1d00000000011"}}, []row{all[0], all[2]}, ""},
		{"vpc filter", ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{filter("vpc-id", "vpc-0e5a1d00000000001")}}, all, ""},
		{"subnet filter unknown left out", ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{filter("subnet-id", "subnet-0e5a1d00000000012", "subnet-0e5a1d00000000099")}}, []row{all[1]}, ""},
		{"source site by id", ec2.DescribeSubnetsInput{SubnetIds: []string{"subnet-0e5a1d00000000031"}}, []row{{"subnet-0e5a1d00000000031", "vpc-0e5a1d00000000002", "10.10.0.0/16", "us-east-1a"}}, ""},
		{"unknown id", ec2.DescribeSubnetsInput{SubnetIds: []string{"subnet-0e5a1d00000000099"}}, nil, "InvalidSubnetID.NotFound"},
		{"malformed id", ec2.DescribeSubnetsInput{SubnetIds: []string{"subnet-xyz"}}, nil, "InvalidSubnetID.Malformed"},
		{"bad filter", ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{filter("colour", "red")}}, nil, "InvalidParameterValue"},
		{"ids and max results", ec2.DescribeSubnetsInput{SubnetIds: []string{"subnet-0e5a1d00000000011"}, MaxResults: aws.Int32(5)}, nil, "InvalidParameterCombination"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := c.DescribeSubnets(t.Context(), &tt.in)
			if code := apiCode(t, err); code != tt.code {
				t.Fatalf("error code %q, want %q (%v)", code, tt.code, err)
			}
			if err != nil {
				return
			}
			var got []row
			for _, s := range out.Subnets {
				got = append(got, row{aws.ToString(s.SubnetId), aws.ToString(s.VpcId), aws.ToString(s.CidrBlock), aws.ToString(s.AvailabilityZone)})
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("subnets mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEC2DescribeSecurityGroups(t *testing.T) {
	sim := drssim.New(drssim.Options{Servers: 1, Seed: 1})
	c := ec2InProcess(sim)
	tests := []struct {
		name string
		in   ec2.DescribeSecurityGroupsInput
		want []string // id:name
		code string
	}{
		{"all", ec2.DescribeSecurityGroupsInput{}, []string{"sg-0e5a1d00000000021:default", "sg-0e5a1d00000000022:db", "sg-0e5a1d00000000023:app", "sg-0e5a1d00000000024:web"}, ""},
		{"by id", ec2.DescribeSecurityGroupsInput{GroupIds: []string{"sg-0e5a1d00000000023"}}, []string{"sg-0e5a1d00000000023:app"}, ""},
		{"group-id filter", ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{filter("group-id", "sg-0e5a1d00000000024", "sg-0e5a1d00000000099")}}, []string{"sg-0e5a1d00000000024:web"}, ""},
		{"vpc filter and group filter", ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{filter("vpc-id", "vpc-0e5a1d00000000001"), filter("group-id", "sg-0e5a1d00000000022")}}, []string{"sg-0e5a1d00000000022:db"}, ""},
		{"unknown", ec2.DescribeSecurityGroupsInput{GroupIds: []string{"sg-0e5a1d00000000021", "sg-0e5a1d00000000099"}}, nil, "InvalidGroup.NotFound"},
		{"malformed", ec2.DescribeSecurityGroupsInput{GroupIds: []string{"group-1"}}, nil, "InvalidGroupId.Malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := c.DescribeSecurityGroups(t.Context(), &tt.in)
			if code := apiCode(t, err); code != tt.code {
				t.Fatalf("error code %q, want %q (%v)", code, tt.code, err)
			}
			if err != nil {
				return
			}
			var got []string
			for _, g := range out.SecurityGroups {
				got = append(got, aws.ToString(g.GroupId)+":"+aws.ToString(g.GroupName))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("groups mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEC2UnknownActionAndFaults(t *testing.T) {
	sim := drssim.New(drssim.Options{Servers: 1, Seed: 1})
	c := ec2InProcess(sim)
	_, err := c.DescribeVpcs(t.Context(), &ec2.DescribeVpcsInput{})
	if code := apiCode(t, err); code != "InvalidAction" {
		t.Fatalf("DescribeVpcs: code %q, want InvalidAction (%v)", code, err)
	}
	sim.SetFaults(drssim.Faults{FailNext: []drssim.FailNext{
		{Operation: "DescribeSubnets", Count: 1, Kind: "throttle"},
		{Operation: "DescribeSecurityGroups", Count: 1},
	}})
	_, err = c.DescribeSubnets(t.Context(), &ec2.DescribeSubnetsInput{})
	var re interface{ HTTPStatusCode() int }
	if code := apiCode(t, err); code != "RequestLimitExceeded" || !errors.As(err, &re) || re.HTTPStatusCode() != 503 {
		t.Fatalf("throttled DescribeSubnets: %v", err)
	}
	_, err = c.DescribeSecurityGroups(t.Context(), &ec2.DescribeSecurityGroupsInput{})
	if code := apiCode(t, err); code != "InternalError" || !errors.As(err, &re) || re.HTTPStatusCode() != 500 {
		t.Fatalf("faulted DescribeSecurityGroups: %v", err)
	}
	if _, err := c.DescribeSubnets(t.Context(), &ec2.DescribeSubnetsInput{}); err != nil {
		t.Fatalf("after the faults: %v", err)
	}
	st := sim.Stats()
	got := map[string]int{"DescribeSubnets": st.Requests["DescribeSubnets"], "throttled": st.ErrorsByOperation["DescribeSubnets"]["RequestLimitExceeded"]}
	if diff := cmp.Diff(map[string]int{"DescribeSubnets": 2, "throttled": 1}, got); diff != "" {
		t.Errorf("stats mismatch (-want +got):\n%s", diff)
	}
}

var _ = sort.Strings
