package deploy

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// source is the parsed non-test Go files of one package.
type source struct {
	files []*ast.File
}

func parseDir(t *testing.T, dir string) source {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var s source
	fset := token.NewFileSet()
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		s.files = append(s.files, f)
	}
	if len(s.files) == 0 {
		t.Fatalf("no Go files in %s", dir)
	}
	return s
}

// interfaceMethods returns the methods of the interface type name: the
// narrow port a package declares to an AWS SDK client.
func (s source) interfaceMethods(t *testing.T, name string) []string {
	t.Helper()
	var out []string
	found := false
	for _, f := range s.files {
		ast.Inspect(f, func(n ast.Node) bool {
			ts, ok := n.(*ast.TypeSpec)
			if !ok || ts.Name.Name != name {
				return true
			}
			it, ok := ts.Type.(*ast.InterfaceType)
			if !ok {
				return true
			}
			found = true
			for _, m := range it.Methods.List {
				for _, id := range m.Names {
					out = append(out, id.Name)
				}
			}
			return false
		})
	}
	if !found {
		t.Fatalf("no interface %s", name)
	}
	slices.Sort(out)
	return out
}

// calls returns, for each top-level function or method, the methods it
// calls on a field named field (s.db.Query(…) for field "db") and the
// SDK operations of the paginators and waiters it builds on one
// (dynamodb.NewTableExistsWaiter → DescribeTable).
//
// Paginators count only when built by the SDK package pkg, and helpers
// name other constructors that call an operation on the client they are
// handed.
func (s source) calls(field, pkg string, helpers map[string]string) map[string][]string {
	pag := regexp.MustCompile(`^New(\w+)Paginator$`)
	out := map[string][]string{}
	for _, f := range s.files {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			seen := map[string]bool{}
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				if inner, ok := sel.X.(*ast.SelectorExpr); ok && inner.Sel.Name == field {
					seen[sel.Sel.Name] = true
				}
				if id, ok := sel.X.(*ast.Ident); ok {
					if m := pag.FindStringSubmatch(sel.Sel.Name); m != nil && id.Name == pkg {
						seen[m[1]] = true
					}
					if op, ok := helpers[sel.Sel.Name]; ok {
						seen[op] = true
					}
				}
				return true
			})
			for op := range seen {
				out[fd.Name.Name] = append(out[fd.Name.Name], op)
			}
		}
	}
	return out
}

// transactMembers returns the kinds of item the package's transactions
// write (Put, Update, Delete, ConditionCheck), from the fields its
// types.TransactWriteItem literals set.
func (s source) transactMembers() []string {
	seen := map[string]bool{}
	for _, f := range s.files {
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.CompositeLit)
			if !ok {
				return true
			}
			sel, ok := lit.Type.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "TransactWriteItem" {
				return true
			}
			for _, e := range lit.Elts {
				if kv, ok := e.(*ast.KeyValueExpr); ok {
					if id, ok := kv.Key.(*ast.Ident); ok {
						seen[id.Name] = true
					}
				}
			}
			return true
		})
	}
	var out []string
	for k := range seen {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// union returns the sorted set of every list in m whose key keep accepts.
func union(m map[string][]string, keep func(string) bool) []string {
	seen := map[string]bool{}
	for k, ops := range m {
		if !keep(k) {
			continue
		}
		for _, op := range ops {
			seen[op] = true
		}
	}
	var out []string
	for op := range seen {
		out = append(out, op)
	}
	slices.Sort(out)
	return out
}

func prefixed(prefix string, ops []string) []string {
	out := make([]string, len(ops))
	for i, op := range ops {
		out[i] = prefix + op
	}
	return out
}

// transactActions are the IAM actions that authorize each kind of item
// of a TransactWriteItems call: the transaction has no action of its own.
var transactActions = map[string]string{
	"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem",
}

// tableAdmin are the functions that manage the table rather than use it:
// CreateTables runs in `drsorch store init` (the CloudFormation template
// creates the table instead), DeleteTables only in tests. The service's
// role is granted none of their calls.
var tableAdmin = map[string]bool{"CreateTables": true, "DeleteTables": true}

// operations are the AWS operations the code calls, as IAM actions.
type operations struct {
	drs, ec2, sts, dynamo, dynamoAdmin []string
}

func (o operations) service() []string {
	out := slices.Concat(o.drs, o.ec2, o.sts, o.dynamo)
	slices.Sort(out)
	return out
}

// target returns the actions of the clients made in a target account,
// under its assumed role: DRS and EC2.
func (o operations) target() []string {
	out := slices.Concat(o.drs, o.ec2)
	slices.Sort(out)
	return out
}

// codeOperations derives the operations from the narrow ports of
// internal/drs (api, STS), internal/ec2 (api) and
// internal/store/dynamostore (dynamoAPI), and checks that each port lists
// exactly what its package calls.
func codeOperations(t *testing.T) operations {
	t.Helper()
	var o operations
	drsSrc := parseDir(t, filepath.Join("..", "internal", "drs"))
	drsCalled := union(drsSrc.calls("api", "drs", nil), func(string) bool { return true })
	if got := drsSrc.interfaceMethods(t, "api"); !slices.Equal(got, drsCalled) {
		t.Errorf("internal/drs: the api interface %v and the calls %v differ", got, drsCalled)
	}
	o.drs = prefixed("drs:", drsCalled)
	// stscreds' AssumeRoleProvider calls AssumeRole on the client it is
	// handed, inside the SDK.
	stsCalled := union(drsSrc.calls("sts", "sts", map[string]string{"NewAssumeRoleProvider": "AssumeRole"}),
		func(string) bool { return true })
	if got := drsSrc.interfaceMethods(t, "STS"); !slices.Equal(got, stsCalled) {
		t.Errorf("internal/drs: the STS interface %v and the calls %v differ", got, stsCalled)
	}
	o.sts = prefixed("sts:", stsCalled)

	ec2Src := parseDir(t, filepath.Join("..", "internal", "ec2"))
	ec2Called := union(ec2Src.calls("api", "ec2", nil), func(string) bool { return true })
	if got := ec2Src.interfaceMethods(t, "api"); !slices.Equal(got, ec2Called) {
		t.Errorf("internal/ec2: the api interface %v and the calls %v differ", got, ec2Called)
	}
	o.ec2 = prefixed("ec2:", ec2Called)

	dyn := parseDir(t, filepath.Join("..", "internal", "store", "dynamostore"))
	calls := dyn.calls("db", "dynamodb", map[string]string{"NewTableExistsWaiter": "DescribeTable"})
	all := union(calls, func(string) bool { return true })
	if got := dyn.interfaceMethods(t, "dynamoAPI"); !slices.Equal(got, all) {
		t.Errorf("dynamostore: the dynamoAPI interface %v and the calls %v differ", got, all)
	}
	for _, op := range union(calls, func(fn string) bool { return !tableAdmin[fn] }) {
		if op != "TransactWriteItems" {
			o.dynamo = append(o.dynamo, "dynamodb:"+op)
			continue
		}
		for _, m := range dyn.transactMembers() {
			o.dynamo = append(o.dynamo, "dynamodb:"+transactActions[m])
		}
	}
	o.dynamo = slices.Compact(slices.Sorted(slices.Values(o.dynamo)))
	o.dynamoAdmin = prefixed("dynamodb:", union(calls, func(fn string) bool { return fn == "CreateTables" }))
	return o
}
