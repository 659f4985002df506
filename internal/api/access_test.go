package api

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/drsorch/drsorch/internal/auth"
	"github.com/drsorch/drsorch/internal/auth/authtest"
	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
)

// wantAccess is the role each route needs, written out here rather than
// read from the route table, so that a route whose access changes, or a
// route added without a decision, fails this test. "mode" routes need
// drill-operator for a drill and recovery-operator for a recovery.
var wantAccess = map[string]auth.Role{
	"GET /healthz":                                      "",
	"GET /readyz":                                       "",
	"GET /api/v1/openapi.json":                          auth.RoleViewer,
	"GET /api/v1/protection-groups":                     auth.RoleViewer,
	"POST /api/v1/protection-groups":                    auth.RoleAdmin,
	"GET /api/v1/protection-groups/{id}":                auth.RoleViewer,
	"PUT /api/v1/protection-groups/{id}":                auth.RoleAdmin,
	"DELETE /api/v1/protection-groups/{id}":             auth.RoleAdmin,
	"GET /api/v1/recovery-plans":                        auth.RoleViewer,
	"POST /api/v1/recovery-plans":                       auth.RoleAdmin,
	"GET /api/v1/recovery-plans/{id}":                   auth.RoleViewer,
	"PUT /api/v1/recovery-plans/{id}":                   auth.RoleAdmin,
	"DELETE /api/v1/recovery-plans/{id}":                auth.RoleAdmin,
	"GET /api/v1/source-servers":                        auth.RoleViewer,
	"POST /api/v1/recovery-plans/{id}/executions":       "mode",
	"GET /api/v1/executions":                            auth.RoleViewer,
	"GET /api/v1/executions/{id}":                       auth.RoleViewer,
	"GET /api/v1/executions/{id}/events":                auth.RoleViewer,
	"POST /api/v1/executions/{id}/pause":                "mode",
	"POST /api/v1/executions/{id}/resume":               "mode",
	"POST /api/v1/executions/{id}/cancel":               "mode",
	"POST /api/v1/executions/{id}/retry":                "mode",
	"POST /api/v1/executions/{id}/cleanup":              "mode",
	"POST /api/v1/executions/{id}/waves/{name}/approve": "mode",
	"GET /api/v1/executions/{id}/report":                auth.RoleViewer,
	"GET /api/v1/recovery-plans/{id}/trends":            auth.RoleViewer,
	"GET /api/v1/recovery-plans/{id}/trends.svg":        auth.RoleViewer,
	"GET /api/v1/recovery-plans/{id}/prediction":        auth.RoleViewer,
	"GET /api/v1/notifications/deliveries":              auth.RoleViewer,
	"GET /api/v1/readiness":                             auth.RoleViewer,
	"GET /api/v1/tokens":                                auth.RoleAdmin,
	"POST /api/v1/tokens":                               auth.RoleAdmin,
	"DELETE /api/v1/tokens/{id}":                        auth.RoleAdmin,
	"GET /api/v1/audit":                                 auth.RoleAdmin,

	"POST /api/v1/protection-groups/{id}/apply-launch-settings": auth.RoleAdmin,
	"GET /api/v1/protection-groups/{id}/launch-settings":        auth.RoleViewer,
	"GET /api/v1/protection-groups/{id}/drift":                  auth.RoleViewer,
	"POST /api/v1/tag-sync":                                     auth.RoleAdmin,
}

// TestEveryRouteEveryRole sends every registered route as every kind of
// caller: none, a malformed, a wrong, an expired and a revoked token (all
// 401), and a valid token of each role (403 below the route's role, and
// anything but 401 or 403 from it up).
func TestEveryRouteEveryRole(t *testing.T) {
	e := newExecEnv(t)
	drill := e.start("drill")
	// A second plan of the same groups, for a recovery beside the drill.
	web := must[plan.ProtectionGroup](e.testEnv, http.StatusCreated, "POST", groupsPath, plan.ProtectionGroup{
		Name: "web", Region: "us-east-1",
		ServerSelector: &plan.Selector{Tags: map[string]string{"app": "shop", "tier": "web"}}})
	p2 := plan.RecoveryPlan{Name: "shop-web", Waves: []plan.Wave{
		{Name: "web", ProtectionGroupIDs: []string{web.ID}},
	}}
	p2 = must[plan.RecoveryPlan](e.testEnv, http.StatusCreated, "POST", plansPath, p2)
	rec := must[startAnswer](e.testEnv, http.StatusAccepted, "POST",
		plansPath+"/"+p2.ID+"/executions", map[string]string{"mode": "recovery"}).ExecutionID
	groupID := e.plan.Waves[0].ProtectionGroupIDs[0]

	tokens := map[auth.Role]string{}
	for _, r := range auth.Roles {
		tokens[r] = authtest.Token(t, e.store, r)
	}
	past := auth.New(auth.Options{Store: e.store.(store.AuthStore), Now: func() time.Time { return time.Now().Add(-48 * time.Hour) }})
	expired, _, err := past.CreateToken(t.Context(), "old", auth.RoleAdmin, time.Hour, "test")
	if err != nil {
		t.Fatal(err)
	}
	revoked := authtest.Token(t, e.store, auth.RoleAdmin)
	if err := auth.ForStore(e.store).RevokeToken(t.Context(), revoked[len(auth.TokenPrefix):][:12]); err != nil {
		t.Fatal(err)
	}
	wrong := tokens[auth.RoleAdmin][:len(tokens[auth.RoleAdmin])-2] + "AA"
	if wrong == tokens[auth.RoleAdmin] {
		wrong = tokens[auth.RoleAdmin][:len(wrong)-2] + "BB"
	}
	unauthenticated := map[string]string{
		"none": "", "malformed": "Bearer nonsense", "basic": "Basic YWRtaW46YWRtaW4=",
		"wrong secret": "Bearer " + wrong, "expired": "Bearer " + expired, "revoked": "Bearer " + revoked,
	}

	type request struct {
		name, method, path string
		body               any
		need               auth.Role
	}
	var reqs []request
	for _, rt := range e.srv.Routes() {
		key := rt.Method + " " + rt.Pattern
		if !rt.Access.Set() {
			t.Errorf("%s is registered without an access", key)
		}
		need, ok := wantAccess[key]
		if !ok {
			t.Errorf("%s is missing from wantAccess", key)
			continue
		}
		fill := func(exec string) string {
			p := strings.NewReplacer("{name}", "application").Replace(rt.Pattern)
			switch {
			case strings.HasPrefix(rt.Pattern, executionsPath):
				p = strings.Replace(p, "{id}", exec, 1)
			case strings.HasPrefix(rt.Pattern, groupsPath):
				p = strings.Replace(p, "{id}", groupID, 1)
			case strings.HasPrefix(rt.Pattern, tokensPath):
				p = strings.Replace(p, "{id}", "nosuchtoken0", 1)
			default:
				p = strings.Replace(p, "{id}", e.plan.ID, 1)
			}
			return p
		}
		var body any
		if rt.Method == "POST" || rt.Method == "PUT" {
			body = "{}"
		}
		switch {
		case need != "mode":
			reqs = append(reqs, request{key, rt.Method, fill(drill), body, need})
		case strings.HasSuffix(rt.Pattern, "/executions"):
			for _, m := range []string{plan.ModeDrill, plan.ModeRecovery} {
				reqs = append(reqs, request{key + " " + m, rt.Method, fill(""),
					map[string]string{"mode": m}, auth.ModeRole(m)})
			}
			reqs = append(reqs, request{key + " bogus", rt.Method, fill(""),
				`{"mode": "drill", "extra": 1`, auth.RoleRecoveryOperator})
		default:
			reqs = append(reqs, request{key + " drill", rt.Method, fill(drill), body, auth.RoleDrillOperator},
				request{key + " recovery", rt.Method, fill(rec), body, auth.RoleRecoveryOperator})
		}
	}

	for _, rq := range reqs {
		send := func(authz string) int {
			t.Helper()
			saved := e.token
			e.token = ""
			defer func() { e.token = saved }()
			return e.do(rq.method, rq.path, rq.body, "Authorization", authz).Code
		}
		for name, authz := range unauthenticated {
			got := send(authz)
			if rq.need == "" && (got == 401 || got == 403) {
				t.Errorf("%s, %s: status %d on a public route", rq.name, name, got)
			}
			if rq.need != "" && got != http.StatusUnauthorized {
				t.Errorf("%s, %s: status %d, want 401", rq.name, name, got)
			}
		}
		for _, role := range auth.Roles {
			got := send("Bearer " + tokens[role])
			allowed := rq.need == "" || role.Allows(rq.need)
			switch {
			case allowed && (got == 401 || got == 403):
				t.Errorf("%s as %s: status %d, want it allowed", rq.name, role, got)
			case !allowed && got != http.StatusForbidden:
				t.Errorf("%s as %s: status %d, want 403", rq.name, role, got)
			}
		}
	}
	if len(reqs) < 40 {
		t.Errorf("only %d requests built", len(reqs))
	}
}
