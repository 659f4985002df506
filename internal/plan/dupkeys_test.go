package plan

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCheckDuplicateKeys(t *testing.T) {
	tests := []struct {
		in   string
		want string // the duplicate's path; empty: none
	}{
		{in: `{"name":"a","waves":[{"name":"w"},{"name":"v"}]}`},
		{in: `{"name":"a","name":"b"}`, want: "name"},
		{in: `{"name":"a","NAME":"b"}`}, // encoding/json's folding is not duplication of keys
		{in: `{"waves":[{"name":"w"},{"name":"v","name":"x"}]}`, want: "waves[1].name"},
		{in: `{"a":[[1,2],[3,{"k":1,"k":2}]]}`, want: "a[1][1].k"},
		{in: `{"tags":{"tier":"db","tier":"app"}}`, want: "tags.tier"},
		{in: `[{"x":1},{"x":1}]`},
		{in: `{"a":{"b":1},"c":{"b":2}}`},
		{in: `{"a":1,`}, // not JSON: left to the decoder
		{in: `{"a":{"x":1},"a":2}`, want: "a"},
	}
	for _, tt := range tests {
		err := CheckDuplicateKeys([]byte(tt.in))
		var got string
		var de *DuplicateKeyError
		if errors.As(err, &de) {
			got = de.Path
		} else if err != nil {
			t.Errorf("CheckDuplicateKeys(%s) = %v, want a *DuplicateKeyError or nil", tt.in, err)
		}
		if got != tt.want {
			t.Errorf("CheckDuplicateKeys(%s) path %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestUnmarshalStrictDuplicateKeys(t *testing.T) {
	var p RecoveryPlan
	err := UnmarshalStrict([]byte(`{"name":"a","waves":[{"name":"w","name":"x"}]}`), &p)
	if err == nil || !strings.Contains(err.Error(), "waves[0].name") {
		t.Errorf("UnmarshalStrict = %v, want the duplicate key waves[0].name", err)
	}
	_, err = DecodeJSON([]byte(`{"kind":"ProtectionGroup","name":"db","region":"us-east-1","region":"eu-west-1"}`))
	if err == nil || !strings.Contains(err.Error(), "duplicate key") {
		t.Errorf("DecodeJSON = %v, want a duplicate key error", err)
	}
	_, err = DecodeYAML([]byte("kind: ProtectionGroup\nname: db\nname: app\nregion: us-east-1\n"))
	if err == nil {
		t.Errorf("DecodeYAML of a duplicate key = nil, want an error")
	}
}

func TestValidateLaunchTimeout(t *testing.T) {
	for _, tt := range []struct {
		minutes int
		want    []string
	}{
		{minutes: 0},
		{minutes: 1},
		{minutes: 1440},
		{minutes: -1, want: []string{"launch_timeout_out_of_range waves[0].launchTimeoutMinutes"}},
		{minutes: 1441, want: []string{"launch_timeout_out_of_range waves[0].launchTimeoutMinutes"}},
	} {
		p := validPlan()
		p.Waves[0].LaunchTimeoutMinutes = tt.minutes
		if diff := cmp.Diff(tt.want, codes(t, ValidatePlan(p, testGroups()))); diff != "" {
			t.Errorf("launchTimeoutMinutes %d: mismatch (-want +got):\n%s", tt.minutes, diff)
		}
		// Normalizing leaves it alone: zero is the engine's default.
		if got := NormalizePlan(p).Waves[0].LaunchTimeoutMinutes; got != tt.minutes {
			t.Errorf("normalized launchTimeoutMinutes %d, want %d", got, tt.minutes)
		}
	}
}

func TestLaunchTimeoutRoundTrip(t *testing.T) {
	in := "kind: RecoveryPlan\nname: shop\nwaves:\n  - name: db\n    protectionGroups: [db]\n    launchTimeoutMinutes: 45\n"
	doc, err := DecodeYAML([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if got := doc.Plans[0].Waves[0].LaunchTimeoutMinutes; got != 45 {
		t.Fatalf("launchTimeoutMinutes %d, want 45", got)
	}
	out, err := MarshalYAML(doc)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "launchTimeoutMinutes: 45") {
		t.Errorf("exported YAML lost launchTimeoutMinutes:\n%s", out)
	}
}

// TestCheckDuplicateKeysDeep is linear in the depth of a document.
func TestCheckDuplicateKeysDeep(t *testing.T) {
	deep := strings.Repeat(`{"a":[`, 10000) + `{"k":1,"k":2}` + strings.Repeat(`]}`, 10000)
	err := CheckDuplicateKeys([]byte(deep))
	var de *DuplicateKeyError
	if !errors.As(err, &de) || !strings.HasSuffix(de.Path, "a[0].k") || len(de.Path) != 10000*len("a[0].")+1 {
		t.Errorf("CheckDuplicateKeys of a deep document = %v", err)
	}
}
