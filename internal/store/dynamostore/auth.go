package dynamostore

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
)

var (
	_ store.AuthStore  = (*Store)(nil)
	_ store.AuditStore = (*Store)(nil)
)

const (
	pkToken   = "TOKEN"
	pkAudit   = "AUDIT"
	skSession = "#SESSION"
)

func tokenKey(id string) map[string]types.AttributeValue { return key(pkToken, "T#"+id) }
func sessionKey(id string) map[string]types.AttributeValue {
	return key("SESSION#"+id, skSession)
}

// putNew puts item on attribute_not_exists(pk): an existing item is
// store.ErrExists.
func (s *Store) putNew(ctx context.Context, item map[string]types.AttributeValue) error {
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.table), Item: item,
		ConditionExpression: aws.String("attribute_not_exists(pk)"),
	})
	if conditionFailed(err) {
		return store.ErrExists
	}
	return err
}

// withData returns k plus the data attribute holding v's JSON.
func withData(k map[string]types.AttributeValue, v any) (map[string]types.AttributeValue, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	k["data"] = avB(data)
	return k, nil
}

// CreateToken stores a token.
func (s *Store) CreateToken(ctx context.Context, t *store.Token) error {
	item, err := withData(tokenKey(t.ID), t)
	if err == nil {
		err = s.putNew(ctx, item)
	}
	if err != nil {
		return fmt.Errorf("create token %q: %w", t.ID, err)
	}
	return nil
}

// GetToken returns one token.
func (s *Store) GetToken(ctx context.Context, id string) (*store.Token, error) {
	item, err := s.getItem(ctx, tokenKey(id))
	if err == nil && item == nil {
		err = store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get token %q: %w", id, err)
	}
	var t store.Token
	if err := json.Unmarshal(getB(item, "data"), &t); err != nil {
		return nil, fmt.Errorf("decode token %q: %w", id, err)
	}
	return &t, nil
}

// ListTokens returns every token, oldest first.
func (s *Store) ListTokens(ctx context.Context) ([]store.Token, error) {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": avS(pkToken)},
		ConsistentRead:            aws.Bool(true),
	}
	var out []store.Token
	for {
		res, err := s.db.Query(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		for _, item := range res.Items {
			var t store.Token
			if err := json.Unmarshal(getB(item, "data"), &t); err != nil {
				return nil, fmt.Errorf("decode token: %w", err)
			}
			out = append(out, t)
		}
		if len(res.LastEvaluatedKey) == 0 {
			break
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
	// The partition is sorted by ID; the contract wants creation order.
	sortTokens(out)
	return out, nil
}

func sortTokens(ts []store.Token) {
	slices.SortFunc(ts, func(a, b store.Token) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// RevokeToken marks a token revoked at the first time asked: the data is
// read, changed and written back on the condition that it is unchanged.
func (s *Store) RevokeToken(ctx context.Context, id string, at time.Time) error {
	for attempt := 0; attempt < transactAttempts; attempt++ {
		item, err := s.getItem(ctx, tokenKey(id))
		if err == nil && item == nil {
			err = store.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("revoke token %q: %w", id, err)
		}
		old := getB(item, "data")
		var t store.Token
		if err := json.Unmarshal(old, &t); err != nil {
			return fmt.Errorf("decode token %q: %w", id, err)
		}
		if t.RevokedAt != nil {
			return nil
		}
		at := at.UTC()
		t.RevokedAt = &at
		next, err := withData(tokenKey(id), &t)
		if err != nil {
			return fmt.Errorf("revoke token %q: %w", id, err)
		}
		_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: aws.String(s.table), Item: next,
			ConditionExpression:       aws.String("#d = :old"),
			ExpressionAttributeNames:  map[string]string{"#d": "data"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":old": avB(old)},
		})
		if conditionFailed(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("revoke token %q: %w", id, err)
		}
		return nil
	}
	return fmt.Errorf("revoke token %q: changed under every attempt", id)
}

// CreateSession stores a session.
func (s *Store) CreateSession(ctx context.Context, ss *store.Session) error {
	item, err := withData(sessionKey(ss.ID), ss)
	if err == nil {
		item["exp"] = avN(nanos(ss.ExpiresAt))
		err = s.putNew(ctx, item)
	}
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// GetSession returns one session.
func (s *Store) GetSession(ctx context.Context, id string) (*store.Session, error) {
	item, err := s.getItem(ctx, sessionKey(id))
	if err == nil && item == nil {
		err = store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get session: %w", err)
	}
	var ss store.Session
	if err := json.Unmarshal(getB(item, "data"), &ss); err != nil {
		return nil, fmt.Errorf("decode session: %w", err)
	}
	return &ss, nil
}

// DeleteSession removes a session.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: aws.String(s.table), Key: sessionKey(id),
	})
	if err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// auditSK is the sort key of an audit entry.
func auditSK(t time.Time, id string) string {
	return fmt.Sprintf("%020d#%s", t.UnixNano(), id)
}

// RecordAudit appends an audit entry.
func (s *Store) RecordAudit(ctx context.Context, e *store.AuditEntry) error {
	if e.ID == "" {
		e.ID = plan.NewID("au-")
	}
	if e.Time.IsZero() {
		e.Time = s.now()
	}
	e.Time = e.Time.UTC()
	item, err := withData(key(pkAudit, auditSK(e.Time, e.ID)), e)
	if err == nil {
		item["actor"], item["action"] = avS(e.Actor), avS(e.Action)
		err = s.putNew(ctx, item)
	}
	if err != nil {
		return fmt.Errorf("record audit entry: %w", err)
	}
	return nil
}

// auditCursor is the page token of ListAudit: the last entry's sort key.
type auditCursor struct {
	List string `json:"l"`
	SK   string `json:"k"`
}

// ListAudit returns audit entries newest first.
func (s *Store) ListAudit(ctx context.Context, f store.AuditFilter, opts store.ListOptions) (store.Page[store.AuditEntry], error) {
	in := &dynamodb.QueryInput{
		TableName:        aws.String(s.table),
		ScanIndexForward: aws.Bool(false),
		ConsistentRead:   aws.Bool(true),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": avS(pkAudit),
		},
	}
	// Keys sort as text: 20 digits of nanoseconds, then '#' and the ID.
	lo, hi := "0", "~"
	if !f.From.IsZero() {
		lo = fmt.Sprintf("%020d", f.From.UnixNano())
	}
	if !f.To.IsZero() {
		hi = fmt.Sprintf("%020d", f.To.UnixNano())
	}
	in.KeyConditionExpression = aws.String("pk = :pk AND sk BETWEEN :lo AND :hi")
	in.ExpressionAttributeValues[":lo"], in.ExpressionAttributeValues[":hi"] = avS(lo), avS(hi)
	var filters []string
	if f.Actor != "" {
		filters = append(filters, "actor = :actor")
		in.ExpressionAttributeValues[":actor"] = avS(f.Actor)
	}
	if f.Action != "" {
		filters = append(filters, "#a = :action")
		in.ExpressionAttributeValues[":action"] = avS(f.Action)
		in.ExpressionAttributeNames = map[string]string{"#a": "action"}
	}
	if len(filters) > 0 {
		in.FilterExpression = aws.String(strings.Join(filters, " AND "))
	}
	if opts.NextToken != "" {
		var c auditCursor
		b, err := base64.RawURLEncoding.DecodeString(opts.NextToken)
		if err == nil {
			err = json.Unmarshal(b, &c)
		}
		if err != nil || c.List != pkAudit || c.SK == "" {
			return store.Page[store.AuditEntry]{}, fmt.Errorf("list audit: %w: %q", store.ErrInvalidToken, opts.NextToken)
		}
		in.ExclusiveStartKey = key(pkAudit, c.SK)
	}

	limit := clampLimit(opts.Limit)
	var page store.Page[store.AuditEntry]
	for {
		// A filter applies after Limit: read on until the page is full.
		in.Limit = aws.Int32(int32(limit + 1 - len(page.Items)))
		out, err := s.db.Query(ctx, in)
		if err != nil {
			return store.Page[store.AuditEntry]{}, fmt.Errorf("list audit: %w", err)
		}
		for _, item := range out.Items {
			var e store.AuditEntry
			if err := json.Unmarshal(getB(item, "data"), &e); err != nil {
				return store.Page[store.AuditEntry]{}, fmt.Errorf("decode audit entry: %w", err)
			}
			page.Items = append(page.Items, e)
		}
		if len(out.LastEvaluatedKey) == 0 || len(page.Items) > limit {
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		last := page.Items[limit-1]
		b, _ := json.Marshal(auditCursor{List: pkAudit, SK: auditSK(last.Time, last.ID)})
		page.NextToken = base64.RawURLEncoding.EncodeToString(b)
	}
	return page, nil
}
