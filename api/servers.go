package api

// Address is one IP pair of a server (table 5-6); intranet_ip and access_ip are the deprecated
// spellings of server_ip and public_ip and carry the same values.
type Address struct {
	IntranetIP string `json:"intranet_ip"`
	AccessIP   string `json:"access_ip"`
	ServerIP   string `json:"server_ip"`
	PublicIP   string `json:"public_ip"`
}

// ServerMetadata is a server's order information (table 5-7).
type ServerMetadata struct {
	ProductID    string `json:"product_id"`
	OrderID      string `json:"order_id"`
	ChargingMode int    `json:"charging_mode"`
}

// Server is one entry of GET servers (table 5-5).
type Server struct {
	ServerName          string         `json:"server_name"`
	AvailabilityZone    string         `json:"availability_zone"`
	ServerID            string         `json:"server_id"`
	ServerModelName     string         `json:"server_model_name"`
	PhoneModelName      string         `json:"phone_model_name"`
	KeypairName         string         `json:"keypair_name"`
	Status              int            `json:"status"`
	VPCID               string         `json:"vpc_id"`
	CIDR                string         `json:"cidr"`
	VPCCIDR             string         `json:"vpc_cidr"`
	SubnetID            string         `json:"subnet_id"`
	SubnetCIDR          string         `json:"subnet_cidr"`
	Addresses           []Address      `json:"addresses"`
	ResourceProjectID   string         `json:"resource_project_id"`
	Metadata            ServerMetadata `json:"metadata"`
	NetworkVersion      string         `json:"network_version"`
	EnterpriseProjectID string         `json:"enterprise_project_id"`
	CreateTime          string         `json:"create_time"`
	UpdateTime          string         `json:"update_time"`
}

// ListServersResponse answers GET /v1/{project_id}/cloud-phone/servers (5.1.1).
type ListServersResponse struct {
	RequestID string   `json:"request_id"`
	Count     int      `json:"count"`
	Servers   []Server `json:"servers"`
}

// Bandwidth is a server's bandwidth (table 5-13), also listed by GET bandwidths (5.2.1).
type Bandwidth struct {
	BandWidthName       string `json:"band_width_name"`
	BandWidthID         string `json:"band_width_id"`
	BandWidthSize       int    `json:"band_width_size"`
	BandWidthChargeMode int    `json:"band_width_charge_mode"`
	BandWidthShareType  int    `json:"band_width_share_type"`
	CreateTime          string `json:"create_time"`
	UpdateTime          string `json:"update_time"`
}

// Volume is a server's disk (table 5-14).
type Volume struct {
	VolumeName string `json:"volume_name"`
	VolumeID   string `json:"volume_id"`
	VolumeSize int    `json:"volume_size"`
	VolumeType string `json:"volume_type"`
	CreateTime string `json:"create_time"`
	UpdateTime string `json:"update_time"`
}

// ShareVolumeInfo is a server's shared storage (table 5-15).
type ShareVolumeInfo struct {
	VolumeType string `json:"volume_type"`
	Size       int    `json:"size"`
	Version    int    `json:"version"`
}

// ServerDetail answers GET /v1/{project_id}/cloud-phone/servers/{server_id} (5.1.2).
type ServerDetail struct {
	RequestID string `json:"request_id"`
	Server
	BandWidths      []Bandwidth      `json:"band_widths"`
	Volumes         []Volume         `json:"volumes"`
	ShareVolumeInfo *ShareVolumeInfo `json:"share_volume_info,omitempty"`
	SecurityGroups  []string         `json:"security_groups"`
}

// UpdateServerNameRequest is the body of PUT servers/{server_id} (5.1.13).
type UpdateServerNameRequest struct {
	ServerName *string `json:"server_name"`
}

// ListBandwidthsResponse answers GET bandwidths (5.2.1).
type ListBandwidthsResponse struct {
	RequestID  string      `json:"request_id"`
	BandWidths []Bandwidth `json:"band_widths"`
}

// UpdateBandwidthRequest is the body of PUT bandwidths/{band_width_id} (5.2.2).
type UpdateBandwidthRequest struct {
	BandWidthSize *int `json:"band_width_size"`
}
