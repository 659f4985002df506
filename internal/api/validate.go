package api

import (
	"errors"
	"net/http"

	"github.com/drsorch/drsorch/internal/plan"
)

// validateGroup checks g against the other stored groups and puts it in its
// stored form. The rules are the plan package's; this only calls them.
func validateGroup(g *plan.ProtectionGroup, others []plan.ProtectionGroup) error {
	// Validation comes first: its field paths refer to the group as sent.
	if err := plan.ValidateGroup(*g, others); err != nil {
		return nameTaken(err, "a protection group named %q already exists", g.Name)
	}
	*g = plan.NormalizeGroup(*g)
	return nil
}

// validatePlan checks p, its groups looked up by ID, and puts it in its
// stored form.
func validatePlan(p *plan.RecoveryPlan, groups map[string]plan.ProtectionGroup) error {
	if err := plan.ValidatePlan(*p, groups); err != nil {
		return nameTaken(err, "a recovery plan named %q already exists", p.Name)
	}
	*p = plan.NormalizePlan(*p)
	return nil
}

// nameTaken turns a validation failure whose only problem is a name already
// in use into the 409 the API promises for that case; with other problems
// it stays a 400 that lists them all.
func nameTaken(err error, format, name string) error {
	var pe plan.Errors
	if !errors.As(err, &pe) || len(pe) != 1 || pe[0].Code != plan.CodeDuplicateName || pe[0].Field != "name" {
		return err
	}
	e := invalid("name", format, name)
	e.Status, e.Code, e.Details = http.StatusConflict, CodeConflict, nil
	return e
}
