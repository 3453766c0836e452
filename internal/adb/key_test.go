package adb

import (
	cryptorand "crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLoadOrCreateKey(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "data", "adbkey")
	key, err := LoadOrCreateKey(path)
	require.NoError(t, err)
	require.Equal(t, 2048, key.N.BitLen())

	st, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "the private key is readable by its owner only")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(data), "-----BEGIN PRIVATE KEY-----"), "PKCS#8 PEM like adb's adbkey")

	pub, err := os.ReadFile(path + ".pub")
	require.NoError(t, err)
	keys := ParseAuthorizedKeys(pub)
	require.Len(t, keys, 1)
	require.True(t, key.PublicKey.Equal(keys[0]), "adbkey.pub holds the same key in adb_keys form")

	again, err := LoadOrCreateKey(path)
	require.NoError(t, err)
	require.True(t, key.Equal(again), "the key is loaded, not regenerated")
}

func TestParsePrivateKey(t *testing.T) {
	t.Parallel()
	key := testKeys()[0]
	small, err := rsa.GenerateKey(cryptorand.Reader, 1024)
	require.NoError(t, err)
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	tests := []struct {
		name string
		pem  []byte
		err  string
	}{
		{name: "PKCS#8 as adb writes it", pem: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})},
		{name: "PKCS#1 as older adb and openssl genrsa write it", pem: pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})},
		{name: "not PEM", pem: []byte("garbage"), err: "no PEM block"},
		{name: "other PEM type", pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1}}), err: "unexpected PEM block"},
		{name: "adbd verifies only 2048-bit keys", pem: pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(small)}), err: "1024 bits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePrivateKey(tt.pem)
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			require.True(t, key.Equal(got))
		})
	}
}

func TestPublicKeyEncoding(t *testing.T) {
	t.Parallel()
	key := testKeys()[1]
	enc, err := EncodePublicKey(&key.PublicKey)
	require.NoError(t, err)
	got, err := ParsePublicKey(enc + " user@host\x00")
	require.NoError(t, err)
	require.True(t, key.PublicKey.Equal(got))

	keys := ParseAuthorizedKeys([]byte("\n" + enc + " a@b\nnot a key\n\n"))
	require.Len(t, keys, 1, "lines that do not parse are skipped, as adbd does")

	for _, bad := range []string{"", "!!!", "QUFBQQ=="} {
		_, err := ParsePublicKey(bad)
		require.Error(t, err, bad)
	}

	token := []byte("01234567890123456789")
	sig, err := signToken(key, token)
	require.NoError(t, err)
	require.True(t, verifyToken(&key.PublicKey, token, sig))
	require.False(t, verifyToken(&testKeys()[0].PublicKey, token, sig))
	_, err = signToken(key, []byte("short"))
	require.ErrorIs(t, err, ErrProtocol)
}
