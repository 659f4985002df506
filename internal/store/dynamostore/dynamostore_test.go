package dynamostore

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/drsorch/drsorch/internal/store"
	"github.com/drsorch/drsorch/internal/store/storetest"
)

// endpoint returns the DynamoDB Local endpoint the tests run against. The
// tests skip without one, except in CI (CI=true), where .ci/run starts
// DynamoDB Local and a missing endpoint is a broken setup.
func endpoint(t testing.TB) string {
	t.Helper()
	ep := os.Getenv("DRSORCH_TEST_DYNAMODB_ENDPOINT")
	if ep == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("DRSORCH_TEST_DYNAMODB_ENDPOINT is not set; .ci/run starts DynamoDB Local and sets it")
		}
		t.Skip("DRSORCH_TEST_DYNAMODB_ENDPOINT not set (scripts/dynamodb-local.sh start)")
	}
	return ep
}

var tables atomic.Int64

// newTestStore opens a store on a table of its own, created now and
// deleted when the test ends.
func newTestStore(t testing.TB, optFns ...func(*dynamodb.Options)) *Store {
	t.Helper()
	ep := endpoint(t)
	prefix := fmt.Sprintf("test-%d-%d-%d", os.Getpid(), time.Now().UnixNano()%1e9, tables.Add(1))
	s, err := open(t.Context(), fmt.Sprintf("dynamodb://%s?region=us-east-1&endpoint=%s", prefix, ep), optFns...)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	if err := s.CreateTables(t.Context()); err != nil {
		t.Fatalf("create tables: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := s.DeleteTables(ctx); err != nil {
			t.Errorf("delete tables: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return newTestStore(t) })
}
