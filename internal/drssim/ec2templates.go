package drssim

import (
	"net/url"
	"strconv"
	"strings"
)

type xLTProfile struct {
	Arn  string `xml:"arn,omitempty"`
	Name string `xml:"name,omitempty"`
}

type xLTNIC struct {
	AssociatePublicIPAddress *bool    `xml:"associatePublicIpAddress,omitempty"`
	DeleteOnTermination      *bool    `xml:"deleteOnTermination,omitempty"`
	Description              string   `xml:"description,omitempty"`
	DeviceIndex              *int64   `xml:"deviceIndex,omitempty"`
	SubnetID                 string   `xml:"subnetId,omitempty"`
	Groups                   []string `xml:"groupSet>groupId"`
	PrivateIPAddress         string   `xml:"privateIpAddress,omitempty"`
}

type xLTTagSpec struct {
	ResourceType string `xml:"resourceType"`
	TagSet       []xTag `xml:"tagSet>item"`
}

type xLTData struct {
	InstanceType       string       `xml:"instanceType,omitempty"`
	IamInstanceProfile *xLTProfile  `xml:"iamInstanceProfile,omitempty"`
	NetworkInterfaces  []xLTNIC     `xml:"networkInterfaceSet>item"`
	SecurityGroupIDs   []string     `xml:"securityGroupIdSet>item"`
	TagSpecifications  []xLTTagSpec `xml:"tagSpecificationSet>item"`
}

type xLTVersion struct {
	LaunchTemplateID   string  `xml:"launchTemplateId"`
	LaunchTemplateName string  `xml:"launchTemplateName"`
	VersionNumber      int64   `xml:"versionNumber"`
	VersionDescription string  `xml:"versionDescription,omitempty"`
	CreateTime         string  `xml:"createTime"`
	CreatedBy          string  `xml:"createdBy"`
	DefaultVersion     bool    `xml:"defaultVersion"`
	LaunchTemplateData xLTData `xml:"launchTemplateData"`
}

func xLTDataOf(d ltData) xLTData {
	x := xLTData{InstanceType: d.instanceType, SecurityGroupIDs: d.sgIDs}
	if d.profileARN != "" || d.profileName != "" {
		x.IamInstanceProfile = &xLTProfile{Arn: d.profileARN, Name: d.profileName}
	}
	for _, n := range d.nics {
		x.NetworkInterfaces = append(x.NetworkInterfaces, xLTNIC{
			AssociatePublicIPAddress: n.associatePublicIP, DeleteOnTermination: n.deleteOnTermination,
			Description: n.description, DeviceIndex: n.deviceIndex, SubnetID: n.subnetID, Groups: n.sgIDs,
			PrivateIPAddress: n.privateIP,
		})
	}
	for _, ts := range d.tagSpecs {
		xs := xLTTagSpec{ResourceType: ts.resourceType}
		for _, t := range ts.tags {
			xs.TagSet = append(xs.TagSet, xTag{t.key, t.value})
		}
		x.TagSpecifications = append(x.TagSpecifications, xs)
	}
	return x
}

func xLTVersionOf(lt *launchTemplate, v *ltVersion) xLTVersion {
	return xLTVersion{
		LaunchTemplateID:   lt.id,
		LaunchTemplateName: lt.name,
		VersionNumber:      v.number,
		VersionDescription: v.desc,
		CreateTime:         ec2Time(v.created),
		CreatedBy:          v.createdBy,
		DefaultVersion:     v.number == lt.deflt,
		LaunchTemplateData: xLTDataOf(v.data),
	}
}

// lookupTemplate finds the template LaunchTemplateId (or
// LaunchTemplateName) names.
func (s *Sim) lookupTemplate(form url.Values) (*launchTemplate, error) {
	id, name := form.Get("LaunchTemplateId"), form.Get("LaunchTemplateName")
	switch {
	case id != "" && name != "":
		return nil, ec2Err("InvalidParameterCombination", "Specify either LaunchTemplateId or LaunchTemplateName, not both")
	case id != "":
		if !validEC2ID(id, "lt-") {
			return nil, ec2Err("InvalidLaunchTemplateId.Malformed", "The specified launch template ID %s is malformed.", id)
		}
		if lt := s.ec2().templates[id]; lt != nil {
			return lt, nil
		}
		return nil, ec2Err("InvalidLaunchTemplateId.NotFound", "The specified launch template, with template ID %s, does not exist.", id)
	case name != "":
		if srv := s.serverByID[strings.TrimPrefix(name, "drs-")]; srv != nil {
			if lt := s.ec2().templates[srv.launchTmpl]; lt != nil && lt.name == name {
				return lt, nil
			}
		}
		return nil, ec2Err("InvalidLaunchTemplateName.NotFoundException", "The specified launch template, with template name %s, does not exist.", name)
	}
	return nil, missingParam("LaunchTemplateId")
}

// version resolves a version string: a number, $Default or $Latest.
func (lt *launchTemplate) version(v string) (*ltVersion, error) {
	switch v {
	case "$Default":
		return lt.defaultVersion(), nil
	case "$Latest":
		return lt.versions[len(lt.versions)-1], nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 {
		return nil, invalidParam("Invalid launch template version %q: expecting a number, $Latest or $Default", v)
	}
	if n > int64(len(lt.versions)) {
		return nil, ec2Err("InvalidLaunchTemplateId.VersionNotFound",
			"Could not find launch template version %d for launch template ID %s.", n, lt.id)
	}
	return lt.versions[n-1], nil
}

type describeLaunchTemplateVersionsOutput struct {
	ec2Head
	Versions  []xLTVersion `xml:"launchTemplateVersionSet>item"`
	NextToken string       `xml:"nextToken,omitempty"`
}

// describeLaunchTemplateVersions lists the versions asked for, or every
// version (bounded by MinVersion and MaxVersion), by version number.
func (s *Sim) describeLaunchTemplateVersions(r *ec2Request) (ec2Output, error) {
	lt, err := s.lookupTemplate(r.form)
	if err != nil {
		return nil, err
	}
	if _, err := filters(r.form, "is-default-version", "instance-type"); err != nil {
		return nil, err
	}
	p, err := pageArgs(r.form, "DescribeLaunchTemplateVersions", 1, 200)
	if err != nil {
		return nil, err
	}
	var list []*ltVersion
	if asked := values(r.form, "LaunchTemplateVersion"); len(asked) > 0 {
		seen := map[int64]bool{}
		for _, v := range asked {
			ver, err := lt.version(v)
			if err != nil {
				return nil, err
			}
			if !seen[ver.number] {
				seen[ver.number] = true
				list = append(list, ver)
			}
		}
		sortBy(list, func(a, b *ltVersion) bool { return a.number < b.number })
	} else {
		lo, hi := int64(1), int64(len(lt.versions))
		if v := r.form.Get("MinVersion"); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, invalidParam("Invalid MinVersion %q", v)
			}
			lo = n
		}
		if v := r.form.Get("MaxVersion"); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, invalidParam("Invalid MaxVersion %q", v)
			}
			hi = min(n, hi)
		}
		for n := max(lo, 1); n <= hi; n++ {
			list = append(list, lt.versions[n-1])
		}
	}
	fs, _ := filters(r.form, "is-default-version", "instance-type")
	kept := list[:0:0]
	for _, v := range list {
		if match(fs, func(name string) []string {
			if name == "instance-type" {
				return []string{v.data.instanceType}
			}
			return []string{strconv.FormatBool(v.number == lt.deflt)}
		}) {
			kept = append(kept, v)
		}
	}
	lo, hi, next := paginate(p, "DescribeLaunchTemplateVersions", len(kept), func(i int) int64 { return kept[i].number })
	out := &describeLaunchTemplateVersionsOutput{NextToken: next}
	for _, v := range kept[lo:hi] {
		out.Versions = append(out.Versions, xLTVersionOf(lt, v))
	}
	return out, nil
}

// parseTemplateData reads LaunchTemplateData.* over base: members given
// replace the base's, lists (network interfaces, tag specifications,
// security groups) as a whole.
func parseTemplateData(form url.Values, base ltData) (ltData, error) {
	const pre = "LaunchTemplateData."
	d := base.clone()
	if v, ok := form[pre+"InstanceType"]; ok {
		if !validInstanceType(v[0]) {
			return d, invalidParam("Invalid value '%s' for InstanceType.", v[0])
		}
		d.instanceType = v[0]
	}
	arn, hasArn := form[pre+"IamInstanceProfile.Arn"]
	name, hasName := form[pre+"IamInstanceProfile.Name"]
	if hasArn || hasName {
		d.profileARN, d.profileName = "", ""
		if hasArn {
			if !strings.HasPrefix(arn[0], "arn:aws:iam::") || !strings.Contains(arn[0], ":instance-profile/") {
				return d, invalidParam("Value (%s) for parameter iamInstanceProfile.arn is invalid.", arn[0])
			}
			d.profileARN = arn[0]
		}
		if hasName {
			d.profileName = name[0]
		}
	}
	if sgs := values(form, pre+"SecurityGroupId"); len(sgs) > 0 {
		for _, id := range sgs {
			if !validEC2ID(id, "sg-") {
				return d, ec2Err("InvalidGroupId.Malformed", "Invalid id: \"%s\" (expecting \"sg-...\")", id)
			}
		}
		d.sgIDs = sgs
	}
	if nics := indexed(form, pre+"NetworkInterface"); len(nics) > 0 {
		d.nics = nil
		for _, p := range nics {
			var n ltNIC
			if v := form.Get(p + ".DeviceIndex"); v != "" {
				i, err := strconv.ParseInt(v, 10, 64)
				if err != nil || i < 0 {
					return d, invalidParam("Invalid value '%s' for DeviceIndex.", v)
				}
				n.deviceIndex = &i
			}
			n.subnetID = form.Get(p + ".SubnetId")
			if n.subnetID != "" && !validEC2ID(n.subnetID, "subnet-") {
				return d, ec2Err("InvalidSubnetID.Malformed", "Invalid id: \"%s\"", n.subnetID)
			}
			n.sgIDs = values(form, p+".SecurityGroupId")
			for _, id := range n.sgIDs {
				if !validEC2ID(id, "sg-") {
					return d, ec2Err("InvalidGroupId.Malformed", "Invalid id: \"%s\" (expecting \"sg-...\")", id)
				}
			}
			for _, b := range []struct {
				name string
				dst  **bool
			}{{".DeleteOnTermination", &n.deleteOnTermination}, {".AssociatePublicIpAddress", &n.associatePublicIP}} {
				switch v := form.Get(p + b.name); v {
				case "":
				case "true", "false":
					val := v == "true"
					*b.dst = &val
				default:
					return d, invalidParam("Invalid value '%s' for %s.", v, strings.TrimPrefix(b.name, "."))
				}
			}
			n.description = form.Get(p + ".Description")
			n.privateIP = form.Get(p + ".PrivateIpAddress")
			if n.privateIP != "" {
				if _, ok := parseIPv4(n.privateIP); !ok {
					return d, invalidParam("Invalid IPv4 address: %s", n.privateIP)
				}
			}
			d.nics = append(d.nics, n)
		}
	}
	if specs := indexed(form, pre+"TagSpecification"); len(specs) > 0 {
		d.tagSpecs = nil
		for _, p := range specs {
			ts := ltTagSpec{resourceType: form.Get(p + ".ResourceType")}
			switch ts.resourceType {
			case "instance", "volume", "network-interface", "spot-instances-request":
			case "":
				return d, missingParam(p + ".ResourceType")
			default:
				return d, invalidParam("'%s' is not a valid taggable resource type for this operation.", ts.resourceType)
			}
			for _, tp := range indexed(form, p+".Tag") {
				k := form.Get(tp + ".Key")
				if k == "" || len(k) > 128 {
					return d, invalidParam("Invalid tag key %q", k)
				}
				ts.tags = append(ts.tags, tagKV{k, form.Get(tp + ".Value")})
			}
			d.tagSpecs = append(d.tagSpecs, ts)
		}
	}
	return d, nil
}

// validInstanceType accepts family.size, the shape of every EC2 type.
func validInstanceType(t string) bool {
	fam, size, ok := strings.Cut(t, ".")
	return ok && fam != "" && size != "" && len(t) <= 64 && !strings.ContainsAny(t, " /")
}

type createLaunchTemplateVersionOutput struct {
	ec2Head
	Version xLTVersion `xml:"launchTemplateVersion"`
}

// createLaunchTemplateVersion adds a version, inheriting from
// SourceVersion the members the request leaves out. It does not make the
// new version the default.
func (s *Sim) createLaunchTemplateVersion(r *ec2Request) (ec2Output, error) {
	lt, err := s.lookupTemplate(r.form)
	if err != nil {
		return nil, err
	}
	hasData := false
	for k := range r.form {
		if strings.HasPrefix(k, "LaunchTemplateData.") {
			hasData = true
			break
		}
	}
	if !hasData {
		return nil, missingParam("LaunchTemplateData")
	}
	// EC2 answers a request repeated with its ClientToken with what the
	// first made, and refuses the token for a different request.
	token := r.form.Get("ClientToken")
	var request string
	if token != "" {
		rest := url.Values{}
		for k, vs := range r.form {
			if k != "ClientToken" {
				rest[k] = vs
			}
		}
		request = rest.Encode()
		if use, ok := s.ec2().tokens[token]; ok {
			if use.template != lt.id || use.request != request {
				return nil, ec2Err("IdempotentParameterMismatch",
					"The client token %s was already used for a different request.", token)
			}
			return &createLaunchTemplateVersionOutput{Version: xLTVersionOf(lt, use.version)}, nil
		}
	}
	var base ltData
	if sv := r.form.Get("SourceVersion"); sv != "" {
		v, err := lt.version(sv)
		if err != nil {
			return nil, err
		}
		base = v.data
	}
	desc := r.form.Get("VersionDescription")
	if len(desc) > 255 {
		return nil, invalidParam("VersionDescription is longer than 255 characters")
	}
	data, err := parseTemplateData(r.form, base)
	if err != nil {
		return nil, err
	}
	if len(lt.versions) >= 10000 {
		return nil, ec2Err("VersionLimitExceeded", "The launch template %s has the maximum number of versions.", lt.id)
	}
	v := lt.add(data, desc, "arn:aws:iam::"+s.account+":user/drsorch", r.now)
	if token != "" {
		e := s.ec2()
		if e.tokens == nil {
			e.tokens = make(map[string]tokenUse)
		}
		e.tokens[token] = tokenUse{template: lt.id, request: request, version: v}
	}
	return &createLaunchTemplateVersionOutput{Version: xLTVersionOf(lt, v)}, nil
}

type xLaunchTemplate struct {
	LaunchTemplateID     string `xml:"launchTemplateId"`
	LaunchTemplateName   string `xml:"launchTemplateName"`
	CreateTime           string `xml:"createTime"`
	CreatedBy            string `xml:"createdBy"`
	DefaultVersionNumber int64  `xml:"defaultVersionNumber"`
	LatestVersionNumber  int64  `xml:"latestVersionNumber"`
}

type modifyLaunchTemplateOutput struct {
	ec2Head
	LaunchTemplate xLaunchTemplate `xml:"launchTemplate"`
}

func (s *Sim) xLaunchTemplate(lt *launchTemplate) xLaunchTemplate {
	return xLaunchTemplate{
		LaunchTemplateID: lt.id, LaunchTemplateName: lt.name,
		CreateTime: ec2Time(lt.created), CreatedBy: s.drsPrincipal(),
		DefaultVersionNumber: lt.deflt, LatestVersionNumber: int64(len(lt.versions)),
	}
}

// modifyLaunchTemplate sets the default version.
func (s *Sim) modifyLaunchTemplate(r *ec2Request) (ec2Output, error) {
	lt, err := s.lookupTemplate(r.form)
	if err != nil {
		return nil, err
	}
	if v := r.form.Get("SetDefaultVersion"); v != "" {
		ver, err := lt.version(v)
		if err != nil {
			return nil, err
		}
		lt.deflt = ver.number
	}
	return &modifyLaunchTemplateOutput{LaunchTemplate: s.xLaunchTemplate(lt)}, nil
}
