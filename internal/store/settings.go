package store

import (
	"context"

	"github.com/drsorch/drsorch/internal/plan"
)

// SettingsStore is an optional capability of a Store: the latest
// application of each server's launch settings (plan.AppliedSettings),
// one record per group and source server. Callers find it by type
// assertion and do without it when a backend lacks it.
//
// Records are not versioned: the newest write wins. Deleting a group
// deletes its records too.
type SettingsStore interface {
	// PutAppliedSettings upserts by (GroupID, SourceServerID): a record
	// replaces the one stored for its group and server. A record without
	// a GroupID or SourceServerID is an error and nothing is written;
	// when records name one pair twice, the later one is kept. Thousands
	// of records (a group of 3,000 servers) are one call.
	PutAppliedSettings(ctx context.Context, records []plan.AppliedSettings) error
	// ListAppliedSettings returns a group's records by SourceServerID;
	// none (and no error) for a group without records or unknown.
	ListAppliedSettings(ctx context.Context, groupID string) ([]plan.AppliedSettings, error)
}
