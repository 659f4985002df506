package drs

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/drssim"
)

// TestContractSourceServerOrigin: every emulated source server runs on an
// EC2 instance of the emulator's account and region, and says so from the
// first request on.
func TestContractSourceServerOrigin(t *testing.T) {
	k := newContract(t, drssim.Options{Servers: 5, Seed: 11, Account: "210987654321", Region: "eu-west-1"}, Config{})
	servers, err := k.c.DescribeSourceServers(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(servers) != 5 {
		t.Fatalf("%d servers, want 5", len(servers))
	}
	for _, s := range servers {
		want := [3]string{k.sim.SourceInstanceID(s.ID), "210987654321", "eu-west-1"}
		got := [3]string{s.AWSInstanceID, s.OriginAccountID, s.OriginRegion}
		if want[0] == "" {
			t.Errorf("server %s: the emulator names no source instance", s.ID)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("server %s origin mismatch (-emulator +port):\n%s", s.ID, d)
		}
	}
}

// TestContractTagResource: tags are added and changed, never removed, and
// an unknown server is ErrNotFound.
func TestContractTagResource(t *testing.T) {
	k := newContract(t, drssim.Options{Servers: 2, Seed: 12}, Config{})
	ctx := t.Context()
	servers, err := k.c.DescribeSourceServers(ctx, k.serverIDs(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	s := servers[0]
	want := map[string]string{}
	for key, v := range s.Tags {
		want[key] = v
	}
	add := map[string]string{"drsorch:synced": "yes", "cost center": "42/a"}
	for key := range s.Tags {
		add[key] = "changed" // one existing key changes
		break
	}
	for key, v := range add {
		want[key] = v
	}
	if err := k.c.TagResource(ctx, s.ARN, add); err != nil {
		t.Fatal(err)
	}
	again, err := k.c.DescribeSourceServers(ctx, []string{s.ID})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, again[0].Tags); d != "" {
		t.Errorf("tags mismatch (-want +got):\n%s", d)
	}
	if n := k.requests("TagResource"); n != 1 {
		t.Errorf("%d TagResource requests, want 1", n)
	}

	gone := "arn:aws:drs:us-east-1:123456789012:source-server/s-0fffffffffffffff0"
	err = k.c.TagResource(ctx, gone, map[string]string{"a": "b"})
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown server: %v, want ErrNotFound", err)
	}
}
