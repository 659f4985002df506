package drssim

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ec2NS is the XML namespace of EC2 API version 2016-11-15.
const ec2NS = "http://ec2.amazonaws.com/doc/2016-11-15/"

// isEC2 tells an EC2 Query request from a DRS REST-JSON one: EC2 posts a
// form to the root path, DRS never uses the root path.
func isEC2(r *http.Request) bool {
	if r.Method != http.MethodPost || (r.URL.Path != "/" && r.URL.Path != "") {
		return false
	}
	return strings.HasPrefix(strings.ToLower(r.Header.Get("Content-Type")), "application/x-www-form-urlencoded")
}

// ec2Error is an EC2 error response.
type ec2Error struct {
	status  int
	code    string
	message string
}

func (e *ec2Error) Error() string { return e.code + ": " + e.message }

func ec2Err(code, format string, args ...any) *ec2Error {
	return &ec2Error{status: http.StatusBadRequest, code: code, message: fmt.Sprintf(format, args...)}
}

func invalidParam(format string, args ...any) *ec2Error {
	return ec2Err("InvalidParameterValue", format, args...)
}

func missingParam(name string) *ec2Error {
	return ec2Err("MissingParameter", "The request must contain the parameter %s", name)
}

type ec2ErrorResponse struct {
	XMLName   xml.Name       `xml:"Response"`
	Errors    []ec2ErrorItem `xml:"Errors>Error"`
	RequestID string         `xml:"RequestID"`
}

type ec2ErrorItem struct {
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

// ec2Head is the first member of every EC2 response, the request ID.
type ec2Head struct {
	RequestID string `xml:"requestId"`
}

func (h *ec2Head) setRequestID(id string) { h.RequestID = id }

type ec2Output interface{ setRequestID(id string) }

// ec2Request is what an EC2 handler sees.
type ec2Request struct {
	form url.Values
	now  time.Time
}

type ec2Op func(s *Sim, r *ec2Request) (ec2Output, error)

var ec2Operations = map[string]ec2Op{
	"DescribeSubnets":                (*Sim).describeSubnets,
	"DescribeSecurityGroups":         (*Sim).describeSecurityGroups,
	"DescribeNetworkInterfaces":      (*Sim).describeNetworkInterfaces,
	"DescribeInstances":              (*Sim).describeEC2Instances,
	"DescribeInstanceStatus":         (*Sim).describeInstanceStatus,
	"DescribeLaunchTemplateVersions": (*Sim).describeLaunchTemplateVersions,
	"CreateLaunchTemplateVersion":    (*Sim).createLaunchTemplateVersion,
	"ModifyLaunchTemplate":           (*Sim).modifyLaunchTemplate,
	"CreateTags":                     (*Sim).createTags,
	"DeleteTags":                     (*Sim).deleteTags,
}

// serveEC2 answers one EC2 Query request.
func (s *Sim) serveEC2(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.advance(now)
	s.reqSeq++
	reqID := uuid(s.hash("request", strconv.FormatUint(s.reqSeq, 10)), s.reqSeq)

	var form url.Values
	if err == nil {
		if len(body) > maxBody {
			err = fmt.Errorf("request body larger than %d bytes", maxBody)
		} else {
			form, err = url.ParseQuery(string(body))
		}
	}
	action := form.Get("Action")
	op := ec2Operations[action]
	name := action
	if op == nil {
		name = "EC2:Unknown"
	}
	fail := func(e *ec2Error) {
		s.stats.record(name, e.code)
		writeEC2Error(w, reqID, e)
	}
	switch {
	case err != nil:
		fail(invalidParam("cannot parse request: %v", err))
		return
	case op == nil:
		fail(ec2Err("InvalidAction", "The action %q is not valid for this web service.", action))
		return
	}
	if ae := s.requestFault(action, s.reqSeq); ae != nil {
		e := &ec2Error{status: http.StatusInternalServerError, code: "InternalError",
			message: "An internal error has occurred (injected by the emulator)"}
		if ae.name == errThrottling {
			e = &ec2Error{status: http.StatusServiceUnavailable, code: "RequestLimitExceeded", message: "Request limit exceeded."}
		}
		fail(e)
		return
	}
	out, herr := op(s, &ec2Request{form: form, now: now})
	if herr != nil {
		e, ok := herr.(*ec2Error)
		if !ok {
			e = &ec2Error{status: http.StatusInternalServerError, code: "InternalError", message: herr.Error()}
		}
		fail(e)
		return
	}
	out.setRequestID(reqID)
	var buf bytes.Buffer
	err = xml.NewEncoder(&buf).EncodeElement(out, xml.StartElement{Name: xml.Name{Space: ec2NS, Local: action + "Response"}})
	b := buf.Bytes()
	if err != nil {
		s.log.Error("encode EC2 response", "action", action, "error", err)
		fail(&ec2Error{status: http.StatusInternalServerError, code: "InternalError", message: "encode response"})
		return
	}
	s.stats.record(action, "")
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.Header().Set("x-amzn-RequestId", reqID)
	w.Header().Set("Content-Length", strconv.Itoa(len(xml.Header)+len(b)))
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, xml.Header)
	w.Write(b)
}

func writeEC2Error(w http.ResponseWriter, reqID string, e *ec2Error) {
	b, _ := xml.Marshal(ec2ErrorResponse{
		Errors:    []ec2ErrorItem{{Code: e.code, Message: e.message}},
		RequestID: reqID,
	})
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.Header().Set("x-amzn-RequestId", reqID)
	w.WriteHeader(e.status)
	io.WriteString(w, xml.Header)
	w.Write(b)
}

// indexed returns, for every key prefix.N (N a positive integer) or
// prefix.N.…, the string "prefix.N", once, in the order of N.
func indexed(form url.Values, prefix string) []string {
	type entry struct {
		n   int
		key string
	}
	seen := map[int]bool{}
	var list []entry
	for k := range form {
		rest, ok := strings.CutPrefix(k, prefix+".")
		if !ok {
			continue
		}
		num, _, _ := strings.Cut(rest, ".")
		n, err := strconv.Atoi(num)
		if err != nil || n < 1 || seen[n] {
			continue
		}
		seen[n] = true
		list = append(list, entry{n, prefix + "." + num})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].n < list[j].n })
	out := make([]string, len(list))
	for i, e := range list {
		out[i] = e.key
	}
	return out
}

// values returns the values of prefix.1, prefix.2, … in index order.
func values(form url.Values, prefix string) []string {
	keys := indexed(form, prefix)
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		if v, ok := form[k]; ok {
			out = append(out, v[0])
		}
	}
	return out
}

type ec2Filter struct {
	name   string
	values []string
}

// filters parses Filter.N.Name and Filter.N.Value.M, checking the names
// against the ones the operation supports.
func filters(form url.Values, supported ...string) ([]ec2Filter, error) {
	var out []ec2Filter
	for _, p := range indexed(form, "Filter") {
		f := ec2Filter{name: form.Get(p + ".Name"), values: values(form, p+".Value")}
		if f.name == "" {
			return nil, missingParam(p + ".Name")
		}
		ok := false
		for _, s := range supported {
			if s == f.name {
				ok = true
			}
		}
		if !ok {
			return nil, invalidParam("The filter '%s' is invalid", f.name)
		}
		out = append(out, f)
	}
	return out, nil
}

// match reports whether an item whose filter attributes are given by get
// passes every filter (one of its values each).
func match(fs []ec2Filter, get func(name string) []string) bool {
	for _, f := range fs {
		have := get(f.name)
		hit := false
		for _, want := range f.values {
			for _, h := range have {
				if h == want {
					hit = true
				}
			}
		}
		if !hit {
			return false
		}
	}
	return true
}

// ec2Page is MaxResults and NextToken: limit 0 means everything at once,
// as EC2 answers when MaxResults is absent.
type ec2Page struct {
	limit int
	start int64
}

func pageArgs(form url.Values, op string, lo, hi int) (ec2Page, error) {
	var p ec2Page
	if v := form.Get("MaxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return p, invalidParam("Value ( %s ) for parameter maxResults is invalid. Expecting a value between %d and %d.", v, lo, hi)
		}
		p.limit = n
	}
	if tok := form.Get("NextToken"); tok != "" {
		c, ok := decodeToken("ec2:"+op, tok)
		if !ok {
			return p, ec2Err("InvalidPaginationToken", "The pagination token %q is invalid.", tok)
		}
		p.start = c
	}
	return p, nil
}

// paginate walks n items whose cursors ascend, from p.start, and returns
// the index range of one page and the next token.
func paginate(p ec2Page, op string, n int, cursorOf func(i int) int64) (lo, hi int, next string) {
	lo = sort.Search(n, func(i int) bool { return cursorOf(i) >= p.start })
	hi = n
	if p.limit > 0 && hi-lo > p.limit {
		hi = lo + p.limit
		next = encodeToken("ec2:"+op, cursorOf(hi))
	}
	return lo, hi, next
}

func ec2Time(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

type xTag struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

func xTags(m map[string]string) []xTag {
	list := sortedTags(m)
	out := make([]xTag, len(list))
	for i, t := range list {
		out[i] = xTag{t.key, t.value}
	}
	return out
}

// validEC2ID accepts prefix followed by 8 or 17 hex digits, the two
// lengths EC2 IDs have.
func validEC2ID(id, prefix string) bool {
	rest, ok := strings.CutPrefix(id, prefix)
	if !ok || (len(rest) != 8 && len(rest) != 17) {
		return false
	}
	return validID(id, prefix, len(rest), true)
}

func quoteIDs(ids []string) string { return "'" + strings.Join(ids, ", ") + "'" }
