package ticket_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/opencph/opencph/internal/ticket"
)

func TestVerify(t *testing.T) {
	t.Parallel()
	secret := []byte("0123456789abcdef0123456789abcdef")
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	g := ticket.Grant{PhoneID: "p1", SessionID: "s1", ClientType: "ANDROID", Timestamp: now.UnixMilli()}
	tk := ticket.Sign(secret, g)
	tests := []struct {
		name   string
		secret []byte
		grant  func(g ticket.Grant) ticket.Grant
		ticket string
		at     time.Time
		want   error
	}{
		{"valid", secret, nil, tk, now, nil},
		{"valid until just before the TTL", secret, nil, tk, now.Add(ticket.TTL - time.Millisecond), nil},
		{"expired at the TTL", secret, nil, tk, now.Add(ticket.TTL), ticket.ErrExpired},
		{"issued in the future", secret, nil, tk, now.Add(-2 * time.Minute), ticket.ErrExpired},
		{"another phone", secret, func(g ticket.Grant) ticket.Grant { g.PhoneID = "p2"; return g }, tk, now, ticket.ErrInvalid},
		{"another session", secret, func(g ticket.Grant) ticket.Grant { g.SessionID = "s2"; return g }, tk, now, ticket.ErrInvalid},
		{"another client type", secret, func(g ticket.Grant) ticket.Grant { g.ClientType = "IOS"; return g }, tk, now, ticket.ErrInvalid},
		{"another time", secret, func(g ticket.Grant) ticket.Grant { g.Timestamp++; return g }, tk, now, ticket.ErrInvalid},
		{"another secret", []byte("other"), nil, tk, now, ticket.ErrInvalid},
		{"not hex", secret, nil, "zz", now, ticket.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gr := g
			if tt.grant != nil {
				gr = tt.grant(g)
			}
			require.ErrorIs(t, ticket.Verify(tt.secret, gr, tt.ticket, tt.at), tt.want)
		})
	}
}
