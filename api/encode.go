package api

// EncodeServerAccessInfo is one way into an encode server.
type EncodeServerAccessInfo struct {
	ListenPort int    `json:"listen_port"`
	AccessIP   string `json:"access_ip"`
	IntranetIP string `json:"intranet_ip"`
	PublicIP   string `json:"public_ip"`
	ServerIP   string `json:"server_ip"`
	AccessPort int    `json:"access_port"`
	Type       string `json:"type"`
	ServerIPv6 string `json:"server_ipv6,omitempty"`
}

// EncodeServer is one entry of GET encode-servers (5.6.1).
type EncodeServer struct {
	EncodeServerName string                   `json:"encode_server_name"`
	EncodeServerID   string                   `json:"encode_server_id"`
	EncodeServerIP   string                   `json:"encode_server_ip"`
	ServerID         string                   `json:"server_id"`
	KeypairName      string                   `json:"keypair_name"`
	Type             int                      `json:"type"`
	Status           int                      `json:"status"`
	AccessInfos      []EncodeServerAccessInfo `json:"access_infos"`
}

// ListEncodeServersResponse answers GET encode-servers (5.6.1).
type ListEncodeServersResponse struct {
	RequestID     string         `json:"request_id"`
	EncodeServers []EncodeServer `json:"encode_servers"`
}
