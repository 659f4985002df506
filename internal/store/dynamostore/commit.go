package dynamostore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
)

// commitAttempts bounds the retries of a commit whose events raced with
// another writer's.
const commitAttempts = 5

// Commit applies c in one transaction, or in fenced chunks when it is
// larger than one (see the package comment).
func (s *Store) Commit(ctx context.Context, c *store.Change) error {
	id := c.ExecutionID
	if id == "" && c.Execution != nil {
		id = c.Execution.ID
	}
	now := c.Now
	if now.IsZero() {
		now = s.now()
	}
	var err error
	for range commitAttempts {
		if err = s.commit(ctx, id, now, c); !errors.Is(err, errRetry) {
			break
		}
	}
	if errors.Is(err, errRetry) {
		err = fmt.Errorf("events written concurrently: %w", store.ErrVersionConflict)
	}
	if err != nil {
		return fmt.Errorf("commit execution %q: %w", id, err)
	}
	return nil
}

// record is one wave, launch or batch of a commit: its write, the key and
// version a chunked commit checks first, and its new version.
type record struct {
	tx      txItem
	key     map[string]types.AttributeValue
	read    int64 // 0: must not exist
	version int64
	what    string
}

func (s *Store) commit(ctx context.Context, id string, now time.Time, c *store.Change) error {
	pk := execPK(id)
	var (
		header *plan.Execution
		enc    encodedHeader
	)
	if c.Execution != nil {
		e := *c.Execution
		if err := sameExecution("header", &e.ID, id); err != nil {
			return err
		}
		e.Version++
		var err error
		if enc, err = encodeHeader(&e); err != nil {
			return fmt.Errorf("encode header: %w", err)
		}
		header = &e
	}

	var records []record
	for _, w := range c.Waves {
		w := *w
		if err := sameExecution("wave", &w.ExecutionID, id); err != nil {
			return err
		}
		read := w.Version
		w.Version++
		item, err := recordItem(pk, waveSK(w.Index), w.Version, &w)
		if err != nil {
			return fmt.Errorf("encode wave %d: %w", w.Index, err)
		}
		records = append(records, s.versioned(item, read, fmt.Sprintf("wave %d", w.Index), false))
	}
	for _, l := range c.Launches {
		l := *l
		if err := sameExecution("launch", &l.ExecutionID, id); err != nil {
			return err
		}
		read := l.Version
		l.Version++
		item, err := recordItem(pk, launchSK(l.Wave, l.SourceServerID), l.Version, &l)
		if err != nil {
			return fmt.Errorf("encode launch of %s: %w", l.SourceServerID, err)
		}
		// An update, not a put: the item keeps its wave index.
		records = append(records, s.versioned(item, read, "launch "+l.Wave+"/"+l.SourceServerID, true))
	}
	for _, b := range c.Batches {
		b := *b
		if err := sameExecution("batch", &b.ExecutionID, id); err != nil {
			return err
		}
		read := b.Version
		b.Version++
		item, err := recordItem(pk, batchSK(b.ID), b.Version, &b)
		if err != nil {
			return fmt.Errorf("encode batch %s: %w", b.ID, err)
		}
		records = append(records, s.versioned(item, read, "batch "+b.ID, false))
	}
	for _, ev := range c.Events {
		if err := sameExecution("event", &ev.ExecutionID, id); err != nil {
			return err
		}
	}

	// The header op, the plan's lock (up to two) and the frozen plan.
	const tailMax = 4
	chunked := len(records)+len(c.Events)+tailMax > maxTxItems

	var head map[string]types.AttributeValue
	if header != nil || len(c.Events) > 0 || chunked {
		var err error
		if head, err = s.getItem(ctx, key(pk, skHead)); err != nil {
			return fmt.Errorf("read header: %w", err)
		}
		if head == nil {
			return store.ErrNotFound
		}
		if c.Owner != "" && !leaseHeld(head, c.Owner, now) {
			return store.ErrLeaseLost
		}
		if header != nil && getN(head, "ver") != c.Execution.Version {
			return fmt.Errorf("header: %w", store.ErrVersionConflict)
		}
	}
	lastSeq := getN(head, "lastSeq")
	// Every commit moves the header's revision on. When the header was
	// read its new value is known, and kept exact by a condition on the
	// old one; otherwise it is added to.
	rev := getN(head, "rev")

	// What the header must still be, on every chunk.
	var cond exprs
	parts := []string{"attribute_exists(pk)"}
	if c.Owner != "" {
		parts = append(parts, cond.name("lo")+" = "+cond.value(avS(c.Owner)),
			cond.name("le")+" > "+cond.value(avN(now.UnixNano())))
	}
	if header != nil {
		parts = append(parts, cond.name("ver")+" = "+cond.value(avN(c.Execution.Version)))
	}
	if len(c.Events) > 0 {
		parts = append(parts, cond.name("lastSeq")+" = "+cond.value(avN(lastSeq)))
	}
	if head != nil {
		if rev == 0 {
			parts = append(parts, "attribute_not_exists("+cond.name("rev")+")")
		} else {
			parts = append(parts, cond.name("rev")+" = "+cond.value(avN(rev)))
		}
	}
	headCond := strings.Join(parts, " AND ")
	headFailed := func(ctx context.Context) error {
		cur, err := s.getItem(ctx, key(pk, skHead))
		switch {
		case err != nil:
			return err
		case cur == nil:
			return store.ErrNotFound
		case c.Owner != "" && !leaseHeld(cur, c.Owner, now):
			return store.ErrLeaseLost
		case header != nil && getN(cur, "ver") != c.Execution.Version:
			return fmt.Errorf("header: %w", store.ErrVersionConflict)
		case len(c.Events) > 0 && getN(cur, "lastSeq") != lastSeq:
			return errRetry
		case head != nil && getN(cur, "rev") != rev:
			// A commit of other records came in between.
			return errRetry
		}
		return fmt.Errorf("header changed: %w", store.ErrVersionConflict)
	}
	check := func() txItem {
		return txItem{w: types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
			TableName: aws.String(s.table), Key: key(pk, skHead),
			ConditionExpression:       aws.String(headCond),
			ExpressionAttributeNames:  cond.names,
			ExpressionAttributeValues: cond.values,
		}}, failed: headFailed}
	}

	var tail []txItem
	{
		b := exprs{names: map[string]string{}, values: map[string]types.AttributeValue{}}
		for k, v := range cond.names {
			b.names[k] = v
		}
		for k, v := range cond.values {
			b.values[k] = v
		}
		var set, remove []string
		if header != nil {
			attrs := headerAttrs(header, enc)
			for a, v := range attrs {
				set = append(set, b.name(a)+" = "+b.value(v))
			}
			if attrs["g3pk"] == nil {
				remove = append(remove, b.name("g3pk"), b.name("g3sk"))
			}
		}
		if len(c.Events) > 0 {
			set = append(set, b.name("lastSeq")+" = "+b.value(avN(lastSeq+int64(len(c.Events)))))
		}
		var update string
		if head != nil {
			set = append(set, b.name("rev")+" = "+b.value(avN(rev+1)))
		} else {
			update = "ADD " + b.name("rev") + " " + b.value(avN(1)) + " "
		}
		if len(set) > 0 {
			update += "SET " + strings.Join(set, ", ")
		}
		if len(remove) > 0 {
			update += " REMOVE " + strings.Join(remove, ", ")
		}
		tail = append(tail, txItem{w: types.TransactWriteItem{Update: &types.Update{
			TableName: aws.String(s.table), Key: key(pk, skHead),
			UpdateExpression:          aws.String(update),
			ConditionExpression:       aws.String(headCond),
			ExpressionAttributeNames:  b.names,
			ExpressionAttributeValues: b.values,
		}}, failed: headFailed})
	}
	if header != nil {
		tail = append(tail, s.lockOps(id, getS(head, "planId"), plan.Active(getS(head, "status")),
			header.PlanID, plan.Active(header.Status))...)
		if enc.hash != getS(head, "fh") {
			fz := key(pk, skFrozen)
			fz["data"] = avB(enc.frozen)
			tail = append(tail, txItem{w: types.TransactWriteItem{Put: &types.Put{
				TableName: aws.String(s.table), Item: fz,
			}}})
		}
	}

	body := make([]txItem, 0, len(records)+len(c.Events))
	for _, r := range records {
		body = append(body, r.tx)
	}
	for i, ev := range c.Events {
		e := *ev
		e.ExecutionID, e.Seq = id, lastSeq+1+int64(i)
		item, err := recordItem(pk, eventSK(e.Seq), 0, &e)
		if err != nil {
			return fmt.Errorf("encode event: %w", err)
		}
		// Unconditional: lastSeq, checked with it, keeps Seq unique, and
		// overwrites what a commit that never completed left there.
		body = append(body, txItem{w: types.TransactWriteItem{Put: &types.Put{
			TableName: aws.String(s.table), Item: item,
		}}})
	}

	if len(tail)+len(body) <= maxTxItems {
		if err := s.transact(ctx, append(tail, body...)); err != nil {
			return err
		}
	} else {
		if err := s.checkVersions(ctx, records); err != nil {
			return err
		}
		// The last chunk carries the tail and as much of the end of the
		// body (the events) as fits; the others go first, each fenced by
		// a check of the header.
		split := len(body) - (maxTxItems - len(tail))
		for start := 0; start < split; start += maxTxItems - 1 {
			end := min(start+maxTxItems-1, split)
			if err := s.transact(ctx, append([]txItem{check()}, body[start:end]...)); err != nil {
				return err
			}
		}
		if err := s.transact(ctx, append(tail, body[split:]...)); err != nil {
			return err
		}
	}

	if header != nil {
		c.Execution.ID, c.Execution.Version = id, header.Version
		c.Execution.Revision = rev + 1
	}
	for i, w := range c.Waves {
		w.ExecutionID, w.Version = id, records[i].version
	}
	n := len(c.Waves)
	for i, l := range c.Launches {
		l.ExecutionID, l.Version = id, records[n+i].version
	}
	n += len(c.Launches)
	for i, b := range c.Batches {
		b.ExecutionID, b.Version = id, records[n+i].version
	}
	for i, ev := range c.Events {
		ev.ExecutionID, ev.Seq = id, lastSeq+1+int64(i)
	}
	return nil
}

// versioned makes the conditional write of a record read at version read
// (0: a new record).
func (s *Store) versioned(item map[string]types.AttributeValue, read int64, what string, update bool) record {
	k := key(getS(item, "pk"), getS(item, "sk"))
	r := record{key: k, read: read, version: getN(item, "ver"), what: what}
	failed := func(ctx context.Context) error {
		cur, err := s.getItem(ctx, k)
		switch {
		case err != nil:
			return err
		case cur == nil && read != 0:
			return fmt.Errorf("%s: %w", what, store.ErrNotFound)
		}
		return fmt.Errorf("%s: %w", what, store.ErrVersionConflict)
	}
	switch {
	case read == 0:
		r.tx = txItem{w: types.TransactWriteItem{Put: &types.Put{
			TableName: aws.String(s.table), Item: item,
			ConditionExpression: aws.String("attribute_not_exists(pk)"),
		}}, failed: failed}
	case update:
		r.tx = txItem{w: types.TransactWriteItem{Update: &types.Update{
			TableName: aws.String(s.table), Key: k,
			UpdateExpression:         aws.String("SET ver = :new, #d = :d"),
			ConditionExpression:      aws.String("ver = :read"),
			ExpressionAttributeNames: map[string]string{"#d": "data"},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":new": item["ver"], ":d": item["data"], ":read": avN(read),
			},
		}}, failed: failed}
	default:
		r.tx = txItem{w: types.TransactWriteItem{Put: &types.Put{
			TableName: aws.String(s.table), Item: item,
			ConditionExpression:       aws.String("ver = :read"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":read": avN(read)},
		}}, failed: failed}
	}
	return r
}

// checkVersions reads the records of a chunked commit and refuses it,
// before anything is written, when one is missing or stale.
func (s *Store) checkVersions(ctx context.Context, records []record) error {
	keys := make([]map[string]types.AttributeValue, len(records))
	for i, r := range records {
		keys[i] = r.key
	}
	found, err := s.batchGet(ctx, keys)
	if err != nil {
		return fmt.Errorf("check versions: %w", err)
	}
	for _, r := range records {
		cur := found[[2]string{getS(r.key, "pk"), getS(r.key, "sk")}]
		switch {
		case cur == nil && r.read != 0:
			return fmt.Errorf("%s: %w", r.what, store.ErrNotFound)
		case cur != nil && getN(cur, "ver") != r.read:
			return fmt.Errorf("%s: %w", r.what, store.ErrVersionConflict)
		}
	}
	return nil
}

// lockOps keeps the plan's lock in step with a header moving from
// (oldPlan, oldActive) to (newPlan, newActive).
func (s *Store) lockOps(id, oldPlan string, oldActive bool, newPlan string, newActive bool) []txItem {
	if oldActive && newActive && oldPlan == newPlan {
		return nil
	}
	var ops []txItem
	if oldActive {
		ops = append(ops, txItem{w: types.TransactWriteItem{Delete: &types.Delete{
			TableName: aws.String(s.table), Key: key(lockPK(oldPlan), skLock),
			ConditionExpression:       aws.String("executionId = :id"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":id": avS(id)},
		}}, failed: func(context.Context) error {
			return fmt.Errorf("lock of plan %s not held by the execution: %w", oldPlan, store.ErrVersionConflict)
		}})
	}
	if newActive {
		lock := key(lockPK(newPlan), skLock)
		lock["executionId"] = avS(id)
		ops = append(ops, txItem{w: types.TransactWriteItem{Put: &types.Put{
			TableName: aws.String(s.table), Item: lock,
			ConditionExpression:       aws.String("attribute_not_exists(pk) OR executionId = :id"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":id": avS(id)},
		}}, failed: func(context.Context) error {
			return fmt.Errorf("plan %s has an active execution: %w", newPlan, store.ErrExists)
		}})
	}
	return ops
}

// leaseHeld reports whether a header's lease is owner's and unexpired at
// now.
func leaseHeld(head map[string]types.AttributeValue, owner string, now time.Time) bool {
	return getS(head, "lo") == owner && getN(head, "le") > now.UnixNano()
}

// Claim takes the lease of an execution for owner until expiry.
func (s *Store) Claim(ctx context.Context, executionID, owner string, now, expiry time.Time) error {
	err := s.single(ctx, func() error {
		_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:           aws.String(s.table),
			Key:                 key(execPK(executionID), skHead),
			UpdateExpression:    aws.String("SET lo = :o, le = :e"),
			ConditionExpression: aws.String("attribute_exists(pk) AND (attribute_not_exists(lo) OR lo = :o OR le <= :now)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":o": avS(owner), ":e": avN(nanos(expiry)), ":now": avN(now.UnixNano()),
			},
		})
		return err
	})
	if conditionFailed(err) {
		if _, err = s.headExists(ctx, executionID); err == nil {
			err = store.ErrLeaseHeld
		}
	}
	if err != nil {
		return fmt.Errorf("claim execution %q: %w", executionID, err)
	}
	return nil
}

// Release gives up owner's lease of an execution.
func (s *Store) Release(ctx context.Context, executionID, owner string) error {
	err := s.single(ctx, func() error {
		_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                 aws.String(s.table),
			Key:                       key(execPK(executionID), skHead),
			UpdateExpression:          aws.String("REMOVE lo, le"),
			ConditionExpression:       aws.String("lo = :o"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":o": avS(owner)},
		})
		return err
	})
	if conditionFailed(err) {
		_, err = s.headExists(ctx, executionID)
	}
	if err != nil {
		return fmt.Errorf("release execution %q: %w", executionID, err)
	}
	return nil
}

// single runs a one-item write, retrying it while a transaction holds the
// item.
func (s *Store) single(ctx context.Context, write func() error) error {
	for attempt := 1; ; attempt++ {
		err := write()
		var tc *types.TransactionConflictException
		if !errors.As(err, &tc) || attempt == transactAttempts {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt*attempt) * 5 * time.Millisecond):
		}
	}
}
