package web

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/drsorch/drsorch/internal/auth"
	"github.com/drsorch/drsorch/internal/plan"
	"github.com/drsorch/drsorch/internal/store"
)

type groupsPage struct {
	layout
	Groups []groupRow
}

type groupRow struct {
	plan.ProtectionGroup
	Tags   []tagRow
	UsedBy []string
}

func (s *Server) groupList(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	groups, err := s.allGroups(ctx)
	if err != nil {
		return err
	}
	plans, err := s.allPlans(ctx)
	if err != nil {
		return err
	}
	d := &groupsPage{layout: layout{Title: "Protection groups", Nav: "groups"}}
	for _, g := range groups {
		row := groupRow{ProtectionGroup: g}
		if g.ServerSelector != nil {
			row.Tags = tagRowsOf(g.ServerSelector.Tags)
		}
		for _, p := range plans {
			if usesGroup(p, g.ID) {
				row.UsedBy = append(row.UsedBy, p.Name)
			}
		}
		d.Groups = append(d.Groups, row)
	}
	return s.page(w, r, http.StatusOK, "groups", d)
}

func usesGroup(p plan.RecoveryPlan, id string) bool {
	for _, w := range p.Waves {
		for _, g := range w.ProtectionGroupIDs {
			if g == id {
				return true
			}
		}
	}
	return false
}

// groupForm is the data of the group editor.
type groupForm struct {
	layout
	New   bool
	Group plan.ProtectionGroup
	// Tags are the selector's rows, with blank ones to add more.
	Tags []tagRow
	// Picker lists the region's servers to choose from; PickerError says
	// why it is empty when DRS could not be read.
	Picker      []serverRow
	PickerError string
	// Preview lists the servers the group matches now, after "Preview".
	Preview   []serverRow
	Previewed bool
	Errors    *fieldErrors
	// ServerErrors are the problems of each chosen server, by its ID.
	ServerErrors map[string][]string

	// LaunchSettings and Overrides are the launch settings inputs, as
	// typed when the form was posted; typed tells showGroupForm so.
	LaunchSettings settingsForm
	Overrides      []settingsForm
	typed          bool
	// CanApply offers to apply the launch settings; ApplyAfterSave is
	// the form's choice.
	CanApply, ApplyAfterSave bool
	// Settings and Drift are the panels of a stored group's page, nil
	// when left out.
	Settings *settingsPanel
	Drift    *driftPanel
}

// blankTagRows is how many empty tag rows the editor offers.
const blankTagRows = 2

func (s *Server) groupNew(w http.ResponseWriter, r *http.Request) error {
	g := plan.ProtectionGroup{Region: s.defaultRegion}
	return s.showGroupForm(w, r, http.StatusOK, &groupForm{New: true, Group: g}, false)
}

func (s *Server) groupEdit(w http.ResponseWriter, r *http.Request) error {
	g, err := s.store.GetGroup(r.Context(), r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		return pageError(http.StatusNotFound, "there is no protection group %q", r.PathValue("id"))
	}
	if err != nil {
		return err
	}
	d := &groupForm{Group: *g}
	if s.settings != nil && r.URL.Query().Get("drift") != "" {
		d.Drift = s.driftPanelOf(r, g.ID)
	}
	return s.showGroupForm(w, r, http.StatusOK, d, false)
}

// groupSubmit saves a group, or with op=preview shows which servers it
// matches now and the problems saving it would meet.
func (s *Server) groupSubmit(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id := r.PathValue("id")
	d := &groupForm{New: id == ""}
	g, problems := readGroup(r)
	g.ID = id
	ls, rows, ps := readLaunchSettings(r.PostForm, &g)
	problems = append(problems, ps...)
	d.Group, d.LaunchSettings, d.Overrides, d.typed = g, ls, rows, true
	d.ApplyAfterSave = r.PostForm.Get("applyLaunchSettings") != ""
	if len(problems) > 0 {
		d.Errors = invalidForm(problems)
		return s.showGroupForm(w, r, http.StatusBadRequest, d, false)
	}
	if r.PostForm.Get("op") == "preview" {
		check := g
		check.SourceServerIDs = append([]string(nil), g.SourceServerIDs...)
		if err := s.defs.CheckGroup(ctx, &check); err != nil {
			fe, _, ok := formErrors(err)
			if !ok {
				return err
			}
			d.Errors = fe
		}
		return s.showGroupForm(w, r, http.StatusOK, d, true)
	}

	// Saving to apply checks every server's settings against EC2 first,
	// so that a refusal stores nothing.
	applying := d.ApplyAfterSave && s.settings != nil
	var results []plan.AppliedSettings
	var err, applyErr error
	switch {
	case applying:
		results, applyErr, err = s.settings.SaveAndApplyGroup(ctx, &g, d.New)
	case d.New:
		err = s.defs.CreateGroup(ctx, &g)
	default:
		err = s.defs.ReplaceGroup(ctx, &g)
	}
	if err != nil {
		fe, status, ok := formErrors(err)
		if !ok {
			return err
		}
		d.Errors = fe
		return s.showGroupForm(w, r, status, d, false)
	}
	fl := flash{Notice: fmt.Sprintf("Protection group %q saved.", g.Name)}
	if applying {
		if applyErr != nil {
			// The group is saved: show it, at its new version, with why
			// its settings were not applied.
			fe, status, ok := formErrors(applyErr)
			if !ok {
				s.log.ErrorContext(ctx, "apply launch settings after saving", "group", g.ID, "error", applyErr)
				fe = &fieldErrors{Message: "DRS or EC2 could not be asked (the server's log has the detail)"}
				status = http.StatusBadGateway
			}
			d.New, d.Group.ID, d.Group.Version, d.Errors = false, g.ID, g.Version, fe
			d.Notice = fl.Notice
			d.Error = "The launch settings were not applied: " + fe.Message
			return s.showGroupForm(w, r, status, d, false)
		}
		applied := appliedFlash(&g, results)
		fl.Notice += " " + applied.Notice
		fl.Warnings = applied.Warnings
	}
	setFlash(w, fl)
	return redirect(w, r, "/groups/"+g.ID)
}

// readGroup reads the editor's fields into a group.
func readGroup(r *http.Request) (plan.ProtectionGroup, []problem) {
	f := r.PostForm
	g := plan.ProtectionGroup{
		Name:            f.Get("name"),
		Description:     f.Get("description"),
		AccountID:       strings.TrimSpace(f.Get("accountId")),
		Region:          strings.TrimSpace(f.Get("region")),
		SourceServerIDs: f["servers"],
	}
	var problems []problem
	if v := f.Get("version"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			problems = append(problems, notNumber("version", v))
		}
		g.Version = n
	}
	// Typed IDs add to the checked ones, for servers the picker cannot
	// show, such as those of an account DRS cannot be read in right now.
	for _, id := range idList.FindAllString(f.Get("moreServers"), -1) {
		g.SourceServerIDs = append(g.SourceServerIDs, id)
	}
	if tags := tagMap(readTags(r, "tag")); tags != nil {
		g.ServerSelector = &plan.Selector{Tags: tags}
	}
	return g, problems
}

// idList finds the words of a free-text list of IDs.
var idList = regexp.MustCompile(`[^\s,;]+`)

// showGroupForm fills in the editor's picker (and preview) from DRS and
// renders it.
func (s *Server) showGroupForm(w http.ResponseWriter, r *http.Request, status int, d *groupForm, preview bool) error {
	ctx := r.Context()
	d.layout.Title, d.Nav = "Protection group "+d.Group.Name, "groups"
	if d.New {
		d.layout.Title = "New protection group"
	}
	if d.Group.ServerSelector != nil {
		d.Tags = tagRowsOf(d.Group.ServerSelector.Tags)
	}
	for range blankTagRows {
		d.Tags = append(d.Tags, tagRow{})
	}
	if !d.typed {
		var own plan.LaunchSettings
		if d.Group.LaunchSettings != nil {
			own = *d.Group.LaunchSettings
		}
		d.LaunchSettings = settingsFormOf("launchSettings", "", own)
		d.Overrides = overrideRows(d.Group)
	}
	d.LaunchSettings.Prefix = groupSettingsPrefix
	d.Overrides = numberRows(d.Overrides)
	d.CanApply = s.settings != nil && allows(r, auth.RoleAdmin)
	if s.settings != nil && !d.New && d.Group.ID != "" {
		d.Settings = s.settingsPanelOf(r, d.Group.ID)
	}
	d.ServerErrors = map[string][]string{}
	if d.Errors != nil {
		for _, p := range d.Errors.All {
			var i int
			if _, err := fmt.Sscanf(p.Field, "sourceServerIds[%d]", &i); err == nil && i < len(d.Group.SourceServerIDs) {
				id := d.Group.SourceServerIDs[i]
				d.ServerErrors[id] = append(d.ServerErrors[id], p.Message)
			}
		}
	}

	groups, err := s.allGroups(ctx)
	if err != nil {
		return err
	}
	region := d.Group.Region
	if region == "" {
		region = s.defaultRegion
	}
	// TODO: page or search the picker for regions of thousands of
	// servers; it lists them all.
	rows, err := s.serverRows(ctx, d.Group.AccountID, region, groups)
	if err != nil {
		d.PickerError = err.Error()
	}
	d.Picker = rows
	// Chosen servers DRS did not list still show, so that they can be
	// unchecked.
	listed := map[string]bool{}
	for _, row := range rows {
		listed[row.ID] = true
	}
	for _, id := range d.Group.SourceServerIDs {
		if !listed[id] {
			listed[id] = true
			d.Picker = append(d.Picker, serverRow{SourceServer: sourceServerOnlyID(id)})
		}
	}
	sort.SliceStable(d.Picker, func(i, j int) bool {
		return d.chosen(d.Picker[i].ID) && !d.chosen(d.Picker[j].ID)
	})
	if preview {
		d.Previewed = true
		for _, row := range rows {
			if d.Group.Matches(row.ID, row.SourceServer.Tags) {
				d.Preview = append(d.Preview, row)
			}
		}
	}
	return s.page(w, r, status, "group", d)
}

// chosen reports whether the form has server id checked.
func (d *groupForm) chosen(id string) bool {
	for _, x := range d.Group.SourceServerIDs {
		if x == id {
			return true
		}
	}
	return false
}

// Chosen is chosen for templates.
func (d *groupForm) Chosen(id string) bool { return d.chosen(id) }
