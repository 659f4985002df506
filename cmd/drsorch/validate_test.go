package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// writePlanFile writes content to a file named name in a fresh folder and
// returns its path.
func writePlanFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestValidateCommand(t *testing.T) {
	tests := []struct {
		name     string
		file     string
		content  string
		wantCode int // 0: success
		want     []string
	}{
		{
			name: "valid",
			file: "ok.yaml",
			content: `kind: ProtectionGroup
name: db
region: us-east-1
serverSelector: {tags: {tier: db}}
---
kind: RecoveryPlan
name: shop
waves: [{name: database, protectionGroups: [db]}]
`,
			want: []string{"ok.yaml: 1 protection group and 1 recovery plan, valid"},
		},
		{
			name: "every problem with its object and path",
			file: "bad.yaml",
			content: `- kind: ProtectionGroup
  name: db
  region: us-east-1
  sourceServerIds: [s-0123456789abcdef0]
- kind: ProtectionGroup
  name: db2
  region: moon-1
  sourceServerIds: [s-0123456789abcdef0]
- kind: RecoveryPlan
  name: shop
  waves:
    - {name: database, protectionGroups: [db]}
    - {name: web, protectionGroups: [web], dependsOn: [x]}
- kind: RecoveryPlan
  name: shop
  waves: [{name: a, protectionGroups: [db], failurePolicy: retry}]
`,
			wantCode: 1,
			want: []string{
				`ProtectionGroup "db2": region: "moon-1" is not an AWS region name such as us-east-1 (region_invalid)`,
				`ProtectionGroup "db2": sourceServerIds[0]: source server "s-0123456789abcdef0" is in protection groups "db2" and "db" (server_in_other_group)`,
				`RecoveryPlan "shop": waves[1].protectionGroupIds[0]: unknown protection group "web" (unknown_group)`,
				`RecoveryPlan "shop": waves[1].dependsOn[0]: unknown wave "x" (unknown_wave)`,
				`RecoveryPlan "shop": name: the file defines recovery plan "shop" twice (duplicate_name)`,
				`RecoveryPlan "shop": waves[0].failurePolicy: failure policy "retry" is neither "stop" nor "continue" (failure_policy_invalid)`,
				`bad.yaml: 6 problems`,
			},
		},
		{
			name:     "unnamed object",
			file:     "anon.json",
			content:  `{"kind":"ProtectionGroup","region":"us-east-1","serverSelector":{"tags":{"a":"b"}}}`,
			wantCode: 1,
			want:     []string{`ProtectionGroup #1: name: name is required (name_required)`, `anon.json: 1 problem`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writePlanFile(t, tt.file, tt.content)
			var stdout, stderr bytes.Buffer
			err := run(t.Context(), []string{"validate", "-f", path}, &stdout, &stderr)
			var ee exitError
			code := 0
			if errors.As(err, &ee) {
				code = ee.code
			} else if err != nil {
				t.Fatalf("validate: %v", err)
			}
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d", code, tt.wantCode)
			}
			out := strings.ReplaceAll(stdout.String()+stderr.String(), filepath.Dir(path)+string(filepath.Separator), "")
			got := strings.Split(strings.TrimSpace(out), "\n")
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidateDecodeError(t *testing.T) {
	path := writePlanFile(t, "typo.yaml", "kind: ProtectionGroup\nname: db\nregoin: us-east-1\n")
	err := run(t.Context(), []string{"validate", "-f", path}, new(bytes.Buffer), new(bytes.Buffer))
	if err == nil || !strings.Contains(err.Error(), `line 3: unknown field "regoin"`) {
		t.Errorf("validate = %v, want the unknown field and its line", err)
	}
}

func TestValidateExample(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), []string{"validate", "-f", "../../examples/shop.yaml"}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("validate examples/shop.yaml: %v\n%s", err, stderr.String())
	}
	want := "../../examples/shop.yaml: 3 protection groups and 1 recovery plan, valid\n"
	if stdout.String() != want {
		t.Errorf("stdout = %q, want %q", stdout.String(), want)
	}
}
