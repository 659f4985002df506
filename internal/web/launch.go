package web

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/drsorch/drsorch/internal/plan"
)

// The group editor's launch settings: the group's own as inputs named
// ls.subnetId, ls.securityGroupIds, …, and per-server overrides as rows
// o0.server, o0.subnetId, …, o0.privateIp. A row left without any value
// is dropped, which is how an override is removed; one blank row is
// always offered to add one.

// settingsForm is one set of launch settings as the editor shows it: the
// text of each input, kept as typed so that a refused form shows exactly
// what was entered.
type settingsForm struct {
	// Field is the settings' field path in the group, as validation
	// errors name it: launchSettings or serverLaunchSettings.<server ID>.
	Field string
	// Prefix names the inputs, such as "ls." or "o2.".
	Prefix string
	// Row is set for a per-server override, which has Server and
	// PrivateIP.
	Row    bool
	Server string

	SubnetID, SecurityGroups, InstanceType, RightSizing, InstanceProfile string
	PrivateIP, Disposition                                               string
	// CopyPrivateIP, CopyTags and BYOL are "", "true" or "false".
	CopyPrivateIP, CopyTags, BYOL string
	// Tags are key=value lines.
	Tags string
}

// groupSettingsPrefix names the inputs of the group's own settings.
const groupSettingsPrefix = "ls."

// settingsFormOf shows stored settings in the editor.
func settingsFormOf(field, prefix string, s plan.LaunchSettings) settingsForm {
	f := settingsForm{Field: field, Prefix: prefix,
		SubnetID: s.SubnetID, SecurityGroups: strings.Join(s.SecurityGroupIDs, ", "),
		InstanceType: s.InstanceType, RightSizing: s.RightSizing, InstanceProfile: s.InstanceProfile,
		PrivateIP: s.PrivateIP, Disposition: s.LaunchDisposition,
		CopyPrivateIP: triState(s.CopyPrivateIP), CopyTags: triState(s.CopyTags), BYOL: triState(s.BYOL)}
	for _, t := range tagRowsOf(s.Tags) {
		f.Tags += t.Key + "=" + t.Value + "\n"
	}
	return f
}

func triState(b *bool) string {
	if b == nil {
		return ""
	}
	return fmt.Sprint(*b)
}

// readSettingsForm reads the inputs named with prefix.
func readSettingsForm(v url.Values, prefix string) settingsForm {
	get := func(name string) string { return strings.TrimSpace(v.Get(prefix + name)) }
	return settingsForm{Prefix: prefix,
		SubnetID: get("subnetId"), SecurityGroups: get("securityGroupIds"),
		InstanceType: get("instanceType"), RightSizing: get("rightSizing"),
		InstanceProfile: get("instanceProfile"), PrivateIP: get("privateIp"),
		Disposition: get("launchDisposition"), CopyPrivateIP: get("copyPrivateIp"),
		CopyTags: get("copyTags"), BYOL: get("byol"), Tags: v.Get(prefix + "tags")}
}

// blank reports whether the form holds no setting (the server ID aside).
func (f settingsForm) blank() bool {
	return f.SubnetID == "" && f.SecurityGroups == "" && f.InstanceType == "" &&
		f.RightSizing == "" && f.InstanceProfile == "" && f.PrivateIP == "" &&
		f.Disposition == "" && f.CopyPrivateIP == "" && f.CopyTags == "" && f.BYOL == "" &&
		strings.TrimSpace(f.Tags) == ""
}

// parse returns the settings the form holds and the problems of the
// values that are not of their field's kind; the rest is the service's
// to judge.
func (f settingsForm) parse() (plan.LaunchSettings, []problem) {
	s := plan.LaunchSettings{SubnetID: f.SubnetID, InstanceType: f.InstanceType,
		RightSizing: f.RightSizing, InstanceProfile: f.InstanceProfile, PrivateIP: f.PrivateIP,
		LaunchDisposition: f.Disposition, SecurityGroupIDs: idList.FindAllString(f.SecurityGroups, -1)}
	var problems []problem
	for _, tri := range []struct {
		name, value string
		to          **bool
	}{{"copyPrivateIp", f.CopyPrivateIP, &s.CopyPrivateIP}, {"copyTags", f.CopyTags, &s.CopyTags},
		{"byol", f.BYOL, &s.BYOL}} {
		switch tri.value {
		case "":
		case "true", "false":
			b := tri.value == "true"
			*tri.to = &b
		default:
			problems = append(problems, problem{Field: f.Field + "." + tri.name,
				Message: fmt.Sprintf("%q is none of yes, no or unset", tri.value)})
		}
	}
	tags, ps := parseTagLines(f.Field+".tags", f.Tags)
	s.Tags = tags
	return s, append(problems, ps...)
}

// parseTagLines reads key=value lines; blank lines are ignored.
func parseTagLines(field, text string) (map[string]string, []problem) {
	var tags map[string]string
	var problems []problem
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch {
		case !ok || k == "":
			problems = append(problems, problem{Field: field,
				Message: fmt.Sprintf("line %d, %q, is not key=value", i+1, line)})
			continue
		case hasKey(tags, k):
			problems = append(problems, problem{Field: field,
				Message: fmt.Sprintf("line %d sets tag %q again", i+1, k)})
			continue
		}
		if tags == nil {
			tags = map[string]string{}
		}
		tags[k] = v
	}
	return tags, problems
}

func hasKey(m map[string]string, k string) bool {
	_, ok := m[k]
	return ok
}

// readLaunchSettings reads the editor's launch settings into g and
// returns the forms as typed, for showing them again.
func readLaunchSettings(v url.Values, g *plan.ProtectionGroup) (settingsForm, []settingsForm, []problem) {
	own := readSettingsForm(v, groupSettingsPrefix)
	own.Field = "launchSettings"
	s, problems := own.parse()
	if !s.IsZero() {
		g.LaunchSettings = &s
	}
	var rows []settingsForm
	for i := 0; i < maxRows; i++ {
		prefix := fmt.Sprintf("o%d.", i)
		if _, ok := v[prefix+"server"]; !ok {
			break
		}
		row := readSettingsForm(v, prefix)
		row.Row, row.Server = true, strings.TrimSpace(v.Get(prefix+"server"))
		if row.Server == "" && row.blank() {
			continue
		}
		row.Field = "serverLaunchSettings." + row.Server
		if row.Server == "" {
			row.Field = fmt.Sprintf("serverLaunchSettings[%d]", len(rows))
			problems = append(problems, problem{Field: row.Field,
				Message: "an override needs the ID of its server"})
		}
		rows = append(rows, row)
		if row.Server == "" || row.blank() {
			continue
		}
		s, ps := row.parse()
		problems = append(problems, ps...)
		if _, dup := g.ServerLaunchSettings[row.Server]; dup {
			problems = append(problems, problem{Field: row.Field,
				Message: fmt.Sprintf("server %s has two override rows; merge them into one", row.Server)})
			continue
		}
		if g.ServerLaunchSettings == nil {
			g.ServerLaunchSettings = map[string]plan.LaunchSettings{}
		}
		g.ServerLaunchSettings[row.Server] = s
	}
	return own, rows, problems
}

// overrideRows shows a stored group's per-server settings, by server ID.
func overrideRows(g plan.ProtectionGroup) []settingsForm {
	ids := make([]string, 0, len(g.ServerLaunchSettings))
	for id := range g.ServerLaunchSettings {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	rows := make([]settingsForm, 0, len(ids)+1)
	for _, id := range ids {
		row := settingsFormOf("serverLaunchSettings."+id, "", g.ServerLaunchSettings[id])
		row.Row, row.Server = true, id
		rows = append(rows, row)
	}
	return rows
}

// numberRows gives rows their input names in order and adds the blank
// row that adds an override.
func numberRows(rows []settingsForm) []settingsForm {
	rows = append(slices.Clip(rows), settingsForm{Row: true})
	for i := range rows {
		rows[i].Prefix = fmt.Sprintf("o%d.", i)
		if rows[i].Field == "" {
			rows[i].Field = fmt.Sprintf("serverLaunchSettings[%d]", i)
		}
	}
	return rows
}

// settingsEditor is what the _settings partial reads.
type settingsEditor struct {
	Errors *fieldErrors
	Form   settingsForm
}

func settingsData(e *fieldErrors, f settingsForm) settingsEditor {
	return settingsEditor{Errors: e, Form: f}
}

// Choices of the settings' selects: value and label, the empty value
// meaning "not managed".
var (
	rightSizingChoices = [][2]string{{"", "not managed"}, {plan.RightSizingNone, "NONE (use the instance type)"},
		{plan.RightSizingBasic, "BASIC"}, {plan.RightSizingInAWS, "IN_AWS"}}
	dispositionChoices = [][2]string{{"", "not managed"}, {plan.DispositionStarted, "STARTED"},
		{plan.DispositionStopped, "STOPPED"}}
	triChoices = [][2]string{{"", "not managed"}, {"true", "yes"}, {"false", "no"}}
)

// option is one option of a select.
type option struct {
	Value, Label string
	Selected     bool
}

// options returns the choices of a select with value selected; a value
// that is none of them is kept as an option of its own, so that it is not
// lost on the way back.
func options(choices [][2]string, value string) []option {
	var out []option
	found := false
	for _, c := range choices {
		out = append(out, option{Value: c[0], Label: c[1], Selected: c[0] == value})
		found = found || c[0] == value
	}
	if !found {
		out = append(out, option{Value: value, Label: value, Selected: true})
	}
	return out
}

// Options of the form's selects, for the template.
func (f settingsForm) RightSizingOptions() []option {
	return options(rightSizingChoices, f.RightSizing)
}
func (f settingsForm) DispositionOptions() []option {
	return options(dispositionChoices, f.Disposition)
}
func (f settingsForm) CopyPrivateIPOptions() []option { return options(triChoices, f.CopyPrivateIP) }
func (f settingsForm) CopyTagsOptions() []option      { return options(triChoices, f.CopyTags) }
func (f settingsForm) BYOLOptions() []option          { return options(triChoices, f.BYOL) }

// settingsAnchor finds the element that shows a problem of a launch
// settings field: a list's or the tags' items show at the list.
var settingsAnchor = regexp.MustCompile(`^((?:launchSettings|serverLaunchSettings\.[^\[\]]+?)\.(?:securityGroupIds|tags))[\[.].*$`)

// describeSettings renders settings in one line for people, in the order
// of the form.
func describeSettings(s plan.LaunchSettings) string {
	var parts []string
	add := func(name, v string) {
		if v != "" {
			parts = append(parts, name+" "+v)
		}
	}
	add("subnet", s.SubnetID)
	add("security groups", strings.Join(s.SecurityGroupIDs, ", "))
	add("type", s.InstanceType)
	add("right-sizing", s.RightSizing)
	add("profile", s.InstanceProfile)
	add("private IP", s.PrivateIP)
	add("copy private IP", yesNo(s.CopyPrivateIP))
	add("copy tags", yesNo(s.CopyTags))
	add("disposition", s.LaunchDisposition)
	add("BYOL", yesNo(s.BYOL))
	var tags []string
	for _, t := range tagRowsOf(s.Tags) {
		tags = append(tags, t.Key+"="+t.Value)
	}
	add("tags", strings.Join(tags, " "))
	if len(parts) == 0 {
		return "nothing managed"
	}
	return strings.Join(parts, " · ")
}

func yesNo(b *bool) string {
	switch {
	case b == nil:
		return ""
	case *b:
		return "yes"
	}
	return "no"
}
