// Package request reads what handlers need from an *http.Request: the request id, the JSON body
// with the reference's limits, paging and typed query parameters. Every failure is a *cph.Error
// ready for response.SmartError.
package request

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/opencph/opencph/internal/cph"
)

// MaxBodyBytes is the largest body accepted: the API gateway's 12 MB limit for signed requests.
const MaxBodyBytes = 12 << 20

type ctxKey int

const (
	keyID ctxKey = iota
	keyBody
)

// WithID returns ctx carrying the request id.
func WithID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, keyID, id)
}

// ID is the request's id, the one in X-Request-Id and in the body's request_id.
func ID(ctx context.Context) string {
	id, _ := ctx.Value(keyID).(string)
	return id
}

// ReadBody reads the whole body once, bounded by MaxBodyBytes, and keeps it in the returned
// context so that signature checks and decoding both see the same bytes.
func ReadBody(r *http.Request) (context.Context, []byte, error) {
	if r.Body == nil {
		return r.Context(), nil, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return nil, nil, cph.APIGW0201.Errf("reading body: %v", err)
	}
	if len(body) > MaxBodyBytes {
		e := cph.APIGW0201.Errf("request body is larger than %d bytes", MaxBodyBytes)
		e.Status = http.StatusRequestEntityTooLarge
		return nil, nil, e
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return context.WithValue(r.Context(), keyBody, body), body, nil
}

// Body is the body ReadBody kept.
func Body(r *http.Request) []byte {
	b, _ := r.Context().Value(keyBody).([]byte)
	return b
}

// DecodeJSON decodes the body into v. JSON null is the same as an absent field (the SDK sends
// null for unset objects), unknown fields are ignored, and malformed JSON or a value of the wrong
// type is a 400 that names the field.
func DecodeJSON(r *http.Request, v any) error {
	body := Body(r)
	if len(bytes.TrimSpace(body)) == 0 {
		return cph.APIGW0201.Errf("request body is empty")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		var syntaxErr *json.SyntaxError
		switch {
		case errors.As(err, &typeErr):
			return cph.APIGW0201.Errf("field %q must be of type %s", typeErr.Field, typeErr.Type)
		case errors.As(err, &syntaxErr):
			return cph.APIGW0201.Errf("malformed JSON at offset %d: %v", syntaxErr.Offset, err)
		default:
			return cph.APIGW0201.Errf("malformed JSON: %v", err)
		}
	}
	if dec.More() {
		return cph.APIGW0201.Errf("malformed JSON: trailing data after the object")
	}
	return nil
}

// Paging reads offset (≥ 0, default 0) and limit (1..maxLimit, default defLimit); anything else
// is CPS.0002, as every list endpoint of the reference answers.
func Paging(r *http.Request, defLimit, maxLimit int) (offset, limit int, err error) {
	q := r.URL.Query()
	offset, limit = 0, defLimit
	if s := q.Get("offset"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return 0, 0, cph.CPS0002.Err()
		}
		offset = n
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxLimit {
			return 0, 0, cph.CPS0002.Err()
		}
		limit = n
	}
	return offset, limit, nil
}

// QueryInt reads an optional integer parameter; a value that is not an integer is code's error.
func QueryInt(r *http.Request, name string, code cph.Code) (*int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return nil, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return nil, code.Errf("%s must be an integer", name)
	}
	return &n, nil
}

// QueryInt64 reads an optional 64-bit integer parameter such as an epoch timestamp.
func QueryInt64(r *http.Request, name string, code cph.Code) (*int64, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return nil, code.Errf("%s must be an integer", name)
	}
	return &n, nil
}

// Query is a shorthand for an optional string parameter.
func Query(r *http.Request, name string) string { return r.URL.Query().Get(name) }
