package api

import (
	"context"

	"github.com/drsorch/drsorch/internal/drs"
	"github.com/drsorch/drsorch/internal/plan"
)

// The methods below expose what the group and plan routes do, for the web
// UI, so that a form and a JSON request go through the same checks and
// writes. Their errors are the ones the routes return; HTTPError turns
// them into the response the API would send.

// CreateGroup gives g an ID and times, validates it against the stored
// groups and stores it, as POST /api/v1/protection-groups does.
func (s *Server) CreateGroup(ctx context.Context, g *plan.ProtectionGroup) error {
	return s.createGroup(ctx, g)
}

// ReplaceGroup stores g in place of the group with its ID if that group is
// still at g.Version, as PUT /api/v1/protection-groups/{id} does.
func (s *Server) ReplaceGroup(ctx context.Context, g *plan.ProtectionGroup) error {
	return s.replaceGroup(ctx, g)
}

// SaveAndApplyGroup creates g (create) or replaces the group with its ID,
// then applies its launch settings, as POST or PUT
// /api/v1/protection-groups?applyLaunchSettings=true do: every server's
// settings are checked against EC2 first, and a refusal (err) stores
// nothing. Once stored, the apply's own failure is applyErr, the group
// staying stored at its new version.
func (s *Server) SaveAndApplyGroup(ctx context.Context, g *plan.ProtectionGroup, create bool) (results []plan.AppliedSettings, applyErr, err error) {
	sv, err := s.saveGroup(ctx, g, create, true)
	if err != nil {
		return nil, nil, err
	}
	return sv.results, sv.applyErr, nil
}

// CheckGroup validates g against the stored groups without storing it and
// puts it in its stored form; g.ID, when set, names the group it would
// replace.
func (s *Server) CheckGroup(ctx context.Context, g *plan.ProtectionGroup) error {
	return s.checkGroup(ctx, g)
}

// CreatePlan gives p an ID and times, validates it against the stored
// groups and stores it, as POST /api/v1/recovery-plans does.
func (s *Server) CreatePlan(ctx context.Context, p *plan.RecoveryPlan) error {
	return s.createPlan(ctx, p)
}

// ReplacePlan stores p in place of the plan with its ID if that plan is
// still at p.Version, as PUT /api/v1/recovery-plans/{id} does.
func (s *Server) ReplacePlan(ctx context.Context, p *plan.RecoveryPlan) error {
	return s.replacePlan(ctx, p)
}

// HTTPError returns the error response the API sends for err, and whether
// err was unexpected (a 500 whose detail belongs in the log only).
func HTTPError(err error) (*Error, bool) {
	return toHTTP(executionError(err))
}

// ClaimingGroup returns the ID of the group among groups that claims srv,
// or "", by the rule GET /api/v1/source-servers marks servers with.
func ClaimingGroup(groups []plan.ProtectionGroup, srv drs.SourceServer) string {
	return claimant(groups, srv)
}
