package iam

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/opencph/opencph/internal/cph"
	"github.com/opencph/opencph/internal/server/request"
	"github.com/opencph/opencph/internal/server/response"
)

// OpenCPH's own codes for the identity, keypair and admin endpoints where the CPS catalogue has no
// fitting code; the number is the HTTP status, so a client sees the kind of failure at a glance.
const (
	CodeNotFound cph.Code = "IAM.0404"
	CodeConflict cph.Code = "IAM.0409"
)

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
	header http.Header
}

// call is one request as a handler sees it: the caller is authenticated when the route asks.
type call struct {
	r    *http.Request
	p    *Principal
	body []byte
}

type handler func(c *call) (*reply, error)

// serve adapts a handler to the HTTP layer's response path: the body is read within the API's
// limit, the caller is authenticated when auth is set and must be the admin when admin is set,
// and the reply or the coded error is rendered by internal/server/response like every other
// answer of the API.
func (s *Service) serve(auth, admin bool, h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		resp := s.respond(r, auth, admin, h)
		if err := resp.Render(w, r, r.Header.Get("X-Request-Id")); err != nil {
			slog.ErrorContext(r.Context(), "writing response", "path", r.URL.Path, "err", err)
		}
	}
}

func (s *Service) respond(r *http.Request, auth, admin bool, h handler) response.Response {
	ctx, body, err := request.ReadBody(r)
	if err != nil {
		return response.SmartError(err)
	}
	c := &call{r: r.WithContext(ctx), body: body}
	if auth {
		if c.p, err = s.Authenticate(c.r, body); err != nil {
			return response.SmartError(err)
		}
		if admin && !c.p.Admin {
			return response.SmartError(forbidden())
		}
	}
	rep, err := h(c)
	if err != nil {
		return response.SmartError(err)
	}
	return response.WithHeaders(rep.status, rep.body, rep.header)
}

// decode parses the call's JSON body. Unknown fields are ignored, as Keystone and KPS clients send
// more than OpenCPH reads.
func decode(c *call, v any) error { return request.DecodeJSON(c.r, v) }
