package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/drs"
	"github.com/aws/aws-sdk-go-v2/service/drs/types"

	"github.com/drsorch/drsorch/internal/drssim"
)

// addrWatcher collects log output and hands over the listen address once
// it has been logged.
type addrWatcher struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	addr chan string
	sent bool
}

var listenLine = regexp.MustCompile(`msg="drs emulator listening".* addr=(\S+)`)

func (w *addrWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if m := listenLine.FindSubmatch(w.buf.Bytes()); m != nil && !w.sent {
		w.sent = true
		w.addr <- string(m[1])
	}
	return len(p), nil
}

func (w *addrWatcher) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func TestSimCommand(t *testing.T) {
	t.Setenv("DRSORCH_SEED", "5")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	stderr := &addrWatcher{addr: make(chan string, 1)}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"sim", "--listen", "127.0.0.1:0", "--servers", "12",
			"--region", "eu-west-1", "--faults", "failnext=DescribeJobs:1"}, &bytes.Buffer{}, stderr)
	}()

	var addr string
	select {
	case addr = <-stderr.addr:
	case err := <-done:
		t.Fatalf("sim exited early: %v\n%s", err, stderr)
	case <-time.After(10 * time.Second):
		t.Fatalf("no listen address logged:\n%s", stderr)
	}

	client := drs.New(drs.Options{
		Region:           "eu-west-1",
		BaseEndpoint:     aws.String("http://" + addr),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDLOCAL", "secretlocal", ""),
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{Transport: drssim.BufferedBodies(&http.Transport{})},
	})
	out, err := client.DescribeSourceServers(ctx, &drs.DescribeSourceServersInput{})
	if err != nil {
		t.Fatalf("describe source servers: %v", err)
	}
	if len(out.Items) != 12 {
		t.Errorf("got %d servers, want 12", len(out.Items))
	}
	wantPrefix := "arn:aws:drs:eu-west-1:123456789012:source-server/"
	if arn := aws.ToString(out.Items[0].Arn); len(arn) < len(wantPrefix) || arn[:len(wantPrefix)] != wantPrefix {
		t.Errorf("arn %q does not start with %q", arn, wantPrefix)
	}
	// The --faults flag is in force: the first DescribeJobs fails.
	_, err = client.DescribeJobs(ctx, &drs.DescribeJobsInput{})
	var ise *types.InternalServerException
	if !errors.As(err, &ise) {
		t.Errorf("first describe jobs: %v, want InternalServerException", err)
	}
	if _, err := client.DescribeJobs(ctx, &drs.DescribeJobsInput{}); err != nil {
		t.Errorf("second describe jobs: %v", err)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("sim: %v\n%s", err, stderr)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("sim did not stop after cancel")
	}
}

// TestSimSeedFromEnvironment checks that DRSORCH_SEED reaches the flags:
// two seeds give different inventories.
func TestSimSeedFromEnvironment(t *testing.T) {
	t.Setenv("DRSORCH_SEED", "42")
	cfg, err := parseSimFlags([]string{"--servers", "3"}, &bytes.Buffer{})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if cfg.seed != 42 || cfg.servers != 3 {
		t.Errorf("seed %d servers %d, want 42 and 3", cfg.seed, cfg.servers)
	}
	if _, err := parseSimFlags([]string{"--faults", "bogus=1"}, &bytes.Buffer{}); err != nil {
		t.Fatalf("parse faults flag: %v", err)
	}
	cfg.faults = "bogus=1"
	if _, err := cfg.options(nil); err == nil {
		t.Error("options accepted an unknown fault")
	}
}
