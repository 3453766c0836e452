package adb

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
)

// adb signs the device's 20-byte token as if it were a SHA-1 digest (RSA_sign(NID_sha1, …)), so
// the token length is fixed.
const tokenSize = 20

// Android's RSAPublicKey struct (libcrypto_utils android_pubkey.c): the only public key encoding
// adbd understands, for 2048-bit keys.
const (
	pubkeyModulusWords = 64
	pubkeyModulusSize  = pubkeyModulusWords * 4
	pubkeyEncodedSize  = 4 + 4 + pubkeyModulusSize + pubkeyModulusSize + 4
)

// LoadOrCreateKey returns the control plane's adb key stored at path, generating a 2048-bit RSA
// key on first use. The file is a PEM private key as adb writes ~/.android/adbkey, so an
// operator can hand the same key to the real adb; path+".pub" gets the public half in adbd's
// adb_keys format, ready to be listed in a device's /data/misc/adb/adb_keys.
func LoadOrCreateKey(path string) (*rsa.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err == nil {
		key, err := ParsePrivateKey(data)
		if err != nil {
			return nil, fmt.Errorf("adb key %s: %w", path, err)
		}
		return key, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("reading adb key: %w", err)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generating adb key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encoding adb key: %w", err)
	}
	pub, err := EncodePublicKey(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	if err := writeFileAtomic(path+".pub", []byte(pub+" opencph\n"), 0o644); err != nil {
		return nil, err
	}
	if err := writeFileAtomic(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return nil, err
	}
	return key, nil
}

// writeFileAtomic makes a crash leave either no file or a whole one, never a torn key.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, ".adbkey-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// ParsePrivateKey reads an adbkey file: PKCS#8 ("PRIVATE KEY", what adb writes) or PKCS#1
// ("RSA PRIVATE KEY", what older adb and openssl genrsa write). adbd only verifies 2048-bit keys.
func ParsePrivateKey(data []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	var key *rsa.PrivateKey
	switch block.Type {
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parsing PKCS#8 key: %w", err)
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("key is %T, adb needs RSA", k)
		}
		key = rk
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parsing PKCS#1 key: %w", err)
		}
		key = k
	default:
		return nil, fmt.Errorf("unexpected PEM block %q", block.Type)
	}
	if key.N.BitLen() != 2048 {
		return nil, fmt.Errorf("key has %d bits, adb needs 2048", key.N.BitLen())
	}
	return key, nil
}

// EncodePublicKey renders pub the way adb_keys and AUTH RSAPUBLICKEY carry it: base64 of
// Android's RSAPublicKey struct (modulus size in words, -1/n mod 2^32, little-endian modulus,
// R² mod n, exponent), without the trailing " user@host" comment.
func EncodePublicKey(pub *rsa.PublicKey) (string, error) {
	if pub.N.BitLen() != 2048 {
		return "", fmt.Errorf("adb public key must have 2048 bits, not %d", pub.N.BitLen())
	}
	b := make([]byte, pubkeyEncodedSize)
	binary.LittleEndian.PutUint32(b[0:], pubkeyModulusWords)

	r32 := new(big.Int).Lsh(big.NewInt(1), 32)
	n0inv := new(big.Int).Mod(pub.N, r32)
	n0inv.ModInverse(n0inv, r32)
	n0inv.Sub(r32, n0inv)
	binary.LittleEndian.PutUint32(b[4:], uint32(n0inv.Uint64()))

	putLittleEndian(b[8:8+pubkeyModulusSize], pub.N)
	rr := new(big.Int).Lsh(big.NewInt(1), 2*2048)
	rr.Mod(rr, pub.N)
	putLittleEndian(b[8+pubkeyModulusSize:8+2*pubkeyModulusSize], rr)
	binary.LittleEndian.PutUint32(b[8+2*pubkeyModulusSize:], uint32(pub.E))
	return base64.StdEncoding.EncodeToString(b), nil
}

func putLittleEndian(dst []byte, n *big.Int) {
	n.FillBytes(dst)
	for i, j := 0, len(dst)-1; i < j; i, j = i+1, j-1 {
		dst[i], dst[j] = dst[j], dst[i]
	}
}

// ParsePublicKey reads one adb_keys line ("<base64> [comment]") or an AUTH RSAPUBLICKEY payload
// (the same, NUL-terminated).
func ParsePublicKey(s string) (*rsa.PublicKey, error) {
	fields := strings.Fields(strings.TrimRight(s, "\x00"))
	if len(fields) == 0 {
		return nil, errors.New("empty adb public key")
	}
	b, err := base64.StdEncoding.DecodeString(fields[0])
	if err != nil {
		return nil, fmt.Errorf("adb public key: %w", err)
	}
	if len(b) != pubkeyEncodedSize {
		return nil, fmt.Errorf("adb public key is %d bytes, want %d", len(b), pubkeyEncodedSize)
	}
	if w := binary.LittleEndian.Uint32(b[0:]); w != pubkeyModulusWords {
		return nil, fmt.Errorf("adb public key modulus has %d words, want %d", w, pubkeyModulusWords)
	}
	le := bytes.Clone(b[8 : 8+pubkeyModulusSize])
	for i, j := 0, len(le)-1; i < j; i, j = i+1, j-1 {
		le[i], le[j] = le[j], le[i]
	}
	e := binary.LittleEndian.Uint32(b[8+2*pubkeyModulusSize:])
	if e < 3 || e > 1<<31-1 {
		return nil, fmt.Errorf("adb public key exponent %d out of range", e)
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(le), E: int(e)}, nil
}

// ParseAuthorizedKeys reads an adb_keys file (/data/misc/adb/adb_keys): one key per line,
// blank lines and lines that do not parse skipped, as adbd does.
func ParseAuthorizedKeys(data []byte) []*rsa.PublicKey {
	var keys []*rsa.PublicKey
	for line := range strings.Lines(string(data)) {
		if strings.TrimSpace(line) == "" {
			continue
		}
		if k, err := ParsePublicKey(line); err == nil {
			keys = append(keys, k)
		}
	}
	return keys
}

func signToken(key *rsa.PrivateKey, token []byte) ([]byte, error) {
	if len(token) != tokenSize {
		return nil, fmt.Errorf("%w: AUTH token of %d bytes, want %d", ErrProtocol, len(token), tokenSize)
	}
	return rsa.SignPKCS1v15(nil, key, crypto.SHA1, token)
}

func verifyToken(pub *rsa.PublicKey, token, sig []byte) bool {
	return rsa.VerifyPKCS1v15(pub, crypto.SHA1, token, sig) == nil
}
