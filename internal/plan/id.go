package plan

import (
	"crypto/rand"
	"encoding/hex"
)

// ID prefixes of drsorch's own records.
const (
	PrefixGroup     = "pg-"
	PrefixPlan      = "rp-"
	PrefixExecution = "ex-"
	PrefixBatch     = "bt-"
)

// NewID returns prefix followed by 16 random hexadecimal digits.
func NewID(prefix string) string {
	var b [8]byte
	rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}
