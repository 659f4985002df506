package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/drsorch/drsorch/internal/plan"
)

// TestRefusals sends requests that must fail, each checked for its status,
// its error code and fields, and for leaving the store as it was.
func TestRefusals(t *testing.T) {
	e := newTestEnv(t)
	db := must[plan.ProtectionGroup](e, http.StatusCreated, "POST", "/api/v1/protection-groups", group("db", sid(1), sid(2)))
	app := must[plan.ProtectionGroup](e, http.StatusCreated, "POST", "/api/v1/protection-groups", group("app", sid(3)))
	shop := must[plan.RecoveryPlan](e, http.StatusCreated, "POST", "/api/v1/recovery-plans", plan.RecoveryPlan{
		Name:  "shop",
		Waves: []plan.Wave{{Name: "db", ProtectionGroupIDs: []string{db.ID}}},
	})
	groupPath := "/api/v1/protection-groups/" + db.ID
	planPath := "/api/v1/recovery-plans/" + shop.ID

	badPlan := plan.RecoveryPlan{
		Name: "broken",
		Waves: []plan.Wave{
			{Name: "a", ProtectionGroupIDs: []string{db.ID}, DependsOn: []string{"c"}},
			{Name: "b", ProtectionGroupIDs: []string{"pg-missing", app.ID}, DependsOn: []string{"a"}},
			{Name: "c", ProtectionGroupIDs: []string{db.ID}, DependsOn: []string{"b", "nowhere"}},
		},
	}
	huge := `{"name": "big", "region": "us-east-1", "description": "` + strings.Repeat("x", maxBody) + `"}`

	tests := []struct {
		name        string
		method      string
		path        string
		body        any
		hdr         []string
		status      int
		code        string
		field       string
		details     []Detail // compared without messages when not nil
		wantMessage []string // substrings of the message
	}{
		{
			name: "plan with every kind of problem", method: "POST", path: "/api/v1/recovery-plans", body: badPlan,
			status: 400, code: CodeInvalid, field: "waves[1].protectionGroupIds[0]",
			details: []Detail{
				{Code: plan.CodeUnknownGroup, Field: "waves[1].protectionGroupIds[0]"},
				{Code: plan.CodeDuplicateGroup, Field: "waves[2].protectionGroupIds[0]"},
				{Code: plan.CodeUnknownWave, Field: "waves[2].dependsOn[1]"},
				{Code: plan.CodeDependencyCycle, Field: "waves[0].dependsOn"},
			},
		},
		{
			name: "invalid plan update", method: "PUT", path: planPath, body: badPlan, hdr: []string{"If-Match", `"1"`},
			status: 400, code: CodeInvalid, field: "waves[1].protectionGroupIds[0]",
		},
		{
			name: "server claimed by another group", method: "POST", path: "/api/v1/protection-groups",
			body:   group("web", sid(4), sid(1)),
			status: 400, code: CodeInvalid, field: "sourceServerIds[1]",
			details:     []Detail{{Code: plan.CodeServerInOtherGroup, Field: "sourceServerIds[1]"}},
			wantMessage: []string{`"web"`, `"db"`, sid(1)},
		},
		{
			name: "server listed twice", method: "POST", path: "/api/v1/protection-groups",
			body:   group("web", sid(5), sid(5)),
			status: 400, code: CodeInvalid, field: "sourceServerIds[1]",
			details: []Detail{{Code: plan.CodeDuplicateServer, Field: "sourceServerIds[1]"}},
		},
		{
			name: "update takes another group's server", method: "PUT", path: "/api/v1/protection-groups/" + app.ID,
			body: group("app", sid(2)), hdr: []string{"If-Match", `"1"`},
			status: 400, code: CodeInvalid, field: "sourceServerIds[0]",
		},
		{
			name: "group name taken", method: "POST", path: "/api/v1/protection-groups", body: group("db", sid(9)),
			status: 409, code: CodeConflict, field: "name", wantMessage: []string{`"db"`},
		},
		{
			name: "rename group to a taken name", method: "PUT", path: "/api/v1/protection-groups/" + app.ID,
			body: group("db", sid(3)), hdr: []string{"If-Match", `"1"`},
			status: 409, code: CodeConflict, field: "name",
		},
		{
			name: "plan name taken", method: "POST", path: "/api/v1/recovery-plans",
			body:   plan.RecoveryPlan{Name: "shop", Waves: []plan.Wave{{Name: "w", ProtectionGroupIDs: []string{app.ID}}}},
			status: 409, code: CodeConflict, field: "name", wantMessage: []string{`"shop"`},
		},
		{
			name: "unknown field", method: "POST", path: "/api/v1/protection-groups",
			body:   `{"name": "web", "region": "us-east-1", "sourceServerIds": [], "colour": "red"}`,
			status: 400, code: CodeInvalid, field: "colour",
		},
		{
			name: "unknown nested field", method: "POST", path: "/api/v1/recovery-plans",
			body:   `{"name": "p", "waves": [{"name": "w", "protectionGroupIds": [], "gate": true}]}`,
			status: 400, code: CodeInvalid, field: "waves[0].gate",
		},
		{
			name: "trailing data", method: "POST", path: "/api/v1/protection-groups",
			body:   `{"name": "web", "region": "us-east-1", "sourceServerIds": ["` + sid(7) + `"]} {}`,
			status: 400, code: CodeInvalid,
		},
		{
			name: "wrong type", method: "POST", path: "/api/v1/protection-groups",
			body:   `{"name": 7}`,
			status: 400, code: CodeInvalid, field: "name",
		},
		{
			name: "not JSON", method: "POST", path: "/api/v1/protection-groups", body: `{"name": `,
			status: 400, code: CodeInvalid,
		},
		{
			name: "empty body", method: "POST", path: "/api/v1/protection-groups", body: ` `,
			status: 400, code: CodeInvalid,
		},
		{
			name: "body over 1 MiB", method: "POST", path: "/api/v1/protection-groups", body: huge,
			status: 413, code: CodeTooLarge,
		},
		{
			name: "text body", method: "POST", path: "/api/v1/protection-groups", body: `{"name": "web"}`,
			hdr:    []string{"Content-Type", "text/plain"},
			status: 415, code: CodeUnsupportedMediaType, field: "Content-Type",
		},
		{
			name: "no content type", method: "PUT", path: groupPath, body: `{"name": "db"}`,
			hdr:    []string{"Content-Type", "", "If-Match", `"1"`},
			status: 415, code: CodeUnsupportedMediaType, field: "Content-Type",
		},
		{
			name: "update without If-Match", method: "PUT", path: groupPath, body: group("db", sid(1)),
			status: 428, code: CodePreconditionRequired, field: "If-Match",
		},
		{
			name: "delete without If-Match", method: "DELETE", path: planPath,
			status: 428, code: CodePreconditionRequired, field: "If-Match",
		},
		{
			name: "stale delete", method: "DELETE", path: planPath, hdr: []string{"If-Match", `"7"`},
			status: 412, code: CodePreconditionFailed, field: "If-Match",
		},
		{
			name: "If-Match that is no ETag of ours", method: "PUT", path: groupPath, body: group("db", sid(1)),
			hdr:    []string{"If-Match", `abc`},
			status: 412, code: CodePreconditionFailed, field: "If-Match",
		},
		{
			name: "id differs from the path", method: "PUT", path: groupPath,
			body: plan.ProtectionGroup{ID: app.ID, Name: "db", Region: "us-east-1", SourceServerIDs: []string{sid(1)}},
			hdr:  []string{"If-Match", `"1"`}, status: 400, code: CodeInvalid, field: "id",
		},
		{
			name: "get unknown group", method: "GET", path: "/api/v1/protection-groups/pg-nope",
			status: 404, code: CodeNotFound, wantMessage: []string{"pg-nope"},
		},
		{
			name: "update unknown plan", method: "PUT", path: "/api/v1/recovery-plans/rp-nope",
			body: plan.RecoveryPlan{Name: "shop", Waves: shop.Waves},
			hdr:  []string{"If-Match", `"1"`}, status: 404, code: CodeNotFound,
		},
		{
			name: "delete unknown group", method: "DELETE", path: "/api/v1/protection-groups/pg-nope",
			hdr: []string{"If-Match", `"1"`}, status: 404, code: CodeNotFound,
		},
		{
			name: "delete group in use", method: "DELETE", path: groupPath, hdr: []string{"If-Match", `"1"`},
			status: 409, code: CodeConflict, wantMessage: []string{`"shop"`, shop.ID},
		},
		{name: "limit zero", method: "GET", path: "/api/v1/protection-groups?limit=0", status: 400, code: CodeInvalid, field: "limit"},
		{name: "limit too big", method: "GET", path: "/api/v1/recovery-plans?limit=1001", status: 400, code: CodeInvalid, field: "limit"},
		{name: "limit not a number", method: "GET", path: "/api/v1/source-servers?limit=ten", status: 400, code: CodeInvalid, field: "limit"},
		{name: "bad group token", method: "GET", path: "/api/v1/protection-groups?nextToken=garbage", status: 400, code: CodeInvalid, field: "nextToken"},
		{name: "bad plan token", method: "GET", path: "/api/v1/recovery-plans?nextToken=garbage", status: 400, code: CodeInvalid, field: "nextToken"},
		{name: "bad server token", method: "GET", path: "/api/v1/source-servers?nextToken=!!", status: 400, code: CodeInvalid, field: "nextToken"},
		{name: "unknown route", method: "GET", path: "/api/v1/nothing-here", status: 404, code: CodeNotFound},
		{name: "wrong method", method: "PATCH", path: groupPath, body: `{}`, status: 405, code: CodeMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.snapshot()
			rec := e.do(tt.method, tt.path, tt.body, tt.hdr...)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d; body %s", rec.Code, tt.status, rec.Body)
			}
			got := must[errorBody](e, tt.status, tt.method, tt.path, tt.body, tt.hdr...).Error
			if got.Code != tt.code || got.Field != tt.field {
				t.Errorf("code %q field %q, want %q and %q; message %q", got.Code, got.Field, tt.code, tt.field, got.Message)
			}
			if tt.details != nil {
				if diff := cmp.Diff(tt.details, got.Details, cmpopts.IgnoreFields(Detail{}, "Message")); diff != "" {
					t.Errorf("details mismatch (-want +got):\n%s", diff)
				}
			}
			if tt.status == http.StatusBadRequest && len(got.Details) == 0 {
				t.Errorf("a 400 without details: %+v", got)
			}
			text := got.Message
			for _, d := range got.Details {
				text += "\n" + d.Message
			}
			for _, s := range tt.wantMessage {
				if !strings.Contains(text, s) {
					t.Errorf("message %q does not mention %s", text, s)
				}
			}
			if after := e.snapshot(); after != before {
				t.Errorf("a refused request changed the store:\n%s", cmp.Diff(before, after))
			}
		})
	}
}
