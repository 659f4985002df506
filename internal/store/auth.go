package store

import (
	"context"
	"time"
)

// Token is an API token as stored: never the secret itself, only its
// SHA-256 hash. ID is the start of the secret, so that a presented token
// names the record to compare its hash with.
type Token struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Role      string     `json:"role"`
	Hash      []byte     `json:"hash"`
	CreatedAt time.Time  `json:"createdAt"`
	CreatedBy string     `json:"createdBy,omitempty"`
	ExpiresAt time.Time  `json:"expiresAt"`
	RevokedAt *time.Time `json:"revokedAt,omitempty"`
}

// Session is a signed-in browser session as stored: the hash of the
// cookie's secret and the token it was opened with. A session opened
// through an identity provider has no token; it carries the user's
// subject, name and role instead.
type Session struct {
	ID        string    `json:"id"`
	Hash      []byte    `json:"hash"`
	TokenID   string    `json:"tokenId,omitempty"`
	Subject   string    `json:"subject,omitempty"`
	Name      string    `json:"name,omitempty"`
	Role      string    `json:"role,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// AuthStore is an optional capability of a Store: API tokens and browser
// sessions. Callers find it by type assertion; without it nobody can be
// authenticated.
type AuthStore interface {
	// CreateToken stores t; an ID already stored is ErrExists.
	CreateToken(ctx context.Context, t *Token) error
	// GetToken returns the token with id, or ErrNotFound.
	GetToken(ctx context.Context, id string) (*Token, error)
	// ListTokens returns every token, revoked and expired ones included,
	// oldest first.
	ListTokens(ctx context.Context) ([]Token, error)
	// RevokeToken sets RevokedAt of the token with id to at, unless it is
	// revoked already (then it keeps the first time); ErrNotFound when
	// there is no such token.
	RevokeToken(ctx context.Context, id string, at time.Time) error

	// CreateSession stores s; an ID already stored is ErrExists.
	CreateSession(ctx context.Context, s *Session) error
	// GetSession returns the session with id, or ErrNotFound.
	GetSession(ctx context.Context, id string) (*Session, error)
	// DeleteSession removes the session with id; a missing one is not an
	// error.
	DeleteSession(ctx context.Context, id string) error
}

// AuditEntry is one record of the audit trail: a state-changing request
// or an action the engine took on AWS.
type AuditEntry struct {
	ID   string    `json:"id"`
	Time time.Time `json:"time"`
	// Actor names who acted: a token's name and ID, or "engine".
	Actor string `json:"actor"`
	// Action is what was done: a route ("POST /api/v1/…/executions")
	// or an AWS operation ("drs:StartRecovery").
	Action     string `json:"action"`
	Target     string `json:"target,omitempty"`
	RemoteAddr string `json:"remoteAddr,omitempty"`
	// Status is the HTTP status answered; Outcome is "ok", "refused" or
	// "error", with Error saying why.
	Status      int    `json:"status,omitempty"`
	Outcome     string `json:"outcome"`
	Error       string `json:"error,omitempty"`
	ExecutionID string `json:"executionId,omitempty"`
	BatchID     string `json:"batchId,omitempty"`
	JobID       string `json:"jobId,omitempty"`
	RequestID   string `json:"requestId,omitempty"`
}

// AuditFilter narrows ListAudit. Empty fields match everything; From is
// inclusive and To exclusive.
type AuditFilter struct {
	Actor, Action string
	From, To      time.Time
}

// AuditStore is an optional capability of a Store: the append-only audit
// trail.
type AuditStore interface {
	// RecordAudit appends e, assigning its ID when empty and its Time
	// when zero.
	RecordAudit(ctx context.Context, e *AuditEntry) error
	// ListAudit returns the entries f matches, newest first (ties by ID,
	// descending), one page at a time.
	ListAudit(ctx context.Context, f AuditFilter, opts ListOptions) (Page[AuditEntry], error)
}
