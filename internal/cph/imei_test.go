package cph

import (
	"bytes"
	crand "crypto/rand"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestValidIMEI(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		imei string
		want bool
	}{
		{"wikipedia example", "490154203237518", true},
		{"iphone example", "356938035643809", true},
		{"all zeros", "000000000000000", true},
		{"huawei tac", "861536030196001", true},
		{"wrong check digit", "490154203237519", false},
		{"transposed digits", "940154203237518", false},
		{"too short", "49015420323751", false},
		{"too long", "4901542032375180", false},
		{"empty", "", false},
		{"letter", "49015420323751a", false},
		{"sign", "+49015420323751", false},
		{"non-ascii digit", "49015420323751٨", false},
		{"spaces", "490154 03237518", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, ValidIMEI(tt.imei))
		})
	}
}

func TestNewIMEI(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		r    io.Reader
	}{
		{"crypto", crand.Reader},
		{"seeded", newSeeded(1)},
		{"all zero bytes", bytes.NewReader(make([]byte, 64))},
		{"mostly rejected bytes", bytes.NewReader(append(bytes.Repeat([]byte{0xff}, 48), make([]byte, 16)...))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			imei, err := NewIMEI(tt.r)
			require.NoError(t, err)
			require.Len(t, imei, 15)
			require.True(t, strings.HasPrefix(imei, "86"), imei)
			require.True(t, ValidIMEI(imei), imei)
		})
	}
}

func TestNewIMEIDistinct(t *testing.T) {
	t.Parallel()
	r := newSeeded(2)
	seen := map[string]bool{}
	for range 1000 {
		imei, err := NewIMEI(r)
		require.NoError(t, err)
		require.True(t, ValidIMEI(imei), imei)
		require.False(t, seen[imei], "duplicate %s", imei)
		seen[imei] = true
	}
}

func TestNewIMEIShortRead(t *testing.T) {
	t.Parallel()
	_, err := NewIMEI(bytes.NewReader([]byte{1, 2, 3}))
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)

	boom := errors.New("boom")
	_, err = NewIMEI(failingReader{boom})
	require.ErrorIs(t, err, boom)
}

type failingReader struct{ err error }

func (f failingReader) Read([]byte) (int, error) { return 0, f.err }

// newSeeded returns a deterministic byte stream so a failure reproduces.
func newSeeded(seed uint64) io.Reader {
	return readerFunc(rand.New(rand.NewPCG(seed, seed)).Uint64)
}

type readerFunc func() uint64

func (f readerFunc) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(f())
	}
	return len(p), nil
}
