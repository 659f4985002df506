package dynamostore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
)

var _ store.SettingsStore = (*Store)(nil)

// settingsPK is the partition of a group's applied settings: a partition
// per group, so that listing them is one Query whatever the other groups
// hold, and the sort key (S#<server>) is the listing order.
func settingsPK(groupID string) string { return "SETTINGS#" + groupID }

const skSettingsPrefix = "S#"

// maxBatchWrite is DynamoDB's limit on the requests of one BatchWriteItem.
const maxBatchWrite = 25

// settingsWriters is how many BatchWriteItem calls PutAppliedSettings has
// in flight at once.
const settingsWriters = 4

// batchAttempts bounds the calls made for one batch whose items DynamoDB
// keeps returning unprocessed (throttling); the SDK retries errors itself.
const batchAttempts = 10

// PutAppliedSettings upserts records with BatchWriteItem, 25 a call and a
// few calls at a time, retrying unprocessed items with backoff. It is not
// atomic: if it fails, some of the records may be written (each whole).
func (s *Store) PutAppliedSettings(ctx context.Context, records []plan.AppliedSettings) error {
	// BatchWriteItem refuses a batch that names one key twice: keep the
	// later record of a pair, in the place of the first.
	index := map[[2]string]int{}
	var items []map[string]types.AttributeValue
	for i, a := range records {
		if a.GroupID == "" || a.SourceServerID == "" {
			return fmt.Errorf("put applied settings: record %d has no group or source server ID", i)
		}
		item, err := withData(key(settingsPK(a.GroupID), skSettingsPrefix+a.SourceServerID), &a)
		if err != nil {
			return fmt.Errorf("put applied settings: encode %s: %w", a.SourceServerID, err)
		}
		k := [2]string{a.GroupID, a.SourceServerID}
		if j, ok := index[k]; ok {
			items[j] = item
			continue
		}
		index[k] = len(items)
		items = append(items, item)
	}
	if err := s.batchWrite(ctx, items); err != nil {
		return fmt.Errorf("put applied settings: %w", err)
	}
	return nil
}

// batchWrite puts items, 25 a call, settingsWriters calls at a time; the
// first error stops the calls not yet made.
func (s *Store) batchWrite(ctx context.Context, items []map[string]types.AttributeValue) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chunks := slices.Collect(slices.Chunk(items, maxBatchWrite))
	work := make(chan []map[string]types.AttributeValue)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	for range min(settingsWriters, len(chunks)) {
		wg.Go(func() {
			for chunk := range work {
				if err := s.writeBatch(ctx, chunk); err != nil {
					mu.Lock()
					if first == nil {
						first = err
						cancel()
					}
					mu.Unlock()
				}
			}
		})
	}
feed:
	for _, c := range chunks {
		select {
		case work <- c:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		// The caller's context ended: cancel above only follows an error.
		first = ctx.Err()
	}
	return first
}

// writeBatch writes one batch of at most 25 puts, calling again with what
// DynamoDB leaves unprocessed after a backoff.
func (s *Store) writeBatch(ctx context.Context, items []map[string]types.AttributeValue) error {
	reqs := make([]types.WriteRequest, len(items))
	for i, item := range items {
		reqs[i] = types.WriteRequest{PutRequest: &types.PutRequest{Item: item}}
	}
	in := map[string][]types.WriteRequest{s.table: reqs}
	for attempt := 1; ; attempt++ {
		out, err := s.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: in})
		if err != nil {
			return err
		}
		if len(out.UnprocessedItems) == 0 {
			return nil
		}
		if attempt == batchAttempts {
			return fmt.Errorf("%d items still unprocessed after %d attempts",
				len(out.UnprocessedItems[s.table]), attempt)
		}
		in = out.UnprocessedItems
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff(attempt)):
		}
	}
}

// backoff is the wait before the next call for unprocessed items: 25 ms
// doubling, at most 2 s. Tests shorten it.
var backoff = func(attempt int) time.Duration {
	return min(25*time.Millisecond<<(attempt-1), 2*time.Second)
}

// ListAppliedSettings returns a group's records ordered by server ID: one
// consistent Query of the group's settings partition, paged.
func (s *Store) ListAppliedSettings(ctx context.Context, groupID string) ([]plan.AppliedSettings, error) {
	var out []plan.AppliedSettings
	err := s.querySettings(ctx, groupID, "", func(item map[string]types.AttributeValue) error {
		var a plan.AppliedSettings
		if err := json.Unmarshal(getB(item, "data"), &a); err != nil {
			return fmt.Errorf("decode %s: %w", getS(item, "sk"), err)
		}
		out = append(out, a)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list applied settings of %q: %w", groupID, err)
	}
	return out, nil
}

// querySettings calls fn with every item of a group's settings partition,
// in sort key order; projection, when set, limits the attributes read.
func (s *Store) querySettings(ctx context.Context, groupID, projection string,
	fn func(map[string]types.AttributeValue) error) error {
	in := &dynamodb.QueryInput{
		TableName:              aws.String(s.table),
		KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :s)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": avS(settingsPK(groupID)), ":s": avS(skSettingsPrefix),
		},
		ConsistentRead: aws.Bool(true),
	}
	if projection != "" {
		in.ProjectionExpression = aws.String(projection)
	}
	for {
		out, err := s.db.Query(ctx, in)
		if err != nil {
			return err
		}
		for _, item := range out.Items {
			if err := fn(item); err != nil {
				return err
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			return nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// deleteAppliedSettings deletes a group's records after the group itself
// is deleted, best effort: a group's ID is never drawn again, so records
// left behind by a failure are never listed with another group's.
func (s *Store) deleteAppliedSettings(ctx context.Context, groupID string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	var keys []map[string]types.AttributeValue
	// A failed Query still leaves the keys of the pages read to delete.
	_ = s.querySettings(ctx, groupID, "pk, sk", func(item map[string]types.AttributeValue) error {
		keys = append(keys, key(getS(item, "pk"), getS(item, "sk")))
		return nil
	})
	s.deleteAll(ctx, keys)
}
