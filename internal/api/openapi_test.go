package api

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	legacyrouter "github.com/getkin/kin-openapi/routers/legacy"
	"github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/plan"
)

func loadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(OpenAPI())
	if err != nil {
		t.Fatalf("load openapi.json: %v", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("openapi.json is not a valid OpenAPI 3 document: %v", err)
	}
	return doc
}

func TestOpenAPIServed(t *testing.T) {
	e := newTestEnv(t)
	rec := e.do("GET", "/api/v1/openapi.json", nil)
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, content type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if !bytes.Equal(rec.Body.Bytes(), OpenAPI()) {
		t.Error("served document differs from the embedded one")
	}
	loadOpenAPI(t)
}

// TestOpenAPIMatchesRoutes holds the document to the mux: every registered
// route is documented, and every documented operation is registered.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc := loadOpenAPI(t)
	var documented []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	var registered []string
	for _, r := range newTestEnv(t).srv.Routes() {
		// Go's "{rest...}" wildcard is OpenAPI's "{rest}".
		registered = append(registered, r.Method+" "+strings.ReplaceAll(r.Pattern, "...}", "}"))
	}
	slices.Sort(documented)
	slices.Sort(registered)
	if diff := cmp.Diff(registered, documented); diff != "" {
		t.Errorf("routes and internal/api/openapi.json disagree; document every route "+
			"and only those (-registered +documented):\n%s", diff)
	}
}

// TestResponsesMatchOpenAPI sends a tour of requests, good and bad, and
// validates every response (and every request meant to be valid) against
// the document.
func TestResponsesMatchOpenAPI(t *testing.T) {
	doc := loadOpenAPI(t)
	router, err := legacyrouter.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	e := newTestEnv(t)
	e.drs.servers = map[string][]drs.SourceServer{"us-east-1": {
		{ID: sid(1), Hostname: "db1", Tags: map[string]string{"tier": "db"}, ReplicationState: drs.StateContinuous},
		{ID: sid(2), ReplicationState: drs.StateStalled},
	}}
	check := openAPIChecker(t, router, e)
	db := decodeRec[plan.ProtectionGroup](t, check(true, "POST", "/api/v1/protection-groups",
		plan.ProtectionGroup{Name: "db", Region: "us-east-1", SourceServerIDs: []string{sid(1)}}))
	sel := decodeRec[plan.ProtectionGroup](t, check(true, "POST", "/api/v1/protection-groups",
		plan.ProtectionGroup{Name: "other", ServerSelector: &plan.Selector{Tags: map[string]string{"tier": "web"}}}))
	check(true, "GET", "/api/v1/protection-groups/"+db.ID, nil)
	check(true, "GET", "/api/v1/protection-groups?limit=1", nil)
	p := decodeRec[plan.RecoveryPlan](t, check(true, "POST", "/api/v1/recovery-plans", plan.RecoveryPlan{
		Name: "shop", RTOMinutes: 30,
		Waves: []plan.Wave{
			{Name: "db", ProtectionGroupIDs: []string{db.ID}, Hooks: &plan.Hooks{Before: []plan.Hook{{URL: "https://hooks.example/ready"}}}},
			{Name: "rest", ProtectionGroupIDs: []string{sel.ID}, PauseBefore: true},
		},
	}))
	check(true, "GET", "/api/v1/recovery-plans/"+p.ID, nil)
	check(true, "GET", "/api/v1/recovery-plans", nil)
	check(true, "GET", "/api/v1/source-servers?state=CONTINUOUS&tag=tier=db", nil)
	check(true, "GET", "/api/v1/source-servers?limit=1", nil)
	check(true, "GET", "/healthz", nil)
	check(true, "GET", "/readyz", nil)
	check(true, "DELETE", "/api/v1/protection-groups/"+sel.ID, nil, "If-Match", `"1"`)

	check(false, "POST", "/api/v1/recovery-plans", plan.RecoveryPlan{Name: "bad"})
	check(false, "GET", "/api/v1/recovery-plans/rp-missing", nil)
	check(false, "PUT", "/api/v1/recovery-plans/"+p.ID, p)
	check(false, "PUT", "/api/v1/recovery-plans/"+p.ID, p, "If-Match", `"9"`)
	check(false, "DELETE", "/api/v1/protection-groups/"+db.ID, nil, "If-Match", `"1"`)
	check(false, "POST", "/api/v1/protection-groups", `{"name": "x"}`, "Content-Type", "text/plain")

	// Without a launch settings service: what needs it is a 503, a
	// static IP is stored with a warning, and the settings can be read.
	static := check(true, "POST", "/api/v1/protection-groups", plan.ProtectionGroup{Name: "static", Region: "us-east-1",
		SourceServerIDs: []string{sid(2)}, LaunchSettings: &plan.LaunchSettings{SubnetID: "subnet-0e5a1d00000000011"},
		ServerLaunchSettings: map[string]plan.LaunchSettings{sid(2): {PrivateIP: "10.10.1.9"}}})
	if static.Code != http.StatusCreated || static.Header().Get(WarningHeader) == "" {
		t.Errorf("static IP without the service: %d, Warning %q", static.Code, static.Header().Get(WarningHeader))
	}
	check(true, "GET", "/api/v1/protection-groups/"+db.ID+"/launch-settings", nil)
	check(false, "GET", "/api/v1/protection-groups/pg-missing/launch-settings", nil)
	check(true, "GET", "/api/v1/protection-groups/"+db.ID+"/drift", nil)
	check(true, "POST", "/api/v1/protection-groups/"+db.ID+"/apply-launch-settings", nil)
	check(true, "POST", "/api/v1/tag-sync", map[string]string{"region": "us-east-1"})
	check(false, "POST", "/api/v1/tag-sync", map[string]string{"region": "nowhere"})
	check(false, "POST", "/api/v1/protection-groups?applyLaunchSettings=maybe", plan.ProtectionGroup{Name: "x"})
}

// TestLaunchResponsesMatchOpenAPI tours the launch settings routes with the
// real service on the emulator, validating every answer.
func TestLaunchResponsesMatchOpenAPI(t *testing.T) {
	router, err := legacyrouter.NewRouter(loadOpenAPI(t))
	if err != nil {
		t.Fatal(err)
	}
	e := newLaunchEnv(t, true)
	check := openAPIChecker(t, router, e.testEnv)
	rec := check(true, "POST", "/api/v1/protection-groups?applyLaunchSettings=true", e.dbGroup("10.10.1.40"))
	if rec.Code != http.StatusCreated {
		t.Fatalf("create and apply: %d %s", rec.Code, rec.Body)
	}
	g := decodeRec[plan.ProtectionGroup](t, rec)
	base := "/api/v1/protection-groups/" + g.ID
	check(true, "PUT", base, g, "If-Match", `"1"`)
	check(true, "GET", base, nil)
	check(true, "GET", base+"/drift", nil)
	check(true, "POST", base+"/apply-launch-settings", nil)
	check(true, "GET", base+"/launch-settings", nil)
	check(true, "POST", "/api/v1/tag-sync", map[string]string{"region": "us-east-1"})
	check(false, "POST", base+"/apply-launch-settings", `{"x": 1}`)
	check(false, "GET", "/api/v1/protection-groups/pg-missing/drift", nil)
	bad := e.dbGroup("10.10.7.7")
	bad.Name = "bad"
	bad.ServerSelector = &plan.Selector{Tags: map[string]string{"tier": "none"}}
	if rec := check(false, "POST", "/api/v1/protection-groups", bad); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("static IP outside the subnet: %d %s, want 422", rec.Code, rec.Body)
	}
}

// openAPIChecker returns a function that sends a request to e and
// validates the response (and a request meant to be valid) against the
// document router holds.
func openAPIChecker(t *testing.T, router routers.Router, e *testEnv) func(valid bool, method, path string, body any, hdr ...string) *httptest.ResponseRecorder {
	return func(valid bool, method, path string, body any, hdr ...string) *httptest.ResponseRecorder {
		t.Helper()
		rec := e.do(method, path, body, hdr...)
		req := httptest.NewRequest(method, path, nil)
		route, params, err := router.FindRoute(req)
		if err != nil {
			t.Fatalf("%s %s: no documented route: %v", method, path, err)
		}
		in := &openapi3filter.RequestValidationInput{
			Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{IncludeResponseStatus: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
		}
		if valid {
			validateRequest(t, in, method, path, body, hdr)
		}
		out := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: in,
			Status:                 rec.Code,
			Header:                 rec.Header(),
			Body:                   io.NopCloser(bytes.NewReader(rec.Body.Bytes())),
			Options:                &openapi3filter.Options{IncludeResponseStatus: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
		}
		if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
			t.Errorf("%s %s → %d %s: response does not match the document: %v", method, path, rec.Code, rec.Body, err)
		}
		return rec
	}
}

// validateRequest checks that a request the tour sends as valid is valid
// by the document too.
func validateRequest(t *testing.T, in *openapi3filter.RequestValidationInput, method, path string, body any, hdr []string) {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	if body != nil {
		b := bodyBytes(t, body)
		req = httptest.NewRequest(method, path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	vin := *in
	vin.Request = req
	if err := openapi3filter.ValidateRequest(context.Background(), &vin); err != nil {
		t.Errorf("%s %s: request does not match the document: %v", method, path, err)
	}
}
