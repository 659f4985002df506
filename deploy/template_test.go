package deploy

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/drsorch/drsorch/internal/store/dynamostore"
)

// loadTemplate parses a CloudFormation template, turning the short forms
// of intrinsic functions (!Ref, !Sub, !GetAtt and the others) into the
// long ones ({"Ref": …}, {"Fn::Sub": …}, {"Fn::GetAtt": [resource,
// attribute]}), which plain YAML parsers do not know.
func loadTemplate(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	v, err := cfnValue(doc.Content[0])
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%s is not a mapping", path)
	}
	return m
}

// cfnFunctions maps each short tag to its long name.
var cfnFunctions = map[string]string{
	"!Ref": "Ref", "!Sub": "Fn::Sub", "!GetAtt": "Fn::GetAtt", "!Join": "Fn::Join",
	"!Select": "Fn::Select", "!Split": "Fn::Split", "!If": "Fn::If", "!Equals": "Fn::Equals",
	"!Not": "Fn::Not", "!And": "Fn::And", "!Or": "Fn::Or", "!FindInMap": "Fn::FindInMap",
	"!Base64": "Fn::Base64", "!GetAZs": "Fn::GetAZs", "!ImportValue": "Fn::ImportValue",
	"!Cidr": "Fn::Cidr",
}

func cfnValue(n *yaml.Node) (any, error) {
	// Tags of YAML's own types start with "!!".
	custom := strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!")
	var v any
	switch n.Kind {
	case yaml.AliasNode:
		return cfnValue(n.Alias)
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			val, err := cfnValue(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			k := n.Content[i].Value
			if _, dup := m[k]; dup {
				return nil, fmt.Errorf("line %d: key %q twice", n.Content[i].Line, k)
			}
			m[k] = val
		}
		v = m
	case yaml.SequenceNode:
		l := []any{}
		for _, c := range n.Content {
			val, err := cfnValue(c)
			if err != nil {
				return nil, err
			}
			l = append(l, val)
		}
		v = l
	default:
		if custom {
			v = n.Value
		} else if err := n.Decode(&v); err != nil {
			return nil, err
		}
	}
	if !custom {
		return v, nil
	}
	name, ok := cfnFunctions[n.Tag]
	if !ok {
		return nil, fmt.Errorf("line %d: unknown tag %s", n.Line, n.Tag)
	}
	if name == "Fn::GetAtt" && n.Kind == yaml.ScalarNode {
		res, attr, ok := strings.Cut(n.Value, ".")
		if !ok {
			return nil, fmt.Errorf("line %d: !GetAtt %q is not RESOURCE.ATTRIBUTE", n.Line, n.Value)
		}
		v = []any{res, attr}
	}
	return map[string]any{name: v}, nil
}

// path walks a parsed template down a path of keys and indexes.
func path(t *testing.T, v any, keys ...any) any {
	t.Helper()
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("%v: not a mapping at %q", keys, k)
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				t.Fatalf("%v: no item %d", keys, k)
			}
			v = l[k]
		}
	}
	return v
}

// inlineActions returns the actions of every inline policy of a role
// resource.
func inlineActions(t *testing.T, tmpl map[string]any, role string) []string {
	t.Helper()
	var out []string
	for _, p := range path(t, tmpl, "Resources", role, "Properties", "Policies").([]any) {
		for _, st := range path(t, p, "PolicyDocument", "Statement").([]any) {
			if e := path(t, st, "Effect"); e != "Allow" {
				t.Errorf("%s: a statement with effect %v", role, e)
			}
			for _, a := range path(t, st, "Action").([]any) {
				out = append(out, a.(string))
			}
		}
	}
	slices.Sort(out)
	return out
}

// checkReferences fails t for a !Ref, !GetAtt or ${…} of !Sub naming
// neither a parameter, a resource nor a pseudo parameter.
func checkReferences(t *testing.T, name string, tmpl map[string]any) {
	t.Helper()
	known := map[string]bool{"AWS::Region": true, "AWS::AccountId": true, "AWS::Partition": true,
		"AWS::StackName": true, "AWS::URLSuffix": true}
	for _, sect := range []string{"Parameters", "Resources"} {
		if m, ok := tmpl[sect].(map[string]any); ok {
			for k := range m {
				known[k] = true
			}
		}
	}
	refs := 0
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, val := range x {
				switch k {
				case "Ref":
					refs++
					if !known[val.(string)] {
						t.Errorf("%s: !Ref %v names nothing", name, val)
					}
				case "Fn::GetAtt":
					refs++
					if res := val.([]any)[0].(string); !known[res] {
						t.Errorf("%s: !GetAtt %v names no resource", name, val)
					}
				case "Fn::Sub":
					s, _ := val.(string)
					for _, part := range strings.Split(s, "${")[1:] {
						ref, _, _ := strings.Cut(part, "}")
						ref, _, _ = strings.Cut(ref, ".")
						refs++
						if !known[ref] {
							t.Errorf("%s: !Sub ${%s} names nothing", name, ref)
						}
					}
				}
				walk(val)
			}
		case []any:
			for _, val := range x {
				walk(val)
			}
		}
	}
	walk(tmpl["Resources"])
	walk(tmpl["Outputs"])
	if refs == 0 {
		t.Errorf("%s: no references found; the short tags were not read", name)
	}
}

func TestServiceTemplate(t *testing.T) {
	tmpl := loadTemplate(t, "drsorch.yaml")
	checkReferences(t, "drsorch.yaml", tmpl)
	ops := codeOperations(t)
	checkActions(t, "drsorch.yaml's task role", ops.service(), inlineActions(t, tmpl, "TaskRole"))

	// The container serves with the DynamoDB store of the template.
	env := map[string]any{}
	for _, e := range path(t, tmpl, "Resources", "TaskDefinition", "Properties", "ContainerDefinitions", 0, "Environment").([]any) {
		env[path(t, e, "Name").(string)] = path(t, e, "Value")
	}
	want := map[string]any{"Fn::Sub": "dynamodb://${TablePrefix}?region=${AWS::Region}"}
	if d := cmp.Diff(want, env["DRSORCH_STORE"]); d != "" {
		t.Errorf("DRSORCH_STORE mismatch (-want +got):\n%s", d)
	}
	if d := cmp.Diff(map[string]any{"Ref": "TargetRoleName"}, env["DRSORCH_TARGET_ROLE_NAME"]); d != "" {
		t.Errorf("DRSORCH_TARGET_ROLE_NAME mismatch (-want +got):\n%s", d)
	}
	if got := path(t, tmpl, "Resources", "TaskDefinition", "Properties", "RequiresCompatibilities", 0); got != "FARGATE" {
		t.Errorf("task definition for %v, want FARGATE", got)
	}
}

// TestTableMatchesCreateTables holds the template's table to the one
// dynamostore.CreateTables creates: keys, attribute types, indexes and
// their projections, billing.
func TestTableMatchesCreateTables(t *testing.T) {
	tmpl := loadTemplate(t, "drsorch.yaml")
	props := path(t, tmpl, "Resources", "StoreTable", "Properties").(map[string]any)
	in := dynamostore.TableInput("drsorch-store")

	if d := cmp.Diff(map[string]any{"Fn::Sub": "${TablePrefix}-store"}, props["TableName"]); d != "" {
		t.Errorf("TableName mismatch (-want +got):\n%s", d)
	}
	if got := path(t, tmpl, "Parameters", "TablePrefix", "Default"); fmt.Sprint(got)+"-store" != aws.ToString(in.TableName) {
		t.Errorf("default prefix %v makes another table than %s", got, aws.ToString(in.TableName))
	}
	if got := props["BillingMode"]; got != string(in.BillingMode) {
		t.Errorf("BillingMode %v, want %s", got, in.BillingMode)
	}
	var attrs []any
	for _, a := range in.AttributeDefinitions {
		attrs = append(attrs, map[string]any{"AttributeName": aws.ToString(a.AttributeName), "AttributeType": string(a.AttributeType)})
	}
	if d := cmp.Diff(attrs, props["AttributeDefinitions"]); d != "" {
		t.Errorf("AttributeDefinitions mismatch (-code +template):\n%s", d)
	}
	var codeKeys []any
	for _, k := range in.KeySchema {
		codeKeys = append(codeKeys, map[string]any{"AttributeName": aws.ToString(k.AttributeName), "KeyType": string(k.KeyType)})
	}
	if d := cmp.Diff(codeKeys, props["KeySchema"]); d != "" {
		t.Errorf("KeySchema mismatch (-code +template):\n%s", d)
	}
	var gsis []any
	for _, g := range in.GlobalSecondaryIndexes {
		var ks []any
		for _, k := range g.KeySchema {
			ks = append(ks, map[string]any{"AttributeName": aws.ToString(k.AttributeName), "KeyType": string(k.KeyType)})
		}
		var nk []any
		for _, a := range g.Projection.NonKeyAttributes {
			nk = append(nk, a)
		}
		gsis = append(gsis, map[string]any{"IndexName": aws.ToString(g.IndexName), "KeySchema": ks,
			"Projection": map[string]any{"ProjectionType": string(g.Projection.ProjectionType), "NonKeyAttributes": nk}})
	}
	if d := cmp.Diff(gsis, props["GlobalSecondaryIndexes"]); d != "" {
		t.Errorf("GlobalSecondaryIndexes mismatch (-code +template):\n%s", d)
	}
}

// TestTargetAccountTemplate holds the target accounts' role to the DRS and
// EC2 actions: drsorch calls nothing else in those accounts.
func TestTargetAccountTemplate(t *testing.T) {
	tmpl := loadTemplate(t, "target-account-role.yaml")
	checkReferences(t, "target-account-role.yaml", tmpl)
	checkActions(t, "target-account-role.yaml", codeOperations(t).target(), inlineActions(t, tmpl, "TargetRole"))
	trust := path(t, tmpl, "Resources", "TargetRole", "Properties", "AssumeRolePolicyDocument", "Statement", 0)
	if d := cmp.Diff(map[string]any{"Ref": "OrchestratorRoleArn"}, path(t, trust, "Principal", "AWS")); d != "" {
		t.Errorf("trusted principal mismatch (-want +got):\n%s", d)
	}
	if got := path(t, tmpl, "Parameters", "RoleName", "Default"); got != "drsorch-target" {
		t.Errorf("role name %v, want serve's default --target-role-name drsorch-target", got)
	}
}

// TestShortTags checks the reading of CloudFormation's short tags.
func TestShortTags(t *testing.T) {
	var doc yaml.Node
	src := "a: !Ref X\nb: !GetAtt R.Arn\nc: !Sub '${X}-y'\nd: !Join [',', [p, !Ref Y]]\ne: plain\n"
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	got, err := cfnValue(doc.Content[0])
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"a": map[string]any{"Ref": "X"},
		"b": map[string]any{"Fn::GetAtt": []any{"R", "Arn"}},
		"c": map[string]any{"Fn::Sub": "${X}-y"},
		"d": map[string]any{"Fn::Join": []any{",", []any{"p", map[string]any{"Ref": "Y"}}}},
		"e": "plain",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("mismatch (-want +got):\n%s", d)
	}
	if err := yaml.Unmarshal([]byte("a: !Bogus x\n"), &doc); err != nil {
		t.Fatal(err)
	}
	if _, err := cfnValue(doc.Content[0]); err == nil {
		t.Error("an unknown tag was accepted")
	}
}
