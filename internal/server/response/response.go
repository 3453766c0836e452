// Package response turns handler results into HTTP responses. Handlers return a Response and never
// write to the ResponseWriter themselves, so headers, status and body are always written in the
// right order and every error takes the same path to the wire.
package response

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/opencph/opencph/api"
	"github.com/opencph/opencph/internal/cph"
)

// Response renders itself onto w. requestID is the request's id, which error bodies repeat.
type Response interface {
	Render(w http.ResponseWriter, r *http.Request, requestID string) error
}

type syncResponse struct {
	status  int
	body    any
	headers http.Header
}

// JSON answers status with body encoded as JSON.
func JSON(status int, body any) Response { return &syncResponse{status: status, body: body} }

// OK answers 200 with body.
func OK(body any) Response { return JSON(http.StatusOK, body) }

// WithHeaders answers like JSON (or with no body when body is nil) and sets extra headers first
// (X-Subject-Token and the like).
func WithHeaders(status int, body any, h http.Header) Response {
	return &syncResponse{status: status, body: body, headers: h}
}

// NoContent answers 204 with an empty body.
func NoContent() Response { return &syncResponse{status: http.StatusNoContent} }

func (s *syncResponse) Render(w http.ResponseWriter, _ *http.Request, _ string) error {
	for k, v := range s.headers {
		w.Header()[k] = v
	}
	if s.body == nil {
		w.WriteHeader(s.status)
		return nil
	}
	// Encode before writing the header so an encoding failure can still answer 500.
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(s.body); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(s.status)
	_, err := w.Write(buf.Bytes())
	return err
}

type errorResponse struct{ err error }

// SmartError answers with the status and code of err's *cph.Error; any other error is an internal
// error whose cause is logged and never shown.
func SmartError(err error) Response { return &errorResponse{err: err} }

func (e *errorResponse) Render(w http.ResponseWriter, r *http.Request, requestID string) error {
	ce := cph.AsError(e.err)
	status := ce.HTTPStatus()
	if status >= 500 {
		slog.ErrorContext(r.Context(), "request failed", "request_id", requestID,
			"method", r.Method, "path", r.URL.Path, "err", e.err)
	}
	body := api.Error{RequestID: requestID, ErrorCode: string(ce.Code), ErrorMsg: ce.Msg}
	return (&syncResponse{status: status, body: body}).Render(w, r, requestID)
}
