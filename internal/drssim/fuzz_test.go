package drssim

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"
)

var fuzzOperations = []string{
	"StartRecovery", "DescribeJobs", "DescribeJobLogItems", "DescribeSourceServers",
	"DescribeRecoveryInstances", "DescribeRecoverySnapshots", "TerminateRecoveryInstances",
	"DisconnectRecoveryInstance", "GetLaunchConfiguration", "UpdateLaunchConfiguration",
	"InitializeService", "tags/arn:aws:drs:us-east-1:123456789012:source-server/s-0123456789abcdef0",
}

// FuzzRequest sends arbitrary bodies to every emulated operation: the
// emulator never panics, never answers a 5xx it did not mean to (no
// faults are set), and every error carries X-Amzn-ErrorType and a JSON
// message.
func FuzzRequest(f *testing.F) {
	for _, seed := range []struct {
		op   uint8
		body string
	}{
		{0, `{"sourceServers": [{"sourceServerID": "s-0123456789abcdef0"}], "isDrill": true, "tags": {"a": "b"}}`},
		{0, `{"sourceServers": [], "isDrill": "yes"}`},
		{1, `{"filters": {"jobIDs": ["drsjob-1"], "fromDate": "2024-01-01", "toDate": "x"}, "maxResults": 1001}`},
		{1, `{"nextToken": "garbage", "maxResults": -1}`},
		{2, `{"jobID": ""}`},
		{3, `{"filters": {"sourceServerIDs": null, "hardware": 1}}`},
		{5, `{"sourceServerID": "s-0123456789abcdef0", "order": "SIDEWAYS", "filters": {"fromDateTime": "2024-13-40T99:00:00Z"}}`},
		{6, `{"recoveryInstanceIDs": ["i-0", "i-0"]}`},
		{9, `{"sourceServerID": "s-0123456789abcdef0", "targetInstanceTypeRightSizingMethod": 7, "licensing": {"osByol": "x"}}`},
		{0, `[1, 2, 3]`}, {1, `null`}, {3, `{"maxResults": 1e400}`}, {0, "\xff\xfe"},
	} {
		f.Add(seed.op, []byte(seed.body))
	}
	f.Fuzz(func(t *testing.T, op uint8, body []byte) {
		clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		s := New(Options{Servers: 3, Seed: 1, Clock: func() time.Time { return clock }})
		path := "/" + fuzzOperations[int(op)%len(fuzzOperations)]
		req := httptest.NewRequest("POST", "/", bytes.NewReader(body))
		req.URL.Path = path
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("POST %s %q: %d %s", path, body, rec.Code, rec.Body)
		}
		if rec.Code >= 400 {
			var e struct {
				Message string `json:"message"`
			}
			if rec.Header().Get("X-Amzn-ErrorType") == "" || json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Message == "" {
				t.Fatalf("POST %s %q: %d without an error type or message: %s", path, body, rec.Code, rec.Body)
			}
		}
		if rec.Code < 300 && rec.Body.Len() > 0 && !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("POST %s: %d with a body that is not JSON: %q", path, rec.Code, rec.Body)
		}
		_ = http.StatusOK
	})
}

// FuzzParseFaults checks the --faults parser: it never panics, and what
// it accepts renders (String) to a form it reads back the same.
func FuzzParseFaults(f *testing.F) {
	for _, seed := range []string{
		"", "throttle=0.05,error=0.02,launchfail=0.1,slow=0.1,slowfactor=5,stuck=0.01",
		"failservers=s-0123456789abcdef0;s-0123456789abcdef1", "failnext=StartRecovery:2;DescribeJobs:1:throttle",
		"throttle=1e-300", "throttle=NaN", "slowfactor=Inf", "failnext=:0", "failnext=X:-1", "a=b=c", ",,,",
		"THROTTLE = 0.5 , Error=1", "failnext=StartRecovery:99999999999999999999",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, v string) {
		got, err := ParseFaults(v)
		if err != nil {
			return
		}
		again, err := ParseFaults(got.String())
		if err != nil {
			t.Fatalf("ParseFaults(%q) = %+v, whose String %q does not parse: %v", v, got, got.String(), err)
		}
		if !reflect.DeepEqual(got, again) {
			t.Fatalf("ParseFaults(%q) = %+v, but its String %q reads back as %+v", v, got, got.String(), again)
		}
	})
}

// TestParseFaultsNotANumber refuses rates and factors no comparison
// bounds: NaN passes both x < 0 and x > 1 unrefused.
func TestParseFaultsNotANumber(t *testing.T) {
	for _, v := range []string{"throttle=NaN", "stuck=nan", "slowfactor=NaN", "slowfactor=Inf", "error=+Inf"} {
		if f, err := ParseFaults(v); err == nil {
			t.Errorf("ParseFaults(%q) = %+v, want an error", v, f)
		}
	}
	if err := (Faults{Slow: math.NaN()}).validate(); err == nil {
		t.Errorf("validate of a NaN rate = nil, want an error")
	}
}
