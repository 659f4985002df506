package drssim_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/drsorch/drsorch/internal/drssim"
)

// rawCall sends one HTTP request to the emulator and returns the response
// with its body read.
func rawCall(t *testing.T, base, method, path, body string) (*http.Response, []byte) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, base+path, r)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return resp, b
}

func TestWireBinding(t *testing.T) {
	sim, clock, _ := newSim(t, drssim.Options{Servers: 3, Seed: 1})
	_, ts := start(t, sim)
	ids := serverIDs(t, sim, 3)
	arn := "arn:aws:drs:us-east-1:123456789012:source-server/" + ids[0]
	tagPath := "/tags/" + escapeARN(arn)
	if !strings.Contains(tagPath, "%2F") || !strings.Contains(tagPath, "%3A") {
		t.Fatalf("tag path %q is not percent-encoded", tagPath)
	}

	// A job to describe, then time for its instance to appear.
	resp, body := rawCall(t, ts.URL, "POST", "/StartRecovery", `{"sourceServers":[{"sourceServerID":"`+ids[1]+`"}]}`)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("StartRecovery: %d %s", resp.StatusCode, body)
	}
	var started struct {
		Job struct {
			JobID string `json:"jobID"`
		} `json:"job"`
	}
	if err := json.Unmarshal(body, &started); err != nil {
		t.Fatalf("decode job: %v", err)
	}
	clock.Add(time.Hour)

	tests := []struct {
		name, method, path, body string
		status                   int
		errType                  string
	}{
		{"StartRecovery", "POST", "/StartRecovery", `{"sourceServers":[{"sourceServerID":"` + ids[2] + `"}],"isDrill":true}`, 202, ""},
		{"DescribeJobs", "POST", "/DescribeJobs", `{}`, 200, ""},
		{"DescribeJobs empty body", "POST", "/DescribeJobs", ``, 200, ""},
		{"DescribeJobLogItems", "POST", "/DescribeJobLogItems", `{"jobID":"` + started.Job.JobID + `"}`, 200, ""},
		{"DescribeSourceServers", "POST", "/DescribeSourceServers", `{"filters":{}}`, 200, ""},
		{"DescribeRecoveryInstances", "POST", "/DescribeRecoveryInstances", `{}`, 200, ""},
		{"DescribeRecoverySnapshots", "POST", "/DescribeRecoverySnapshots", `{"sourceServerID":"` + ids[0] + `"}`, 200, ""},
		{"GetLaunchConfiguration", "POST", "/GetLaunchConfiguration", `{"sourceServerID":"` + ids[0] + `"}`, 200, ""},
		{"UpdateLaunchConfiguration", "POST", "/UpdateLaunchConfiguration", `{"sourceServerID":"` + ids[0] + `","copyTags":true}`, 200, ""},
		{"ListTagsForResource", "GET", tagPath, ``, 200, ""},
		{"TagResource", "POST", tagPath, `{"tags":{"k":"v"}}`, 200, ""},
		{"UntagResource", "DELETE", tagPath + "?tagKeys=k&tagKeys=b%20c", ``, 200, ""},
		{"InitializeService", "POST", "/InitializeService", ``, 204, ""},
		{"TerminateRecoveryInstances unknown", "POST", "/TerminateRecoveryInstances", `{"recoveryInstanceIDs":["i-0123456789abcdef0"]}`, 404, "ResourceNotFoundException"},
		{"DisconnectRecoveryInstance unknown", "POST", "/DisconnectRecoveryInstance", `{"recoveryInstanceID":"i-0123456789abcdef0"}`, 404, "ResourceNotFoundException"},
		{"not emulated", "POST", "/DeleteJob", `{"jobID":"` + started.Job.JobID + `"}`, 400, "ValidationException"},
		{"not emulated GET", "GET", "/ListStagingAccounts", ``, 400, "ValidationException"},
		{"wrong method", "GET", "/DescribeJobs", ``, 404, "UnknownOperationException"},
		{"unknown operation", "POST", "/NoSuchThing", `{}`, 404, "UnknownOperationException"},
		{"root", "GET", "/", ``, 404, "UnknownOperationException"},
		{"malformed body", "POST", "/DescribeJobs", `{"filters":`, 400, "ValidationException"},
		{"wrong type", "POST", "/DescribeJobs", `{"maxResults":"ten"}`, 400, "ValidationException"},
		{"unknown ARN", "GET", "/tags/" + escapeARN("arn:aws:drs:us-east-1:123456789012:job/drsjob-0123456789abcdef0"), ``, 404, "ResourceNotFoundException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := rawCall(t, ts.URL, tt.method, tt.path, tt.body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d; body %s", resp.StatusCode, tt.status, body)
			}
			if got := resp.Header.Get("X-Amzn-ErrorType"); got != tt.errType {
				t.Errorf("X-Amzn-ErrorType %q, want %q", got, tt.errType)
			}
			if resp.Header.Get("x-amzn-RequestId") == "" {
				t.Error("no x-amzn-RequestId")
			}
			if len(body) > 0 {
				if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type %q", ct)
				}
				var v map[string]any
				if err := json.Unmarshal(body, &v); err != nil {
					t.Errorf("body is not a JSON object: %v: %s", err, body)
				}
				if tt.errType != "" && v["message"] == nil {
					t.Errorf("error body has no message: %s", body)
				}
			}
			if tt.status == 204 && len(body) != 0 {
				t.Errorf("204 with body %q", body)
			}
		})
	}
}

// escapeARN encodes an ARN as one path segment, the way the SDKs do.
func escapeARN(arn string) string {
	return strings.ReplaceAll(url.PathEscape(arn), ":", "%3A")
}

var (
	timePattern     = regexp.MustCompile(`^[1-9][0-9]*-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([0-1][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\.[0-9]{6}Z$`)
	durationPattern = regexp.MustCompile(`^P(\d+D)?(T(\d+H)?(\d+M)?(\d+S)?)?$`)
)

// TestWireFormat checks member names, ID formats and date-time and
// duration formats in raw responses, since the SDK ignores unknown names
// silently.
func TestWireFormat(t *testing.T) {
	sim, clock, _ := newSim(t, drssim.Options{Servers: 2, Seed: 9})
	_, ts := start(t, sim)
	ids := serverIDs(t, sim, 1)
	_, body := rawCall(t, ts.URL, "POST", "/StartRecovery", `{"sourceServers":[{"sourceServerID":"`+ids[0]+`"}],"tags":{"a":"b"}}`)
	var out struct {
		Job map[string]any `json:"job"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"jobID", "arn", "type", "initiatedBy", "creationDateTime", "status", "participatingServers", "tags"} {
		if out.Job[k] == nil {
			t.Errorf("job has no %q: %s", k, body)
		}
	}
	jobID, _ := out.Job["jobID"].(string)
	if !regexp.MustCompile(`^drsjob-[0-9a-zA-Z]{17}$`).MatchString(jobID) {
		t.Errorf("job ID %q", jobID)
	}
	if ct, _ := out.Job["creationDateTime"].(string); !timePattern.MatchString(ct) {
		t.Errorf("creationDateTime %q does not match the model's pattern", ct)
	}
	clock.Add(time.Hour)

	_, body = rawCall(t, ts.URL, "POST", "/DescribeSourceServers", `{}`)
	var servers struct {
		Items []struct {
			SourceServerID      string `json:"sourceServerID"`
			RecoveryInstanceID  string `json:"recoveryInstanceId"`
			DataReplicationInfo struct {
				LagDuration          string `json:"lagDuration"`
				DataReplicationState string `json:"dataReplicationState"`
			} `json:"dataReplicationInfo"`
			LifeCycle struct {
				Elapsed    string `json:"elapsedReplicationDuration"`
				LastLaunch struct {
					Initiated struct {
						APICallDateTime string `json:"apiCallDateTime"`
					} `json:"initiated"`
				} `json:"lastLaunch"`
			} `json:"lifeCycle"`
		} `json:"items"`
	}
	if err := json.Unmarshal(body, &servers); err != nil {
		t.Fatal(err)
	}
	s0 := servers.Items[0]
	if !regexp.MustCompile(`^s-[0-9a-zA-Z]{17}$`).MatchString(s0.SourceServerID) {
		t.Errorf("source server ID %q", s0.SourceServerID)
	}
	if !regexp.MustCompile(`^i-[0-9a-f]{17}$`).MatchString(s0.RecoveryInstanceID) {
		t.Errorf("recoveryInstanceId %q: %s", s0.RecoveryInstanceID, body)
	}
	if !durationPattern.MatchString(s0.DataReplicationInfo.LagDuration) || !strings.HasPrefix(s0.DataReplicationInfo.LagDuration, "PT") {
		t.Errorf("lagDuration %q", s0.DataReplicationInfo.LagDuration)
	}
	if !durationPattern.MatchString(s0.LifeCycle.Elapsed) {
		t.Errorf("elapsedReplicationDuration %q", s0.LifeCycle.Elapsed)
	}
	if !timePattern.MatchString(s0.LifeCycle.LastLaunch.Initiated.APICallDateTime) {
		t.Errorf("apiCallDateTime %q", s0.LifeCycle.LastLaunch.Initiated.APICallDateTime)
	}

	_, body = rawCall(t, ts.URL, "POST", "/DescribeRecoverySnapshots", `{"sourceServerID":"`+ids[0]+`","maxResults":1}`)
	var snaps struct {
		Items []map[string]any `json:"items"`
	}
	if err := json.Unmarshal(body, &snaps); err != nil {
		t.Fatal(err)
	}
	if len(snaps.Items) != 1 {
		t.Fatalf("snapshots: %s", body)
	}
	if id, _ := snaps.Items[0]["snapshotID"].(string); !regexp.MustCompile(`^pit-[0-9a-zA-Z]{17}$`).MatchString(id) {
		t.Errorf("snapshot ID %q", id)
	}
}

// TestErrorBodies checks the members each error shape carries on the wire.
func TestErrorBodies(t *testing.T) {
	sim, _, _ := newSim(t, drssim.Options{Servers: 101, Seed: 2, Faults: drssim.Faults{
		FailNext: []drssim.FailNext{{Operation: "DescribeJobs", Count: 1, Kind: "throttle"}, {Operation: "DescribeSourceServers", Count: 1}},
	}})
	_, ts := start(t, sim)
	ids := serverIDs(t, sim, 101)
	var many []string
	for _, id := range ids {
		many = append(many, `{"sourceServerID":"`+id+`"}`)
	}
	tests := []struct {
		name, path, body string
		status           int
		retryAfter       string
		want             map[string]any
	}{
		{"throttling", "/DescribeJobs", `{}`, 429, "1", map[string]any{"message": "Rate exceeded", "serviceCode": "drs"}},
		{"internal", "/DescribeSourceServers", `{}`, 500, "1", map[string]any{"message": "An internal error occurred (injected by the emulator)"}},
		{"quota", "/StartRecovery", `{"sourceServers":[` + strings.Join(many, ",") + `]}`, 402, "", map[string]any{
			"code": "ServiceQuotaExceededException", "quotaCode": "L-B827C881", "serviceCode": "drs",
		}},
		{"not found", "/GetLaunchConfiguration", `{"sourceServerID":"s-0000000000000dead"}`, 404, "", map[string]any{
			"code": "ResourceNotFoundException", "resourceId": "s-0000000000000dead", "resourceType": "SOURCE_SERVER",
		}},
		{"validation", "/DescribeJobs", `{"filters":{"jobIDs":["nope"]}}`, 400, "", map[string]any{
			"code": "ValidationException", "reason": "fieldValidationFailed",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := rawCall(t, ts.URL, "POST", tt.path, tt.body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if got := resp.Header.Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("Retry-After %q, want %q", got, tt.retryAfter)
			}
			var got map[string]any
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatal(err)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s = %v, want %v (body %s)", k, got[k], v, body)
				}
			}
			if tt.name == "validation" && got["fieldList"] == nil {
				t.Errorf("no fieldList: %s", body)
			}
			if (tt.name == "throttling" || tt.name == "internal") && got["code"] != nil {
				t.Errorf("shape without code has code: %s", body)
			}
		})
	}
}
