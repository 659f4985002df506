package launchcfg

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/plan"
)

// brokenDRS is the real DRS client with one server's launch configuration
// unreadable, as when DRS answers it with an error the retries do not
// cure.
type brokenDRS struct {
	DRS
	server string
}

var errUnreadable = errors.New("internal server error")

func (b brokenDRS) GetLaunchConfiguration(ctx context.Context, id string) (drs.LaunchConfiguration, error) {
	if id == b.server {
		return drs.LaunchConfiguration{}, fmt.Errorf("get launch configuration: %w", errUnreadable)
	}
	return b.DRS.GetLaunchConfiguration(ctx, id)
}

// TestOneServerFails checks that a server whose calls fail has its error
// in its result, and that Apply and Drift go on with the others.
func TestOneServerFails(t *testing.T) {
	h := newHarness(t, 4)
	ctx := t.Context()
	bad := h.servers[2]
	svc := New(Options{
		DRS:         func(context.Context, string, string) (DRS, error) { return brokenDRS{h.drs, bad}, nil },
		EC2:         func(context.Context, string, string) (EC2, error) { return h.ec2, nil },
		Concurrency: 2,
	})
	g := group(h.servers, &plan.LaunchSettings{SubnetID: simSubnet3, InstanceType: "m7i.xlarge"}, nil)
	targets := plan.SettingsTargets(g, h.servers)

	applied, err := svc.Apply(ctx, "", simRegion, targets)
	if err != nil {
		t.Fatal(err)
	}
	drifts, err := svc.Drift(ctx, "", simRegion, targets)
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range h.servers {
		r, d := applied[i], drifts[i]
		if id == bad {
			if r.Error == "" || len(r.Changed) != 0 || d.Error == "" || len(d.Fields) != 0 {
				t.Errorf("%s (unreadable): applied %+v, drift %+v; want errors and nothing changed", id, r, d)
			}
			continue
		}
		if r.Error != "" || len(r.Changed) == 0 || d.Error != "" || len(d.Fields) != 0 {
			t.Errorf("%s: applied %+v, drift %+v; want changed and in line", id, r, d)
		}
		if st := h.state(t, id); st.Template.Data.SubnetID != simSubnet3 {
			t.Errorf("%s: default version in %s", id, st.Template.Data.SubnetID)
		}
	}
}
