// Package auth authenticates drsorch's callers and decides what they may
// do. Callers present an API token (drs_ followed by 32 random bytes in
// base64url), as a bearer token or once at sign-in, after which the UI
// carries a session cookie. Neither secret is stored: only its SHA-256
// hash, under an ID taken from the secret's start, so that a presented
// secret names the one record to compare its hash with, in constant time.
//
// Roles are ordered viewer < drill-operator < recovery-operator < admin;
// a role may do whatever the roles below it may.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/drsorch/drsorch/internal/store"
)

// Role is what a token allows.
type Role string

// The roles, lowest first.
const (
	RoleViewer           Role = "viewer"
	RoleDrillOperator    Role = "drill-operator"
	RoleRecoveryOperator Role = "recovery-operator"
	RoleAdmin            Role = "admin"
)

// Roles lists every role, lowest first.
var Roles = []Role{RoleViewer, RoleDrillOperator, RoleRecoveryOperator, RoleAdmin}

func (r Role) rank() int {
	for i, x := range Roles {
		if x == r {
			return i + 1
		}
	}
	return 0
}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool { return r.rank() > 0 }

// Allows reports whether r may do what need requires. An unknown role
// allows nothing.
func (r Role) Allows(need Role) bool { return r.rank() > 0 && r.rank() >= need.rank() }

// ParseRole reads a role name.
func ParseRole(s string) (Role, error) {
	if r := Role(s); r.Valid() {
		return r, nil
	}
	return "", fmt.Errorf("role %q: want one of %s", s, strings.Join(roleNames(), ", "))
}

func roleNames() []string {
	var out []string
	for _, r := range Roles {
		out = append(out, string(r))
	}
	return out
}

// Principal is an authenticated caller.
type Principal struct {
	TokenID string
	Name    string
	Role    Role
}

// String names the principal in audit records and execution events:
// the token's name and its ID.
func (p Principal) String() string {
	if p.TokenID == "" {
		return p.Name
	}
	return p.Name + " (" + p.TokenID + ")"
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal ctx carries, if any.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// Errors of authentication. Their messages are safe to show.
var (
	// ErrUnauthenticated: no credentials, or ones that are not valid
	// (unknown, wrong, expired or revoked: the caller is not told which).
	ErrUnauthenticated = errors.New("auth: missing or invalid credentials")
	// ErrForbidden: valid credentials whose role is too low.
	ErrForbidden = errors.New("auth: role does not allow this")
)

// TokenPrefix starts every API token.
const TokenPrefix = "drs_"

// idLen is how many characters of the secret name its record: 72 bits,
// leaving 186 unknown to anyone who sees the ID.
const idLen = 12

// DefaultSessionTTL is how long a browser session lasts, at most until
// its token expires.
const DefaultSessionTTL = 12 * time.Hour

// Options configure a Service.
type Options struct {
	// Store keeps tokens and sessions; nil authenticates nobody.
	Store store.AuthStore
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// SessionTTL defaults to DefaultSessionTTL.
	SessionTTL time.Duration
}

// Service creates and checks tokens and sessions. It is safe for
// concurrent use.
type Service struct {
	store      store.AuthStore
	now        func() time.Time
	sessionTTL time.Duration
}

// New returns a Service.
func New(opts Options) *Service {
	s := &Service{store: opts.Store, now: opts.Now, sessionTTL: opts.SessionTTL}
	if s.now == nil {
		s.now = time.Now
	}
	if s.sessionTTL <= 0 {
		s.sessionTTL = DefaultSessionTTL
	}
	return s
}

// ForStore returns a Service on st's AuthStore, or one that authenticates
// nobody when st has none.
func ForStore(st store.Store) *Service {
	as, _ := st.(store.AuthStore)
	return New(Options{Store: as})
}

// newSecret returns prefix followed by 32 random bytes in base64url, and
// the ID of its record. IDs are typed on command lines (token revoke ID),
// so a draw whose ID would start with "-", and read as a flag, is drawn
// again.
func newSecret(prefix string) (secret, id string) {
	var b [32]byte
	for {
		rand.Read(b[:])
		body := base64.RawURLEncoding.EncodeToString(b[:])
		if body[0] != '-' {
			return prefix + body, body[:idLen]
		}
	}
}

// splitSecret returns the ID a presented secret names; false when it is
// not shaped like one of ours.
func splitSecret(prefix, secret string) (string, bool) {
	body, ok := strings.CutPrefix(secret, prefix)
	if !ok || len(body) != 43 {
		return "", false
	}
	if _, err := base64.RawURLEncoding.DecodeString(body); err != nil {
		return "", false
	}
	return body[:idLen], true
}

func hash(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// CreateToken stores a new token of role, named name, valid for ttl, and
// returns its secret (shown once, never stored) and its record.
func (s *Service) CreateToken(ctx context.Context, name string, role Role, ttl time.Duration, by string) (string, *store.Token, error) {
	if s.store == nil {
		return "", nil, errors.New("create token: the store keeps no tokens")
	}
	if !role.Valid() {
		_, err := ParseRole(string(role))
		return "", nil, err
	}
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 128 {
		return "", nil, errors.New("token name: 1 to 128 characters")
	}
	if ttl <= 0 {
		return "", nil, errors.New("token lifetime must be positive")
	}
	secret, id := newSecret(TokenPrefix)
	now := s.now().UTC()
	t := &store.Token{ID: id, Name: name, Role: string(role), Hash: hash(secret),
		CreatedAt: now, CreatedBy: by, ExpiresAt: now.Add(ttl)}
	if err := s.store.CreateToken(ctx, t); err != nil {
		return "", nil, err
	}
	return secret, t, nil
}

// Authenticate returns the principal of an API token.
func (s *Service) Authenticate(ctx context.Context, secret string) (Principal, error) {
	id, ok := splitSecret(TokenPrefix, secret)
	if !ok || s.store == nil {
		return Principal{}, ErrUnauthenticated
	}
	t, err := s.valid(ctx, id)
	if err != nil {
		return Principal{}, err
	}
	if subtle.ConstantTimeCompare(t.Hash, hash(secret)) != 1 {
		return Principal{}, ErrUnauthenticated
	}
	return Principal{TokenID: t.ID, Name: t.Name, Role: Role(t.Role)}, nil
}

// valid returns the token with id if it is neither expired nor revoked.
func (s *Service) valid(ctx context.Context, id string) (*store.Token, error) {
	t, err := s.store.GetToken(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrUnauthenticated
	}
	if err != nil {
		return nil, fmt.Errorf("look up token: %w", err)
	}
	if t.RevokedAt != nil || !s.now().Before(t.ExpiresAt) || !Role(t.Role).Valid() {
		return nil, ErrUnauthenticated
	}
	return t, nil
}

// ListTokens returns every token, oldest first.
func (s *Service) ListTokens(ctx context.Context) ([]store.Token, error) {
	if s.store == nil {
		return nil, nil
	}
	return s.store.ListTokens(ctx)
}

// RevokeToken revokes a token; its sessions end with it.
func (s *Service) RevokeToken(ctx context.Context, id string) error {
	if s.store == nil {
		return store.ErrNotFound
	}
	return s.store.RevokeToken(ctx, id, s.now())
}

// sessionPrefix starts a session cookie's value.
const sessionPrefix = "drss_"

// SignIn checks an API token and opens a session for it. It returns the
// session cookie's value and when it expires.
func (s *Service) SignIn(ctx context.Context, token string) (string, time.Time, Principal, error) {
	p, err := s.Authenticate(ctx, token)
	if err != nil {
		return "", time.Time{}, Principal{}, err
	}
	t, err := s.valid(ctx, p.TokenID)
	if err != nil {
		return "", time.Time{}, Principal{}, err
	}
	secret, id := newSecret(sessionPrefix)
	now := s.now().UTC()
	exp := now.Add(s.sessionTTL)
	if t.ExpiresAt.Before(exp) {
		exp = t.ExpiresAt
	}
	ss := &store.Session{ID: id, Hash: hash(secret), TokenID: t.ID, CreatedAt: now, ExpiresAt: exp}
	if err := s.store.CreateSession(ctx, ss); err != nil {
		return "", time.Time{}, Principal{}, err
	}
	return secret, exp, p, nil
}

// SignInUser opens a session for a user an identity provider vouched
// for (OpenID Connect), who has no token: the session keeps the user's
// role and lasts its full lifetime, since no token can be revoked.
func (s *Service) SignInUser(ctx context.Context, p Principal) (string, time.Time, error) {
	if s.store == nil {
		return "", time.Time{}, ErrUnauthenticated
	}
	if !p.Role.Valid() || p.TokenID == "" {
		return "", time.Time{}, errors.New("sign in: a user needs a subject and a role")
	}
	secret, id := newSecret(sessionPrefix)
	now := s.now().UTC()
	ss := &store.Session{ID: id, Hash: hash(secret), Subject: p.TokenID, Name: p.Name,
		Role: string(p.Role), CreatedAt: now, ExpiresAt: now.Add(s.sessionTTL)}
	if err := s.store.CreateSession(ctx, ss); err != nil {
		return "", time.Time{}, err
	}
	return secret, ss.ExpiresAt, nil
}

// Session returns the principal of a session cookie's value. A session
// ends when it expires, when its token does or is revoked, and at sign-out.
func (s *Service) Session(ctx context.Context, secret string) (Principal, error) {
	id, ok := splitSecret(sessionPrefix, secret)
	if !ok || s.store == nil {
		return Principal{}, ErrUnauthenticated
	}
	ss, err := s.store.GetSession(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, ErrUnauthenticated
	}
	if err != nil {
		return Principal{}, fmt.Errorf("look up session: %w", err)
	}
	if subtle.ConstantTimeCompare(ss.Hash, hash(secret)) != 1 || !s.now().Before(ss.ExpiresAt) {
		return Principal{}, ErrUnauthenticated
	}
	if ss.TokenID == "" {
		// An identity provider's user: the session holds the role.
		if !Role(ss.Role).Valid() || ss.Subject == "" {
			return Principal{}, ErrUnauthenticated
		}
		return Principal{TokenID: ss.Subject, Name: ss.Name, Role: Role(ss.Role)}, nil
	}
	t, err := s.valid(ctx, ss.TokenID)
	if err != nil {
		return Principal{}, err
	}
	return Principal{TokenID: t.ID, Name: t.Name, Role: Role(t.Role)}, nil
}

// SignOut ends the session of a cookie's value.
func (s *Service) SignOut(ctx context.Context, secret string) error {
	id, ok := splitSecret(sessionPrefix, secret)
	if !ok || s.store == nil {
		return nil
	}
	return s.store.DeleteSession(ctx, id)
}

// CSRFToken returns the anti-forgery token of a session: derived from
// the cookie's secret, so that it needs no storage and a page of one
// session is no use in another.
func CSRFToken(sessionSecret string) string {
	h := sha256.Sum256([]byte("drsorch csrf\x00" + sessionSecret))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// CheckCSRF reports whether got is the anti-forgery token of a session,
// compared in constant time.
func CheckCSRF(sessionSecret, got string) bool {
	return subtle.ConstantTimeCompare([]byte(CSRFToken(sessionSecret)), []byte(got)) == 1
}

// BearerToken returns the token of an Authorization header value.
func BearerToken(header string) (string, bool) {
	scheme, tok, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// SessionCookie is the name of the UI's session cookie.
const SessionCookie = "drsorch_session"
