package api

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/plan"
)

func TestSourceServers(t *testing.T) {
	e := newTestEnv(t)
	tags := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	e.drs.servers = map[string][]drs.SourceServer{
		"us-east-1": {
			{ID: sid(4), Tags: tags("tier", "web"), ReplicationState: drs.StateContinuous},
			{ID: sid(1), Tags: tags("tier", "db"), ReplicationState: drs.StateContinuous, Lag: 90 * time.Second},
			{ID: sid(2), Tags: tags("tier", "db", "env", "prod"), ReplicationState: drs.StateStalled},
			{ID: sid(3), Tags: tags("tier", "app"), ReplicationState: drs.StateContinuous},
		},
		"eu-west-1": {
			{ID: sid(9), Tags: tags("tier", "db"), ReplicationState: drs.StateContinuous},
		},
	}
	// db claims s-1 by ID and every tier=db server by tags; app claims
	// tier=app; a group in another region claims nothing here.
	db := must[plan.ProtectionGroup](e, http.StatusCreated, "POST", "/api/v1/protection-groups", plan.ProtectionGroup{
		Name: "db", Region: "us-east-1", SourceServerIDs: []string{sid(1)},
		ServerSelector: &plan.Selector{Tags: tags("tier", "db")},
	})
	app := must[plan.ProtectionGroup](e, http.StatusCreated, "POST", "/api/v1/protection-groups", plan.ProtectionGroup{
		Name: "app", Region: "us-east-1", ServerSelector: &plan.Selector{Tags: tags("tier", "app")},
	})
	eu := must[plan.ProtectionGroup](e, http.StatusCreated, "POST", "/api/v1/protection-groups", plan.ProtectionGroup{
		Name: "eu", Region: "eu-west-1", ServerSelector: &plan.Selector{Tags: tags("tier", "db")},
	})

	type row struct{ ID, Group string }
	tests := []struct {
		name  string
		query string
		want  []row
		calls []string
	}{
		{"all, default region", "", []row{{sid(1), db.ID}, {sid(2), db.ID}, {sid(3), app.ID}, {sid(4), ""}}, []string{"/us-east-1"}},
		{"by tag", "tag=tier=db", []row{{sid(1), db.ID}, {sid(2), db.ID}}, nil},
		{"by two tags", "tag=tier=db&tag=env=prod", []row{{sid(2), db.ID}}, nil},
		{"by state, any case", "state=stalled", []row{{sid(2), db.ID}}, nil},
		{"by group", "groupId=" + app.ID, []row{{sid(3), app.ID}}, nil},
		{"other region", "region=eu-west-1", []row{{sid(9), eu.ID}}, []string{"/eu-west-1"}},
		{"group decides the region", "groupId=" + eu.ID, []row{{sid(9), eu.ID}}, []string{"/eu-west-1"}},
		{"nothing matches", "tag=tier=cache", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.drs.calls = nil
			page := must[listBody[sourceServer]](e, http.StatusOK, "GET", "/api/v1/source-servers?"+tt.query, nil)
			var got []row
			for _, s := range page.Items {
				got = append(got, row{s.ID, s.ProtectionGroupID})
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("servers mismatch (-want +got):\n%s", diff)
			}
			if tt.calls != nil {
				if diff := cmp.Diff(tt.calls, e.drs.calls); diff != "" {
					t.Errorf("DRS calls mismatch (-want +got):\n%s", diff)
				}
			}
		})
	}

	t.Run("fields", func(t *testing.T) {
		page := must[listBody[sourceServer]](e, http.StatusOK, "GET", "/api/v1/source-servers?limit=1", nil)
		want := sourceServer{ID: sid(1), Tags: tags("tier", "db"), ReplicationState: "CONTINUOUS",
			LagSeconds: 90, ProtectionGroupID: db.ID}
		if len(page.Items) != 1 {
			t.Fatalf("%d items, want 1", len(page.Items))
		}
		if diff := cmp.Diff(want, page.Items[0]); diff != "" {
			t.Errorf("server mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("pages", func(t *testing.T) {
		var ids []string
		token := ""
		for range 10 {
			page := must[listBody[sourceServer]](e, http.StatusOK, "GET",
				"/api/v1/source-servers?limit=3&nextToken="+url.QueryEscape(token), nil)
			for _, s := range page.Items {
				ids = append(ids, s.ID)
			}
			if token = page.NextToken; token == "" {
				break
			}
		}
		if diff := cmp.Diff([]string{sid(1), sid(2), sid(3), sid(4)}, ids); diff != "" {
			t.Errorf("paged IDs mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("refusals", func(t *testing.T) {
		for _, tc := range []struct{ query, field string }{
			{"tag=tier", "tag"},
			{"groupId=pg-nope", "groupId"},
			{"groupId=" + eu.ID + "&region=us-east-1", "region"},
		} {
			got := must[errorBody](e, http.StatusBadRequest, "GET", "/api/v1/source-servers?"+tc.query, nil).Error
			if got.Field != tc.field {
				t.Errorf("%s: field %q, want %q", tc.query, got.Field, tc.field)
			}
		}
	})

	t.Run("DRS failure is a 500 with the detail in the log only", func(t *testing.T) {
		e.drs.err = errors.New("secret endpoint detail")
		defer func() { e.drs.err = nil }()
		rec := e.do("GET", "/api/v1/source-servers", nil)
		if rec.Code != http.StatusInternalServerError || strings.Contains(rec.Body.String(), "secret") {
			t.Errorf("status %d body %s; want a 500 without the detail", rec.Code, rec.Body)
		}
		if !strings.Contains(e.logs.String(), "secret endpoint detail") {
			t.Errorf("the log lacks the error detail:\n%s", e.logs)
		}
	})
}
