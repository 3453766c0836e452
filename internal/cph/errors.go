package cph

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/opencph/opencph/internal/job"
)

// Code is an error code a client matches on: a CPS code of the reference's catalogue or one of
// the API gateway's codes below.
type Code string

type entry struct {
	status int
	msg    string
}

// The API gateway's own codes, which answer before a request reaches the service: clients and the
// SDK match on these for authentication, routing and throttling failures.
const (
	APIGW0101 Code = "APIGW.0101" // no such API
	APIGW0201 Code = "APIGW.0201" // malformed request
	APIGW0301 Code = "APIGW.0301" // authentication failed
	APIGW0308 Code = "APIGW.0308" // throttled
)

func init() {
	catalogue[APIGW0101] = entry{http.StatusNotFound, "The API does not exist or has not been published in the environment."}
	catalogue[APIGW0201] = entry{http.StatusBadRequest, "Request body is invalid."}
	catalogue[APIGW0301] = entry{http.StatusUnauthorized, "Incorrect IAM authentication information."}
	catalogue[APIGW0308] = entry{http.StatusTooManyRequests, "The throttling threshold has been reached."}
}

// Status is the HTTP status the code answers with; unknown codes are internal errors.
func (c Code) Status() int {
	if e, ok := catalogue[c]; ok {
		return e.status
	}
	return http.StatusInternalServerError
}

// Message is the reference's message for the code.
func (c Code) Message() string { return catalogue[c].msg }

// Err returns an error carrying the code and its reference message.
func (c Code) Err() *Error { return &Error{Code: c, Msg: c.Message()} }

// Errf returns an error whose message fills the reference's "{0}" placeholder, or appends the
// detail after the reference message when it has none, so clients still see the documented text.
func (c Code) Errf(format string, args ...any) *Error {
	detail := fmt.Sprintf(format, args...)
	msg := c.Message()
	if strings.Contains(msg, "{0}") {
		msg = strings.Replace(msg, "{0}", detail, 1)
	} else if detail != "" {
		msg = strings.TrimSuffix(msg, ".") + ": " + detail
	}
	return &Error{Code: c, Msg: msg}
}

// Wrap returns an error carrying the code and the reference message, keeping cause for logs and
// errors.Is without showing it to the client.
func (c Code) Wrap(cause error) *Error { return &Error{Code: c, Msg: c.Message(), Err: cause} }

// Error is an error with a client-facing code. The message is what the client reads; the cause is
// only logged.
type Error struct {
	Code Code
	Msg  string
	Err  error
	// Status overrides the code's status where the gateway answers with another one (405, 413).
	Status int
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s %s: %v", e.Code, e.Msg, e.Err)
	}
	return fmt.Sprintf("%s %s", e.Code, e.Msg)
}

func (e *Error) Unwrap() error { return e.Err }

// HTTPStatus is the status the error answers with.
func (e *Error) HTTPStatus() int {
	if e.Status != 0 {
		return e.Status
	}
	return e.Code.Status()
}

// AsError finds the coded error in err's chain; anything else is an internal error (CPS.0003)
// whose cause is kept for the log.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return CPS0003.Wrap(err)
}

// ClassifyJobError gives a failed job's error_code and error_msg: the coded error's, CPS.0054 for
// a job the engine gave up on, CPS.0003 (internal) for anything else.
func ClassifyJobError(err error) (code, msg string, internal bool) {
	if errors.Is(err, job.ErrGaveUp) {
		return string(CPS0054), CPS0054.Message(), false
	}
	ce := AsError(err)
	return string(ce.Code), ce.Msg, ce.Code == CPS0003
}
