package auth

import (
	"context"
	"errors"
	"net/http"

	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
)

// Access is what a route requires of its caller. Every route of the API
// and of the UI is registered with one; the zero Access is refused at
// registration, so a route cannot be added without deciding.
type Access struct {
	// Public routes need no credentials (health checks, the sign-in page,
	// static files).
	Public bool
	// Role is the lowest role allowed.
	Role Role
	// Decide, when set, returns the role this request needs, read from
	// the request itself: starting or controlling a recovery needs more
	// than doing the same to a drill.
	Decide func(r *http.Request) (Role, error)
}

// Public, View, Admin and so on are the accesses routes are registered
// with.
var (
	Public = Access{Public: true}
	View   = Access{Role: RoleViewer}
	Admin  = Access{Role: RoleAdmin}
)

// Set reports whether a was decided at all.
func (a Access) Set() bool { return a.Public || a.Role.Valid() || a.Decide != nil }

// Required returns the role r needs under a; "" for a public route.
func (a Access) Required(r *http.Request) (Role, error) {
	if a.Public {
		return "", nil
	}
	if a.Decide != nil {
		return a.Decide(r)
	}
	return a.Role, nil
}

// Authorize checks that p may make r under a.
func Authorize(p Principal, a Access, r *http.Request) error {
	need, err := a.Required(r)
	if err != nil {
		return err
	}
	if need == "" || p.Role.Allows(need) {
		return nil
	}
	return ErrForbidden
}

// ModeRole is the role needed to start or control an execution of mode:
// drill-operator for a drill, recovery-operator for anything else, so
// that a mode nobody recognizes is held to the stricter rule.
func ModeRole(mode string) Role {
	if mode == plan.ModeDrill {
		return RoleDrillOperator
	}
	return RoleRecoveryOperator
}

// ExecutionRole returns the role needed to control the execution id:
// that of its mode. An execution that does not exist needs only
// drill-operator, so that the handler can answer 404.
func ExecutionRole(ctx context.Context, st store.Store, id string) (Role, error) {
	e, err := st.GetExecution(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return RoleDrillOperator, nil
	}
	if err != nil {
		return "", err
	}
	return ModeRole(e.Mode), nil
}

// Operate returns the access of an execution control: the role depends
// on the mode of the execution the path value "id" names.
func Operate(st store.Store) Access {
	return Access{Decide: func(r *http.Request) (Role, error) {
		return ExecutionRole(r.Context(), st, r.PathValue("id"))
	}}
}
