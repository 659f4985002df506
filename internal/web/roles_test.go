package web

import (
	"net/http"
	"testing"

	"github.com/drsorch/drsorch/internal/auth"
)

// TestPagesOfferWhatTheRoleMay: a plan's page offers each start form and
// an execution's page its controls only to the roles the server lets
// submit them; a drill operator controls a drill but not a recovery.
func TestPagesOfferWhatTheRoleMay(t *testing.T) {
	e := newEnv(t)
	drill := e.startDrill()
	recovery := e.startRecovery()
	for _, tt := range []struct {
		role                                auth.Role
		drill, recover, drive, recoverDrive bool
	}{
		{auth.RoleViewer, false, false, false, false},
		{auth.RoleDrillOperator, true, false, true, false},
		{auth.RoleRecoveryOperator, true, true, true, true},
		{auth.RoleAdmin, true, true, true, true},
	} {
		cookie := &http.Cookie{Name: auth.SessionCookie, Value: e.signIn(tt.role)}
		_, p := e.get("/plans/"+e.plan.ID, cookie)
		if p.has("start-drill") != tt.drill || p.has("start-recovery") != tt.recover {
			t.Errorf("%s: start drill %v, recovery %v; want %v, %v",
				tt.role, p.has("start-drill"), p.has("start-recovery"), tt.drill, tt.recover)
		}
		_, x := e.get("/executions/"+drill, cookie)
		if x.has("control-cancel") != tt.drive {
			t.Errorf("%s: the drill's cancel offered %v, want %v", tt.role, x.has("control-cancel"), tt.drive)
		}
		_, x = e.get("/executions/"+recovery, cookie)
		if x.has("control-cancel") != tt.recoverDrive {
			t.Errorf("%s: the recovery's cancel offered %v, want %v", tt.role, x.has("control-cancel"), tt.recoverDrive)
		}
	}
}
