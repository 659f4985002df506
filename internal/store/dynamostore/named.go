package dynamostore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
)

// Groups and plans are stored alike: in the kind's partition, one item
// keyed by name holding the record, and one keyed by ID naming it. kind
// describes one of them.
type kind[T any] struct {
	pk     string // the partition, and the name of its list in page tokens
	what   string // for error messages
	prefix string // of new IDs
	fields func(*T) fields
	// deleted, when set, removes what belongs to a record once it is
	// deleted.
	deleted func(s *Store, ctx context.Context, id string)
}

// fields points at the fields of a record the store reads or sets.
type fields struct {
	id, name         *string
	version          *int64
	created, updated *time.Time
}

var groups = kind[plan.ProtectionGroup]{
	pk:     "GROUP",
	what:   "group",
	prefix: plan.PrefixGroup,
	fields: func(g *plan.ProtectionGroup) fields {
		return fields{&g.ID, &g.Name, &g.Version, &g.CreatedAt, &g.UpdatedAt}
	},
	deleted: (*Store).deleteAppliedSettings,
}

var plans = kind[plan.RecoveryPlan]{
	pk:     "PLAN",
	what:   "plan",
	prefix: plan.PrefixPlan,
	fields: func(p *plan.RecoveryPlan) fields {
		return fields{&p.ID, &p.Name, &p.Version, &p.CreatedAt, &p.UpdatedAt}
	},
}

func nameKey(name string) string { return "N#" + name }
func idKey(id string) string     { return "I#" + id }

// recordItem is the item of a record under its name.
func (k kind[T]) recordItem(id, name string, version int64, data []byte) map[string]types.AttributeValue {
	item := key(k.pk, nameKey(name))
	item["id"], item["ver"], item["data"] = avS(id), avN(version), avB(data)
	return item
}

// idItem is the item that points from an ID to its record.
func (k kind[T]) idItem(id, name string) map[string]types.AttributeValue {
	item := key(k.pk, idKey(id))
	item["name"] = avS(name)
	return item
}

func (k kind[T]) create(ctx context.Context, s *Store, v *T) error {
	// Work on a copy so that the caller's value changes only on success.
	c := *v
	f := k.fields(&c)
	if *f.id == "" {
		*f.id = plan.NewID(k.prefix)
	}
	if f.created.IsZero() {
		now := s.now().UTC()
		*f.created, *f.updated = now, now
	}
	*f.version = 1
	data, err := json.Marshal(&c)
	if err != nil {
		return fmt.Errorf("create %s %q: encode: %w", k.what, *f.name, err)
	}
	exists := func(context.Context) error { return store.ErrExists }
	err = s.transact(ctx, []txItem{
		{w: types.TransactWriteItem{Put: &types.Put{
			TableName: aws.String(s.table), Item: k.recordItem(*f.id, *f.name, 1, data),
			ConditionExpression: aws.String("attribute_not_exists(pk)"),
		}}, failed: exists},
		{w: types.TransactWriteItem{Put: &types.Put{
			TableName: aws.String(s.table), Item: k.idItem(*f.id, *f.name),
			ConditionExpression: aws.String("attribute_not_exists(pk)"),
		}}, failed: exists},
	})
	if err != nil {
		return fmt.Errorf("create %s %q: %w", k.what, *f.name, err)
	}
	*v = c
	return nil
}

// decode reads a record item.
func (k kind[T]) decode(item map[string]types.AttributeValue) (*T, error) {
	v := new(T)
	if err := json.Unmarshal(getB(item, "data"), v); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	*k.fields(v).version = getN(item, "ver")
	return v, nil
}

// byID reads the record an ID names: its name, then its item. A record
// renamed between the two reads is read again.
func (k kind[T]) byID(ctx context.Context, s *Store, id string) (map[string]types.AttributeValue, error) {
	for range 3 {
		ptr, err := s.getItem(ctx, key(k.pk, idKey(id)))
		if err != nil {
			return nil, err
		}
		if ptr == nil {
			return nil, store.ErrNotFound
		}
		item, err := s.getItem(ctx, key(k.pk, nameKey(getS(ptr, "name"))))
		if err != nil {
			return nil, err
		}
		if item != nil && getS(item, "id") == id {
			return item, nil
		}
	}
	return nil, store.ErrNotFound
}

func (k kind[T]) get(ctx context.Context, s *Store, id string) (*T, error) {
	item, err := k.byID(ctx, s, id)
	if err != nil {
		return nil, fmt.Errorf("get %s %q: %w", k.what, id, err)
	}
	v, err := k.decode(item)
	if err != nil {
		return nil, fmt.Errorf("get %s %q: %w", k.what, id, err)
	}
	return v, nil
}

func (k kind[T]) getByName(ctx context.Context, s *Store, name string) (*T, error) {
	item, err := s.getItem(ctx, key(k.pk, nameKey(name)))
	if err == nil && item == nil {
		err = store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get %s %q: %w", k.what, name, err)
	}
	v, err := k.decode(item)
	if err != nil {
		return nil, fmt.Errorf("get %s %q: %w", k.what, name, err)
	}
	return v, nil
}

func (k kind[T]) list(ctx context.Context, s *Store, opts store.ListOptions) (store.Page[T], error) {
	after, paged, err := decodeToken(opts.NextToken, k.pk)
	if err != nil {
		return store.Page[T]{}, fmt.Errorf("list %ss: %w", k.what, err)
	}
	limit := clampLimit(opts.Limit)
	in := &dynamodb.QueryInput{
		TableName:              aws.String(s.table),
		KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :n)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": avS(k.pk), ":n": avS("N#"),
		},
		ConsistentRead: aws.Bool(true),
	}
	if paged {
		in.ExclusiveStartKey = key(k.pk, nameKey(after.Name))
	}
	// One item more than the page tells whether another page follows.
	var page store.Page[T]
	for {
		in.Limit = aws.Int32(int32(limit + 1 - len(page.Items)))
		out, err := s.db.Query(ctx, in)
		if err != nil {
			return store.Page[T]{}, fmt.Errorf("list %ss: %w", k.what, err)
		}
		for _, item := range out.Items {
			v, err := k.decode(item)
			if err != nil {
				return store.Page[T]{}, fmt.Errorf("list %ss: %w", k.what, err)
			}
			page.Items = append(page.Items, *v)
		}
		if len(out.LastEvaluatedKey) == 0 || len(page.Items) > limit {
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		last := k.fields(&page.Items[limit-1])
		page.NextToken = encodeToken(cursor{List: k.pk, Name: *last.name})
	}
	return page, nil
}

func (k kind[T]) update(ctx context.Context, s *Store, v *T) error {
	c := *v
	f := k.fields(&c)
	read := *f.version
	err := k.doUpdate(ctx, s, &c, f, read)
	if err != nil {
		return fmt.Errorf("update %s %q: %w", k.what, *f.id, err)
	}
	*v = c
	return nil
}

func (k kind[T]) doUpdate(ctx context.Context, s *Store, c *T, f fields, read int64) error {
	item, err := k.byID(ctx, s, *f.id)
	if err != nil {
		return err
	}
	if getN(item, "ver") != read {
		return store.ErrVersionConflict
	}
	stored, err := k.decode(item)
	if err != nil {
		return err
	}
	oldName := *k.fields(stored).name
	*f.created = *k.fields(stored).created
	*f.updated = s.now().UTC()
	*f.version = read + 1
	data, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}

	stale := func(ctx context.Context) error {
		if _, err := k.byID(ctx, s, *f.id); err != nil {
			return err
		}
		return store.ErrVersionConflict
	}
	versioned := map[string]types.AttributeValue{":v": avN(read), ":id": avS(*f.id)}
	if oldName == *f.name {
		return s.transact(ctx, []txItem{{w: types.TransactWriteItem{Put: &types.Put{
			TableName: aws.String(s.table), Item: k.recordItem(*f.id, *f.name, read+1, data),
			ConditionExpression:       aws.String("ver = :v AND id = :id"),
			ExpressionAttributeValues: versioned,
		}}, failed: stale}})
	}
	// A rename moves the record to its new name's item.
	return s.transact(ctx, []txItem{
		{w: types.TransactWriteItem{Delete: &types.Delete{
			TableName: aws.String(s.table), Key: key(k.pk, nameKey(oldName)),
			ConditionExpression:       aws.String("ver = :v AND id = :id"),
			ExpressionAttributeValues: versioned,
		}}, failed: stale},
		{w: types.TransactWriteItem{Update: &types.Update{
			TableName: aws.String(s.table), Key: key(k.pk, idKey(*f.id)),
			UpdateExpression:          aws.String("SET #n = :new"),
			ConditionExpression:       aws.String("#n = :old"),
			ExpressionAttributeNames:  map[string]string{"#n": "name"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":new": avS(*f.name), ":old": avS(oldName)},
		}}, failed: stale},
		{w: types.TransactWriteItem{Put: &types.Put{
			TableName: aws.String(s.table), Item: k.recordItem(*f.id, *f.name, read+1, data),
			ConditionExpression: aws.String("attribute_not_exists(pk)"),
		}}, failed: func(context.Context) error { return store.ErrExists }},
	})
}

func (k kind[T]) delete(ctx context.Context, s *Store, id string, version int64) error {
	err := func() error {
		item, err := k.byID(ctx, s, id)
		if err != nil {
			return err
		}
		if getN(item, "ver") != version {
			return store.ErrVersionConflict
		}
		name := getS(item, "sk")[len("N#"):]
		stale := func(ctx context.Context) error {
			if _, err := k.byID(ctx, s, id); err != nil {
				return err
			}
			return store.ErrVersionConflict
		}
		return s.transact(ctx, []txItem{
			{w: types.TransactWriteItem{Delete: &types.Delete{
				TableName: aws.String(s.table), Key: key(k.pk, nameKey(name)),
				ConditionExpression:       aws.String("ver = :v AND id = :id"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":v": avN(version), ":id": avS(id)},
			}}, failed: stale},
			{w: types.TransactWriteItem{Delete: &types.Delete{
				TableName: aws.String(s.table), Key: key(k.pk, idKey(id)),
				ConditionExpression:       aws.String("#n = :name"),
				ExpressionAttributeNames:  map[string]string{"#n": "name"},
				ExpressionAttributeValues: map[string]types.AttributeValue{":name": avS(name)},
			}}, failed: stale},
		})
	}()
	if err != nil {
		return fmt.Errorf("delete %s %q: %w", k.what, id, err)
	}
	if k.deleted != nil {
		k.deleted(s, ctx, id)
	}
	return nil
}

// CreateGroup stores a new protection group with Version 1.
func (s *Store) CreateGroup(ctx context.Context, g *plan.ProtectionGroup) error {
	return groups.create(ctx, s, g)
}

// GetGroup returns the group with the given ID.
func (s *Store) GetGroup(ctx context.Context, id string) (*plan.ProtectionGroup, error) {
	return groups.get(ctx, s, id)
}

// GetGroupByName returns the group with the given name.
func (s *Store) GetGroupByName(ctx context.Context, name string) (*plan.ProtectionGroup, error) {
	return groups.getByName(ctx, s, name)
}

// ListGroups returns one page of groups ordered by name.
func (s *Store) ListGroups(ctx context.Context,
	opts store.ListOptions) (store.Page[plan.ProtectionGroup], error) {
	return groups.list(ctx, s, opts)
}

// UpdateGroup replaces a group read at g.Version.
func (s *Store) UpdateGroup(ctx context.Context, g *plan.ProtectionGroup) error {
	return groups.update(ctx, s, g)
}

// DeleteGroup deletes a group read at version.
func (s *Store) DeleteGroup(ctx context.Context, id string, version int64) error {
	return groups.delete(ctx, s, id, version)
}

// CreatePlan stores a new recovery plan with Version 1.
func (s *Store) CreatePlan(ctx context.Context, p *plan.RecoveryPlan) error {
	return plans.create(ctx, s, p)
}

// GetPlan returns the plan with the given ID.
func (s *Store) GetPlan(ctx context.Context, id string) (*plan.RecoveryPlan, error) {
	return plans.get(ctx, s, id)
}

// GetPlanByName returns the plan with the given name.
func (s *Store) GetPlanByName(ctx context.Context, name string) (*plan.RecoveryPlan, error) {
	return plans.getByName(ctx, s, name)
}

// ListPlans returns one page of plans ordered by name.
func (s *Store) ListPlans(ctx context.Context,
	opts store.ListOptions) (store.Page[plan.RecoveryPlan], error) {
	return plans.list(ctx, s, opts)
}

// UpdatePlan replaces a plan read at p.Version.
func (s *Store) UpdatePlan(ctx context.Context, p *plan.RecoveryPlan) error {
	return plans.update(ctx, s, p)
}

// DeletePlan deletes a plan read at version.
func (s *Store) DeletePlan(ctx context.Context, id string, version int64) error {
	return plans.delete(ctx, s, id, version)
}
