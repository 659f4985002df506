package plan

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	srvA = "s-0123456789abcdef0"
	srvB = "s-0123456789abcdef1"
	srvC = "s-0123456789abcdef2"
)

func validGroup() ProtectionGroup {
	return ProtectionGroup{
		ID:              "pg-1",
		Name:            "db",
		AccountID:       "123456789012",
		Region:          "us-east-1",
		SourceServerIDs: []string{srvA, srvB},
		ServerSelector:  &Selector{Tags: map[string]string{"tier": "db"}},
	}
}

// codes is the comparable part of an Errors: code and field.
func codes(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("error %v is not an Errors", err)
	}
	var out []string
	for _, fe := range errs {
		if fe.Message == "" {
			t.Errorf("%s at %s has no message", fe.Code, fe.Field)
		}
		out = append(out, fe.Code+" "+fe.Field)
	}
	return out
}

func TestValidateGroup(t *testing.T) {
	other := ProtectionGroup{ID: "pg-2", Name: "app", Region: "us-east-1", SourceServerIDs: []string{srvC}}
	tests := []struct {
		name   string
		change func(g *ProtectionGroup)
		others []ProtectionGroup
		want   []string
	}{
		{name: "valid", change: func(g *ProtectionGroup) {}, others: []ProtectionGroup{other}},
		{name: "valid selector only", change: func(g *ProtectionGroup) { g.SourceServerIDs = nil }},
		{name: "valid IDs only, no account", change: func(g *ProtectionGroup) {
			g.ServerSelector, g.AccountID = nil, ""
		}},
		{name: "regions", change: func(g *ProtectionGroup) { g.Region = "us-gov-west-1" }},
		{name: "region eu-central-2", change: func(g *ProtectionGroup) { g.Region = "eu-central-2" }},
		{name: "region ap-southeast-4", change: func(g *ProtectionGroup) { g.Region = "ap-southeast-4" }},
		{name: "region cn-northwest-1", change: func(g *ProtectionGroup) { g.Region = "cn-northwest-1" }},
		{name: "own previous version ignored", change: func(g *ProtectionGroup) {},
			others: []ProtectionGroup{validGroup()}},

		{name: "name empty", change: func(g *ProtectionGroup) { g.Name = "" },
			want: []string{"name_required name"}},
		{name: "name too long", change: func(g *ProtectionGroup) { g.Name = strings.Repeat("é", 129) },
			want: []string{"name_too_long name"}},
		{name: "name of 128 characters", change: func(g *ProtectionGroup) { g.Name = strings.Repeat("é", 128) }},
		{name: "name padded", change: func(g *ProtectionGroup) { g.Name = " db" },
			want: []string{"name_invalid name"}},
		{name: "name control character", change: func(g *ProtectionGroup) { g.Name = "d\nb" },
			want: []string{"name_invalid name"}},
		{name: "name taken", change: func(g *ProtectionGroup) { g.Name = "app" },
			others: []ProtectionGroup{other}, want: []string{"duplicate_name name"}},
		{name: "description too long", change: func(g *ProtectionGroup) { g.Description = strings.Repeat("x", 1025) },
			want: []string{"description_too_long description"}},
		{name: "account short", change: func(g *ProtectionGroup) { g.AccountID = "12345678901" },
			want: []string{"account_id_invalid accountId"}},
		{name: "account not digits", change: func(g *ProtectionGroup) { g.AccountID = "12345678901a" },
			want: []string{"account_id_invalid accountId"}},
		{name: "region missing", change: func(g *ProtectionGroup) { g.Region = "" },
			want: []string{"region_required region"}},
		{name: "region misspelt", change: func(g *ProtectionGroup) { g.Region = "us-est-1" },
			want: []string{"region_invalid region"}},
		{name: "region upper case", change: func(g *ProtectionGroup) { g.Region = "US-EAST-1" },
			want: []string{"region_invalid region"}},
		{name: "no servers", change: func(g *ProtectionGroup) { g.SourceServerIDs, g.ServerSelector = nil, nil },
			want: []string{"servers_required sourceServerIds"}},
		{name: "bad server ID", change: func(g *ProtectionGroup) { g.SourceServerIDs[1] = "s-0123456789abcdefg" },
			want: []string{"source_server_id_invalid sourceServerIds[1]"}},
		{name: "short server ID", change: func(g *ProtectionGroup) { g.SourceServerIDs[0] = "s-0123" },
			want: []string{"source_server_id_invalid sourceServerIds[0]"}},
		{name: "duplicate server", change: func(g *ProtectionGroup) { g.SourceServerIDs = []string{srvA, srvB, srvA} },
			want: []string{"duplicate_source_server sourceServerIds[2]"}},
		{name: "server in other group", change: func(g *ProtectionGroup) { g.SourceServerIDs = []string{srvA, srvC} },
			others: []ProtectionGroup{other}, want: []string{"server_in_other_group sourceServerIds[1]"}},
		{name: "too many servers", change: func(g *ProtectionGroup) {
			g.SourceServerIDs = nil
			for i := range 1001 {
				g.SourceServerIDs = append(g.SourceServerIDs, fmt.Sprintf("s-%017x", i))
			}
		}, want: []string{"too_many_source_servers sourceServerIds"}},
		{name: "selector without tags", change: func(g *ProtectionGroup) { g.ServerSelector = &Selector{} },
			want: []string{"selector_empty serverSelector.tags"}},
		{name: "selector empty key", change: func(g *ProtectionGroup) { g.ServerSelector.Tags[""] = "x" },
			want: []string{`tag_key_empty serverSelector.tags[""]`}},
		{name: "selector key too long", change: func(g *ProtectionGroup) {
			g.ServerSelector.Tags[strings.Repeat("k", 129)] = "x"
		}, want: []string{fmt.Sprintf("tag_key_too_long serverSelector.tags[%q]", strings.Repeat("k", 129))}},
		{name: "selector value too long", change: func(g *ProtectionGroup) {
			g.ServerSelector.Tags["tier"] = strings.Repeat("v", 257)
		}, want: []string{`tag_value_too_long serverSelector.tags["tier"]`}},
		{name: "too many tags", change: func(g *ProtectionGroup) {
			for i := range 50 {
				g.ServerSelector.Tags[fmt.Sprint("k", i)] = "v"
			}
		}, want: []string{"too_many_tags serverSelector.tags"}},
		{name: "every problem at once", change: func(g *ProtectionGroup) {
			g.Name, g.Region, g.AccountID = "", "mars-1", "1"
			g.SourceServerIDs = []string{"x", srvC}
			g.ServerSelector = &Selector{}
		}, others: []ProtectionGroup{other}, want: []string{
			"name_required name",
			"account_id_invalid accountId",
			"region_invalid region",
			"source_server_id_invalid sourceServerIds[0]",
			"server_in_other_group sourceServerIds[1]",
			"selector_empty serverSelector.tags",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := validGroup()
			tt.change(&g)
			got := codes(t, ValidateGroup(g, tt.others))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidateGroupNamesBothGroups(t *testing.T) {
	g := validGroup()
	other := ProtectionGroup{ID: "pg-2", Name: "app", Region: "us-east-1", SourceServerIDs: []string{srvB}}
	err := ValidateGroup(g, []ProtectionGroup{other})
	want := `sourceServerIds[1]: source server "s-0123456789abcdef1" is in protection groups "db" and "app" (server_in_other_group)`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}
}

func intp(v int) *int { return &v }

func testGroups() map[string]ProtectionGroup {
	return map[string]ProtectionGroup{
		"pg-db":  {ID: "pg-db", Name: "db", Region: "us-east-1", SourceServerIDs: []string{srvA}},
		"pg-app": {ID: "pg-app", Name: "app", Region: "us-east-1", SourceServerIDs: []string{srvB}},
		"pg-web": {ID: "pg-web", Name: "web", Region: "us-east-1",
			ServerSelector: &Selector{Tags: map[string]string{"tier": "web"}}},
		"pg-dup": {ID: "pg-dup", Name: "dup", Region: "us-east-1", SourceServerIDs: []string{srvA}},
	}
}

func validPlan() RecoveryPlan {
	return RecoveryPlan{
		ID:         "rp-1",
		Name:       "shop",
		RTOMinutes: 60,
		Waves: []Wave{
			{Name: "database", ProtectionGroupIDs: []string{"pg-db"}},
			{Name: "application", ProtectionGroupIDs: []string{"pg-app"}, PauseBefore: true,
				FailurePolicy: FailureContinue, MinSuccessPercent: intp(50)},
			{Name: "web", ProtectionGroupIDs: []string{"pg-web"}, DependsOn: []string{"application", "database"},
				Hooks: &Hooks{
					Before: []Hook{{Name: "dns", URL: "https://hooks.example.com/dns", TimeoutSeconds: 30, Retries: 2}},
					After:  []Hook{{URL: "http://127.0.0.1:9000/done"}},
				}},
		},
	}
}

func TestValidatePlan(t *testing.T) {
	tests := []struct {
		name   string
		change func(p *RecoveryPlan)
		want   []string
	}{
		{name: "valid", change: func(p *RecoveryPlan) {}},
		{name: "valid normalized", change: func(p *RecoveryPlan) { *p = NormalizePlan(*p) }},
		{name: "valid parallel waves", change: func(p *RecoveryPlan) {
			p.Waves[1].DependsOn = []string{}
		}},
		{name: "valid minSuccessPercent 0", change: func(p *RecoveryPlan) { p.Waves[0].MinSuccessPercent = intp(0) }},
		{name: "valid dependency on a later wave", change: func(p *RecoveryPlan) {
			p.Waves[0].DependsOn = []string{"web"}
			p.Waves[2].DependsOn = []string{}
		}},

		{name: "name empty", change: func(p *RecoveryPlan) { p.Name = "" },
			want: []string{"name_required name"}},
		{name: "name too long", change: func(p *RecoveryPlan) { p.Name = strings.Repeat("n", 129) },
			want: []string{"name_too_long name"}},
		{name: "description too long", change: func(p *RecoveryPlan) { p.Description = strings.Repeat("d", 1025) },
			want: []string{"description_too_long description"}},
		{name: "rto negative", change: func(p *RecoveryPlan) { p.RTOMinutes = -1 },
			want: []string{"rto_negative rtoMinutes"}},
		{name: "no waves", change: func(p *RecoveryPlan) { p.Waves = nil },
			want: []string{"waves_required waves"}},
		{name: "too many waves", change: func(p *RecoveryPlan) {
			p.Waves = nil
			for i := range 101 {
				p.Waves = append(p.Waves, Wave{Name: fmt.Sprint("w", i), ProtectionGroupIDs: []string{fmt.Sprint("g", i)}})
			}
			groups := map[string]ProtectionGroup{}
			for i := range 101 {
				groups[fmt.Sprint("g", i)] = ProtectionGroup{Name: fmt.Sprint("g", i)}
			}
			planGroups = groups
		}, want: []string{"too_many_waves waves"}},
		{name: "wave name empty", change: func(p *RecoveryPlan) {
			p.Waves[0].Name = ""
			p.Waves[1].DependsOn = []string{}
			p.Waves[2].DependsOn = []string{"application"}
		}, want: []string{"name_required waves[0].name"}},
		{name: "wave name too long", change: func(p *RecoveryPlan) {
			p.Waves[1].Name = strings.Repeat("w", 129)
			p.Waves[2].DependsOn = []string{"database"}
		}, want: []string{"name_too_long waves[1].name"}},
		{name: "duplicate wave", change: func(p *RecoveryPlan) { p.Waves[2].Name = "database" },
			want: []string{"duplicate_name waves[2].name"}},
		{name: "wave without groups", change: func(p *RecoveryPlan) { p.Waves[1].ProtectionGroupIDs = nil },
			want: []string{"wave_groups_required waves[1].protectionGroupIds"}},
		{name: "too many groups in a wave", change: func(p *RecoveryPlan) {
			for i := range 100 {
				p.Waves[1].ProtectionGroupIDs = append(p.Waves[1].ProtectionGroupIDs, fmt.Sprint("pg-x", i))
			}
			groups := testGroups()
			for i := range 100 {
				groups[fmt.Sprint("pg-x", i)] = ProtectionGroup{Name: fmt.Sprint("x", i)}
			}
			planGroups = groups
		}, want: []string{"too_many_groups waves[1].protectionGroupIds"}},
		{name: "unknown group", change: func(p *RecoveryPlan) {
			p.Waves[2].ProtectionGroupIDs = append(p.Waves[2].ProtectionGroupIDs, "pg-nope")
		}, want: []string{"unknown_group waves[2].protectionGroupIds[1]"}},
		{name: "group used twice", change: func(p *RecoveryPlan) {
			p.Waves[2].ProtectionGroupIDs = []string{"pg-web", "pg-db"}
		}, want: []string{"duplicate_group waves[2].protectionGroupIds[1]"}},
		{name: "server in two groups", change: func(p *RecoveryPlan) {
			p.Waves[1].ProtectionGroupIDs = []string{"pg-app", "pg-dup"}
		}, want: []string{"server_in_other_group waves[1].protectionGroupIds[1]"}},
		{name: "unknown dependency", change: func(p *RecoveryPlan) { p.Waves[2].DependsOn = []string{"database", "x"} },
			want: []string{"unknown_wave waves[2].dependsOn[1]"}},
		{name: "duplicate dependency", change: func(p *RecoveryPlan) {
			p.Waves[2].DependsOn = []string{"database", "database"}
		}, want: []string{"duplicate_dependency waves[2].dependsOn[1]"}},
		{name: "self dependency", change: func(p *RecoveryPlan) { p.Waves[1].DependsOn = []string{"application"} },
			want: []string{"dependency_cycle waves[1].dependsOn"}},
		{name: "cycle through a default", change: func(p *RecoveryPlan) { p.Waves[0].DependsOn = []string{"application"} },
			want: []string{"dependency_cycle waves[0].dependsOn"}},
		{name: "failure policy", change: func(p *RecoveryPlan) { p.Waves[0].FailurePolicy = "retry" },
			want: []string{"failure_policy_invalid waves[0].failurePolicy"}},
		{name: "minSuccessPercent below 0", change: func(p *RecoveryPlan) { p.Waves[1].MinSuccessPercent = intp(-1) },
			want: []string{"min_success_percent_out_of_range waves[1].minSuccessPercent"}},
		{name: "minSuccessPercent over 100", change: func(p *RecoveryPlan) { p.Waves[1].MinSuccessPercent = intp(101) },
			want: []string{"min_success_percent_out_of_range waves[1].minSuccessPercent"}},
		{name: "hook URL scheme", change: func(p *RecoveryPlan) { p.Waves[2].Hooks.Before[0].URL = "ftp://x/y" },
			want: []string{"hook_url_invalid waves[2].hooks.before[0].url"}},
		{name: "hook URL relative", change: func(p *RecoveryPlan) { p.Waves[2].Hooks.After[0].URL = "/done" },
			want: []string{"hook_url_invalid waves[2].hooks.after[0].url"}},
		{name: "hook timeout negative", change: func(p *RecoveryPlan) { p.Waves[2].Hooks.Before[0].TimeoutSeconds = -1 },
			want: []string{"hook_timeout_invalid waves[2].hooks.before[0].timeoutSeconds"}},
		{name: "hook retries negative", change: func(p *RecoveryPlan) { p.Waves[2].Hooks.After[0].Retries = -2 },
			want: []string{"hook_retries_invalid waves[2].hooks.after[0].retries"}},
		{name: "too many hooks", change: func(p *RecoveryPlan) {
			for range 10 {
				p.Waves[2].Hooks.After = append(p.Waves[2].Hooks.After, Hook{URL: "https://h.example/x"})
			}
		}, want: []string{"too_many_hooks waves[2].hooks.after"}},
		{name: "every problem at once", change: func(p *RecoveryPlan) {
			p.Name = ""
			p.Waves[0].FailurePolicy = "maybe"
			p.Waves[1].DependsOn = []string{"x"}
			p.Waves[2].ProtectionGroupIDs = []string{"pg-nope"}
		}, want: []string{
			"name_required name",
			"failure_policy_invalid waves[0].failurePolicy",
			"unknown_wave waves[1].dependsOn[0]",
			"unknown_group waves[2].protectionGroupIds[0]",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			planGroups = testGroups()
			p := validPlan()
			tt.change(&p)
			got := codes(t, ValidatePlan(p, planGroups))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// planGroups are the groups TestValidatePlan validates against; a case may
// replace them.
var planGroups map[string]ProtectionGroup

func TestValidatePlanMessages(t *testing.T) {
	tests := []struct {
		name   string
		change func(p *RecoveryPlan)
		want   string
	}{
		{
			name: "cycle names its waves in order",
			change: func(p *RecoveryPlan) {
				p.Waves[0].DependsOn = []string{"web"}
				p.Waves[2].DependsOn = []string{"application"}
			},
			want: `waves[0].dependsOn: waves depend on each other in a cycle: ` +
				`"database" → "web" → "application" → "database" (dependency_cycle)`,
		},
		{
			name: "self dependency",
			change: func(p *RecoveryPlan) {
				p.Waves[2].DependsOn = []string{"web"}
			},
			want: `waves[2].dependsOn: waves depend on each other in a cycle: "web" → "web" (dependency_cycle)`,
		},
		{
			name: "server in two groups names both",
			change: func(p *RecoveryPlan) {
				p.Waves[2].ProtectionGroupIDs = []string{"pg-dup"}
			},
			want: `waves[2].protectionGroupIds[0]: source server "s-0123456789abcdef0" ` +
				`is in protection groups "db" and "dup" (server_in_other_group)`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := validPlan()
			tt.change(&p)
			err := ValidatePlan(p, testGroups())
			if err == nil || err.Error() != tt.want {
				t.Errorf("error = %v\nwant    %s", err, tt.want)
			}
		})
	}
}

func TestValidatePlanTwoCycles(t *testing.T) {
	p := RecoveryPlan{Name: "p", Waves: []Wave{
		{Name: "a", ProtectionGroupIDs: []string{"g1"}, DependsOn: []string{"b"}},
		{Name: "b", ProtectionGroupIDs: []string{"g2"}},
		{Name: "c", ProtectionGroupIDs: []string{"g3"}, DependsOn: []string{"d"}},
		{Name: "d", ProtectionGroupIDs: []string{"g4"}},
	}}
	groups := map[string]ProtectionGroup{"g1": {}, "g2": {}, "g3": {}, "g4": {}}
	got := codes(t, ValidatePlan(p, groups))
	want := []string{"dependency_cycle waves[0].dependsOn", "dependency_cycle waves[2].dependsOn"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestValidateNilIsNil(t *testing.T) {
	// A valid definition must give an untyped nil, or `err != nil` checks
	// in callers would fail every request.
	if err := ValidateGroup(validGroup(), nil); err != nil {
		t.Errorf("ValidateGroup = %#v, want nil", err)
	}
	if err := ValidatePlan(validPlan(), testGroups()); err != nil {
		t.Errorf("ValidatePlan = %#v, want nil", err)
	}
}
