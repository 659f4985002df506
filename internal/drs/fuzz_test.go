package drs

import (
	"context"
	"testing"
	"time"
)

// FuzzAnswers hands every Client method an arbitrary answer, through the
// real SDK deserializers and our conversions: malformed, truncated or
// surprising JSON from DRS must come back as an error or a value, never a
// panic.
func FuzzAnswers(f *testing.F) {
	for _, seed := range []struct {
		status uint8
		body   string
	}{
		{0, `{"job":{"jobID":"drsjob-1","creationDateTime":"2026-12-03T10:00:00Z","participatingServers":[{}]}}`},
		{0, `{"items":[{"sourceServerID":"s-1","dataReplicationInfo":{"lagDuration":"P1DT2H3M4.5S"},"sourceProperties":{}}],"nextToken":""}`},
		{0, `{"items":[{"jobID":"drsjob-1","participatingServers":null,"tags":{"a":"b"}}],"nextToken":null}`},
		{0, `{"items":[{"event":"JOB_START","eventData":{"attemptCount":3,"conversionProperties":{}}}]}`},
		{0, `{"items":[{"recoveryInstanceID":"i-1","isDrill":true,"failback":{},"dataReplicationInfo":{}}]}`},
		{0, `{"items":[{"snapshotID":"pit-1","timestamp":"garbage"}]}`},
		{0, `{"sourceServerID":"s-1","licensing":{"osByol":true},"copyTags":false}`},
		{0, `{"items":[{"jobID":`},
		{0, `{"items":{}}`},
		{0, `[]`},
		{0, ``},
		{1, `{"message":"busy","resourceId":"s-1"}`},
		{2, `{"message":"slow","retryAfterSeconds":"x"}`},
		{3, `{"message":"oops","retryAfterSeconds":7}`},
	} {
		f.Add(seed.status, []byte(seed.body))
	}

	statuses := []struct {
		code      int
		exception string
	}{
		{200, ""}, {409, "ConflictException"}, {429, "ThrottlingException"},
		{500, "InternalServerException"}, {400, "ValidationException"},
		{402, "ServiceQuotaExceededException"}, {404, "ResourceNotFoundException"},
	}
	rt := &cannedTransport{}
	c := cannedClient(f, rt, Config{})
	servers := []ServerLaunch{{SourceServerID: "s-00000000000000001"}}
	calls := []func(context.Context) error{
		func(ctx context.Context) error { _, err := c.DescribeSourceServers(ctx, nil); return err },
		func(ctx context.Context) error {
			_, err := c.DescribeSourceServers(ctx, []string{"s-00000000000000001"})
			return err
		},
		func(ctx context.Context) error { _, err := c.StartRecovery(ctx, servers, false, nil); return err },
		func(ctx context.Context) error { _, err := c.DescribeJobs(ctx, []string{"drsjob-1"}); return err },
		func(ctx context.Context) error { _, err := c.FindJobs(ctx, time.Time{}, time.Now()); return err },
		func(ctx context.Context) error { _, err := c.DescribeJobLog(ctx, "drsjob-1"); return err },
		func(ctx context.Context) error { _, err := c.DescribeRecoveryInstances(ctx, nil); return err },
		func(ctx context.Context) error {
			_, err := c.DescribeRecoveryInstancesByID(ctx, []string{"i-1"})
			return err
		},
		func(ctx context.Context) error {
			_, err := c.DescribeSnapshots(ctx, "s-1", time.Time{}, time.Time{})
			return err
		},
		func(ctx context.Context) error {
			_, err := c.TerminateRecoveryInstances(ctx, []string{"i-1"})
			return err
		},
		func(ctx context.Context) error { _, err := c.GetLaunchConfiguration(ctx, "s-1"); return err },
		func(ctx context.Context) error {
			_, err := c.UpdateLaunchConfiguration(ctx, LaunchConfiguration{SourceServerID: "s-1"})
			return err
		},
	}

	f.Fuzz(func(t *testing.T, status uint8, body []byte) {
		s := statuses[int(status)%len(statuses)]
		resp := cannedResponse{status: s.code, body: string(body)}
		if s.exception != "" {
			resp.header = map[string]string{"X-Amzn-ErrorType": s.exception, "Retry-After": string(body[:min(len(body), 3)])}
		}
		rt.mu.Lock()
		rt.responses = []cannedResponse{resp}
		rt.ops = nil
		rt.mu.Unlock()

		// Every page of a listing gets the same answer, so a listing
		// ends at its second page at the latest: a repeated token is an
		// error.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, call := range calls {
			_ = call(ctx) // any error is fine; a panic is not
		}
	})
}
