package cph

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestValidImageName(t *testing.T) {
	t.Parallel()
	cases := []struct {
		rule string
		name string
		ok   bool
	}{
		{"reference example", "cph-private-image", true},
		{"dots for versions", "game-base-1.2", true},
		{"underscore", "base_image", true},
		{"CJK", "游戏镜像", true},
		{"128 bytes", strings.Repeat("a", 128), true},
		{"empty", "", false},
		{"over 128 bytes", strings.Repeat("a", 129), false},
		{"128 bytes counted in bytes, not characters", strings.Repeat("镜", 43), false},
		{"no spaces", "my image", false},
		{"no slashes", "a/b", false},
	}
	for _, tc := range cases {
		require.Equal(t, tc.ok, ValidImageName(tc.name), tc.rule)
	}
}

func TestValidImageVersion(t *testing.T) {
	t.Parallel()
	cases := []struct {
		rule    string
		version string
		ok      bool
	}{
		{"5.9.1 example", "AOSP 9.0", true},
		{"5.3.5 example", "AOSP7.1.1", true},
		{"36 bytes", strings.Repeat("1", 36), true},
		{"empty", "", false},
		{"over 36 bytes", strings.Repeat("1", 37), false},
		{"leading space", " AOSP 11", false},
		{"trailing space", "AOSP 11 ", false},
		{"no other punctuation", "AOSP/11", false},
	}
	for _, tc := range cases {
		require.Equal(t, tc.ok, validImageVersion(tc.version), tc.rule)
	}
}
