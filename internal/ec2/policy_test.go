package ec2

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
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

// policyActions returns the EC2 actions the shipped IAM policy allows.
func policyActions(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "deploy", "iam-policy.json"))
	if err != nil {
		t.Fatal(err)
	}
	var policy struct {
		Statement []struct {
			Effect string
			Action stringOrList
		}
	}
	if err := json.Unmarshal(b, &policy); err != nil {
		t.Fatalf("parse iam-policy.json: %v", err)
	}
	var actions []string
	for _, st := range policy.Statement {
		for _, a := range st.Action {
			if strings.HasPrefix(a, "ec2:") {
				if st.Effect != "Allow" {
					t.Errorf("%s in a statement of effect %q, want Allow", a, st.Effect)
				}
				actions = append(actions, a)
			}
		}
	}
	slices.Sort(actions)
	return actions
}

// interfaceOperations returns the methods of the api seam.
func interfaceOperations() []string {
	typ := reflect.TypeFor[api]()
	var ops []string
	for i := range typ.NumMethod() {
		ops = append(ops, typ.Method(i).Name)
	}
	slices.Sort(ops)
	return ops
}

var paginatorName = regexp.MustCompile(`^New(\w+)Paginator$`)

// calledOperations returns the SDK operations the package's non-test code
// calls: c.api.<Op>(…) and ec2.New<Op>Paginator(c.api, …).
func calledOperations(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if inner, ok := sel.X.(*ast.SelectorExpr); ok && inner.Sel.Name == "api" {
				seen[sel.Sel.Name] = true
			}
			if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "ec2" {
				if m := paginatorName.FindStringSubmatch(sel.Sel.Name); m != nil {
					seen[m[1]] = true
				}
			}
			return true
		})
	}
	var ops []string
	for op := range seen {
		ops = append(ops, op)
	}
	slices.Sort(ops)
	return ops
}

// TestIAMPolicyMatchesOperations holds deploy/iam-policy.json to exactly the
// EC2 operations the code calls, both ways.
func TestIAMPolicyMatchesOperations(t *testing.T) {
	called := calledOperations(t)
	if len(called) == 0 {
		t.Fatal("no calls found; the parse is broken")
	}
	if diff := cmp.Diff(interfaceOperations(), called); diff != "" {
		t.Errorf("operations called vs the api interface mismatch (-interface +called):\n%s", diff)
	}
	var want []string
	for _, op := range called {
		want = append(want, "ec2:"+op)
	}
	if diff := cmp.Diff(want, policyActions(t)); diff != "" {
		t.Errorf("iam-policy.json actions mismatch (-called +policy):\n%s", diff)
	}
}
