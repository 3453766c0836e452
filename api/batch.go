package api

// PhoneJob is one phone's entry in the answer of an asynchronous batch call (5.3.6–5.3.8, 5.7):
// a job id when the phone's job was queued, an error code and message when it was refused.
type PhoneJob struct {
	PhoneID   string `json:"phone_id"`
	JobID     string `json:"job_id,omitempty"`
	ErrorCode string `json:"error_code,omitempty"`
	ErrorMsg  string `json:"error_msg,omitempty"`
}

// PhoneJobsResponse answers an asynchronous batch call on phones.
type PhoneJobsResponse struct {
	RequestID string     `json:"request_id"`
	Jobs      []PhoneJob `json:"jobs"`
}

// ServerJob is one server's entry in the answer of an asynchronous batch call on servers (5.1.5,
// 5.5.1).
type ServerJob struct {
	ServerID  string `json:"server_id"`
	JobID     string `json:"job_id,omitempty"`
	ErrorCode string `json:"error_code,omitempty"`
	ErrorMsg  string `json:"error_msg,omitempty"`
}

// ServerJobsResponse answers an asynchronous batch call on servers.
type ServerJobsResponse struct {
	RequestID string      `json:"request_id"`
	Jobs      []ServerJob `json:"jobs"`
}
