package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/drsorch/drsorch/internal/store"
	"github.com/drsorch/drsorch/internal/store/dynamostore"
)

func TestStoreInitErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"store"}, "want a subcommand"},
		{[]string{"store", "drop"}, `unknown subcommand "drop"`},
		{[]string{"store", "init"}, "--store is required"},
		{[]string{"store", "init", "--store", "postgres:db"}, "want dynamodb://"},
		{[]string{"store", "init", "--store", "dynamodb://?tabel=x"}, `unknown parameter "tabel"`},
		{[]string{"store", "init", "--store", "dynamodb://", "extra"}, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		err := run(t.Context(), tt.args, &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: %v, want an error containing %q", tt.args, err, tt.want)
		}
	}
}

// TestStoreInit creates a table twice, the second time changing nothing.
func TestStoreInit(t *testing.T) {
	endpoint := os.Getenv("DRSORCH_TEST_DYNAMODB_ENDPOINT")
	if endpoint == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("DRSORCH_TEST_DYNAMODB_ENDPOINT is not set; .ci/run starts DynamoDB Local and sets it")
		}
		t.Skip("DRSORCH_TEST_DYNAMODB_ENDPOINT not set (scripts/dynamodb-local.sh start)")
	}
	prefix := fmt.Sprintf("init-%d-%d", os.Getpid(), time.Now().UnixNano()%1e9)
	url := fmt.Sprintf("dynamodb://%s?region=us-east-1&endpoint=%s", prefix, endpoint)
	for i := range 2 {
		var out, errOut bytes.Buffer
		if err := run(t.Context(), []string{"store", "init", "--store", url}, &out, &errOut); err != nil {
			t.Fatalf("init %d: %v\n%s", i+1, err, errOut.String())
		}
		if want := "table " + prefix + "-store ready\n"; out.String() != want {
			t.Errorf("init %d printed %q, want %q", i+1, out.String(), want)
		}
	}
	st, err := dynamostore.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.DeleteTables(t.Context())
	// The table is usable: a store on it lists nothing.
	page, err := st.ListGroups(t.Context(), store.ListOptions{})
	if err != nil || len(page.Items) != 0 {
		t.Errorf("list groups on the new table: %d items, %v; want none", len(page.Items), err)
	}
}
