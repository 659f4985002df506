// Package dynamostore is the shared store.Store on Amazon DynamoDB, for
// several drsorch replicas (and for running from a global table in the
// recovery region).
//
// # Table
//
// One table, <prefix>-store, keyed by pk (partition, string) and sk (sort,
// string), billed per request. Every record is an item of its own, small
// and written alone, so that a commit that changes ten launches writes ten
// items whatever the size of the execution:
//
//	pk              sk                       item
//	GROUP           N#<name>                 a protection group: id, ver, data (JSON)
//	GROUP           I#<id>                   the group's ID: name (points at N#<name>)
//	PLAN            N#<name>, I#<id>         the same for recovery plans
//	EXEC#<id>       #HEAD                    execution header: planId, status, ver, created,
//	                                         lastSeq, lo/le (lease owner, expiry), fh, data
//	EXEC#<id>       #FROZEN                  the plan and groups frozen into it: data (gzipped)
//	EXEC#<id>       W#<index, 6 digits>      a wave: ver, data
//	EXEC#<id>       L#<wave name>#<server>   a launch: wi (its wave's index), ver, data
//	EXEC#<id>       B#<batch id>             a batch: ver, data
//	EXEC#<id>       E#<seq, 20 digits>       an event: data
//	LOCK#<plan id>  #LOCK                    the plan's active execution: executionId
//	TOKEN           T#<token id>             an API token (hash, role, expiry, revocation): data
//	SESSION#<id>    #SESSION                 a browser session (hash, token, expiry): exp, data
//	AUDIT           <time, 20 digits>#<id>   an audit entry: actor, action, data
//	SETTINGS#<gid>  S#<server id>            a server's applied launch settings: data
//
// data is the record's JSON (binary attribute), the same JSON the API
// speaks. ver is the record's Version; it lives beside data so that
// conditions can compare it. Times in keys and conditions are Unix
// nanoseconds.
//
// The header is split in two: #HEAD carries the parts that change, and
// #FROZEN the plan and groups (with 3,000 servers, tens of kilobytes), which
// are written when the execution is created and again only when a commit
// changes them (fh, a hash of their JSON, tells). Renewing a lease, taking
// a request or writing events thus writes one small item.
//
// # Names
//
// A group's or plan's item is keyed by its name, so the key is the
// uniqueness constraint: create puts N#<name> and I#<id> in one
// transaction, both on attribute_not_exists(pk); a rename deletes the old
// name item, puts the new one and repoints I#<id>, in one transaction
// conditioned on the version. Listing by name is one strongly consistent
// Query of the kind's partition (a few hundred small items at most: groups
// and plans are written by people, not by the engine).
//
// # Lists of executions
//
// Three global secondary indexes over #HEAD items, projecting only their
// keys, status and g3pk:
//
//	byCreated     g1pk "EXEC",           g1sk <created, 20 digits>#<id>
//	byPlan        g2pk "PLAN#<plan id>", g2sk the same
//	byActionable  g3pk "ACT",            g3sk the same; present only while the
//	              execution is active or has a request pending (a sparse index)
//
// Queried backwards they give newest first, ties by ID descending, as the
// contract asks; the engine's list of actionable executions reads only the
// sparse index, so it grows with the work in hand, not with history. The
// headers of a page are then read from the table itself (BatchGetItem,
// consistent), and filtered again on their current status: an index is
// eventually consistent, so it may still list an execution that has just
// finished, and may miss for a moment one just created or started. A page
// token is the page's last sort key (created and ID), which rebuilds the
// ExclusiveStartKey of whichever index the filter uses; it is base64 JSON
// naming its list, and one that does not parse or names another list is
// store.ErrInvalidToken.
//
// # Tokens, sessions and the audit trail
//
// Tokens share one partition: there are few, written by administrators,
// and listing them is one consistent Query. A session is an item of its
// own, found by its ID; an expired one is refused on read (there is no TTL
// attribute: the table's definition stays the one CreateTables makes).
// Audit entries share the AUDIT partition, sorted by time, so that a
// Query backwards is newest first and a time range is a key condition;
// actor and action are filtered in the Query. One partition takes about
// 1,000 writes a second, far above the rate of state-changing requests.
// TODO: shard the audit partition by day if the trail ever outgrows it.
//
// # Applied launch settings
//
// A group's applied settings (store.SettingsStore) have a partition of
// their own, one item per server, so that listing them is one Query in
// server order and a group of 3,000 servers does not crowd the GROUP
// partition. They are not versioned: PutAppliedSettings writes them with
// BatchWriteItem, 25 a call and four calls at a time, retrying what
// DynamoDB returns unprocessed; it is not atomic. Deleting a group deletes
// them afterwards, best effort: a group's ID is never drawn again, so
// what a failure leaves behind is never listed with another group.
//
// # Versions and leases
//
// Every versioned write is conditioned on ver = the version read (and, for
// new items, attribute_not_exists(pk)); when a transaction is cancelled,
// the first condition that failed says which error it is, after one
// consistent read of that item to tell missing (store.ErrNotFound) from
// stale (store.ErrVersionConflict). A lease is two attributes of #HEAD:
// Claim is an UpdateItem on attribute_not_exists(lo) OR lo = :owner OR
// le <= :now; Release removes them on lo = :owner. A commit made under a
// lease carries lo = :owner AND le > :now in the same transaction, so an
// owner whose lease expired cannot write even if its clock is late in
// reading it.
//
// Events get their Seq from lastSeq on #HEAD: a commit with events sets
// lastSeq = old + n on the condition lastSeq = old (retrying on a race with
// another writer of events) and puts the event items; ListEvents reads no
// further than lastSeq, so events of a commit that did not complete are
// never seen, and are overwritten by the next commit's.
//
// # One active execution per plan
//
// LOCK#<plan id> names the plan's active execution. CreateExecution of an
// active execution puts it on attribute_not_exists(pk) in the same
// transaction as the header; a commit that makes an execution final
// deletes it (on executionId = :id), and one that makes a final execution
// active again puts it, both in the commit's transaction. The commit knows
// which, because it reads the header it is replacing and conditions the
// write on that header's version.
//
// # Transactions and the 100-item limit
//
// TransactWriteItems takes at most 100 items. A commit of up to 100 items
// (its records, events, header or a ConditionCheck on it, lock and frozen
// item) is one transaction: all or nothing, as the contract says. A larger
// commit is written in chunks: first every record's version is read
// (BatchGetItem, consistent) and checked, so that a stale or missing record
// refuses the whole commit before anything is written; then chunks of 99
// records each go with a ConditionCheck on #HEAD (the lease, the header's
// version and lastSeq), and the last chunk carries the header update, the
// lock, the frozen item and the events. So a commit larger than 100 items
// is atomic against every failure the checks can see, but not against a
// crash or a concurrent writer of the same records between two chunks:
// then the records of the chunks written stay written, each at its new
// version, and the header, the lock and the events are unchanged. The
// engine is the only writer of launches, waves and batches and holds the
// lease, and it reloads an execution from the store after any failed
// commit, so what it meets then is a consistent, if partial, step; the
// header's own state never moves without the last chunk.
//
// CreateExecution of more than 100 items (3,000 launches are 3,000 items)
// writes the frozen plan, the waves, launches and events first, in
// transactions of 100 each on attribute_not_exists(pk), four at a time,
// and the header and the plan's lock last, in one transaction. Until that
// last one succeeds the execution does not exist: every read starts at
// #HEAD and finds none. If a step fails, the children written are deleted
// again (best effort); if the process dies first, they are left behind
// invisible, under an ID no one else draws.
//
// # Testing
//
// The package's tests, storetest's suite among them, run against DynamoDB
// Local (scripts/dynamodb-local.sh; DRSORCH_TEST_DYNAMODB_ENDPOINT), each on
// a table of its own. They skip without an endpoint, and fail in CI. They do
// not run on dynalite: it has no TransactWriteItems, which every write of
// groups, plans and executions here uses; only Claim and Release would be
// left to test, and those the suite covers on DynamoDB Local.
//
// # Store URL
//
//	dynamodb://[PREFIX]?prefix=PREFIX&region=REGION&endpoint=URL
//
// PREFIX (default "drsorch") names the table; region and endpoint default
// to the AWS SDK's resolution (AWS_REGION, AWS_ENDPOINT_URL_DYNAMODB). An
// endpoint on a loopback address (DynamoDB Local) is given fixed
// credentials unless AWS_ACCESS_KEY_ID is set. Open does not create the
// table: CreateTables (drsorch store init) does.
package dynamostore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/drsorch/drsorch/internal/store"
)

var _ store.Store = (*Store)(nil)

// Index names.
const (
	indexCreated    = "byCreated"
	indexPlan       = "byPlan"
	indexActionable = "byActionable"
)

// maxTxItems is DynamoDB's limit on the items of one transaction.
const maxTxItems = 100

// dynamoAPI lists the DynamoDB operations the Store calls, with the SDK's
// own signatures. It is the list the IAM policy in deploy/ must match:
// TestIAMPolicyMatchesOperations (internal/drs) compares the two.
type dynamoAPI interface {
	CreateTable(context.Context, *dynamodb.CreateTableInput, ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
	DescribeTable(context.Context, *dynamodb.DescribeTableInput, ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
	DeleteTable(context.Context, *dynamodb.DeleteTableInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteTableOutput, error)
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	BatchGetItem(context.Context, *dynamodb.BatchGetItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
	BatchWriteItem(context.Context, *dynamodb.BatchWriteItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
	TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

var _ dynamoAPI = (*dynamodb.Client)(nil)

// Store is a store.Store on one DynamoDB table.
type Store struct {
	db    dynamoAPI
	table string
	// now is the clock for timestamps the store fills in.
	now func() time.Time
}

// Config is what Open reads from a store URL.
type Config struct {
	Prefix   string
	Region   string
	Endpoint string
}

// ParseURL reads a dynamodb:// store URL.
func ParseURL(raw string) (Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Config{}, fmt.Errorf("store url %q: %w", raw, err)
	}
	if u.Scheme != "dynamodb" {
		return Config{}, fmt.Errorf("store url %q: scheme is not dynamodb", raw)
	}
	q := u.Query()
	for k := range q {
		switch k {
		case "prefix", "region", "endpoint":
		default:
			return Config{}, fmt.Errorf("store url %q: unknown parameter %q", raw, k)
		}
	}
	c := Config{Prefix: u.Host, Region: q.Get("region"), Endpoint: q.Get("endpoint")}
	if p := q.Get("prefix"); p != "" {
		if c.Prefix != "" && c.Prefix != p {
			return Config{}, fmt.Errorf("store url %q: two prefixes", raw)
		}
		c.Prefix = p
	}
	if c.Prefix == "" {
		c.Prefix = "drsorch"
	}
	// Table names: 3..255 of [a-zA-Z0-9_.-]; "-store" is added.
	for _, r := range c.Prefix {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_.-", r)) {
			return Config{}, fmt.Errorf("store url %q: prefix %q: only letters, digits, '_', '.' and '-'", raw, c.Prefix)
		}
	}
	if len(c.Prefix) > 200 {
		return Config{}, fmt.Errorf("store url %q: prefix longer than 200 characters", raw)
	}
	return c, nil
}

// Open connects to the store a dynamodb:// URL names. It makes no request.
func Open(ctx context.Context, rawURL string) (*Store, error) {
	return open(ctx, rawURL)
}

// open is Open with options for the SDK client (tests add middleware).
func open(ctx context.Context, rawURL string, optFns ...func(*dynamodb.Options)) (*Store, error) {
	c, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	var opts []func(*config.LoadOptions) error
	if c.Region != "" {
		opts = append(opts, config.WithRegion(c.Region))
	}
	if c.Endpoint != "" && loopback(c.Endpoint) && os.Getenv("AWS_ACCESS_KEY_ID") == "" {
		// DynamoDB Local checks that requests are signed, not by whom; it
		// takes only letters and digits in a key ID.
		opts = append(opts, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider("drsorchlocal", "drsorchlocal", "")))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("open store: load aws config: %w", err)
	}
	if awsCfg.Region == "" {
		return nil, fmt.Errorf("open store: no region: set region= in the store URL or AWS_REGION")
	}
	db := dynamodb.NewFromConfig(awsCfg, append([]func(*dynamodb.Options){func(o *dynamodb.Options) {
		if c.Endpoint != "" {
			o.BaseEndpoint = aws.String(c.Endpoint)
		}
		var hc aws.HTTPClient = awsCfg.HTTPClient
		if hc == nil {
			hc = awshttp.NewBuildableClient()
		}
		o.HTTPClient = bufferedBodies{next: hc}
	}}, optFns...)...)
	return &Store{db: db, table: c.Prefix + "-store", now: time.Now}, nil
}

// loopback reports whether an endpoint URL names a loopback host.
func loopback(endpoint string) bool {
	u, err := url.Parse(endpoint)
	if err != nil {
		return false
	}
	if u.Hostname() == "localhost" {
		return true
	}
	ip := net.ParseIP(u.Hostname())
	return ip != nil && ip.IsLoopback()
}

// bufferedBodies gives the HTTP client a request body of its own: smithy-go
// closes the body it hands over once response headers arrive, and net/http
// may read it once more after that, which on a fast loopback peer makes the
// transport drop the connection under the response. Store requests are at
// most a few megabytes of JSON.
type bufferedBodies struct {
	next aws.HTTPClient
}

func (b bufferedBodies) Do(r *http.Request) (*http.Response, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return b.next.Do(r)
	}
	data, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("buffer request body: %w", err)
	}
	r2 := r.Clone(r.Context())
	r2.Body = io.NopCloser(bytes.NewReader(data))
	r2.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	r2.ContentLength = int64(len(data))
	return b.next.Do(r2)
}

// Table is the name of the store's table.
func (s *Store) Table() string { return s.table }

// Close releases nothing: the SDK client holds no resources that need it.
func (s *Store) Close() error { return nil }

// TableInput is the definition of the store's table named table, as
// CreateTables creates it; deploy/drsorch.yaml declares the same table,
// and a test there compares the two.
func TableInput(table string) *dynamodb.CreateTableInput {
	str := types.ScalarAttributeTypeS
	attrs := []types.AttributeDefinition{}
	for _, a := range []string{"pk", "sk", "g1pk", "g1sk", "g2pk", "g2sk", "g3pk", "g3sk"} {
		attrs = append(attrs, types.AttributeDefinition{AttributeName: aws.String(a), AttributeType: str})
	}
	gsi := func(name, pk, sk string) types.GlobalSecondaryIndex {
		return types.GlobalSecondaryIndex{
			IndexName: aws.String(name),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String(pk), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String(sk), KeyType: types.KeyTypeRange},
			},
			// Keys and what the list filters on: writing a header then
			// rewrites an index item only when its status changes.
			Projection: &types.Projection{
				ProjectionType:   types.ProjectionTypeInclude,
				NonKeyAttributes: []string{"status", "g3pk"},
			},
		}
	}
	return &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		AttributeDefinitions: attrs,
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange},
		},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{
			gsi(indexCreated, "g1pk", "g1sk"),
			gsi(indexPlan, "g2pk", "g2sk"),
			gsi(indexActionable, "g3pk", "g3sk"),
		},
		BillingMode: types.BillingModePayPerRequest,
	}
}

// CreateTables creates the table and its indexes when absent and waits
// until it is active. It is idempotent.
func (s *Store) CreateTables(ctx context.Context) error {
	_, err := s.db.CreateTable(ctx, TableInput(s.table))
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("create table %s: %w", s.table, err)
	}
	w := dynamodb.NewTableExistsWaiter(s.db, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = 200 * time.Millisecond
		o.MaxDelay = 5 * time.Second
	})
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(s.table)}, 5*time.Minute); err != nil {
		return fmt.Errorf("wait for table %s: %w", s.table, err)
	}
	return nil
}

// DeleteTables deletes the store's table (tests clean up with it).
func (s *Store) DeleteTables(ctx context.Context) error {
	_, err := s.db.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(s.table)})
	var nf *types.ResourceNotFoundException
	if err != nil && !errors.As(err, &nf) {
		return fmt.Errorf("delete table %s: %w", s.table, err)
	}
	return nil
}

// Attribute values.

func avS(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func avN(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}
func avB(v []byte) types.AttributeValue { return &types.AttributeValueMemberB{Value: v} }

// key is the primary key of an item.
func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": avS(pk), "sk": avS(sk)}
}

// getS, getN and getB read an item's attributes; a missing or mistyped
// attribute reads as the zero value.
func getS(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func getN(item map[string]types.AttributeValue, name string) int64 {
	if v, ok := item[name].(*types.AttributeValueMemberN); ok {
		n, _ := strconv.ParseInt(v.Value, 10, 64)
		return n
	}
	return 0
}

func getB(item map[string]types.AttributeValue, name string) []byte {
	if v, ok := item[name].(*types.AttributeValueMemberB); ok {
		return v.Value
	}
	return nil
}

// getItem reads one item consistently; nil when it does not exist.
func (s *Store) getItem(ctx context.Context, k map[string]types.AttributeValue) (map[string]types.AttributeValue, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.table), Key: k, ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, err
	}
	if len(out.Item) == 0 {
		return nil, nil
	}
	return out.Item, nil
}

// txItem is one item of a transaction and what it means when its
// condition fails.
type txItem struct {
	w types.TransactWriteItem
	// failed explains a failed condition; nil means the condition cannot
	// fail (the item has none).
	failed func(ctx context.Context) error
}

// errRetry asks the caller of transact to start over: a condition failed
// on something that moves under it (lastSeq), not on the caller's data.
var errRetry = errors.New("retry")

// transactAttempts bounds the retries of a transaction cancelled by a
// conflict with another transaction on the same items.
const transactAttempts = 8

// transact writes items in one transaction. A failed condition becomes
// the error its item's failed gives, that of the first item whose
// condition failed, so callers put the items whose failures matter most
// first. A cancellation by a conflicting transaction is retried.
func (s *Store) transact(ctx context.Context, items []txItem) error {
	ws := make([]types.TransactWriteItem, len(items))
	for i := range items {
		ws[i] = items[i].w
	}
	for attempt := 1; ; attempt++ {
		_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: ws})
		var tc *types.TransactionCanceledException
		if !errors.As(err, &tc) {
			return err
		}
		conflict := false
		for i, r := range tc.CancellationReasons {
			switch aws.ToString(r.Code) {
			case "ConditionalCheckFailed":
				if i < len(items) && items[i].failed != nil {
					return items[i].failed(ctx)
				}
				return fmt.Errorf("condition failed on item %d: %w", i, err)
			case "TransactionConflict":
				conflict = true
			}
		}
		if !conflict || attempt == transactAttempts {
			return err
		}
		// Another transaction holds some of the items: let it finish.
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt*attempt) * 5 * time.Millisecond):
		}
	}
}

// conditionFailed reports whether err is a failed condition of a single
// (non-transactional) write.
func conditionFailed(err error) bool {
	var cf *types.ConditionalCheckFailedException
	return errors.As(err, &cf)
}

// clampLimit applies store.ListOptions' default and cap.
func clampLimit(n int) int {
	switch {
	case n <= 0:
		return 50
	case n > 1000:
		return 1000
	}
	return n
}

// nanos is t as Unix nanoseconds, with 0 for the zero time.
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// fromNanos is the inverse of nanos.
func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}
