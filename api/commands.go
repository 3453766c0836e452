package api

// CommandRequestBody is the body of POST phones/commands (5.7.1–5.7.4) and POST
// phones/sync-commands (5.7.5): command chooses the operation and content is its argument. The
// SDK has one model per operation, all of this shape; the aliases below name them. phone_ids wins
// over server_ids when both are given.
type CommandRequestBody struct {
	Command   string   `json:"command"`
	Content   string   `json:"content"`
	PhoneIDs  []string `json:"phone_ids,omitempty"`
	ServerIDs []string `json:"server_ids,omitempty"`
}

// The SDK's request bodies of the commands path, one per operation.
type (
	// PushFileRequestBody: command push, content obs://bucket/path.tar (5.7.1).
	PushFileRequestBody = CommandRequestBody
	// InstallApkRequestBody: command install or install-multiple, content the APKs (5.7.2).
	InstallApkRequestBody = CommandRequestBody
	// UninstallApkRequestBody: command uninstall, content the package name (5.7.3).
	UninstallApkRequestBody = CommandRequestBody
	// RunShellCommandRequestBody: command shell, content the command line (5.7.4).
	RunShellCommandRequestBody = CommandRequestBody
	// RunSyncCommandRequestBody: command shell, content the command line (5.7.5).
	RunSyncCommandRequestBody = CommandRequestBody
)

// The asynchronous operations of the commands path answer with their queued jobs.
type (
	PushFileResponse        = PhoneJobsResponse
	InstallApkResponse      = PhoneJobsResponse
	UninstallApkResponse    = PhoneJobsResponse
	RunShellCommandResponse = PhoneJobsResponse
)

// RunSyncCommandJob is one phone's result of a synchronous command (table 5-225). The reference's
// example shows error_code and error_msg as empty strings on success, so they are always sent;
// job_id is absent for a phone that was refused before anything ran on it.
type RunSyncCommandJob struct {
	PhoneID    string `json:"phone_id"`
	JobID      string `json:"job_id,omitempty"`
	Status     int    `json:"status"`
	ErrorCode  string `json:"error_code"`
	ErrorMsg   string `json:"error_msg"`
	ExecuteMsg string `json:"execute_msg"`
}

// RunSyncCommandResponse answers POST phones/sync-commands (table 5-224).
type RunSyncCommandResponse struct {
	RequestID string              `json:"request_id"`
	Jobs      []RunSyncCommandJob `json:"jobs"`
}
