package auth

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// OIDCConfig configures sign-in through an OpenID Connect provider: the
// authorization code flow with PKCE, ID tokens signed with RS256, and a
// claim of the ID token mapped to roles.
type OIDCConfig struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is drsorch's callback, https://HOST/signin/oidc/callback,
	// as registered with the provider.
	RedirectURL string
	// RoleClaim names the claim holding the user's groups or roles (a
	// string or a list of strings), and Roles maps its values to roles;
	// the highest role mapped wins, and a user with none is refused.
	RoleClaim string
	Roles     map[string]Role
	// HTTPClient makes the calls to the provider; nil means one with a
	// 10-second timeout.
	HTTPClient *http.Client
	// Now is the clock of token expiry; nil means time.Now.
	Now func() time.Time
}

// OIDC signs users in through an OpenID Connect provider.
type OIDC struct {
	cfg       OIDCConfig
	authURL   string
	tokenURL  string
	jwksURL   string
	mu        sync.Mutex
	keys      map[string]*rsa.PublicKey
	keysFetch time.Time
}

// ErrOIDC is the class of every refused OpenID Connect sign-in.
var ErrOIDC = errors.New("auth: openid connect sign-in refused")

// NewOIDC reads the provider's discovery document.
func NewOIDC(ctx context.Context, cfg OIDCConfig) (*OIDC, error) {
	if cfg.Issuer == "" || cfg.ClientID == "" || cfg.RedirectURL == "" || cfg.RoleClaim == "" || len(cfg.Roles) == 0 {
		return nil, errors.New("oidc: issuer, client ID, redirect URL, role claim and roles are all required")
	}
	for v, r := range cfg.Roles {
		if !r.Valid() {
			return nil, fmt.Errorf("oidc: claim value %q maps to unknown role %q", v, r)
		}
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	var disc struct {
		Issuer                string `json:"issuer"`
		AuthorizationEndpoint string `json:"authorization_endpoint"`
		TokenEndpoint         string `json:"token_endpoint"`
		JWKSURI               string `json:"jwks_uri"`
	}
	if err := getJSON(ctx, cfg.HTTPClient, strings.TrimSuffix(cfg.Issuer, "/")+"/.well-known/openid-configuration", &disc); err != nil {
		return nil, fmt.Errorf("oidc discovery: %w", err)
	}
	if disc.Issuer != cfg.Issuer {
		return nil, fmt.Errorf("oidc discovery: issuer %q, want %q", disc.Issuer, cfg.Issuer)
	}
	if disc.AuthorizationEndpoint == "" || disc.TokenEndpoint == "" || disc.JWKSURI == "" {
		return nil, errors.New("oidc discovery: the document lacks an endpoint")
	}
	return &OIDC{cfg: cfg, authURL: disc.AuthorizationEndpoint, tokenURL: disc.TokenEndpoint, jwksURL: disc.JWKSURI}, nil
}

func getJSON(ctx context.Context, hc *http.Client, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(v)
}

// OIDCRequest is one sign-in in progress: what the browser keeps in a
// short-lived cookie until the provider sends it back.
type OIDCRequest struct {
	State, Nonce, Verifier string
}

// NewOIDCRequest returns fresh random state, nonce and PKCE verifier.
func NewOIDCRequest() OIDCRequest {
	r := func() string {
		s, _ := newSecret("")
		return s
	}
	return OIDCRequest{State: r(), Nonce: r(), Verifier: r()}
}

// AuthCodeURL is the provider's page that signs the user in for req.
func (o *OIDC) AuthCodeURL(req OIDCRequest) string {
	ch := sha256.Sum256([]byte(req.Verifier))
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {o.cfg.ClientID},
		"redirect_uri":          {o.cfg.RedirectURL},
		"scope":                 {"openid profile email"},
		"state":                 {req.State},
		"nonce":                 {req.Nonce},
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(ch[:])},
		"code_challenge_method": {"S256"},
	}
	sep := "?"
	if strings.Contains(o.authURL, "?") {
		sep = "&"
	}
	return o.authURL + sep + q.Encode()
}

// Exchange trades the code the provider sent back for an ID token,
// verifies it, and returns the user as a principal. state is what came
// back with the code; req is what the browser kept.
func (o *OIDC) Exchange(ctx context.Context, req OIDCRequest, state, code string) (Principal, error) {
	if req.State == "" || subtle.ConstantTimeCompare([]byte(req.State), []byte(state)) != 1 {
		return Principal{}, fmt.Errorf("%w: the state does not match this browser's", ErrOIDC)
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {o.cfg.RedirectURL}, "code_verifier": {req.Verifier}}
	hr, err := http.NewRequestWithContext(ctx, "POST", o.tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return Principal{}, err
	}
	hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	hr.SetBasicAuth(url.QueryEscape(o.cfg.ClientID), url.QueryEscape(o.cfg.ClientSecret))
	resp, err := o.cfg.HTTPClient.Do(hr)
	if err != nil {
		return Principal{}, fmt.Errorf("oidc token: %w", err)
	}
	defer resp.Body.Close()
	var tok struct {
		IDToken string `json:"id_token"`
	}
	if resp.StatusCode != http.StatusOK {
		return Principal{}, fmt.Errorf("%w: the provider refused the code (%s)", ErrOIDC, resp.Status)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&tok); err != nil || tok.IDToken == "" {
		return Principal{}, fmt.Errorf("%w: no ID token in the answer", ErrOIDC)
	}
	claims, err := o.verify(ctx, tok.IDToken)
	if err != nil {
		return Principal{}, err
	}
	return o.principal(claims, req.Nonce)
}

// verify checks an ID token's signature and returns its claims.
func (o *OIDC) verify(ctx context.Context, jwt string) (map[string]any, error) {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("%w: the ID token is not a JWT", ErrOIDC)
	}
	var hdr struct{ Alg, Kid string }
	if err := decodeSegment(parts[0], &hdr); err != nil {
		return nil, fmt.Errorf("%w: ID token header: %v", ErrOIDC, err)
	}
	if hdr.Alg != "RS256" {
		return nil, fmt.Errorf("%w: ID token signed with %q, want RS256", ErrOIDC, hdr.Alg)
	}
	key, err := o.key(ctx, hdr.Kid)
	if err != nil {
		return nil, err
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, fmt.Errorf("%w: ID token signature: %v", ErrOIDC, err)
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(key, crypto.SHA256, sum[:], sig); err != nil {
		return nil, fmt.Errorf("%w: the ID token's signature is not the provider's", ErrOIDC)
	}
	var claims map[string]any
	if err := decodeSegment(parts[1], &claims); err != nil {
		return nil, fmt.Errorf("%w: ID token claims: %v", ErrOIDC, err)
	}
	return claims, nil
}

func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// key returns the provider's signing key kid, fetching the key set again
// (at most once a minute) when it is unknown: providers rotate keys.
func (o *OIDC) key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if k, ok := o.keys[kid]; ok {
		return k, nil
	}
	if !o.keysFetch.IsZero() && o.cfg.Now().Sub(o.keysFetch) < time.Minute {
		return nil, fmt.Errorf("%w: unknown signing key %q", ErrOIDC, kid)
	}
	var set struct {
		Keys []struct{ Kty, Kid, Use, N, E string }
	}
	if err := getJSON(ctx, o.cfg.HTTPClient, o.jwksURL, &set); err != nil {
		return nil, fmt.Errorf("oidc keys: %w", err)
	}
	o.keysFetch = o.cfg.Now()
	o.keys = map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		if k.Kty != "RSA" || (k.Use != "" && k.Use != "sig") {
			continue
		}
		n, err1 := base64.RawURLEncoding.DecodeString(k.N)
		e, err2 := base64.RawURLEncoding.DecodeString(k.E)
		if err1 != nil || err2 != nil || len(e) > 4 {
			continue
		}
		o.keys[k.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	}
	if k, ok := o.keys[kid]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("%w: unknown signing key %q", ErrOIDC, kid)
}

// principal checks the claims (issuer, audience, expiry, nonce) and maps
// the role claim.
func (o *OIDC) principal(c map[string]any, nonce string) (Principal, error) {
	now := o.cfg.Now()
	iss, _ := c["iss"].(string)
	sub, _ := c["sub"].(string)
	n, _ := c["nonce"].(string)
	exp, _ := c["exp"].(float64)
	var aud []string
	switch a := c["aud"].(type) {
	case string:
		aud = []string{a}
	case []any:
		for _, x := range a {
			if s, ok := x.(string); ok {
				aud = append(aud, s)
			}
		}
	}
	switch {
	case iss != o.cfg.Issuer:
		return Principal{}, fmt.Errorf("%w: ID token of issuer %q", ErrOIDC, iss)
	case !slices.Contains(aud, o.cfg.ClientID):
		return Principal{}, fmt.Errorf("%w: ID token for another client", ErrOIDC)
	case exp == 0 || now.After(time.Unix(int64(exp), 0)):
		return Principal{}, fmt.Errorf("%w: the ID token has expired", ErrOIDC)
	case nonce == "" || subtle.ConstantTimeCompare([]byte(n), []byte(nonce)) != 1:
		return Principal{}, fmt.Errorf("%w: the ID token's nonce is not this sign-in's", ErrOIDC)
	case sub == "":
		return Principal{}, fmt.Errorf("%w: the ID token names no subject", ErrOIDC)
	}
	var values []string
	switch v := c[o.cfg.RoleClaim].(type) {
	case string:
		values = []string{v}
	case []any:
		for _, x := range v {
			if s, ok := x.(string); ok {
				values = append(values, s)
			}
		}
	}
	var role Role
	for _, v := range values {
		if r, ok := o.cfg.Roles[v]; ok && r.rank() > role.rank() {
			role = r
		}
	}
	if role == "" {
		return Principal{}, fmt.Errorf("%w: claim %q maps to no role", ErrOIDC, o.cfg.RoleClaim)
	}
	name := sub
	if email, ok := c["email"].(string); ok && email != "" {
		name = email
	}
	return Principal{TokenID: "oidc:" + sub, Name: name, Role: role}, nil
}
