package api

// Job is one entry of GET jobs (table 5-183).
type Job struct {
	PhoneID    string `json:"phone_id,omitempty"`
	ServerID   string `json:"server_id,omitempty"`
	NodeID     string `json:"node_id,omitempty"`
	JobID      string `json:"job_id"`
	BeginTime  string `json:"begin_time"`
	EndTime    string `json:"end_time"`
	Status     int    `json:"status"`
	ErrorCode  string `json:"error_code"`
	ErrorMsg   string `json:"error_msg"`
	ExecuteMsg string `json:"execute_msg"`
}

// JobDetail answers GET jobs/{job_id} (5.4.1).
type JobDetail struct {
	RequestID string `json:"request_id"`
	Job
}

// ListJobsResponse answers GET jobs (5.4.2).
type ListJobsResponse struct {
	RequestID string `json:"request_id"`
	Jobs      []Job  `json:"jobs"`
}
