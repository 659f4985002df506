package readiness

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drsorch/drsorch/internal/drssim"
	"github.com/drsorch/drsorch/internal/ec2"
	"github.com/drsorch/drsorch/internal/launchcfg"
	"github.com/drsorch/drsorch/internal/plan"
)

// TestLaunchSettingsDrift gives the db group launch settings that the
// emulator's templates do not hold: every db server is a warning naming
// its fields, and the plan's readiness is what it was without them. Once
// applied, the warnings are gone. A service that cannot reach EC2 makes
// unreadable warnings.
func TestLaunchSettingsDrift(t *testing.T) {
	isolateAWSEnv(t)
	e := newEnv(t, drssim.Options{Servers: 12, Seed: 3})
	ec, err := ec2.NewClient(e.ctx, ec2.Config{Region: "us-east-1", Endpoint: "http://drs.local", MaxAttempts: 1,
		HTTPClient: &http.Client{Transport: e.sim.Transport()}})
	if err != nil {
		t.Fatal(err)
	}
	svc := launchcfg.New(launchcfg.Options{
		DRS: func(ctx context.Context, account, region string) (launchcfg.DRS, error) {
			return e.clients.For(ctx, account, region)
		},
		EC2: func(context.Context, string, string) (launchcfg.EC2, error) { return ec, nil },
	})
	baseline, err := e.mon.Check(e.ctx, "")
	if err != nil {
		t.Fatal(err)
	}

	db := e.groups["db"]
	db.LaunchSettings = &plan.LaunchSettings{InstanceType: "r6i.xlarge", SecurityGroupIDs: []string{"sg-0e5a1d00000000022"}}
	if err := e.st.UpdateGroup(e.ctx, db); err != nil {
		t.Fatal(err)
	}
	var dbServers []string
	for id, s := range e.servers() {
		if s.Tags["tier"] == "db" {
			dbServers = append(dbServers, id)
		}
	}
	sort.Strings(dbServers)
	if len(dbServers) == 0 {
		t.Fatal("the emulator has no db server")
	}

	mon := New(Options{Store: e.st, DRS: DRSOf(e.clients.For), Settings: svc})
	r, err := mon.Check(e.ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	p := r.Plans[0]
	var got []string
	for _, w := range p.Warnings {
		got = append(got, w.SourceServerID)
		if w.Code != CodeSettingsDrift || w.GroupID != db.ID || w.Wave != "db" ||
			!strings.Contains(w.Message, w.SourceServerID) || !strings.Contains(w.Message, "rightSizing") ||
			!strings.Contains(w.Message, `securityGroupIds (want "sg-0e5a1d00000000022", got "")`) {
			t.Errorf("warning %+v: want a drift of %s naming rightSizing and securityGroupIds", w, w.SourceServerID)
		}
	}
	sort.Strings(got)
	if diff := cmp.Diff(dbServers, got); diff != "" {
		t.Errorf("drifted servers mismatch (-want +got):\n%s", diff)
	}
	if r.Warnings != len(dbServers) || p.Ready != baseline.Plans[0].Ready || r.Problems != baseline.Problems {
		t.Errorf("warnings %d, ready %v, problems %d; want %d warnings and readiness as without settings (%v, %d)",
			r.Warnings, p.Ready, r.Problems, len(dbServers), baseline.Plans[0].Ready, baseline.Problems)
	}

	res, err := svc.Apply(e.ctx, "", "us-east-1", plan.SettingsTargets(*db, dbServers))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range res {
		if a.Error != "" {
			t.Fatalf("apply %s: %s", a.SourceServerID, a.Error)
		}
	}
	if r, err = mon.Check(e.ctx, ""); err != nil {
		t.Fatal(err)
	}
	if len(r.Plans[0].Warnings) != 0 || r.Warnings != 0 {
		t.Errorf("warnings after apply: %+v", r.Plans[0].Warnings)
	}

	down := launchcfg.New(launchcfg.Options{
		DRS: func(ctx context.Context, account, region string) (launchcfg.DRS, error) {
			return e.clients.For(ctx, account, region)
		},
		EC2: func(context.Context, string, string) (launchcfg.EC2, error) { return nil, errors.New("ec2 is down") },
	})
	mon = New(Options{Store: e.st, DRS: DRSOf(e.clients.For), Settings: down})
	if r, err = mon.Check(e.ctx, ""); err != nil {
		t.Fatal(err)
	}
	if len(r.Plans[0].Warnings) == 0 {
		t.Fatal("no warning with EC2 down")
	}
	for _, w := range r.Plans[0].Warnings {
		if w.Code != CodeSettingsUnreadable || !strings.Contains(w.Message, "ec2 is down") {
			t.Errorf("warning %+v: want unreadable saying why", w)
		}
	}
	if r.Plans[0].Ready != baseline.Plans[0].Ready {
		t.Errorf("unreadable settings changed the plan's readiness")
	}
}
