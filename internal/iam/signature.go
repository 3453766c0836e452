package iam

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// The SDK-HMAC-SHA256 scheme of Huawei's API gateway, as the official SDKs compute it
// (huaweicloud-sdk-go-v3 core/auth/signer): a canonical request is hashed into a string to sign,
// which is signed with the secret key.
const (
	SignAlgorithm = "SDK-HMAC-SHA256"
	// HeaderSdkDate carries the signing time; the signature is only valid near it.
	HeaderSdkDate = "X-Sdk-Date"
	// HeaderContentSha256 set to UnsignedPayload leaves the body out of the signature (used by
	// the SDKs for non-JSON bodies such as uploads).
	HeaderContentSha256 = "X-Sdk-Content-Sha256"
	UnsignedPayload     = "UNSIGNED-PAYLOAD"
	// SdkDateFormat is the layout of X-Sdk-Date.
	SdkDateFormat = "20060102T150405Z"
	// MaxClockSkew is how far X-Sdk-Date may be from the server clock, bounding replays.
	MaxClockSkew = 15 * time.Minute
)

// authorization is a parsed `SDK-HMAC-SHA256 Access=…, SignedHeaders=…, Signature=…` header.
type authorization struct {
	accessKey     string
	signedHeaders []string
	signature     string
}

func parseAuthorization(v string) (*authorization, error) {
	alg, rest, ok := strings.Cut(strings.TrimSpace(v), " ")
	if !ok || alg != SignAlgorithm {
		return nil, fmt.Errorf("unsupported Authorization scheme %q (want %s)", alg, SignAlgorithm)
	}
	a := &authorization{}
	for part := range strings.SplitSeq(rest, ",") {
		k, val, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Access":
			a.accessKey = val
		case "SignedHeaders":
			for h := range strings.SplitSeq(val, ";") {
				if h = strings.ToLower(strings.TrimSpace(h)); h != "" {
					a.signedHeaders = append(a.signedHeaders, h)
				}
			}
		case "Signature":
			a.signature = val
		}
	}
	if a.accessKey == "" || a.signature == "" || len(a.signedHeaders) == 0 {
		return nil, errors.New("authorization header lacks Access, SignedHeaders or Signature")
	}
	return a, nil
}

// canonicalRequest is METHOD\nURI\nQUERY\nHEADERS\nSIGNED-HEADERS\nPAYLOAD-HASH, built from the
// request as it arrives; host is the Host header (r.Host on a server).
func canonicalRequest(r *http.Request, host string, signedHeaders []string, payloadHash string) string {
	return strings.Join([]string{
		r.Method,
		canonicalURI(r.URL.Path),
		canonicalQuery(r.URL.RawQuery),
		canonicalHeaders(r.Header, host, signedHeaders),
		strings.Join(signedHeaders, ";"),
		payloadHash,
	}, "\n")
}

// canonicalURI encodes each segment of the decoded path and always ends with a slash.
func canonicalURI(path string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		segs[i] = sdkEscape(s)
	}
	uri := strings.Join(segs, "/")
	if !strings.HasSuffix(uri, "/") {
		uri += "/"
	}
	return uri
}

// canonicalQuery sorts parameters by key, then value, and encodes both like path segments; a
// parameter without a value is `k=`.
func canonicalQuery(raw string) string {
	// ParseQuery keeps every parameter it could parse even when it reports an error, and the
	// signature check then fails on its own if the client saw the query differently.
	q, _ := url.ParseQuery(raw)
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		vals := append([]string(nil), q[k]...)
		sort.Strings(vals)
		for _, v := range vals {
			parts = append(parts, sdkEscape(k)+"="+sdkEscape(v))
		}
	}
	return strings.Join(parts, "&")
}

// canonicalHeaders is one `name:value` line per value of each signed header, in the order of the
// client's own list, followed by a newline. A signed header the request lacks adds no line.
func canonicalHeaders(h http.Header, host string, signedHeaders []string) string {
	var b strings.Builder
	for _, name := range signedHeaders {
		var vals []string
		if name == "host" {
			vals = []string{host}
		} else {
			vals = append(vals, h.Values(name)...)
			sort.Strings(vals)
		}
		for _, v := range vals {
			b.WriteString(name + ":" + strings.TrimSpace(v) + "\n")
		}
	}
	return b.String()
}

// sdkEscape percent-encodes everything but A-Z a-z 0-9 - _ . ~ with uppercase hex.
func sdkEscape(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

func hexSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// stringToSign is ALGORITHM\nX-Sdk-Date\nhex(sha256(canonical request)).
func stringToSign(sdkDate, canonical string) string {
	return SignAlgorithm + "\n" + sdkDate + "\n" + hexSHA256([]byte(canonical))
}

func signString(secret, sts string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(sts))
	return hex.EncodeToString(m.Sum(nil))
}

// payloadHash is the body's hash as signed: UNSIGNED-PAYLOAD when the client says so, otherwise
// the SHA-256 of the body (a client-supplied hash must match it).
func payloadHash(h http.Header, body []byte) (string, error) {
	sum := hexSHA256(body)
	switch v := h.Get(HeaderContentSha256); v {
	case "":
		return sum, nil
	case UnsignedPayload:
		return v, nil
	default:
		if !strings.EqualFold(v, sum) {
			return "", fmt.Errorf("%s does not match the body", HeaderContentSha256)
		}
		return v, nil
	}
}

// verifySignature checks a signed request against the secret at time now and returns why it
// fails, in words fit for the client.
func verifySignature(r *http.Request, body []byte, a *authorization, secret string, now time.Time) error {
	date := r.Header.Get(HeaderSdkDate)
	if date == "" {
		return fmt.Errorf("missing %s header", HeaderSdkDate)
	}
	t, err := time.Parse(SdkDateFormat, date)
	if err != nil {
		return fmt.Errorf("%s %q is not in the format %s", HeaderSdkDate, date, SdkDateFormat)
	}
	if d := now.Sub(t); d > MaxClockSkew || d < -MaxClockSkew {
		return fmt.Errorf("%s %s is more than %s away from the server time %s", HeaderSdkDate, date,
			MaxClockSkew, now.UTC().Format(SdkDateFormat))
	}
	ph, err := payloadHash(r.Header, body)
	if err != nil {
		return err
	}
	want := signString(secret, stringToSign(date, canonicalRequest(r, r.Host, a.signedHeaders, ph)))
	if !hmac.Equal([]byte(want), []byte(strings.ToLower(a.signature))) {
		return errors.New("signature does not match")
	}
	return nil
}

// Signer signs outgoing requests the way the Huawei SDKs do, for OpenCPH's own clients (cph admin,
// the Go client and tests).
type Signer struct {
	AccessKey string
	SecretKey string
	// Now is the signing clock; nil means time.Now.
	Now func() time.Time
}

// Sign sets X-Sdk-Date and Authorization on r, whose body is body. It signs host, X-Sdk-Date and
// every header already set except Content-Type and names containing '_', as the SDK does; set
// headers before signing.
func (s Signer) Sign(r *http.Request, body []byte) error {
	if s.AccessKey == "" || s.SecretKey == "" {
		return errors.New("sign request: access key and secret key are required")
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	date := now().UTC().Format(SdkDateFormat)
	r.Header.Set(HeaderSdkDate, date)
	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	signed := []string{"host"}
	for name := range r.Header {
		lower := strings.ToLower(name)
		if lower == "content-type" || lower == "host" || lower == "authorization" || strings.Contains(lower, "_") {
			continue
		}
		signed = append(signed, lower)
	}
	sort.Strings(signed)
	ph, err := payloadHash(r.Header, body)
	if err != nil {
		return fmt.Errorf("sign request: %w", err)
	}
	sig := signString(s.SecretKey, stringToSign(date, canonicalRequest(r, host, signed, ph)))
	r.Header.Set("Authorization", fmt.Sprintf("%s Access=%s, SignedHeaders=%s, Signature=%s",
		SignAlgorithm, s.AccessKey, strings.Join(signed, ";"), sig))
	return nil
}
