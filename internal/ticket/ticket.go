// Package ticket issues and verifies the connection tickets of batch-connection (5.3.3). A ticket
// is an HMAC-SHA256, under a secret the control plane shares with its streaming gateways, over the
// phone, the session, the client type and the issue time; it proves that the control plane let
// this client reach this phone, and it expires.
//
// A streaming gateway admits a client like this: the client presents phone_id, session_id,
// client_type, timestamp and ticket exactly as batch-connection returned them; the gateway calls
// Verify with the shared secret and its clock, and bridges the client to the phone only when it
// returns nil. The gateway should also refuse a session_id it has already admitted, since a
// ticket is valid for its whole lifetime.
package ticket

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// TTL is how long a ticket admits a client after it was issued.
const TTL = 5 * time.Minute

// Errors Verify reports.
var (
	ErrInvalid = errors.New("ticket: invalid")
	ErrExpired = errors.New("ticket: expired")
)

// Grant is what a ticket binds.
type Grant struct {
	PhoneID    string
	SessionID  string
	ClientType string
	// Timestamp is the issue time in epoch milliseconds, as the API shows it.
	Timestamp int64
}

func (g Grant) message() []byte {
	return []byte(strings.Join([]string{"opencph-ticket-v1", g.PhoneID, g.SessionID, g.ClientType,
		strconv.FormatInt(g.Timestamp, 10)}, "\n"))
}

// Sign returns the ticket for g.
func Sign(secret []byte, g Grant) string {
	m := hmac.New(sha256.New, secret)
	m.Write(g.message())
	return hex.EncodeToString(m.Sum(nil))
}

// Verify checks that ticket was issued for g under secret and that it has not expired at now
// (nor was issued in the future, beyond a minute of clock skew).
func Verify(secret []byte, g Grant, ticket string, now time.Time) error {
	want, err := hex.DecodeString(ticket)
	if err != nil {
		return ErrInvalid
	}
	m := hmac.New(sha256.New, secret)
	m.Write(g.message())
	if !hmac.Equal(m.Sum(nil), want) {
		return ErrInvalid
	}
	issued := time.UnixMilli(g.Timestamp)
	if now.Before(issued.Add(-time.Minute)) || !now.Before(issued.Add(TTL)) {
		return ErrExpired
	}
	return nil
}
