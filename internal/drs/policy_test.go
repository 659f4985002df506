package drs

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

// policyActions returns the actions the shipped IAM policy allows.
func policyActions(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "deploy", "iam-policy.json"))
	if err != nil {
		t.Fatal(err)
	}
	var policy struct {
		Version   string
		Statement []struct {
			Effect   string
			Action   stringOrList
			Resource stringOrList
		}
	}
	if err := json.Unmarshal(b, &policy); err != nil {
		t.Fatalf("parse iam-policy.json: %v", err)
	}
	if policy.Version != "2012-10-17" {
		t.Errorf("policy version %q, want 2012-10-17", policy.Version)
	}
	var actions []string
	for _, st := range policy.Statement {
		if st.Effect != "Allow" {
			t.Errorf("statement effect %q, want Allow", st.Effect)
		}
		// The policy grants the store's and STS's actions too; the
		// deploy package's test holds those to their code.
		for _, a := range st.Action {
			if strings.HasPrefix(a, "drs:") {
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
// calls: c.api.<Op>(…) and drs.New<Op>Paginator(c.api, …).
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
			if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "drs" {
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
// DRS operations the code calls: a new call without its permission fails
// here, not in production, and so does a permission nothing needs.
func TestIAMPolicyMatchesOperations(t *testing.T) {
	called := calledOperations(t)
	if diff := cmp.Diff(interfaceOperations(), called); diff != "" {
		t.Errorf("operations called vs the api interface mismatch (-interface +called):\n%s", diff)
	}
	var want []string
	for _, op := range called {
		want = append(want, "drs:"+op)
	}
	if diff := cmp.Diff(want, policyActions(t)); diff != "" {
		t.Errorf("iam-policy.json actions mismatch (-called +policy):\n%s", diff)
	}
}
