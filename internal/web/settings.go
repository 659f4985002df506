package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/drsorch/drsorch/internal/api"
	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
)

// Settings applies protection groups' launch settings and compares them
// with what DRS and EC2 hold; the API's *api.Server is one, so that the
// UI applies them with exactly the API's checks.
type Settings interface {
	ApplyLaunchSettings(ctx context.Context, groupID string) ([]plan.AppliedSettings, error)
	// SaveAndApplyGroup stores g (created or replaced) once every
	// server's settings passed their EC2 checks, then applies them; err
	// is a refusal, with nothing stored, applyErr a failure after the save.
	SaveAndApplyGroup(ctx context.Context, g *plan.ProtectionGroup, create bool) (results []plan.AppliedSettings, applyErr, err error)
	GroupLaunchSettings(ctx context.Context, groupID string) (api.GroupSettingsView, error)
	GroupDrift(ctx context.Context, groupID string) (api.GroupDrift, error)
	// SyncTags copies source machines' EC2 tags onto their DRS source
	// servers in an account and region.
	SyncTags(ctx context.Context, accountID, region string) (plan.TagSyncResult, error)
}

// settingsPanel shows a group's effective launch settings per server with
// the latest application of each.
type settingsPanel struct {
	Rows []settingsRow
	// Missing lists the group's servers DRS does not know.
	Missing []string
	// Error says why the settings could not be read.
	Error string
}

type settingsRow struct {
	api.ServerSettingsView
	// Own is set for a server with an override of its own.
	Own     bool
	Summary string
}

// driftPanel shows the drift of a group's servers, once asked for: it
// reads DRS and EC2 for every server, which is not for every page view.
type driftPanel struct {
	CheckedAt  time.Time
	Servers    int
	Drifted    int
	Unreadable int
	Rows       []driftRow
	Error      string
}

// driftRow is one field of one server that differs, or the error of a
// server that could not be read back.
type driftRow struct {
	SourceServerID        string
	Field, Want, Got      string
	Error                 string
	LaunchTemplateID      string
	LaunchTemplateVersion int64
}

// settingsPanelOf reads a stored group's settings for its page; a failure
// is shown in the panel rather than failing the page.
func (s *Server) settingsPanelOf(r *http.Request, groupID string) *settingsPanel {
	v, err := s.settings.GroupLaunchSettings(r.Context(), groupID)
	if err != nil {
		_, msg := s.describe(r, err)
		return &settingsPanel{Error: msg}
	}
	p := &settingsPanel{Missing: v.Missing}
	for _, sv := range v.Servers {
		p.Rows = append(p.Rows, settingsRow{ServerSettingsView: sv,
			Own: strings.HasPrefix(sv.Field, "serverLaunchSettings."), Summary: describeSettings(sv.Settings)})
	}
	return p
}

// driftPanelOf reads a group's drift back from DRS and EC2.
func (s *Server) driftPanelOf(r *http.Request, groupID string) *driftPanel {
	d, err := s.settings.GroupDrift(r.Context(), groupID)
	if err != nil {
		_, msg := s.describe(r, err)
		return &driftPanel{CheckedAt: s.now(), Error: msg}
	}
	p := &driftPanel{CheckedAt: d.CheckedAt, Servers: len(d.Servers), Drifted: d.Drifted,
		Unreadable: d.Unreadable}
	if p.CheckedAt.IsZero() {
		p.CheckedAt = s.now()
	}
	for _, sd := range d.Servers {
		if sd.Error != "" {
			p.Rows = append(p.Rows, driftRow{SourceServerID: sd.SourceServerID, Error: sd.Error})
		}
		for _, f := range sd.Fields {
			p.Rows = append(p.Rows, driftRow{SourceServerID: sd.SourceServerID, Field: f.Field,
				Want: f.Want, Got: f.Got, LaunchTemplateID: sd.LaunchTemplateID,
				LaunchTemplateVersion: sd.LaunchTemplateVersion})
		}
	}
	return p
}

// groupApply applies a group's launch settings on demand and leads back
// to the group's page, which shows the latest application per server.
func (s *Server) groupApply(w http.ResponseWriter, r *http.Request) error {
	if s.settings == nil {
		return pageError(http.StatusNotFound, "launch settings are not configured on this server")
	}
	ctx := r.Context()
	g, err := s.store.GetGroup(ctx, r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		return pageError(http.StatusNotFound, "there is no protection group %q", r.PathValue("id"))
	}
	if err != nil {
		return err
	}
	fl, err := s.apply(ctx, g)
	if err != nil {
		fe, status, ok := formErrors(err)
		if !ok {
			return err
		}
		d := &groupForm{Group: *g, Errors: fe}
		d.Error = "The launch settings were not applied: " + fe.Message
		return s.showGroupForm(w, r, status, d, false)
	}
	setFlash(w, fl)
	return redirect(w, r, "/groups/"+g.ID+"#launch-settings")
}

// apply applies g's launch settings and sums up the results for people.
// An error means nothing was written.
func (s *Server) apply(ctx context.Context, g *plan.ProtectionGroup) (flash, error) {
	results, err := s.settings.ApplyLaunchSettings(ctx, g.ID)
	if err != nil {
		return flash{}, err
	}
	return appliedFlash(g, results), nil
}

// appliedFlash tells what applying a group's launch settings did.
func appliedFlash(g *plan.ProtectionGroup, results []plan.AppliedSettings) flash {
	var fl flash
	changed, failed := 0, 0
	for _, a := range results {
		switch {
		case a.Error != "":
			failed++
			fl.Warnings = append(fl.Warnings, fmt.Sprintf("%s: %s", a.SourceServerID, a.Error))
		case len(a.Changed) > 0:
			changed++
		}
	}
	fl.Notice = fmt.Sprintf("Launch settings of %q applied to %d servers: %d changed, %d already in line, %d failed.",
		g.Name, len(results), changed, len(results)-changed-failed, failed)
	if len(results) == 0 {
		fl.Notice = fmt.Sprintf("Protection group %q manages no launch setting of any server: nothing to apply.", g.Name)
	}
	return fl
}

var _ Settings = (*api.Server)(nil)

// tagSync copies the EC2 tags of the source machines of a region onto
// their source servers, for the tag selectors of groups, and leads back
// to the servers of that region.
func (s *Server) tagSync(w http.ResponseWriter, r *http.Request) error {
	if s.settings == nil {
		return pageError(http.StatusNotFound, "tag sync needs the launch settings service (EC2), not configured on this server")
	}
	account := strings.TrimSpace(r.PostForm.Get("accountId"))
	region := strings.TrimSpace(r.PostForm.Get("region"))
	if region == "" {
		region = s.defaultRegion
	}
	res, err := s.settings.SyncTags(r.Context(), account, region)
	if err != nil {
		return err
	}
	fl := flash{Notice: fmt.Sprintf("EC2 tags of %s copied: %d source servers, %d naming their EC2 instance, %d updated.",
		region, res.Servers, res.Linked, res.Updated), Warnings: res.Errors}
	setFlash(w, fl)
	return redirect(w, r, "/servers?region="+url.QueryEscape(region))
}
