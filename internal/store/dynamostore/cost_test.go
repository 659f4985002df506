package dynamostore

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
)

// usage is what a counter saw: requests, items written and read, the
// capacity DynamoDB reported (DynamoDB Local's figures are rough: it
// reports no read capacity at all), and the capacity DynamoDB's pricing
// rules give for the items' sizes (EstWCU, EstRCU: a transactional write
// is 2 units per KB of each item, a consistent read 1 unit per 4 KB).
type usage struct {
	Requests, Written, Checked, Read int
	WCU, RCU                         float64
	EstWCU, EstRCU                   float64
	BytesRead                        int
}

// itemSize is an item's size as DynamoDB bills it, near enough: names and
// values, numbers at about half their digits.
func itemSize(item map[string]types.AttributeValue) int {
	n := 0
	for k, v := range item {
		n += len(k)
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			n += len(v.Value)
		case *types.AttributeValueMemberN:
			n += len(v.Value)/2 + 1
		case *types.AttributeValueMemberB:
			n += len(v.Value)
		default:
			n++
		}
	}
	return n
}

// units is size in billing units of unit bytes, at least one.
func units(size, unit int) float64 {
	return float64(max(1, (size+unit-1)/unit))
}

// counter counts the items of every request of an SDK client, and asks
// DynamoDB for the capacity they consumed.
type counter struct {
	mu sync.Mutex
	u  usage
}

func (c *counter) take() usage {
	c.mu.Lock()
	defer c.mu.Unlock()
	u := c.u
	c.u = usage{}
	return u
}

func (c *counter) option(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("countItems",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (
				middleware.InitializeOutput, middleware.Metadata, error) {
				total := types.ReturnConsumedCapacityTotal
				var (
					written, checked int
					estW             float64
				)
				switch v := in.Parameters.(type) {
				case *dynamodb.GetItemInput:
					v.ReturnConsumedCapacity = total
				case *dynamodb.QueryInput:
					v.ReturnConsumedCapacity = total
				case *dynamodb.BatchGetItemInput:
					v.ReturnConsumedCapacity = total
				case *dynamodb.UpdateItemInput:
					// The header items updated alone (leases) are small.
					v.ReturnConsumedCapacity = total
					written, estW = 1, 1
				case *dynamodb.PutItemInput:
					v.ReturnConsumedCapacity = total
					written, estW = 1, units(itemSize(v.Item), 1024)
				case *dynamodb.BatchWriteItemInput:
					v.ReturnConsumedCapacity = total
					for _, reqs := range v.RequestItems {
						written += len(reqs)
						estW += float64(len(reqs))
					}
				case *dynamodb.TransactWriteItemsInput:
					v.ReturnConsumedCapacity = total
					for _, it := range v.TransactItems {
						switch {
						case it.ConditionCheck != nil:
							checked++
							estW += 2
						case it.Put != nil:
							written++
							estW += 2 * units(itemSize(it.Put.Item), 1024)
						case it.Update != nil:
							// Billed on the item's size; launches and
							// headers updated here are under 1 KB.
							written++
							size := 0
							for _, av := range it.Update.ExpressionAttributeValues {
								size += itemSize(map[string]types.AttributeValue{"": av})
							}
							estW += 2 * units(size, 1024)
						default:
							written++
							estW += 2
						}
					}
				}
				out, md, err := next.HandleInitialize(ctx, in)
				var (
					read, bytesRead int
					estR            float64
					caps            []types.ConsumedCapacity
				)
				switch v := out.Result.(type) {
				case *dynamodb.GetItemOutput:
					if len(v.Item) > 0 {
						read, bytesRead = 1, itemSize(v.Item)
					}
					estR = units(bytesRead, 4096)
					caps = append(caps, deref(v.ConsumedCapacity)...)
				case *dynamodb.QueryOutput:
					read = int(v.Count)
					for _, item := range v.Items {
						bytesRead += itemSize(item)
					}
					// A query is billed on the sum of its items' sizes.
					estR = units(bytesRead, 4096)
					caps = append(caps, deref(v.ConsumedCapacity)...)
				case *dynamodb.BatchGetItemOutput:
					for _, items := range v.Responses {
						read += len(items)
						for _, item := range items {
							bytesRead += itemSize(item)
							estR += units(itemSize(item), 4096)
						}
					}
					caps = v.ConsumedCapacity
				case *dynamodb.UpdateItemOutput:
					caps = deref(v.ConsumedCapacity)
				case *dynamodb.PutItemOutput:
					caps = deref(v.ConsumedCapacity)
				case *dynamodb.BatchWriteItemOutput:
					caps = v.ConsumedCapacity
				case *dynamodb.TransactWriteItemsOutput:
					caps = v.ConsumedCapacity
				}
				c.mu.Lock()
				c.u.Requests++
				c.u.Written += written
				c.u.Checked += checked
				c.u.Read += read
				c.u.BytesRead += bytesRead
				c.u.EstWCU += estW
				c.u.EstRCU += estR
				for _, cc := range caps {
					c.u.WCU += aws.ToFloat64(cc.WriteCapacityUnits)
					c.u.RCU += aws.ToFloat64(cc.ReadCapacityUnits)
				}
				c.mu.Unlock()
				return out, md, err
			}), middleware.Before)
	})
}

func deref(c *types.ConsumedCapacity) []types.ConsumedCapacity {
	if c == nil {
		return nil
	}
	return []types.ConsumedCapacity{*c}
}

// bigRun makes an execution of perWave*3 servers in three waves, its
// groups frozen in with every server ID, as the engine's are.
func bigRun(perWave int) (*plan.Execution, []plan.WaveRun, []plan.Launch) {
	e := &plan.Execution{
		ID: plan.NewID(plan.PrefixExecution), PlanID: plan.NewID(plan.PrefixPlan), PlanName: "big",
		Mode: plan.ModeDrill, Status: plan.ExecRunning, Cleanup: plan.CleanupNotStarted,
	}
	var (
		waves    []plan.WaveRun
		launches []plan.Launch
	)
	for w, name := range []string{"db", "app", "web"} {
		waves = append(waves, plan.WaveRun{Index: w, Name: name, Status: plan.WavePending})
		g := plan.ProtectionGroup{ID: plan.NewID(plan.PrefixGroup), Name: name, Region: "us-east-1"}
		for i := range perWave {
			id := fmt.Sprintf("s-%017x", w*100000+i)
			g.SourceServerIDs = append(g.SourceServerIDs, id)
			launches = append(launches, plan.Launch{Wave: name, GroupID: g.ID, SourceServerID: id,
				Region: "us-east-1", Hostname: fmt.Sprintf("%s-%04d", name, i), Status: plan.LaunchPending})
		}
		e.Groups = append(e.Groups, g)
		e.Plan.Waves = append(e.Plan.Waves, plan.Wave{Name: name, ProtectionGroupIDs: []string{g.ID}})
	}
	return e, waves, launches
}

// poll is what one engine round does to an execution with changed
// launches: list the actionable executions, renew the lease, commit the
// changed launches and an event.
func poll(ctx context.Context, s *Store, e *plan.Execution, changed []*plan.Launch, now time.Time) error {
	if _, err := s.ListExecutions(ctx, store.ExecutionFilter{Actionable: true}, store.ListOptions{Limit: 1000}); err != nil {
		return err
	}
	if err := s.Claim(ctx, e.ID, "engine-1", now, now.Add(time.Minute)); err != nil {
		return err
	}
	return commitLaunches(ctx, s, e, changed, now)
}

func commitLaunches(ctx context.Context, s *Store, e *plan.Execution, changed []*plan.Launch, now time.Time) error {
	for _, l := range changed {
		l.Attempts++
	}
	return s.Commit(ctx, &store.Change{ExecutionID: e.ID, Owner: "engine-1", Now: now, Launches: changed,
		Events: []*plan.Event{{Time: now, Type: "launch_progress"}}})
}

// setup creates a big execution and claims it.
func setup(t testing.TB, s *Store, perWave int) (*plan.Execution, []plan.Launch) {
	t.Helper()
	ctx := t.Context()
	e, waves, launches := bigRun(perWave)
	if err := s.CreateExecution(ctx, e, waves, launches, nil); err != nil {
		t.Fatalf("create: %v", err)
	}
	if err := s.Claim(ctx, e.ID, "engine-1", time.Now(), time.Now().Add(time.Hour)); err != nil {
		t.Fatalf("claim: %v", err)
	}
	return e, launches
}

// TestCostFollowsChange checks that what a commit and an engine round
// write does not depend on the size of the execution, only on what
// changed.
func TestCostFollowsChange(t *testing.T) {
	var c counter
	s := newTestStore(t, c.option)
	ctx := t.Context()
	got := map[string]usage{}
	for _, perWave := range []int{100, 1000} {
		e, launches := setup(t, s, perWave)
		changed := []*plan.Launch{}
		for i := range 10 {
			changed = append(changed, &launches[i*7])
		}
		c.take()
		if err := commitLaunches(ctx, s, e, changed, time.Now()); err != nil {
			t.Fatalf("commit: %v", err)
		}
		commit := c.take()
		if err := poll(ctx, s, e, changed, time.Now()); err != nil {
			t.Fatalf("poll: %v", err)
		}
		round := c.take()
		t.Logf("%d servers: commit of 10 launches and an event %+v; engine round %+v", 3*perWave, commit, round)
		got[fmt.Sprint(perWave)+" commit"], got[fmt.Sprint(perWave)+" round"] = commit, round

		// Ten launches, one event and the header's lastSeq; the header
		// read to number the event.
		if commit.Written != 12 || commit.Read != 1 || commit.Requests != 2 {
			t.Errorf("%d servers: commit wrote %d items, read %d in %d requests; want 12, 1, 2",
				3*perWave, commit.Written, commit.Read, commit.Requests)
		}
		// Done with it: the next size's list sees only its own.
		e.Status = plan.ExecCompleted
		if err := s.Commit(ctx, &store.Change{ExecutionID: e.ID, Execution: e}); err != nil {
			t.Fatalf("finish: %v", err)
		}
	}
	if a, b := got["100 round"], got["1000 round"]; a.Written != b.Written || a.Read != b.Read || a.Requests != b.Requests {
		t.Errorf("an engine round costs more on a larger execution: 300 servers %+v, 3000 %+v", a, b)
	}
}

// BenchmarkCommitLaunches is one engine commit of n changed launches and
// an event on a 3,000-server execution: its cost follows n.
func BenchmarkCommitLaunches(b *testing.B) {
	var c counter
	s := newTestStore(b, c.option)
	e, launches := setup(b, s, 1000)
	for _, n := range []int{1, 10, 100} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			changed := []*plan.Launch{}
			for i := range n {
				changed = append(changed, &launches[i*29])
			}
			c.take()
			for b.Loop() {
				if err := commitLaunches(b.Context(), s, e, changed, time.Now()); err != nil {
					b.Fatal(err)
				}
			}
			report(b, c.take())
		})
	}
}

// BenchmarkEngineRound is one engine round on a 3,000-server execution
// with ten changed launches: list, renew, commit.
func BenchmarkEngineRound(b *testing.B) {
	var c counter
	s := newTestStore(b, c.option)
	ctx := b.Context()
	e, launches := setup(b, s, 1000)
	changed := []*plan.Launch{}
	for i := range 10 {
		changed = append(changed, &launches[i*97])
	}
	c.take()
	for b.Loop() {
		if err := poll(ctx, s, e, changed, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
	report(b, c.take())
}

func report(b *testing.B, u usage) {
	n := float64(b.N)
	b.ReportMetric(float64(u.Requests)/n, "requests/op")
	b.ReportMetric(float64(u.Written)/n, "items-written/op")
	b.ReportMetric(float64(u.Checked)/n, "items-checked/op")
	b.ReportMetric(float64(u.Read)/n, "items-read/op")
	b.ReportMetric(u.WCU/n, "WCU/op")
	b.ReportMetric(u.RCU/n, "RCU/op")
	b.ReportMetric(u.EstWCU/n, "estWCU/op")
	b.ReportMetric(u.EstRCU/n, "estRCU/op")
	b.ReportMetric(float64(u.BytesRead)/n, "bytes-read/op")
}
