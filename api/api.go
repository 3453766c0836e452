// Package api holds the wire types of the CPH API: request and response bodies with the exact
// JSON names and types of the reference (spec/cph-api-reference.zh.txt) and of the official SDK's
// services/cph/v1/model, shared by the server, the Go client and the tests.
package api

import "time"

// TimeLayout is the reference's time format: UTC, second precision, "Z".
const TimeLayout = "2006-01-02T15:04:05Z"

// FormatTime renders t in TimeLayout; the zero time renders as "" so unset times stay empty.
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(TimeLayout)
}

// Error is the body of every failed call (section 8.1.1).
type Error struct {
	RequestID string `json:"request_id,omitempty"`
	ErrorCode string `json:"error_code"`
	ErrorMsg  string `json:"error_msg"`
}

// RequestOnly is the body of calls that answer with nothing but their request id.
type RequestOnly struct {
	RequestID string `json:"request_id"`
}
