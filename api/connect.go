package api

// ConnectionRequest is the body of POST phones/batch-connection (5.3.3).
type ConnectionRequest struct {
	PhoneIDs   []string `json:"phone_ids"`
	ClientType string   `json:"client_type"`
}

// ConnectAccessInfo is where and how a streaming client connects to one phone (table 5-114).
// timestamp is epoch milliseconds carried as a string.
type ConnectAccessInfo struct {
	AccessIP   string `json:"access_ip"`
	IntranetIP string `json:"intranet_ip"`
	AccessIPv6 string `json:"access_ipv6,omitempty"`
	AccessPort int    `json:"access_port"`
	SessionID  string `json:"session_id"`
	Timestamp  string `json:"timestamp"`
	Ticket     string `json:"ticket"`
}

// ConnectInfo is one phone's entry of connect_infos (table 5-113).
type ConnectInfo struct {
	PhoneID    string            `json:"phone_id"`
	AccessInfo ConnectAccessInfo `json:"access_info"`
}

// ConnectErrorInfo is one phone that cannot be connected to (table 5-115).
type ConnectErrorInfo struct {
	PhoneID   string `json:"phone_id"`
	ErrorCode string `json:"error_code"`
	ErrorMsg  string `json:"error_msg"`
}

// ConnectionResponse answers POST phones/batch-connection (table 5-112).
type ConnectionResponse struct {
	RequestID    string             `json:"request_id"`
	ConnectInfos []ConnectInfo      `json:"connect_infos"`
	Errors       []ConnectErrorInfo `json:"errors"`
}
