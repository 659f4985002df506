package engine

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/drssim"
	"github.com/drsorch/drsorch/internal/execution"
	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store/sqlitestore"
)

// recordingSTS hands out credentials for any role and records the role
// ARNs asked for.
type recordingSTS struct {
	mu    sync.Mutex
	roles []string
}

func (f *recordingSTS) AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, _ ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.roles = append(f.roles, aws.ToString(in.RoleArn))
	return &sts.AssumeRoleOutput{Credentials: &ststypes.Credentials{AccessKeyId: aws.String("ASIATEST"),
		SecretAccessKey: aws.String("s"), SessionToken: aws.String("t"),
		Expiration: aws.Time(time.Now().Add(time.Hour))}}, nil
}

func (f *recordingSTS) GetCallerIdentity(ctx context.Context, _ *sts.GetCallerIdentityInput, _ ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	return &sts.GetCallerIdentityOutput{Account: aws.String("999999999999")}, nil
}

// byHost routes each request to the emulator of its host.
type byHost map[string]*drssim.Sim

func (b byHost) RoundTrip(r *http.Request) (*http.Response, error) {
	sim, ok := b[r.URL.Host]
	if !ok {
		return nil, errors.New("no emulator at " + r.URL.Host)
	}
	return sim.Transport().RoundTrip(r)
}

// TestTwoAccountPlan runs one wave whose two groups live in two accounts,
// each an emulator of its own reached through an assumed role: each
// account's servers launch in its own emulator, the quotas hold per
// account and region (both accounts fill their two active jobs at once,
// in the same region), and the
// role of each account is the one assumed.
func TestTwoAccountPlan(t *testing.T) {
	isolateAWSEnv(t)
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		const acctA, acctB = "111111111111", "222222222222"
		quotas := drssim.Quotas{ServersPerJob: 2, ActiveJobs: 2}
		sims := byHost{
			"a.local": drssim.New(drssim.Options{Servers: 6, Seed: 1, Account: acctA, Quotas: quotas}),
			"b.local": drssim.New(drssim.Options{Servers: 6, Seed: 2, Account: acctB, Quotas: quotas}),
		}
		fake := &recordingSTS{}
		clients := drs.NewClients(ctx, drs.Config{Region: testRegion, Endpoint: "http://nowhere.local",
			MaxAttempts: 1, HTTPClient: &http.Client{Transport: sims},
			TargetRoleName: "drsorch-target", STS: fake,
			AccountEndpoints: map[string]string{acctA: "http://a.local", acctB: "http://b.local"}})
		st, err := sqlitestore.Open(ctx, ":memory:")
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()

		ga := plan.ProtectionGroup{Name: "a", AccountID: acctA, Region: testRegion}
		// Both in one region: the quotas must be kept per account too.
		gb := plan.ProtectionGroup{Name: "b", AccountID: acctB, Region: testRegion}
		for _, s := range sims["a.local"].Servers() {
			ga.SourceServerIDs = append(ga.SourceServerIDs, s.ID)
		}
		for _, s := range sims["b.local"].Servers() {
			gb.SourceServerIDs = append(gb.SourceServerIDs, s.ID)
		}
		for _, g := range []*plan.ProtectionGroup{&ga, &gb} {
			must(t, st.CreateGroup(ctx, g))
		}
		p := plan.NormalizePlan(plan.RecoveryPlan{Name: "two", Waves: []plan.Wave{
			{Name: "all", ProtectionGroupIDs: []string{ga.ID, gb.ID}}}})
		must(t, st.CreatePlan(ctx, &p))

		svc := execution.New(execution.Options{Store: st, DRS: execution.Clients(clients.For), Logger: testLogger()})
		res, err := svc.Start(ctx, p.ID, plan.ModeDrill, nil, "tester")
		if err != nil {
			t.Fatal(err)
		}
		e := New(Options{Store: st, DRS: FromClients(clients), Owner: "e1", Logger: testLogger(),
			Quotas: Quotas{ServersPerJob: 2, ActiveJobs: 2}})
		h := &harness{t: t, ctx: ctx, st: st}

		// The first round fills both accounts' quotas at once.
		must(t, h.step(e, 0))
		active := map[string]int{}
		for host, sim := range sims {
			active[host] = sim.Stats().ActiveJobs
		}
		if diff := cmp.Diff(map[string]int{"a.local": 2, "b.local": 2}, active); diff != "" {
			t.Errorf("active jobs after one round mismatch (-want +got):\n%s", diff)
		}

		ex := h.finish(e, res.ExecutionID, 2000)
		if ex.Status != plan.ExecCompleted {
			t.Errorf("status %s, want COMPLETED", ex.Status)
		}
		for host, sim := range sims {
			launched := sim.Launches()
			for _, s := range sim.Servers() {
				if launched[s.ID] != 1 {
					t.Errorf("%s: server %s launched %d times, want 1", host, s.ID, launched[s.ID])
				}
			}
			if st := sim.Stats(); st.MaxActiveJobs != 2 || st.MaxServersInJob != 2 || st.Launched != 6 {
				t.Errorf("%s: max active jobs %d, max servers in a job %d, launched %d; want 2, 2, 6",
					host, st.MaxActiveJobs, st.MaxServersInJob, st.Launched)
			}
		}
		accounts := map[string]int{}
		for _, l := range h.launches(res.ExecutionID) {
			accounts[l.AccountID]++
		}
		if diff := cmp.Diff(map[string]int{acctA: 6, acctB: 6}, accounts); diff != "" {
			t.Errorf("launches per account mismatch (-want +got):\n%s", diff)
		}
		wantRoles := []string{"arn:aws:iam::111111111111:role/drsorch-target",
			"arn:aws:iam::222222222222:role/drsorch-target"}
		if diff := cmp.Diff(wantRoles, fake.roles); diff != "" {
			t.Errorf("assumed roles mismatch (-want +got):\n%s", diff)
		}
	})
}
