package dynamostore

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/drsorch/drsorch/internal/plan"
)

// stingyWrites passes at most keep requests of each BatchWriteItem on to
// DynamoDB and returns the others unprocessed, as a throttled table does.
type stingyWrites struct {
	dynamoAPI
	keep int

	mu            sync.Mutex
	calls, passed int
}

func (w *stingyWrites) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput,
	opts ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	w.mu.Lock()
	w.calls++
	w.mu.Unlock()
	out := &dynamodb.BatchWriteItemOutput{UnprocessedItems: map[string][]types.WriteRequest{}}
	pass := map[string][]types.WriteRequest{}
	for table, reqs := range in.RequestItems {
		n := min(w.keep, len(reqs))
		if n > 0 {
			pass[table] = reqs[:n]
		}
		if n < len(reqs) {
			out.UnprocessedItems[table] = reqs[n:]
		}
	}
	if len(pass) > 0 {
		res, err := w.dynamoAPI.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pass}, opts...)
		if err != nil {
			return nil, err
		}
		for table, reqs := range res.UnprocessedItems {
			out.UnprocessedItems[table] = append(out.UnprocessedItems[table], reqs...)
		}
		w.mu.Lock()
		for _, reqs := range pass {
			w.passed += len(reqs)
		}
		w.mu.Unlock()
	}
	if len(out.UnprocessedItems) == 0 {
		out.UnprocessedItems = nil
	}
	return out, nil
}

func settingsRecords(n int) []plan.AppliedSettings {
	recs := make([]plan.AppliedSettings, n)
	for i := range recs {
		recs[i] = plan.AppliedSettings{GroupID: "pg-00000000000000s1", SourceServerID: fmt.Sprintf("s-%017x", i),
			Region: "us-east-1", Settings: plan.LaunchSettings{InstanceType: "m6i.large"}, Time: time.Now().UTC()}
	}
	return recs
}

// TestPutAppliedSettingsRetriesUnprocessed checks that items DynamoDB
// returns unprocessed are written by later calls, and that a batch that
// never gets through fails the put.
func TestPutAppliedSettingsRetriesUnprocessed(t *testing.T) {
	s := newTestStore(t)
	saved := backoff
	backoff = func(int) time.Duration { return time.Millisecond }
	t.Cleanup(func() { backoff = saved })
	ctx := t.Context()

	w := &stingyWrites{dynamoAPI: s.db, keep: 10}
	s.db = w
	const n = 260 // 10 full batches and one of 10
	if err := s.PutAppliedSettings(ctx, settingsRecords(n)); err != nil {
		t.Fatalf("put: %v", err)
	}
	got, err := s.ListAppliedSettings(ctx, "pg-00000000000000s1")
	if err != nil {
		t.Fatal(err)
	}
	// Each batch of 25 takes three calls at 10 a call; the last one, one.
	if len(got) != n || w.passed != n || w.calls != 10*3+1 {
		t.Errorf("listed %d records, %d writes passed in %d calls; want %d, %d in 31",
			len(got), w.passed, w.calls, n, n)
	}

	w.keep = 0
	err = s.PutAppliedSettings(ctx, settingsRecords(30))
	if err == nil || !strings.Contains(err.Error(), "unprocessed after 10 attempts") {
		t.Errorf("put that never gets through: %v, want unprocessed after 10 attempts", err)
	}
}
