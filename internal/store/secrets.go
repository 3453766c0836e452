package store

import "context"

// Secrets keeps named secrets every replica must share, such as the key that signs connection
// tickets.
type Secrets interface {
	// SecretGetOrCreate returns the secret stored under name, storing value first when there is
	// none; concurrent callers on any replica all get the one value that won.
	SecretGetOrCreate(ctx context.Context, name string, value []byte) ([]byte, error)
}
