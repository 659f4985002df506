package api

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/drsorch/drsorch/internal/plan"
)

// FuzzDecode feeds arbitrary bodies to the strict decoder: it must never
// panic, and every refusal must be a client error with a code, never a
// 500.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		`{"name": "shop", "waves": [{"name": "w", "protectionGroupIds": ["pg-1"]}]}`,
		`{"name": "shop", "waves": [{"name": "w", "hooks": {"before": [{"url": "x", "extra": 1}]}}]}`,
		`{"waves": [{}, {"dependsOn": null, "minSuccessPercent": "x"}]}`,
		`{"name": "a"} {"name": "b"}`,
		`[]`, `null`, `{`, `"\u0000"`, `{"Name": 1, "NAME": "x", "id": {}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest("POST", "/", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		var p plan.RecoveryPlan
		err := decode(httptest.NewRecorder(), req, &p)
		if err == nil {
			return
		}
		var he *Error
		if !errors.As(err, &he) {
			t.Fatalf("decode returned %T %v, want an *Error", err, err)
		}
		if he.Status != http.StatusBadRequest && he.Status != http.StatusRequestEntityTooLarge || he.Code == "" {
			t.Fatalf("decode refusal %+v, want a 400 or 413 with a code", he)
		}
	})
}
