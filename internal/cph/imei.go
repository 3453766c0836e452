package cph

import (
	"fmt"
	"io"
)

// imeiTACPrefix starts every IMEI we issue. Type Allocation Codes beginning with 86 are those the
// GSMA assigned to Chinese manufacturers (Huawei's handsets among them), so apps that sanity-check
// the TAC see a plausible device.
const imeiTACPrefix = "86"

// NewIMEI draws a random IMEI from r: 15 decimal digits, a plausible TAC prefix and a valid Luhn
// check digit, because apps inside a phone and the CPH API both expect one that passes the same
// checks as a real handset's. Pass crypto/rand.Reader in production and a seeded reader in tests.
func NewIMEI(r io.Reader) (string, error) {
	var digits [15]byte
	n := copy(digits[:], imeiTACPrefix)
	var buf [16]byte
	for n < 14 {
		if _, err := io.ReadFull(r, buf[:]); err != nil {
			return "", fmt.Errorf("cph: new IMEI: %w", err)
		}
		for _, b := range buf {
			// Rejecting 250..255 keeps every digit equally likely (250 is a multiple of 10).
			if b >= 250 || n == 14 {
				continue
			}
			digits[n] = '0' + b%10
			n++
		}
	}
	digits[14] = luhnCheckDigit(digits[:14])
	return string(digits[:]), nil
}

// ValidIMEI reports whether s is 15 decimal digits ending in the Luhn check digit of the first 14,
// the check the 3GPP (TS 23.003) defines and the one device-side tooling applies.
func ValidIMEI(s string) bool {
	if len(s) != 15 {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return luhnCheckDigit([]byte(s[:14])) == s[14]
}

// luhnCheckDigit returns the ASCII digit that makes payload followed by it pass the Luhn check:
// counting from the right of the payload, every first, third, … digit is doubled.
func luhnCheckDigit(payload []byte) byte {
	sum := 0
	double := true
	for i := len(payload) - 1; i >= 0; i-- {
		d := int(payload[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return byte('0' + (10-sum%10)%10)
}
