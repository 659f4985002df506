package deploy

import (
	"encoding/json"
	"os"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// stringOrList is an IAM policy member that may be a string or a list.
type stringOrList []string

func (s *stringOrList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = []string{one}
		return nil
	}
	return json.Unmarshal(b, (*[]string)(s))
}

// policy is an IAM policy document.
type policy struct {
	Version   string
	Statement []struct {
		Sid      string
		Effect   string
		Action   stringOrList
		Resource stringOrList
	}
}

// actions returns the sorted actions a policy allows, checking that it
// allows only.
func (p policy) actions(t *testing.T, name string) []string {
	t.Helper()
	if p.Version != "2012-10-17" {
		t.Errorf("%s: version %q, want 2012-10-17", name, p.Version)
	}
	var out []string
	for _, st := range p.Statement {
		if st.Effect != "Allow" {
			t.Errorf("%s: statement %s has effect %q, want Allow", name, st.Sid, st.Effect)
		}
		if len(st.Resource) == 0 {
			t.Errorf("%s: statement %s names no resource", name, st.Sid)
		}
		out = append(out, st.Action...)
	}
	slices.Sort(out)
	return out
}

func readPolicy(t *testing.T, path string) policy {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var p policy
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	return p
}

// diffActions returns the actions the code calls that the policy lacks,
// and those the policy allows that the code does not call.
func diffActions(code, allowed []string) (missing, extra []string) {
	for _, a := range code {
		if !slices.Contains(allowed, a) {
			missing = append(missing, a)
		}
	}
	for _, a := range allowed {
		if !slices.Contains(code, a) {
			extra = append(extra, a)
		}
	}
	return missing, extra
}

// checkActions fails t when allowed and the code's actions differ.
func checkActions(t *testing.T, what string, code, allowed []string) {
	t.Helper()
	missing, extra := diffActions(code, allowed)
	if len(missing) > 0 {
		t.Errorf("%s lacks actions the code calls: %v", what, missing)
	}
	if len(extra) > 0 {
		t.Errorf("%s allows actions the code never calls: %v", what, extra)
	}
}

// TestIAMPolicyMatchesOperations holds deploy/iam-policy.json to exactly
// the AWS operations the service calls: DRS, EC2 for launch settings and
// health gates, STS for cross-account recovery, and DynamoDB for the
// shared store.
func TestIAMPolicyMatchesOperations(t *testing.T) {
	ops := codeOperations(t)
	checkActions(t, "iam-policy.json", ops.service(), readPolicy(t, "iam-policy.json").actions(t, "iam-policy.json"))
	checkActions(t, "iam-policy-store-init.json", ops.dynamoAdmin,
		readPolicy(t, "iam-policy-store-init.json").actions(t, "iam-policy-store-init.json"))
}

// TestActionComparisonFailsBothWays shows that the comparison catches a
// call added without its permission and a permission left after its call
// went: a synthetic operation on each side.
func TestActionComparisonFailsBothWays(t *testing.T) {
	ops := codeOperations(t).service()
	allowed := readPolicy(t, "iam-policy.json").actions(t, "iam-policy.json")
	for _, tc := range []struct {
		name                   string
		code, allowed          []string
		wantMissing, wantExtra []string
	}{
		{"as shipped", ops, allowed, nil, nil},
		{"a new call", append(slices.Clone(ops), "drs:StopReplication"), allowed, []string{"drs:StopReplication"}, nil},
		{"a new EC2 call", append(slices.Clone(ops), "ec2:RunInstances"), allowed, []string{"ec2:RunInstances"}, nil},
		{"a stale permission", ops, append(slices.Clone(allowed), "dynamodb:Scan"), nil, []string{"dynamodb:Scan"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			missing, extra := diffActions(tc.code, tc.allowed)
			if d := cmp.Diff(tc.wantMissing, missing); d != "" {
				t.Errorf("missing mismatch (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tc.wantExtra, extra); d != "" {
				t.Errorf("extra mismatch (-want +got):\n%s", d)
			}
		})
	}
}
