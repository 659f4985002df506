package plan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Kinds of objects in a plans-as-code document.
const (
	KindGroup = "ProtectionGroup"
	KindPlan  = "RecoveryPlan"
	KindList  = "List"
)

// Document is the content of a plans-as-code file: protection groups and
// recovery plans, each in the order the file gives them.
//
// In a Document, a wave's ProtectionGroupIDs hold group names, as the file
// writes them; RenameGroups maps them to IDs and back. IDs, versions and
// times are not part of a document.
type Document struct {
	Groups []ProtectionGroup
	Plans  []RecoveryPlan
}

// RenameGroups returns p with every group reference of its waves replaced
// by to[ref] where to has an entry for it; other references are kept, so
// that validation reports them as unknown. p itself is not changed.
func RenameGroups(p RecoveryPlan, to map[string]string) RecoveryPlan {
	waves := slices.Clone(p.Waves)
	for i, w := range waves {
		refs := slices.Clone(w.ProtectionGroupIDs)
		for j, ref := range refs {
			if v, ok := to[ref]; ok {
				refs[j] = v
			}
		}
		waves[i].ProtectionGroupIDs = refs
	}
	p.Waves = waves
	return p
}

// The wire form of documents, shared by YAML and JSON. Only definitions
// appear: no IDs, versions or times, and waves name groups.
type (
	groupDoc struct {
		Kind            string       `json:"kind" yaml:"kind"`
		Name            string       `json:"name" yaml:"name"`
		Description     string       `json:"description,omitempty" yaml:"description,omitempty"`
		AccountID       string       `json:"accountId,omitempty" yaml:"accountId,omitempty"`
		Region          string       `json:"region,omitempty" yaml:"region,omitempty"`
		SourceServerIDs []string     `json:"sourceServerIds,omitempty" yaml:"sourceServerIds,omitempty"`
		ServerSelector  *selectorDoc `json:"serverSelector,omitempty" yaml:"serverSelector,omitempty"`
		// Keyed by source server ID.
		LaunchSettings       *launchSettingsDoc           `json:"launchSettings,omitempty" yaml:"launchSettings,omitempty"`
		ServerLaunchSettings map[string]launchSettingsDoc `json:"serverLaunchSettings,omitempty" yaml:"serverLaunchSettings,omitempty"`
	}
	launchSettingsDoc struct {
		SubnetID          string            `json:"subnetId,omitempty" yaml:"subnetId,omitempty"`
		SecurityGroupIDs  []string          `json:"securityGroupIds,omitempty" yaml:"securityGroupIds,omitempty,flow"`
		InstanceType      string            `json:"instanceType,omitempty" yaml:"instanceType,omitempty"`
		RightSizing       string            `json:"rightSizing,omitempty" yaml:"rightSizing,omitempty"`
		InstanceProfile   string            `json:"instanceProfile,omitempty" yaml:"instanceProfile,omitempty"`
		PrivateIP         string            `json:"privateIp,omitempty" yaml:"privateIp,omitempty"`
		CopyPrivateIP     *bool             `json:"copyPrivateIp,omitempty" yaml:"copyPrivateIp,omitempty"`
		CopyTags          *bool             `json:"copyTags,omitempty" yaml:"copyTags,omitempty"`
		LaunchDisposition string            `json:"launchDisposition,omitempty" yaml:"launchDisposition,omitempty"`
		BYOL              *bool             `json:"byol,omitempty" yaml:"byol,omitempty"`
		Tags              map[string]string `json:"tags,omitempty" yaml:"tags,omitempty"`
	}
	selectorDoc struct {
		Tags map[string]string `json:"tags,omitempty" yaml:"tags,omitempty"`
	}
	planDoc struct {
		Kind        string    `json:"kind" yaml:"kind"`
		Name        string    `json:"name" yaml:"name"`
		Description string    `json:"description,omitempty" yaml:"description,omitempty"`
		RTOMinutes  int       `json:"rtoMinutes,omitempty" yaml:"rtoMinutes,omitempty"`
		Waves       []waveDoc `json:"waves,omitempty" yaml:"waves,omitempty"`
	}
	waveDoc struct {
		Name             string   `json:"name" yaml:"name"`
		ProtectionGroups []string `json:"protectionGroups,omitempty" yaml:"protectionGroups,omitempty,flow"`
		// A pointer, so that an absent list (the previous wave) and an
		// empty one (no dependency) survive a round trip.
		DependsOn            *[]string `json:"dependsOn,omitempty" yaml:"dependsOn,omitempty,flow"`
		PauseBefore          bool      `json:"pauseBefore,omitempty" yaml:"pauseBefore,omitempty"`
		FailurePolicy        string    `json:"failurePolicy,omitempty" yaml:"failurePolicy,omitempty"`
		MinSuccessPercent    *int      `json:"minSuccessPercent,omitempty" yaml:"minSuccessPercent,omitempty"`
		LaunchTimeoutMinutes int       `json:"launchTimeoutMinutes,omitempty" yaml:"launchTimeoutMinutes,omitempty"`
		Hooks                *hooksDoc `json:"hooks,omitempty" yaml:"hooks,omitempty"`
		HealthGate           *gateDoc  `json:"healthGate,omitempty" yaml:"healthGate,omitempty"`
	}
	gateDoc struct {
		StatusChecks    bool   `json:"statusChecks,omitempty" yaml:"statusChecks,omitempty"`
		CheckURL        string `json:"checkUrl,omitempty" yaml:"checkUrl,omitempty"`
		TimeoutMinutes  int    `json:"timeoutMinutes,omitempty" yaml:"timeoutMinutes,omitempty"`
		IntervalSeconds int    `json:"intervalSeconds,omitempty" yaml:"intervalSeconds,omitempty"`
	}
	hooksDoc struct {
		Before []hookDoc `json:"before,omitempty" yaml:"before,omitempty"`
		After  []hookDoc `json:"after,omitempty" yaml:"after,omitempty"`
	}
	hookDoc struct {
		Name           string `json:"name,omitempty" yaml:"name,omitempty"`
		URL            string `json:"url" yaml:"url"`
		TimeoutSeconds int    `json:"timeoutSeconds,omitempty" yaml:"timeoutSeconds,omitempty"`
		Retries        int    `json:"retries,omitempty" yaml:"retries,omitempty"`
	}
	listDoc struct {
		Kind  string `json:"kind" yaml:"kind"`
		Items []any  `json:"items" yaml:"items"`
	}
)

func (d groupDoc) group() ProtectionGroup {
	g := ProtectionGroup{
		Name:            d.Name,
		Description:     d.Description,
		AccountID:       d.AccountID,
		Region:          d.Region,
		SourceServerIDs: cloneNonEmpty(d.SourceServerIDs),
	}
	if d.ServerSelector != nil {
		g.ServerSelector = &Selector{}
		if len(d.ServerSelector.Tags) > 0 {
			g.ServerSelector.Tags = d.ServerSelector.Tags
		}
	}
	if d.LaunchSettings != nil {
		s := d.LaunchSettings.settings()
		g.LaunchSettings = &s
	}
	if len(d.ServerLaunchSettings) > 0 {
		g.ServerLaunchSettings = make(map[string]LaunchSettings, len(d.ServerLaunchSettings))
		for id, sd := range d.ServerLaunchSettings {
			g.ServerLaunchSettings[id] = sd.settings()
		}
	}
	return g
}

// settings converts, with empty lists and maps as nil: a document that
// writes "tags: {}" reads back the same as one that leaves tags out.
func (d launchSettingsDoc) settings() LaunchSettings {
	s := LaunchSettings(d)
	s.SecurityGroupIDs = cloneNonEmpty(s.SecurityGroupIDs)
	if len(s.Tags) == 0 {
		s.Tags = nil
	}
	return s
}

func docOfGroup(g ProtectionGroup) groupDoc {
	d := groupDoc{
		Kind:            KindGroup,
		Name:            g.Name,
		Description:     g.Description,
		AccountID:       g.AccountID,
		Region:          g.Region,
		SourceServerIDs: g.SourceServerIDs,
	}
	if g.ServerSelector != nil {
		d.ServerSelector = &selectorDoc{Tags: g.ServerSelector.Tags}
	}
	if g.LaunchSettings != nil {
		sd := launchSettingsDoc(*g.LaunchSettings)
		d.LaunchSettings = &sd
	}
	if len(g.ServerLaunchSettings) > 0 {
		d.ServerLaunchSettings = make(map[string]launchSettingsDoc, len(g.ServerLaunchSettings))
		for id, s := range g.ServerLaunchSettings {
			d.ServerLaunchSettings[id] = launchSettingsDoc(s)
		}
	}
	return d
}

func (d planDoc) plan() RecoveryPlan {
	p := RecoveryPlan{Name: d.Name, Description: d.Description, RTOMinutes: d.RTOMinutes}
	for _, wd := range d.Waves {
		w := Wave{
			Name:                 wd.Name,
			ProtectionGroupIDs:   cloneNonEmpty(wd.ProtectionGroups),
			PauseBefore:          wd.PauseBefore,
			FailurePolicy:        wd.FailurePolicy,
			MinSuccessPercent:    wd.MinSuccessPercent,
			LaunchTimeoutMinutes: wd.LaunchTimeoutMinutes,
		}
		if wd.DependsOn != nil {
			w.DependsOn = append([]string{}, *wd.DependsOn...)
		}
		if h := wd.Hooks; h != nil {
			w.Hooks = &Hooks{Before: hooksOf(h.Before), After: hooksOf(h.After)}
		}
		if wd.HealthGate != nil {
			hg := HealthGate(*wd.HealthGate)
			w.HealthGate = &hg
		}
		p.Waves = append(p.Waves, w)
	}
	return p
}

func hooksOf(docs []hookDoc) []Hook {
	var hs []Hook
	for _, d := range docs {
		hs = append(hs, Hook(d))
	}
	return hs
}

func docOfPlan(p RecoveryPlan) planDoc {
	d := planDoc{Kind: KindPlan, Name: p.Name, Description: p.Description, RTOMinutes: p.RTOMinutes}
	for _, w := range p.Waves {
		wd := waveDoc{
			Name:                 w.Name,
			ProtectionGroups:     w.ProtectionGroupIDs,
			PauseBefore:          w.PauseBefore,
			FailurePolicy:        w.FailurePolicy,
			MinSuccessPercent:    w.MinSuccessPercent,
			LaunchTimeoutMinutes: w.LaunchTimeoutMinutes,
		}
		if w.DependsOn != nil {
			deps := w.DependsOn
			wd.DependsOn = &deps
		}
		if h := w.Hooks; h != nil {
			wd.Hooks = &hooksDoc{}
			for _, hk := range h.Before {
				wd.Hooks.Before = append(wd.Hooks.Before, hookDoc(hk))
			}
			for _, hk := range h.After {
				wd.Hooks.After = append(wd.Hooks.After, hookDoc(hk))
			}
		}
		if w.HealthGate != nil {
			gd := gateDoc(*w.HealthGate)
			wd.HealthGate = &gd
		}
		d.Waves = append(d.Waves, wd)
	}
	return d
}

// Decode reads a document, as JSON when name ends in .json and as YAML
// otherwise.
func Decode(name string, data []byte) (Document, error) {
	if strings.EqualFold(filepath.Ext(name), ".json") {
		return DecodeJSON(data)
	}
	return DecodeYAML(data)
}

// DecodeYAML reads a YAML stream of one or more documents. Each document is
// an object with a kind (ProtectionGroup, RecoveryPlan, or List with
// items), or a sequence of such objects. Unknown fields and duplicate keys
// are errors.
func DecodeYAML(data []byte) (Document, error) {
	var doc Document
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for n := 1; ; n++ {
		var root yaml.Node
		err := dec.Decode(&root)
		if errors.Is(err, io.EOF) {
			return doc, nil
		}
		if err != nil {
			return Document{}, fmt.Errorf("yaml document %d: %w", n, err)
		}
		if err := doc.addYAML(&root); err != nil {
			return Document{}, fmt.Errorf("yaml document %d: %w", n, err)
		}
	}
}

func (doc *Document) addYAML(root *yaml.Node) error {
	n := root
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return nil
		}
		n = n.Content[0]
	}
	n = unalias(n)
	switch {
	case n.Kind == yaml.ScalarNode && n.Tag == "!!null":
		return nil // an empty document
	case n.Kind == yaml.SequenceNode:
		for _, item := range n.Content {
			if err := doc.addYAMLObject(unalias(item), false); err != nil {
				return err
			}
		}
		return nil
	}
	return doc.addYAMLObject(n, true)
}

func (doc *Document) addYAMLObject(n *yaml.Node, listOK bool) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: expected an object with a kind", n.Line)
	}
	kind, err := yamlKind(n)
	if err != nil {
		return err
	}
	switch kind {
	case KindGroup:
		var d groupDoc
		if err := decodeYAMLStrict(n, &d); err != nil {
			return err
		}
		doc.Groups = append(doc.Groups, d.group())
	case KindPlan:
		var d planDoc
		if err := decodeYAMLStrict(n, &d); err != nil {
			return err
		}
		doc.Plans = append(doc.Plans, d.plan())
	case KindList:
		if !listOK {
			return fmt.Errorf("line %d: a List cannot be an item", n.Line)
		}
		var d struct {
			Kind  string    `yaml:"kind"`
			Items yaml.Node `yaml:"items"`
		}
		if err := decodeYAMLStrict(n, &d); err != nil {
			return err
		}
		items := unalias(&d.Items)
		switch {
		case items.Kind == 0 || items.Kind == yaml.ScalarNode && items.Tag == "!!null":
			return nil
		case items.Kind != yaml.SequenceNode:
			return fmt.Errorf("line %d: items is not a list", items.Line)
		}
		for _, item := range items.Content {
			if err := doc.addYAMLObject(unalias(item), false); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("line %d: unknown kind %q (want %s, %s or %s)", n.Line, kind, KindGroup, KindPlan, KindList)
	}
	return nil
}

func yamlKind(n *yaml.Node) (string, error) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value != "kind" {
			continue
		}
		v := unalias(n.Content[i+1])
		if v.Kind != yaml.ScalarNode {
			return "", fmt.Errorf("line %d: kind is not a string", v.Line)
		}
		return v.Value, nil
	}
	return "", fmt.Errorf("line %d: object has no kind", n.Line)
}

func unalias(n *yaml.Node) *yaml.Node {
	// Anchors cannot refer to themselves, so this ends; the bound is a
	// guard all the same.
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// decodeYAMLStrict decodes n into v and refuses keys v has no field for.
// yaml.Node.Decode ignores unknown keys whatever the decoder's settings,
// so the check walks the node against v's type. Decoding comes first: it
// bounds alias expansion before the walk follows aliases.
func decodeYAMLStrict(n *yaml.Node, v any) error {
	if err := n.Decode(v); err != nil {
		return err
	}
	return checkKnownFields(n, reflect.TypeOf(v).Elem())
}

var yamlNodeType = reflect.TypeFor[yaml.Node]()

func checkKnownFields(n *yaml.Node, t reflect.Type) error {
	n = unalias(n)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == yamlNodeType:
		return nil // checked by whoever decodes it
	case t.Kind() == reflect.Struct && n.Kind == yaml.MappingNode:
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i]
			f, ok := fields[key.Value]
			if !ok || key.Kind != yaml.ScalarNode {
				return fmt.Errorf("line %d: unknown field %q in %s%s", key.Line, key.Value, describe(t), hint(key.Value))
			}
			if err := checkKnownFields(n.Content[i+1], f.Type); err != nil {
				return err
			}
		}
	case t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		for _, item := range n.Content {
			if err := checkKnownFields(item, t.Elem()); err != nil {
				return err
			}
		}
	case t.Kind() == reflect.Map && n.Kind == yaml.MappingNode:
		// Keys are data (server IDs, tag keys); values may be objects.
		for i := 1; i < len(n.Content); i += 2 {
			if err := checkKnownFields(n.Content[i], t.Elem()); err != nil {
				return err
			}
		}
	}
	return nil
}

func yamlFields(t reflect.Type) map[string]reflect.StructField {
	fields := map[string]reflect.StructField{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fields[name] = f
	}
	return fields
}

func describe(t reflect.Type) string {
	switch t {
	case reflect.TypeFor[groupDoc]():
		return KindGroup
	case reflect.TypeFor[planDoc]():
		return KindPlan
	case reflect.TypeFor[waveDoc]():
		return "a wave"
	case reflect.TypeFor[hooksDoc]():
		return "hooks"
	case reflect.TypeFor[hookDoc]():
		return "a hook"
	case reflect.TypeFor[selectorDoc]():
		return "serverSelector"
	case reflect.TypeFor[launchSettingsDoc]():
		return "launch settings"
	case reflect.TypeFor[gateDoc]():
		return "a healthGate"
	}
	return "a " + KindList
}

// hint helps with the one field people carry over from the API.
func hint(field string) string {
	if field == "protectionGroupIds" {
		return " (a file names groups: use protectionGroups)"
	}
	return ""
}

// DecodeJSON reads a JSON document: one object with a kind, a List object
// with items, or an array of objects. Unknown fields and data after the
// value are errors.
func DecodeJSON(data []byte) (Document, error) {
	var raw json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&raw); err != nil {
		return Document{}, fmt.Errorf("json: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Document{}, fmt.Errorf("json: data after the document at offset %d", dec.InputOffset())
	}
	var doc Document
	if bytes.HasPrefix(raw, []byte("[")) {
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return Document{}, fmt.Errorf("json: %w", err)
		}
		for i, item := range items {
			if err := doc.addJSON(item, false); err != nil {
				return Document{}, fmt.Errorf("json: item %d: %w", i, err)
			}
		}
		return doc, nil
	}
	if err := doc.addJSON(raw, true); err != nil {
		return Document{}, fmt.Errorf("json: %w", err)
	}
	return doc, nil
}

func (doc *Document) addJSON(raw json.RawMessage, listOK bool) error {
	if !bytes.HasPrefix(raw, []byte("{")) {
		return errors.New("expected an object with a kind")
	}
	var head struct {
		Kind string `json:"kind"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return err
	}
	switch head.Kind {
	case KindGroup:
		var d groupDoc
		if err := unmarshalStrict(raw, &d); err != nil {
			return fmt.Errorf("%s: %w", KindGroup, err)
		}
		doc.Groups = append(doc.Groups, d.group())
	case KindPlan:
		var d planDoc
		if err := unmarshalStrict(raw, &d); err != nil {
			return fmt.Errorf("%s: %w", KindPlan, err)
		}
		doc.Plans = append(doc.Plans, d.plan())
	case KindList:
		if !listOK {
			return errors.New("a List cannot be an item")
		}
		var d struct {
			Kind  string            `json:"kind"`
			Items []json.RawMessage `json:"items"`
		}
		if err := unmarshalStrict(raw, &d); err != nil {
			return fmt.Errorf("%s: %w", KindList, err)
		}
		for i, item := range d.Items {
			if err := doc.addJSON(item, false); err != nil {
				return fmt.Errorf("item %d: %w", i, err)
			}
		}
	case "":
		return errors.New("object has no kind")
	default:
		return fmt.Errorf("unknown kind %q (want %s, %s or %s)", head.Kind, KindGroup, KindPlan, KindList)
	}
	return nil
}

// UnmarshalStrict decodes exactly one JSON value from data into v,
// refusing fields v does not have and anything after the value.
func UnmarshalStrict(data []byte, v any) error {
	return unmarshalStrict(data, v)
}

func unmarshalStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("data after the JSON value")
	}
	return CheckDuplicateKeys(data)
}

// MarshalYAML writes doc as a YAML stream, one document per object: its
// groups, then its plans, each in the order doc holds them.
func MarshalYAML(doc Document) ([]byte, error) {
	if len(doc.Groups) == 0 && len(doc.Plans) == 0 {
		return nil, nil // the encoder cannot close a stream it never began
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	for _, g := range doc.Groups {
		if err := enc.Encode(docOfGroup(g)); err != nil {
			return nil, fmt.Errorf("encode group %q: %w", g.Name, err)
		}
	}
	for _, p := range doc.Plans {
		if err := enc.Encode(docOfPlan(p)); err != nil {
			return nil, fmt.Errorf("encode plan %q: %w", p.Name, err)
		}
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// MarshalJSON writes doc as one JSON List object.
func MarshalJSON(doc Document) ([]byte, error) {
	l := listDoc{Kind: KindList, Items: []any{}}
	for _, g := range doc.Groups {
		l.Items = append(l.Items, docOfGroup(g))
	}
	for _, p := range doc.Plans {
		l.Items = append(l.Items, docOfPlan(p))
	}
	return json.MarshalIndent(l, "", "  ")
}
