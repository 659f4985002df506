package dynamostore

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
)

// execList names the executions list in page tokens.
const execList = "executions"

// Sort keys of an execution's items.
const (
	skHead   = "#HEAD"
	skFrozen = "#FROZEN"
	skLock   = "#LOCK"
)

func execPK(id string) string             { return "EXEC#" + id }
func lockPK(planID string) string         { return "LOCK#" + planID }
func waveSK(index int) string             { return fmt.Sprintf("W#%06d", index) }
func launchSK(wave, server string) string { return "L#" + wave + "#" + server }
func batchSK(id string) string            { return "B#" + id }
func eventSK(seq int64) string            { return fmt.Sprintf("E#%020d", seq) }

// listKey is the sort key of a header in the list indexes: newest first
// when read backwards, ties by ID.
func listKey(created int64, id string) string { return fmt.Sprintf("%020d#%s", created, id) }

// actionable is the Actionable filter of a header.
func actionable(e *plan.Execution) bool {
	return plan.Active(e.Status) || e.Requests != (plan.Requests{})
}

// frozen is what #FROZEN holds, as gzipped JSON.
type frozen struct {
	Plan   plan.RecoveryPlan      `json:"plan"`
	Groups []plan.ProtectionGroup `json:"groups"`
}

// encodedHeader is an execution header ready to write.
type encodedHeader struct {
	data   []byte // the header's JSON without plan and groups
	frozen []byte
	hash   string // of frozen
}

func encodeHeader(e *plan.Execution) (encodedHeader, error) {
	h := *e
	h.Plan, h.Groups = plan.RecoveryPlan{}, nil
	data, err := json.Marshal(&h)
	if err != nil {
		return encodedHeader{}, err
	}
	fz, err := json.Marshal(frozen{Plan: e.Plan, Groups: e.Groups})
	if err != nil {
		return encodedHeader{}, err
	}
	sum := sha256.Sum256(fz)
	// Server IDs and group IDs compress to about a third: the item is read
	// with every listed header, the engine's every round included.
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(fz)
	if err := zw.Close(); err != nil {
		return encodedHeader{}, err
	}
	return encodedHeader{data: data, frozen: buf.Bytes(), hash: hex.EncodeToString(sum[:16])}, nil
}

// unzip returns the JSON of a #FROZEN item, gzipped or (never, as written
// now, but cheap to accept) plain.
func unzip(b []byte) ([]byte, error) {
	if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		return b, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// headerAttrs are the attributes of #HEAD a header's content decides;
// those of the byActionable index are absent when it is not actionable.
func headerAttrs(e *plan.Execution, h encodedHeader) map[string]types.AttributeValue {
	sk := listKey(nanos(e.CreatedAt), e.ID)
	a := map[string]types.AttributeValue{
		"planId": avS(e.PlanID), "status": avS(e.Status), "ver": avN(e.Version),
		"created": avN(nanos(e.CreatedAt)), "data": avB(h.data), "fh": avS(h.hash),
		"g1pk": avS("EXEC"), "g1sk": avS(sk),
		"g2pk": avS("PLAN#" + e.PlanID), "g2sk": avS(sk),
	}
	if actionable(e) {
		a["g3pk"], a["g3sk"] = avS("ACT"), avS(sk)
	}
	return a
}

// decodeHeader reads #HEAD and, when given, #FROZEN.
func decodeHeader(head, fz map[string]types.AttributeValue) (*plan.Execution, error) {
	var e plan.Execution
	if err := json.Unmarshal(getB(head, "data"), &e); err != nil {
		return nil, fmt.Errorf("decode header: %w", err)
	}
	if fz != nil {
		var f frozen
		data, err := unzip(getB(fz, "data"))
		if err == nil {
			err = json.Unmarshal(data, &f)
		}
		if err != nil {
			return nil, fmt.Errorf("decode frozen plan: %w", err)
		}
		e.Plan, e.Groups = f.Plan, f.Groups
	}
	e.Version, e.Revision = getN(head, "ver"), getN(head, "rev")
	e.LeaseOwner, e.LeaseExpiry = getS(head, "lo"), fromNanos(getN(head, "le"))
	return &e, nil
}

// sameExecution fills an empty execution ID of a record and refuses
// another execution's.
func sameExecution(what string, got *string, id string) error {
	switch *got {
	case "":
		*got = id
	case id:
	default:
		return fmt.Errorf("%s of execution %q in execution %q", what, *got, id)
	}
	return nil
}

// recordItem is the item of a wave, launch, batch or event.
func recordItem(pk, sk string, version int64, v any) (map[string]types.AttributeValue, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	item := key(pk, sk)
	item["data"] = avB(data)
	if version != 0 {
		item["ver"] = avN(version)
	}
	return item, nil
}

// CreateExecution writes an execution: its children first, the header and
// the plan's lock last (see the package comment).
func (s *Store) CreateExecution(ctx context.Context, e *plan.Execution,
	waves []plan.WaveRun, launches []plan.Launch, events []plan.Event) error {
	c := *e
	if c.ID == "" {
		c.ID = plan.NewID(plan.PrefixExecution)
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = s.now().UTC()
	}
	c.Version, c.Revision = 1, 1
	if err := s.createExecution(ctx, &c, waves, launches, events); err != nil {
		return fmt.Errorf("create execution %q: %w", c.ID, err)
	}

	*e = c
	for i := range waves {
		waves[i].ExecutionID, waves[i].Version = c.ID, 1
	}
	for i := range launches {
		launches[i].ExecutionID, launches[i].Version = c.ID, 1
	}
	for i := range events {
		events[i].ExecutionID, events[i].Seq = c.ID, int64(i+1)
	}
	return nil
}

// createWorkers is how many transactions of an execution's children are
// written at once.
const createWorkers = 4

func (s *Store) createExecution(ctx context.Context, e *plan.Execution,
	waves []plan.WaveRun, launches []plan.Launch, events []plan.Event) error {
	pk := execPK(e.ID)
	h, err := encodeHeader(e)
	if err != nil {
		return fmt.Errorf("encode header: %w", err)
	}
	fz := key(pk, skFrozen)
	fz["data"] = avB(h.frozen)
	children := []map[string]types.AttributeValue{fz}

	waveIndex := make(map[string]int, len(waves))
	for i := range waves {
		w := waves[i]
		if err := sameExecution("wave", &w.ExecutionID, e.ID); err != nil {
			return err
		}
		w.Version = 1
		waveIndex[w.Name] = w.Index
		item, err := recordItem(pk, waveSK(w.Index), 1, &w)
		if err != nil {
			return fmt.Errorf("encode wave %d: %w", w.Index, err)
		}
		children = append(children, item)
	}
	for i := range launches {
		l := launches[i]
		if err := sameExecution("launch", &l.ExecutionID, e.ID); err != nil {
			return err
		}
		wi, ok := waveIndex[l.Wave]
		if !ok {
			return fmt.Errorf("launch of %s: no wave %q", l.SourceServerID, l.Wave)
		}
		l.Version = 1
		item, err := recordItem(pk, launchSK(l.Wave, l.SourceServerID), 1, &l)
		if err != nil {
			return fmt.Errorf("encode launch of %s: %w", l.SourceServerID, err)
		}
		item["wi"] = avN(int64(wi))
		children = append(children, item)
	}
	for i := range events {
		ev := events[i]
		if err := sameExecution("event", &ev.ExecutionID, e.ID); err != nil {
			return err
		}
		ev.Seq = int64(i + 1)
		item, err := recordItem(pk, eventSK(ev.Seq), 0, &ev)
		if err != nil {
			return fmt.Errorf("encode event: %w", err)
		}
		children = append(children, item)
	}

	head := headerAttrs(e, h)
	head["pk"], head["sk"] = avS(pk), avS(skHead)
	head["lastSeq"] = avN(int64(len(events)))
	head["rev"] = avN(1)
	if e.LeaseOwner != "" {
		head["lo"], head["le"] = avS(e.LeaseOwner), avN(nanos(e.LeaseExpiry))
	}
	exists := func(context.Context) error { return store.ErrExists }
	last := []txItem{{w: types.TransactWriteItem{Put: &types.Put{
		TableName: aws.String(s.table), Item: head,
		ConditionExpression: aws.String("attribute_not_exists(pk)"),
	}}, failed: exists}}
	active := plan.Active(e.Status)
	if active {
		lock := key(lockPK(e.PlanID), skLock)
		lock["executionId"] = avS(e.ID)
		last = append(last, txItem{w: types.TransactWriteItem{Put: &types.Put{
			TableName: aws.String(s.table), Item: lock,
			ConditionExpression: aws.String("attribute_not_exists(pk)"),
		}}, failed: exists})
	}

	// Refuse early what the last transaction would refuse, before writing
	// thousands of items for nothing.
	if item, err := s.getItem(ctx, key(pk, skHead)); err != nil || item != nil {
		return cmp.Or(err, store.ErrExists)
	}
	if active {
		if item, err := s.getItem(ctx, key(lockPK(e.PlanID), skLock)); err != nil || item != nil {
			return cmp.Or(err, store.ErrExists)
		}
	}

	put := func(item map[string]types.AttributeValue) txItem {
		return txItem{w: types.TransactWriteItem{Put: &types.Put{
			TableName: aws.String(s.table), Item: item,
			ConditionExpression: aws.String("attribute_not_exists(pk)"),
		}}, failed: exists}
	}
	if len(children)+len(last) <= maxTxItems {
		items := last
		for _, c := range children {
			items = append(items, put(c))
		}
		return s.transact(ctx, items)
	}

	chunks := slices.Collect(slices.Chunk(children, maxTxItems))
	written := make([]bool, len(chunks))
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
		next  = make(chan int)
	)
	for range createWorkers {
		wg.Go(func() {
			for i := range next {
				items := make([]txItem, len(chunks[i]))
				for j, c := range chunks[i] {
					items[j] = put(c)
				}
				err := s.transact(ctx, items)
				mu.Lock()
				if err == nil {
					written[i] = true
				} else if first == nil {
					first = err
				}
				mu.Unlock()
			}
		})
	}
	for i := range chunks {
		mu.Lock()
		stop := first != nil
		mu.Unlock()
		if stop {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if first == nil {
		first = s.transact(ctx, last)
	}
	if first != nil {
		var keys []map[string]types.AttributeValue
		for i, ok := range written {
			if ok {
				for _, c := range chunks[i] {
					keys = append(keys, key(getS(c, "pk"), getS(c, "sk")))
				}
			}
		}
		s.deleteAll(ctx, keys)
		return first
	}
	return nil
}

// deleteAll deletes items, best effort: what is left behind of an execution
// whose header was never written is invisible.
func (s *Store) deleteAll(ctx context.Context, keys []map[string]types.AttributeValue) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	for chunk := range slices.Chunk(keys, 25) {
		reqs := make([]types.WriteRequest, len(chunk))
		for i, k := range chunk {
			reqs[i] = types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: k}}
		}
		in := map[string][]types.WriteRequest{s.table: reqs}
		for range 5 {
			out, err := s.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: in})
			if err != nil || len(out.UnprocessedItems) == 0 {
				break
			}
			in = out.UnprocessedItems
		}
	}
}

// GetExecution returns an execution's header with its lease.
func (s *Store) GetExecution(ctx context.Context, id string) (*plan.Execution, error) {
	e, err := s.getExecution(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("get execution %q: %w", id, err)
	}
	return e, nil
}

func (s *Store) getExecution(ctx context.Context, id string) (*plan.Execution, error) {
	// #FROZEN and #HEAD are the only sort keys starting with '#'.
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:              aws.String(s.table),
		KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :h)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": avS(execPK(id)), ":h": avS("#"),
		},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, err
	}
	var head, fz map[string]types.AttributeValue
	for _, item := range out.Items {
		switch getS(item, "sk") {
		case skHead:
			head = item
		case skFrozen:
			fz = item
		}
	}
	if head == nil {
		return nil, store.ErrNotFound
	}
	return decodeHeader(head, fz)
}

// ListExecutions returns one page of executions, newest first.
func (s *Store) ListExecutions(ctx context.Context, f store.ExecutionFilter,
	opts store.ListOptions) (store.Page[plan.Execution], error) {
	page, err := s.listExecutions(ctx, f, opts)
	if err != nil {
		return store.Page[plan.Execution]{}, fmt.Errorf("list executions: %w", err)
	}
	return page, nil
}

func (s *Store) listExecutions(ctx context.Context, f store.ExecutionFilter,
	opts store.ListOptions) (store.Page[plan.Execution], error) {
	after, paged, err := decodeToken(opts.NextToken, execList)
	if err != nil {
		return store.Page[plan.Execution]{}, err
	}
	limit := clampLimit(opts.Limit)

	var b exprs
	index, pkAttr, skAttr, pkValue := indexCreated, "g1pk", "g1sk", "EXEC"
	switch {
	case f.PlanID != "":
		index, pkAttr, skAttr, pkValue = indexPlan, "g2pk", "g2sk", "PLAN#"+f.PlanID
	case f.Actionable:
		index, pkAttr, skAttr, pkValue = indexActionable, "g3pk", "g3sk", "ACT"
	}
	in := &dynamodb.QueryInput{
		TableName:              aws.String(s.table),
		IndexName:              aws.String(index),
		KeyConditionExpression: aws.String(b.name(pkAttr) + " = " + b.value(avS(pkValue))),
		ScanIndexForward:       aws.Bool(false),
	}
	var filters []string
	if len(f.Statuses) > 0 {
		vals := make([]string, len(f.Statuses))
		for i, st := range f.Statuses {
			vals[i] = b.value(avS(st))
		}
		filters = append(filters, b.name("status")+" IN ("+strings.Join(vals, ", ")+")")
	}
	if f.Actionable && index != indexActionable {
		filters = append(filters, "attribute_exists("+b.name("g3pk")+")")
	}
	if len(filters) > 0 {
		in.FilterExpression = aws.String(strings.Join(filters, " AND "))
	} else {
		// Without a filter every item read is one of the page.
		in.Limit = aws.Int32(int32(limit + 1))
	}
	in.ExpressionAttributeNames, in.ExpressionAttributeValues = b.names, b.values
	if paged {
		sk := listKey(after.Created, after.ID)
		in.ExclusiveStartKey = map[string]types.AttributeValue{
			"pk": avS(execPK(after.ID)), "sk": avS(skHead),
			pkAttr: avS(pkValue), skAttr: avS(sk),
		}
	}

	// One ID more than the page tells whether another page follows.
	var (
		ids     []string
		created []int64
	)
	for len(ids) <= limit {
		out, err := s.db.Query(ctx, in)
		if err != nil {
			return store.Page[plan.Execution]{}, err
		}
		for _, item := range out.Items {
			ids = append(ids, strings.TrimPrefix(getS(item, "pk"), "EXEC#"))
			c, _, _ := strings.Cut(getS(item, skAttr), "#")
			n, _ := strconv.ParseInt(c, 10, 64)
			created = append(created, n)
		}
		if len(out.LastEvaluatedKey) == 0 {
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	more := len(ids) > limit
	if more {
		ids = ids[:limit]
	}

	keys := make([]map[string]types.AttributeValue, 0, 2*len(ids))
	for _, id := range ids {
		keys = append(keys, key(execPK(id), skHead), key(execPK(id), skFrozen))
	}
	items, err := s.batchGet(ctx, keys)
	if err != nil {
		return store.Page[plan.Execution]{}, err
	}
	var page store.Page[plan.Execution]
	for _, id := range ids {
		pk := execPK(id)
		head := items[[2]string{pk, skHead}]
		if head == nil {
			continue
		}
		e, err := decodeHeader(head, items[[2]string{pk, skFrozen}])
		if err != nil {
			return store.Page[plan.Execution]{}, err
		}
		// The index may lag the header: filter on what the header says.
		if (len(f.Statuses) > 0 && !slices.Contains(f.Statuses, e.Status)) || (f.Actionable && !actionable(e)) {
			continue
		}
		page.Items = append(page.Items, *e)
	}
	if more {
		page.NextToken = encodeToken(cursor{List: execList, Created: created[limit-1], ID: ids[limit-1]})
	}
	return page, nil
}

// batchGet reads items consistently, by pk and sk.
func (s *Store) batchGet(ctx context.Context, keys []map[string]types.AttributeValue) (map[[2]string]map[string]types.AttributeValue, error) {
	found := make(map[[2]string]map[string]types.AttributeValue, len(keys))
	for chunk := range slices.Chunk(keys, 100) {
		in := map[string]types.KeysAndAttributes{s.table: {Keys: chunk, ConsistentRead: aws.Bool(true)}}
		for attempt := 0; len(in) > 0; attempt++ {
			if attempt > 0 {
				select {
				case <-ctx.Done():
					return nil, ctx.Err()
				case <-time.After(time.Duration(attempt) * 20 * time.Millisecond):
				}
			}
			out, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: in})
			if err != nil {
				return nil, err
			}
			for _, item := range out.Responses[s.table] {
				found[[2]string{getS(item, "pk"), getS(item, "sk")}] = item
			}
			in = out.UnprocessedKeys
		}
	}
	return found, nil
}

// headExists is store.ErrNotFound when an execution has no header, and
// otherwise returns its lastSeq.
func (s *Store) headExists(ctx context.Context, id string) (lastSeq int64, err error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.table), Key: key(execPK(id), skHead),
		ConsistentRead: aws.Bool(true), ProjectionExpression: aws.String("pk, lastSeq"),
	})
	if err != nil {
		return 0, err
	}
	if len(out.Item) == 0 {
		return 0, store.ErrNotFound
	}
	return getN(out.Item, "lastSeq"), nil
}

// queryRecords reads the items of an execution whose sort key starts with
// prefix, in sort key order, after checking that the execution exists
// (children of a create that never finished have no header).
func (s *Store) queryRecords(ctx context.Context, id, prefix string) ([]map[string]types.AttributeValue, error) {
	if _, err := s.headExists(ctx, id); err != nil {
		return nil, err
	}
	return s.query(ctx, &dynamodb.QueryInput{
		TableName:              aws.String(s.table),
		KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :p)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": avS(execPK(id)), ":p": avS(prefix),
		},
		ConsistentRead: aws.Bool(true),
	}, 0)
}

// query reads every page of a query, or up to limit items when limit > 0.
func (s *Store) query(ctx context.Context, in *dynamodb.QueryInput, limit int) ([]map[string]types.AttributeValue, error) {
	var items []map[string]types.AttributeValue
	for {
		if limit > 0 {
			in.Limit = aws.Int32(int32(limit - len(items)))
		}
		out, err := s.db.Query(ctx, in)
		if err != nil {
			return nil, err
		}
		items = append(items, out.Items...)
		if len(out.LastEvaluatedKey) == 0 || (limit > 0 && len(items) >= limit) {
			return items, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// decodeRecords decodes the data of items into Ts, setting their versions.
func decodeRecords[T any](items []map[string]types.AttributeValue, version func(*T) *int64) ([]T, error) {
	out := make([]T, len(items))
	for i, item := range items {
		if err := json.Unmarshal(getB(item, "data"), &out[i]); err != nil {
			return nil, fmt.Errorf("decode %s: %w", getS(item, "sk"), err)
		}
		if version != nil {
			*version(&out[i]) = getN(item, "ver")
		}
	}
	return out, nil
}

// ListWaves returns an execution's waves by index.
func (s *Store) ListWaves(ctx context.Context, executionID string) ([]plan.WaveRun, error) {
	items, err := s.queryRecords(ctx, executionID, "W#")
	var waves []plan.WaveRun
	if err == nil {
		waves, err = decodeRecords(items, func(w *plan.WaveRun) *int64 { return &w.Version })
	}
	if err != nil {
		return nil, fmt.Errorf("list waves of %q: %w", executionID, err)
	}
	// Zero-padded indexes sort as numbers.
	return waves, nil
}

// ListLaunches returns an execution's launches by wave index, then source
// server ID.
func (s *Store) ListLaunches(ctx context.Context, executionID string) ([]plan.Launch, error) {
	items, err := s.queryRecords(ctx, executionID, "L#")
	var launches []plan.Launch
	if err == nil {
		launches, err = decodeRecords(items, func(l *plan.Launch) *int64 { return &l.Version })
	}
	if err != nil {
		return nil, fmt.Errorf("list launches of %q: %w", executionID, err)
	}
	// Items are keyed by wave name, which identifies a launch in commits;
	// the order is by the wave's index, kept in wi.
	wi := make(map[string]int64, 8)
	for _, item := range items {
		wi[getS(item, "sk")] = getN(item, "wi")
	}
	slices.SortStableFunc(launches, func(a, b plan.Launch) int {
		return cmp.Or(cmp.Compare(wi[launchSK(a.Wave, a.SourceServerID)], wi[launchSK(b.Wave, b.SourceServerID)]),
			strings.Compare(a.SourceServerID, b.SourceServerID))
	})
	return launches, nil
}

// ListBatches returns an execution's batches by request time, then ID.
func (s *Store) ListBatches(ctx context.Context, executionID string) ([]plan.Batch, error) {
	items, err := s.queryRecords(ctx, executionID, "B#")
	var batches []plan.Batch
	if err == nil {
		batches, err = decodeRecords(items, func(b *plan.Batch) *int64 { return &b.Version })
	}
	if err != nil {
		return nil, fmt.Errorf("list batches of %q: %w", executionID, err)
	}
	slices.SortStableFunc(batches, func(a, b plan.Batch) int {
		return cmp.Or(a.RequestTime.Compare(b.RequestTime), strings.Compare(a.ID, b.ID))
	})
	return batches, nil
}

// ListEvents returns up to limit events after afterSeq, oldest first, up to
// the header's lastSeq.
func (s *Store) ListEvents(ctx context.Context, executionID string,
	afterSeq int64, limit int) ([]plan.Event, error) {
	events, err := s.listEvents(ctx, executionID, afterSeq, limit)
	if err != nil {
		return nil, fmt.Errorf("list events of %q: %w", executionID, err)
	}
	return events, nil
}

func (s *Store) listEvents(ctx context.Context, id string, afterSeq int64, limit int) ([]plan.Event, error) {
	lastSeq, err := s.headExists(ctx, id)
	if err != nil {
		return nil, err
	}
	afterSeq = max(afterSeq, 0)
	if afterSeq >= lastSeq {
		return nil, nil
	}
	items, err := s.query(ctx, &dynamodb.QueryInput{
		TableName:              aws.String(s.table),
		KeyConditionExpression: aws.String("pk = :pk AND sk BETWEEN :from AND :to"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": avS(execPK(id)), ":from": avS(eventSK(afterSeq + 1)), ":to": avS(eventSK(lastSeq)),
		},
		ConsistentRead: aws.Bool(true),
	}, limit)
	if err != nil {
		return nil, err
	}
	return decodeRecords[plan.Event](items, nil)
}

// exprs collects the names and values of an expression.
type exprs struct {
	names  map[string]string
	values map[string]types.AttributeValue
}

// name is a placeholder for an attribute name (several are reserved words).
func (b *exprs) name(attr string) string {
	if b.names == nil {
		b.names = map[string]string{}
	}
	b.names["#"+attr] = attr
	return "#" + attr
}

// value is a placeholder for v.
func (b *exprs) value(v types.AttributeValue) string {
	if b.values == nil {
		b.values = map[string]types.AttributeValue{}
	}
	k := fmt.Sprintf(":v%d", len(b.values))
	b.values[k] = v
	return k
}
