package plan

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

var (
	// regionPattern accepts the shape of every AWS region name, commercial,
	// GovCloud, China and the isolated partitions: us-east-1,
	// ap-southeast-4, us-gov-west-1, cn-northwest-1, us-isob-east-1.
	regionPattern = regexp.MustCompile(`^(af|ap|ca|cn|eu|il|me|mx|sa|us)` +
		`(-(gov|iso|isob|isoe|isof))?` +
		`-(north|south|east|west|central|northeast|northwest|southeast|southwest)` +
		`-[1-9][0-9]?$`)
	serverIDPattern  = regexp.MustCompile(`^s-[0-9a-f]{17}$`)
	accountIDPattern = regexp.MustCompile(`^[0-9]{12}$`)
)

// ValidRegion reports whether s has the shape of an AWS region name.
func ValidRegion(s string) bool { return regionPattern.MatchString(s) }

// ValidAccountID reports whether s is a 12-digit AWS account ID.
func ValidAccountID(s string) bool { return accountIDPattern.MatchString(s) }

// ValidateGroup checks a protection group on its own and against others,
// the groups already defined: names must differ, a source server may
// belong to one group only, and a static private IP may be given to one
// server of a subnet only. Launch settings are checked for their shape
// and consistency; what needs a look at EC2 (that subnets exist, that IPs
// are free) is internal/launchcfg's. An entry of others with g's ID (g's
// previous version) is ignored. Field paths refer to g as given, so
// validate before normalizing. The result is nil or an Errors listing
// every problem.
func ValidateGroup(g ProtectionGroup, others []ProtectionGroup) error {
	var errs Errors
	checkName(&errs, "name", g.Name)
	owner := map[string]string{}
	for _, o := range others {
		if g.ID != "" && o.ID == g.ID {
			continue
		}
		if g.Name != "" && o.Name == g.Name {
			errs.add(CodeDuplicateName, "name", "a protection group named %q already exists", g.Name)
		}
		for _, id := range o.SourceServerIDs {
			if _, ok := owner[id]; !ok {
				owner[id] = o.Name
			}
		}
	}
	checkDescription(&errs, g.Description)
	if g.AccountID != "" && !accountIDPattern.MatchString(g.AccountID) {
		errs.add(CodeAccountIDInvalid, "accountId", "account ID %q is not 12 digits", g.AccountID)
	}
	switch {
	case g.Region == "":
		errs.add(CodeRegionRequired, "region", "region is required")
	case !regionPattern.MatchString(g.Region):
		errs.add(CodeRegionInvalid, "region", "%q is not an AWS region name such as us-east-1", g.Region)
	}

	if len(g.SourceServerIDs) == 0 && g.ServerSelector == nil {
		errs.add(CodeServersRequired, "sourceServerIds",
			"a protection group needs sourceServerIds, a serverSelector, or both")
	}
	if len(g.SourceServerIDs) > MaxSourceServerIDs {
		errs.add(CodeTooManyServers, "sourceServerIds",
			"%d source server IDs; at most %d (use a serverSelector for more)",
			len(g.SourceServerIDs), MaxSourceServerIDs)
	}
	seen := map[string]int{}
	for i, id := range g.SourceServerIDs {
		field := fmt.Sprintf("sourceServerIds[%d]", i)
		if !serverIDPattern.MatchString(id) {
			errs.add(CodeServerIDInvalid, field, "%q is not a source server ID (s- and 17 lowercase hexadecimal digits)", id)
			continue
		}
		if j, ok := seen[id]; ok {
			errs.add(CodeDuplicateServer, field, "source server %q is already listed at sourceServerIds[%d]", id, j)
			continue
		}
		seen[id] = i
		if other, ok := owner[id]; ok {
			errs.add(CodeServerInOtherGroup, field, "source server %q is in protection groups %q and %q", id, g.Name, other)
		}
	}
	if g.ServerSelector != nil {
		checkSelector(&errs, g.ServerSelector)
	}
	checkLaunchSettings(&errs, g, others)
	return errs.err()
}

func checkSelector(errs *Errors, s *Selector) {
	if len(s.Tags) == 0 {
		errs.add(CodeSelectorEmpty, "serverSelector.tags",
			"a server selector needs at least one tag; an empty one would match nothing")
		return
	}
	if len(s.Tags) > MaxSelectorTags {
		errs.add(CodeTooManyTags, "serverSelector.tags", "%d tags; at most %d", len(s.Tags), MaxSelectorTags)
	}
	keys := make([]string, 0, len(s.Tags))
	for k := range s.Tags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		field := fmt.Sprintf("serverSelector.tags[%q]", k)
		switch {
		case k == "":
			errs.add(CodeTagKeyEmpty, field, "a tag key is empty")
		case utf8.RuneCountInString(k) > MaxTagKeyLen:
			errs.add(CodeTagKeyTooLong, field, "tag key has %d characters; at most %d", utf8.RuneCountInString(k), MaxTagKeyLen)
		}
		if n := utf8.RuneCountInString(s.Tags[k]); n > MaxTagValueLen {
			errs.add(CodeTagValueTooLong, field, "tag value has %d characters; at most %d", n, MaxTagValueLen)
		}
	}
}

// ValidatePlan checks a recovery plan. groupsByID holds the groups its
// waves may name, keyed by what the waves hold (IDs in the API, names in a
// plans-as-code file); a source server in two of the groups the plan uses
// is refused. Field paths refer to p as given; defaults need not be
// filled in. The result is nil or an Errors listing every problem.
func ValidatePlan(p RecoveryPlan, groupsByID map[string]ProtectionGroup) error {
	var errs Errors
	checkName(&errs, "name", p.Name)
	checkDescription(&errs, p.Description)
	if p.RTOMinutes < 0 {
		errs.add(CodeRTONegative, "rtoMinutes", "rtoMinutes is %d; it cannot be negative", p.RTOMinutes)
	}
	switch {
	case len(p.Waves) == 0:
		errs.add(CodeWavesRequired, "waves", "a recovery plan needs at least one wave")
	case len(p.Waves) > MaxWaves:
		errs.add(CodeTooManyWaves, "waves", "%d waves; at most %d", len(p.Waves), MaxWaves)
	}

	// index maps a wave name to its first wave, so that dependencies on a
	// later wave resolve too.
	index := map[string]int{}
	for i, w := range p.Waves {
		if _, ok := index[w.Name]; !ok {
			index[w.Name] = i
		}
	}
	usedIn := map[string]int{} // group reference → wave index
	var used []groupUse
	for i, w := range p.Waves {
		wf := fmt.Sprintf("waves[%d]", i)
		checkName(&errs, wf+".name", w.Name)
		if j := index[w.Name]; j != i && w.Name != "" {
			errs.add(CodeDuplicateName, wf+".name", "wave name %q is already used by waves[%d]", w.Name, j)
		}

		switch {
		case len(w.ProtectionGroupIDs) == 0:
			errs.add(CodeWaveGroupsRequired, wf+".protectionGroupIds", "wave %q has no protection group", w.Name)
		case len(w.ProtectionGroupIDs) > MaxGroupsPerWave:
			errs.add(CodeTooManyGroups, wf+".protectionGroupIds", "%d protection groups; at most %d",
				len(w.ProtectionGroupIDs), MaxGroupsPerWave)
		}
		for j, ref := range w.ProtectionGroupIDs {
			field := fmt.Sprintf("%s.protectionGroupIds[%d]", wf, j)
			if k, ok := usedIn[ref]; ok {
				errs.add(CodeDuplicateGroup, field, "protection group %q is already in wave %q", ref, p.Waves[k].Name)
				continue
			}
			usedIn[ref] = i
			g, ok := groupsByID[ref]
			if !ok {
				errs.add(CodeUnknownGroup, field, "unknown protection group %q", ref)
				continue
			}
			used = append(used, groupUse{field: field, group: g})
		}

		seen := map[string]bool{}
		for j, dep := range w.DependsOn {
			field := fmt.Sprintf("%s.dependsOn[%d]", wf, j)
			switch _, ok := index[dep]; {
			case !ok:
				errs.add(CodeUnknownWave, field, "unknown wave %q", dep)
			case seen[dep]:
				errs.add(CodeDuplicateDependency, field, "wave %q is listed twice", dep)
			}
			seen[dep] = true
		}

		switch w.FailurePolicy {
		case "", FailureStop, FailureContinue:
		default:
			errs.add(CodeFailurePolicyInvalid, wf+".failurePolicy", "failure policy %q is neither %q nor %q",
				w.FailurePolicy, FailureStop, FailureContinue)
		}
		if m := w.MinSuccessPercent; m != nil && (*m < 0 || *m > 100) {
			errs.add(CodeMinSuccessPercent, wf+".minSuccessPercent", "minSuccessPercent is %d; it must be 0 to 100", *m)
		}
		if t := w.LaunchTimeoutMinutes; t < 0 || t > MaxLaunchTimeoutMinutes {
			errs.add(CodeLaunchTimeoutInvalid, wf+".launchTimeoutMinutes",
				"launchTimeoutMinutes is %d; it must be 1 to %d (or absent for the default)", t, MaxLaunchTimeoutMinutes)
		}
		if w.Hooks != nil {
			checkHooks(&errs, wf+".hooks.before", w.Hooks.Before)
			checkHooks(&errs, wf+".hooks.after", w.Hooks.After)
		}
		if w.HealthGate != nil {
			checkHealthGate(&errs, wf+".healthGate", w.HealthGate)
		}
	}
	checkCycles(&errs, p.Waves, index)
	checkClaims(&errs, used)
	return errs.err()
}

// groupUse is a group a plan uses, and where the plan names it.
type groupUse struct {
	field string
	group ProtectionGroup
}

// checkClaims refuses a source server listed by two of the groups a plan
// uses: it would be launched twice.
func checkClaims(errs *Errors, used []groupUse) {
	owner := map[string]string{}
	for _, u := range used {
		for _, id := range u.group.SourceServerIDs {
			other, ok := owner[id]
			switch {
			case !ok:
				owner[id] = u.group.Name
			case other != u.group.Name:
				errs.add(CodeServerInOtherGroup, u.field, "source server %q is in protection groups %q and %q",
					id, other, u.group.Name)
			}
		}
	}
}

func checkHooks(errs *Errors, field string, hooks []Hook) {
	if len(hooks) > MaxHooksPerPhase {
		errs.add(CodeTooManyHooks, field, "%d hooks; at most %d", len(hooks), MaxHooksPerPhase)
	}
	for k, h := range hooks {
		f := fmt.Sprintf("%s[%d]", field, k)
		if !validHookURL(h.URL) {
			errs.add(CodeHookURLInvalid, f+".url", "hook URL %q is not an http or https URL", h.URL)
		}
		if h.TimeoutSeconds < 0 || h.TimeoutSeconds > MaxHookTimeoutSecond {
			errs.add(CodeHookTimeoutInvalid, f+".timeoutSeconds", "timeoutSeconds is %d; it must be 0 to %d",
				h.TimeoutSeconds, MaxHookTimeoutSecond)
		}
		if h.Retries < 0 || h.Retries > MaxHookRetries {
			errs.add(CodeHookRetriesInvalid, f+".retries", "retries is %d; it must be 0 to %d", h.Retries, MaxHookRetries)
		}
	}
}

// validHookURL reports whether raw is an absolute http or https URL of
// at most MaxHookURLLen bytes: what hooks and health gates may call.
func validHookURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && len(raw) <= MaxHookURLLen
}

func checkName(errs *Errors, field, name string) {
	n := utf8.RuneCountInString(name)
	switch {
	case name == "":
		errs.add(CodeNameRequired, field, "name is required")
	case n > MaxNameLen:
		errs.add(CodeNameTooLong, field, "name has %d characters; at most %d", n, MaxNameLen)
	case !utf8.ValidString(name):
		errs.add(CodeNameInvalid, field, "name is not valid UTF-8")
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		errs.add(CodeNameInvalid, field, "name %q contains a control character", name)
	case strings.TrimSpace(name) != name:
		// Trimming silently would make the stored name differ from the
		// one in the user's file.
		errs.add(CodeNameInvalid, field, "name %q begins or ends with white space", name)
	}
}

func checkDescription(errs *Errors, d string) {
	if n := utf8.RuneCountInString(d); n > MaxDescriptionLen {
		errs.add(CodeDescriptionTooLong, "description", "description has %d characters; at most %d", n, MaxDescriptionLen)
	}
}

// checkCycles reports every set of waves that depend on each other, one
// cycle per strongly connected set, naming its waves in dependency order.
func checkCycles(errs *Errors, waves []Wave, index map[string]int) {
	deps := make([][]int, len(waves))
	for i, w := range waves {
		if w.DependsOn == nil {
			if i > 0 {
				deps[i] = []int{i - 1}
			}
			continue
		}
		for _, d := range w.DependsOn {
			if j, ok := index[d]; ok {
				deps[i] = append(deps[i], j)
			}
		}
	}
	for _, scc := range components(deps) {
		start := slices.Min(scc)
		if len(scc) == 1 && !slices.Contains(deps[start], start) {
			continue
		}
		path := shortestCycle(deps, scc, start)
		names := make([]string, len(path))
		for k, i := range path {
			names[k] = fmt.Sprintf("%q", waves[i].Name)
		}
		errs.add(CodeDependencyCycle, fmt.Sprintf("waves[%d].dependsOn", start),
			"waves depend on each other in a cycle: %s", strings.Join(names, " → "))
	}
}

// components returns the strongly connected components of the graph
// (Tarjan's algorithm), ordered by their lowest node.
func components(edges [][]int) [][]int {
	n := len(edges)
	index := make([]int, n)
	low := make([]int, n)
	onStack := make([]bool, n)
	for i := range index {
		index[i] = -1
	}
	var stack []int
	var out [][]int
	next := 0
	var visit func(v int)
	visit = func(v int) {
		index[v], low[v] = next, next
		next++
		stack = append(stack, v)
		onStack[v] = true
		for _, w := range edges[v] {
			switch {
			case index[w] < 0:
				visit(w)
				low[v] = min(low[v], low[w])
			case onStack[w]:
				low[v] = min(low[v], index[w])
			}
		}
		if low[v] != index[v] {
			return
		}
		var scc []int
		for {
			w := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			onStack[w] = false
			scc = append(scc, w)
			if w == v {
				break
			}
		}
		out = append(out, scc)
	}
	for v := range n {
		if index[v] < 0 {
			visit(v)
		}
	}
	slices.SortFunc(out, func(a, b []int) int { return slices.Min(a) - slices.Min(b) })
	return out
}

// shortestCycle returns a shortest path start → … → start inside scc.
func shortestCycle(edges [][]int, scc []int, start int) []int {
	in := map[int]bool{}
	for _, v := range scc {
		in[v] = true
	}
	prev := map[int]int{}
	queue := []int{start}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		for _, w := range edges[v] {
			if !in[w] {
				continue
			}
			if w == start {
				path := []int{start}
				for u := v; u != start; u = prev[u] {
					path = append(path, u)
				}
				slices.Reverse(path[1:])
				return append(path, start)
			}
			if _, seen := prev[w]; !seen {
				prev[w] = v
				queue = append(queue, w)
			}
		}
	}
	return []int{start, start} // not reached for a real cycle
}
