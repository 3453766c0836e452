// Package store holds the persistence interface of OpenCPH. Methods are named NounVerb and take a
// params struct, so a new filter never changes a signature; implementations live in sqlite/ (and
// postgres/ later) and are held to the same behaviour by storetest/.
package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
)

// ErrNotFound reports that the addressed row does not exist (or is not visible to the caller's
// project, which callers must not be able to tell apart).
var ErrNotFound = errors.New("store: not found")

// ErrConflict reports a uniqueness or state conflict: the row exists, the port is taken, the
// resource was changed underneath.
var ErrConflict = errors.New("store: conflict")

// Store is everything OpenCPH persists. InTx runs fn in one transaction with a Store bound to it;
// calls on the outer Store inside fn would not see its writes.
type Store interface {
	InTx(ctx context.Context, fn func(tx Store) error) error
	Close() error

	IAM
	Inventory
	Servers
	Phones
	Jobs
	Images
	Secrets
	Tags
	RateLimits
}

// Page is the offset/limit window of a list call; Limit 0 means no limit.
type Page struct {
	Offset int
	Limit  int
}

// NewID returns a fresh id in the API's format: 32 lowercase hex characters.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
