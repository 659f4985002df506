package auth

import (
	"context"
	"log/slog"
	"time"

	"github.com/drsorch/drsorch/internal/store"
)

// Auditor writes the audit trail. Without an AuditStore it writes the
// entries to its log only, at Warn, so that they are not lost unseen.
type Auditor struct {
	store store.AuditStore
	log   *slog.Logger
}

// NewAuditor returns an Auditor on st's AuditStore, if it has one.
func NewAuditor(st store.Store, log *slog.Logger) *Auditor {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	as, _ := st.(store.AuditStore)
	return &Auditor{store: as, log: log.With("component", "audit")}
}

// Store returns the AuditStore, nil when there is none.
func (a *Auditor) Store() store.AuditStore {
	if a == nil {
		return nil
	}
	return a.store
}

// Record appends e. It never fails its caller: the action it describes
// has happened, and an error of the trail is logged instead.
func (a *Auditor) Record(ctx context.Context, e store.AuditEntry) {
	if a == nil {
		return
	}
	if a.store == nil {
		a.log.WarnContext(ctx, "audit entry not stored: the store keeps no audit trail",
			"actor", e.Actor, "action", e.Action, "target", e.Target, "outcome", e.Outcome)
		return
	}
	// The request may be over; the record must still be written.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := a.store.RecordAudit(ctx, &e); err != nil {
		a.log.ErrorContext(ctx, "audit entry not stored", "actor", e.Actor,
			"action", e.Action, "target", e.Target, "error", err)
	}
}
