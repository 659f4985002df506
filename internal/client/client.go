// Package client is a typed Go client of drsorch's REST API (/api/v1):
// protection groups, recovery plans and source servers. Errors the API
// answers with are *Error values carrying its code, message, field and
// details.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/drsorch/drsorch/internal/plan"
)

// maxResponse bounds the bytes read from one answer, so that a wrong URL
// pointing at something huge cannot exhaust memory.
const maxResponse = 64 << 20

// Client calls one drsorch server. It is safe for concurrent use.
type Client struct {
	base *url.URL
	hc   *http.Client

	// Token, when not empty, is sent as a bearer token on every request.
	Token string
}

// NewHTTPClient returns an HTTP client with a timeout on every step but
// the body: connecting, the TLS handshake and waiting for the answer's
// header. The body has none, because an execution's event stream stays
// open for as long as the execution runs.
func NewHTTPClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 2 * time.Minute,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}}
}

// New returns a client of the server at baseURL (such as
// "http://127.0.0.1:8080"; a path prefix is kept). A nil httpClient means
// NewHTTPClient().
func New(baseURL string, httpClient *http.Client) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("server URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("server URL %q: want http:// or https:// and a host", baseURL)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawQuery, u.Fragment = "", ""
	if httpClient == nil {
		httpClient = NewHTTPClient()
	}
	return &Client{base: u, hc: httpClient}, nil
}

// Error is an error answer of the API.
type Error struct {
	StatusCode int
	Code       string
	Message    string
	Field      string
	Details    []plan.FieldError
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.StatusCode)
	}
	if e.Field != "" {
		return fmt.Sprintf("%s: %s (%s, %d)", e.Field, msg, e.Code, e.StatusCode)
	}
	return fmt.Sprintf("%s (%s, %d)", msg, e.Code, e.StatusCode)
}

// ErrorCode returns the API's error code carried by err, or "" when err is
// not an answer of the API.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// ETag returns the entity tag of a resource at version, as If-Match wants
// it.
func ETag(version int64) string {
	return `"` + strconv.FormatInt(version, 10) + `"`
}

// request is one call of the API.
type request struct {
	method  string
	path    string // below the base URL, such as "/api/v1/recovery-plans"
	query   url.Values
	ifMatch string
	body    any // sent as JSON when not nil
}

// response is what do read of an answer besides its decoded body.
type response struct {
	status int
	etag   string
	header http.Header
}

// do sends r and decodes a 2xx JSON answer into out (when not nil). Any
// other status becomes an *Error.
func (c *Client) do(ctx context.Context, r request, out any) (response, error) {
	// r.path is escaped already (IDs go through url.PathEscape).
	u := *c.base
	u.RawPath = c.base.EscapedPath() + r.path
	p, err := url.PathUnescape(u.RawPath)
	if err != nil {
		return response{}, fmt.Errorf("request path %q: %w", r.path, err)
	}
	u.Path = p
	u.RawQuery = r.query.Encode()

	var body io.Reader
	if r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return response{}, fmt.Errorf("encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u.String(), body)
	if err != nil {
		return response{}, err
	}
	req.Header.Set("Accept", "application/json")
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.ifMatch != "" {
		req.Header.Set("If-Match", r.ifMatch)
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}

	resp, err := c.hc.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return response{}, fmt.Errorf("%s %s: read answer: %w", r.method, r.path, err)
	}
	res := response{status: resp.StatusCode, etag: resp.Header.Get("ETag"), header: resp.Header}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return res, decodeError(resp.StatusCode, data)
	}
	if out != nil && resp.StatusCode != http.StatusNoContent {
		if err := json.Unmarshal(data, out); err != nil {
			return res, fmt.Errorf("%s %s: decode answer: %w", r.method, r.path, err)
		}
	}
	return res, nil
}

// decodeError reads the API's error body. An answer without one (a proxy's
// page, say) still gives an *Error with the status and a short excerpt.
func decodeError(status int, data []byte) error {
	var body struct {
		Error *struct {
			Code    string            `json:"code"`
			Message string            `json:"message"`
			Field   string            `json:"field"`
			Details []plan.FieldError `json:"details"`
		} `json:"error"`
	}
	if json.Unmarshal(data, &body) == nil && body.Error != nil {
		e := body.Error
		return &Error{StatusCode: status, Code: e.Code, Message: e.Message, Field: e.Field, Details: e.Details}
	}
	excerpt := strings.TrimSpace(string(data))
	if len(excerpt) > 200 {
		excerpt = excerpt[:200] + "…"
	}
	return &Error{StatusCode: status, Code: "http_" + strconv.Itoa(status), Message: excerpt}
}

// ListOptions asks for one page of a list. Zero values mean the server's
// defaults.
type ListOptions struct {
	Limit     int
	NextToken string
}

func (o ListOptions) query() url.Values {
	q := url.Values{}
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.NextToken != "" {
		q.Set("nextToken", o.NextToken)
	}
	return q
}

// Page is one page of a list; NextToken is empty on the last page.
type Page[T any] struct {
	Items     []T    `json:"items"`
	NextToken string `json:"nextToken,omitempty"`
}

// all collects every page of a list.
func all[T any](ctx context.Context, list func(context.Context, ListOptions) (Page[T], error)) ([]T, error) {
	var items []T
	opts := ListOptions{Limit: 1000}
	seen := map[string]bool{}
	for {
		page, err := list(ctx, opts)
		if err != nil {
			return nil, err
		}
		items = append(items, page.Items...)
		if page.NextToken == "" {
			return items, nil
		}
		// A server repeating a token would otherwise loop forever.
		if seen[page.NextToken] {
			return nil, fmt.Errorf("list: the server repeated nextToken %q", page.NextToken)
		}
		seen[page.NextToken] = true
		opts.NextToken = page.NextToken
	}
}
