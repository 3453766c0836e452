package iam

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/opencph/opencph/internal/cph"
)

// OpenCPH's own codes for the identity, keypair and admin endpoints where the CPS catalogue has no
// fitting code; the number is the HTTP status, so a client sees the kind of failure at a glance.
const (
	CodeNotFound cph.Code = "IAM.0404"
	CodeConflict cph.Code = "IAM.0409"
)

// maxBodyBytes bounds request bodies: the largest legitimate one is a public key import.
const maxBodyBytes = 1 << 20

func unauthorized(format string, args ...any) *cph.Error {
	return cph.APIGW0301.Errf(format, args...)
}

func badRequest(format string, args ...any) *cph.Error {
	return cph.APIGW0201.Errf(format, args...)
}

// forbidden is the one answer to a project the caller may not use, whether or not it exists.
func forbidden() *cph.Error { return cph.CPS0001.Err() }

func notFound(format string, args ...any) *cph.Error {
	return &cph.Error{Code: CodeNotFound, Msg: fmt.Sprintf(format, args...), Status: http.StatusNotFound}
}

func conflict(format string, args ...any) *cph.Error {
	return &cph.Error{Code: CodeConflict, Msg: fmt.Sprintf(format, args...), Status: http.StatusConflict}
}

// reply is what a handler answers: a status, a JSON body (none when nil) and extra headers.
type reply struct {
	status int
	body   any
	header map[string]string
}

// call is one request as a handler sees it: the caller is authenticated when the route asks.
type call struct {
	r    *http.Request
	p    *Principal
	body []byte
}

type handler func(c *call) (*reply, error)

// serve adapts a handler: it reads the body, authenticates when auth is set, requires an admin
// caller when admin is set, and writes the reply or the coded error. Handlers never touch the
// ResponseWriter, so headers and status are written in one place.
func (s *Service) serve(auth, admin bool, h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rep, err := s.run(w, r, auth, admin, h)
		if err != nil {
			writeError(w, r, err)
			return
		}
		for k, v := range rep.header {
			w.Header().Set(k, v)
		}
		if rep.body == nil {
			w.WriteHeader(rep.status)
			return
		}
		writeJSON(w, rep.status, rep.body)
	}
}

func (s *Service) run(w http.ResponseWriter, r *http.Request, auth, admin bool, h handler) (*reply, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, &cph.Error{Code: cph.APIGW0201, Msg: "Request body is too large.", Status: http.StatusRequestEntityTooLarge}
		}
		return nil, badRequest("read body: %v", err)
	}
	c := &call{r: r, body: body}
	if auth {
		if c.p, err = s.Authenticate(r, body); err != nil {
			return nil, err
		}
		if admin && !c.p.Admin {
			return nil, forbidden()
		}
	}
	return h(c)
}

// decode parses a JSON body. Unknown fields are ignored, as Keystone and KPS clients send more
// than OpenCPH reads.
func decode(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return badRequest("empty body")
	}
	if err := json.Unmarshal(body, v); err != nil {
		return badRequest("%v", err)
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		slog.Error("encode response", "err", err)
		status, b = http.StatusInternalServerError, []byte(`{"error_code":"CPS.0003","error_msg":"Internal error."}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeError writes the gateway-style error body; causes of internal errors go to the log only.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := cph.AsError(err)
	status := e.HTTPStatus()
	if status >= http.StatusInternalServerError {
		slog.ErrorContext(r.Context(), "iam request failed", "method", r.Method, "path", r.URL.Path,
			"request_id", r.Header.Get("X-Request-Id"), "err", err)
	}
	writeJSON(w, status, map[string]string{
		"request_id": r.Header.Get("X-Request-Id"),
		"error_code": string(e.Code),
		"error_msg":  e.Msg,
	})
}
