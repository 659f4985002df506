package plan

import "testing"

func TestGroupMatches(t *testing.T) {
	db := ProtectionGroup{
		SourceServerIDs: []string{"s-1", "s-2"},
		ServerSelector:  &Selector{Tags: map[string]string{"tier": "db", "env": "prod"}},
	}
	tests := []struct {
		name  string
		group ProtectionGroup
		id    string
		tags  map[string]string
		want  bool
	}{
		{"explicit id", db, "s-2", nil, true},
		{"all tags match", db, "s-9", map[string]string{"tier": "db", "env": "prod", "x": "y"}, true},
		{"one tag missing", db, "s-9", map[string]string{"tier": "db"}, false},
		{"value differs", db, "s-9", map[string]string{"tier": "db", "env": "dev"}, false},
		{"value case differs", db, "s-9", map[string]string{"tier": "DB", "env": "prod"}, false},
		{"no selector, not listed", ProtectionGroup{SourceServerIDs: []string{"s-1"}}, "s-9", map[string]string{"tier": "db"}, false},
		{"empty selector matches nothing", ProtectionGroup{ServerSelector: &Selector{}}, "s-9", map[string]string{"tier": "db"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.group.Matches(tt.id, tt.tags); got != tt.want {
				t.Errorf("Matches(%q, %v) = %v, want %v", tt.id, tt.tags, got, tt.want)
			}
		})
	}
}
