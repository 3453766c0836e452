package api

// RestartServersRequest is the body of POST servers/batch-restart (section 5.1.5, table 5-38):
// 1–100 server ids.
type RestartServersRequest struct {
	ServerIDs []string `json:"server_ids"`
}

// ChangeServerRequest is the body of POST /v2/{project_id}/cloud-phone/servers/{server_id}/change
// (section 5.1.6, table 5-43), the SDK's ChangeCloudPhoneServerRequestBody. It is a purchase
// without the name, server model, count and billing: the server keeps those and gets new phones of
// phone_model_name booted from image_id.
type ChangeServerRequest struct {
	PhoneModelName string  `json:"phone_model_name"`
	ImageID        string  `json:"image_id"`
	KeypairName    *string `json:"keypair_name,omitempty"`
	// AvailabilityZone is in the SDK's model but not in the reference's table; a switch keeps the
	// server's zone, so only that zone (or none) is accepted.
	AvailabilityZone      *string                `json:"availability_zone,omitempty"`
	Ports                 []Port                 `json:"ports,omitempty"`
	ExtendParam           *ChangeServerExtend    `json:"extend_param,omitempty"`
	TenantVpcID           string                 `json:"tenant_vpc_id"`
	Nics                  []Nic                  `json:"nics"`
	PublicIP              *PublicIP              `json:"public_ip,omitempty"`
	PhoneCountPerIP       *int                   `json:"phone_count_per_ip,omitempty"`
	PhoneDataVolume       *PhoneDataVolume       `json:"phone_data_volume,omitempty"`
	ServerShareDataVolume *ServerShareDataVolume `json:"server_share_data_volume,omitempty"`
	BandWidth             *BandWidth             `json:"band_width,omitempty"`
	// Property is not in the reference's table but the SDK sends it: phone properties (appendix
	// A.1) as a JSON string, applied to every new phone.
	Property *string `json:"property,omitempty"`
}

// ChangeServerExtend is the extend_param of a server switch (table 5-45): only the enterprise
// project, since the billing stays as it was.
type ChangeServerExtend struct {
	EnterpriseProjectID string `json:"enterprise_project_id,omitempty"`
}

// ChangeServerResponse answers a server switch (table 5-53): the server and the job that
// re-creates its phones.
type ChangeServerResponse struct {
	RequestID string `json:"request_id"`
	ServerID  string `json:"server_id"`
	JobID     string `json:"job_id"`
}

// ChangeServerModelRequest is the body of POST servers/change-server-model (section 5.1.12,
// table 5-81).
type ChangeServerModelRequest struct {
	ServerID        string                   `json:"server_id"`
	ServerModelName string                   `json:"server_model_name"`
	PhoneModelName  string                   `json:"phone_model_name"`
	ExtendParam     *ChangeServerModelExtend `json:"extend_param,omitempty"`
}

// ChangeServerModelExtend is the extend_param of a model change (table 5-82).
type ChangeServerModelExtend struct {
	// IsAutoPay is 0 or 1; nothing is charged here, so it is only checked.
	IsAutoPay *int `json:"is_auto_pay,omitempty"`
}

// ChangeServerModelResponse answers a model change (table 5-83) with the new order.
type ChangeServerModelResponse struct {
	RequestID string `json:"request_id"`
	OrderID   string `json:"order_id"`
	ProductID string `json:"product_id"`
}

// ServerKeypair is one server of PUT servers/open-access and the keypair it is to use (section
// 5.5.1, table 5-187).
type ServerKeypair struct {
	ServerID    string `json:"server_id"`
	KeypairName string `json:"keypair_name"`
}

// UpdateKeypairRequest is the body of PUT servers/open-access (table 5-186). The answer is a
// ServerJobsResponse.
type UpdateKeypairRequest struct {
	Servers []ServerKeypair `json:"servers"`
}

// RestartEncodeServersRequest is the body of POST encode-servers/batch-restart (section 5.6.2,
// table 5-198).
type RestartEncodeServersRequest struct {
	EncodeServerIDs []string `json:"encode_server_ids"`
}

// EncodeServerJob is one encode server's entry in the answer of 5.6.2 (table 5-200).
type EncodeServerJob struct {
	EncodeServerID string `json:"encode_server_id"`
	JobID          string `json:"job_id,omitempty"`
	ErrorCode      string `json:"error_code,omitempty"`
	ErrorMsg       string `json:"error_msg,omitempty"`
}

// RestartEncodeServersResponse answers POST encode-servers/batch-restart (table 5-199).
type RestartEncodeServersResponse struct {
	RequestID string            `json:"request_id"`
	Jobs      []EncodeServerJob `json:"jobs"`
}
