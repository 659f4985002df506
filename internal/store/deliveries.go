package store

import (
	"context"
	"time"
)

// Delivery records one notification sent (or given up on) to one target.
type Delivery struct {
	// Key identifies the notification and its target; a notification is
	// delivered to a target at most once per Key.
	Key         string    `json:"key"`
	Target      string    `json:"target"`
	Type        string    `json:"type"`
	ExecutionID string    `json:"executionId,omitempty"`
	Attempts    int       `json:"attempts"`
	StatusCode  int       `json:"statusCode,omitempty"`
	OK          bool      `json:"ok"`
	Error       string    `json:"error,omitempty"`
	Time        time.Time `json:"time"`
}

// DeliveryStore is an optional capability of a Store: a record of
// notification deliveries. Callers find it by type assertion and do
// without it when a backend lacks it.
type DeliveryStore interface {
	// RecordDelivery stores d; a Key already stored is ErrExists.
	RecordDelivery(ctx context.Context, d *Delivery) error
	// Delivered reports whether a delivery with key is stored.
	Delivered(ctx context.Context, key string) (bool, error)
	// ListDeliveries returns up to limit deliveries, newest first
	// (limit <= 0: 50).
	ListDeliveries(ctx context.Context, limit int) ([]Delivery, error)
}
