package cph

import (
	"crypto/sha256"
	"encoding/hex"
)

// derivedID is a stable id for a sub-resource that has no row of its own (a server's data volume,
// its encode server): the same parent and label always give the same id.
func derivedID(parent, label string) string {
	sum := sha256.Sum256([]byte(parent + "/" + label))
	return hex.EncodeToString(sum[:16])
}
