package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
)

// testSettings covers store.SettingsStore, for backends that have it.
func testSettings(t *testing.T, newStore func(t *testing.T) store.Store) {
	open := func(t *testing.T) (store.Store, store.SettingsStore) {
		t.Helper()
		s := newStore(t)
		ss, ok := s.(store.SettingsStore)
		if !ok {
			t.Skip("the backend has no store.SettingsStore")
		}
		return s, ss
	}

	t.Run("EveryFieldRoundTrips", func(t *testing.T) {
		_, ss := open(t)
		ctx := t.Context()
		want := []plan.AppliedSettings{fullSettings("pg-00000000000000s1", "s-0000000000000a001")}
		must(t, ss.PutAppliedSettings(ctx, want), "put applied settings")
		got, err := ss.ListAppliedSettings(ctx, "pg-00000000000000s1")
		must(t, err, "list applied settings")
		if d := diff(want, got); d != "" {
			t.Errorf("mismatch (-want +got):\n%s", d)
		}
	})

	t.Run("UpsertAndOrder", func(t *testing.T) {
		_, ss := open(t)
		ctx := t.Context()
		const g1, g2 = "pg-00000000000000s1", "pg-00000000000000s2"
		first := []plan.AppliedSettings{
			applied(g1, "s-0000000000000a003", 1), applied(g1, "s-0000000000000a001", 1),
			applied(g2, "s-0000000000000a002", 1),
		}
		must(t, ss.PutAppliedSettings(ctx, first), "put applied settings")
		// The second put replaces a001's record, adds a002 to g1 (the same
		// server ID as g2's record, another key) and names a004 twice.
		replaced := fullSettings(g1, "s-0000000000000a001")
		second := []plan.AppliedSettings{
			replaced, applied(g1, "s-0000000000000a002", 2),
			applied(g1, "s-0000000000000a004", 2), applied(g1, "s-0000000000000a004", 3),
		}
		must(t, ss.PutAppliedSettings(ctx, second), "put applied settings again")

		got, err := ss.ListAppliedSettings(ctx, g1)
		must(t, err, "list %s", g1)
		want := []plan.AppliedSettings{
			replaced, applied(g1, "s-0000000000000a002", 2), applied(g1, "s-0000000000000a003", 1),
			applied(g1, "s-0000000000000a004", 3),
		}
		if d := diff(want, got); d != "" {
			t.Errorf("%s mismatch (-want +got):\n%s", g1, d)
		}
		got, err = ss.ListAppliedSettings(ctx, g2)
		must(t, err, "list %s", g2)
		if d := diff([]plan.AppliedSettings{applied(g2, "s-0000000000000a002", 1)}, got); d != "" {
			t.Errorf("%s mismatch (-want +got):\n%s", g2, d)
		}
		got, err = ss.ListAppliedSettings(ctx, "pg-00000000000000ff")
		if err != nil || len(got) != 0 {
			t.Errorf("list of an unknown group: %d records, %v; want none and no error", len(got), err)
		}
		must(t, ss.PutAppliedSettings(ctx, nil), "put no records")
	})

	t.Run("Refused", func(t *testing.T) {
		_, ss := open(t)
		ctx := t.Context()
		for _, bad := range []plan.AppliedSettings{
			{GroupID: "pg-00000000000000s1"},
			{SourceServerID: "s-0000000000000a001"},
		} {
			recs := []plan.AppliedSettings{applied("pg-00000000000000s1", "s-0000000000000a009", 1), bad}
			if err := ss.PutAppliedSettings(ctx, recs); err == nil {
				t.Errorf("put of %+v: no error", bad)
			}
		}
		got, err := ss.ListAppliedSettings(ctx, "pg-00000000000000s1")
		if err != nil || len(got) != 0 {
			t.Errorf("after refused puts: %d records, %v; want none written", len(got), err)
		}
	})

	t.Run("Large", func(t *testing.T) {
		_, ss := open(t)
		ctx := t.Context()
		const n = 3000
		recs := make([]plan.AppliedSettings, n)
		for i := range recs {
			recs[i] = fullSettings("pg-00000000000000s1", fmt.Sprintf("s-%017x", n-i))
		}
		start := time.Now()
		must(t, ss.PutAppliedSettings(ctx, recs), "put %d applied settings", n)
		t.Logf("put %d records in %v", n, time.Since(start).Round(time.Millisecond))
		got, err := ss.ListAppliedSettings(ctx, "pg-00000000000000s1")
		must(t, err, "list")
		if len(got) != n {
			t.Fatalf("listed %d records, want %d", len(got), n)
		}
		for i, a := range got {
			if want := fmt.Sprintf("s-%017x", i+1); a.SourceServerID != want {
				t.Fatalf("record %d is %s, want %s (ordered by server ID)", i, a.SourceServerID, want)
			}
		}
		if d := diff(recs[0], got[n-1]); d != "" {
			t.Errorf("last record mismatch (-want +got):\n%s", d)
		}
	})

	t.Run("DeleteGroup", func(t *testing.T) {
		s, ss := open(t)
		ctx := t.Context()
		g := newGroup("settings")
		other := newGroup("kept")
		must(t, s.CreateGroup(ctx, g), "create group")
		must(t, s.CreateGroup(ctx, other), "create group")
		var recs []plan.AppliedSettings
		for i := range 30 {
			recs = append(recs, applied(g.ID, fmt.Sprintf("s-%017x", i), 1))
		}
		recs = append(recs, applied(other.ID, "s-0000000000000a001", 1))
		must(t, ss.PutAppliedSettings(ctx, recs), "put applied settings")
		must(t, s.DeleteGroup(ctx, g.ID, g.Version), "delete group")
		got, err := ss.ListAppliedSettings(ctx, g.ID)
		if err != nil || len(got) != 0 {
			t.Errorf("deleted group: %d records, %v; want none", len(got), err)
		}
		got, err = ss.ListAppliedSettings(ctx, other.ID)
		must(t, err, "list the other group")
		if len(got) != 1 {
			t.Errorf("the other group has %d records after the delete, want 1", len(got))
		}
	})
}

// applied is a small record; n tells its versions apart.
func applied(groupID, serverID string, n int) plan.AppliedSettings {
	return plan.AppliedSettings{
		GroupID: groupID, SourceServerID: serverID, Region: "us-east-1",
		Settings:              plan.LaunchSettings{InstanceType: fmt.Sprintf("m6i.%dxlarge", n)},
		LaunchTemplateVersion: int64(n),
		Time:                  t0.Add(time.Duration(n) * time.Minute),
	}
}

// fullSettings is a record with every field set, the settings' too.
func fullSettings(groupID, serverID string) plan.AppliedSettings {
	yes, no := true, false
	return plan.AppliedSettings{
		GroupID: groupID, SourceServerID: serverID, AccountID: "123456789012", Region: "eu-west-1",
		Settings: plan.LaunchSettings{
			SubnetID:          "subnet-0e5a1d00000000011",
			SecurityGroupIDs:  []string{"sg-0e5a1d00000000024", "sg-0e5a1d00000000021"},
			InstanceType:      "r6i.large",
			RightSizing:       plan.RightSizingNone,
			InstanceProfile:   "arn:aws:iam::123456789012:instance-profile/drsorch",
			PrivateIP:         "10.10.1.20",
			CopyPrivateIP:     &no,
			CopyTags:          &yes,
			LaunchDisposition: plan.DispositionStopped,
			BYOL:              &no,
			Tags:              map[string]string{"env": "dr", "owner": "ops"},
		},
		Changed:               []string{"subnetId", "tags"},
		LaunchTemplateID:      "lt-0e5a1d00000000001",
		LaunchTemplateVersion: 7,
		ExecutionID:           "ex-00000000000000s1",
		Time:                  t0.Add(90 * time.Second),
		Error:                 "create launch template version: throttled",
	}
}
