package api

// CreateServersRequest is the body of POST /v2/{project_id}/cloud-phone/servers, the purchase of
// 1–10 cloud phone servers (section 5.1.4, table 5-25).
//
// Fields whose absence differs from their zero value for validation are pointers: the SDK sends
// null for objects it was not given, and JSON null and a missing key both decode to nil, so the
// server can tell "count not sent" (or "extend_param: null") from "count: 0".
type CreateServersRequest struct {
	ServerName      string `json:"server_name"`
	ServerModelName string `json:"server_model_name"`
	PhoneModelName  string `json:"phone_model_name"`
	ImageID         string `json:"image_id"`
	// Count is the number of servers to buy, 1–10.
	Count *int `json:"count,omitempty"`
	// KeypairName names the key pair that guards the phones' adb access.
	KeypairName *string `json:"keypair_name,omitempty"`
	// Ports are application ports the service forwards to every phone.
	Ports       []Port       `json:"ports,omitempty"`
	ExtendParam *ExtendParam `json:"extend_param,omitempty"`
	// TenantVpcID is the UUID of the tenant's VPC the servers join.
	TenantVpcID string `json:"tenant_vpc_id"`
	Nics        []Nic  `json:"nics"`
	// PublicIP chooses between new EIPs (eip), an existing one (ids) and none (count 0).
	PublicIP *PublicIP `json:"public_ip,omitempty"`
	// PhoneCountPerIP is how many phones share one private IP; absent means all of them.
	PhoneCountPerIP *int `json:"phone_count_per_ip,omitempty"`
	// PhoneDataVolume is required for 2.0 phone models (phone_model_version 1).
	PhoneDataVolume       *PhoneDataVolume       `json:"phone_data_volume,omitempty"`
	ServerShareDataVolume *ServerShareDataVolume `json:"server_share_data_volume,omitempty"`
	BandWidth             *BandWidth             `json:"band_width,omitempty"`
	AvailabilityZone      string                 `json:"availability_zone,omitempty"`
	// Property is not in the reference's table but the SDK sends it: phone properties (appendix
	// A.1) as a JSON string, applied to every phone of the new servers.
	Property *string `json:"property,omitempty"`
}

// Port is an application port forwarded to each phone (section 5.1.4, table 5-26; also used by
// the server change of 5.1.6).
type Port struct {
	// Name is at most 16 bytes; "adb" and "vnc" are reserved for the system's own services.
	Name string `json:"name"`
	// ListenPort is 10000–50000.
	ListenPort int `json:"listen_port"`
	// InternetAccessible is a string, not a boolean: "true" in any case publishes the port to
	// the Internet and any other non-empty value does not.
	InternetAccessible string `json:"internet_accessible"`
}

// ExtendParam is the billing of a purchase (section 5.1.4, table 5-27). Only yearly/monthly
// billing (charging_mode 0) exists.
type ExtendParam struct {
	ChargingMode *int `json:"charging_mode,omitempty"`
	// PeriodType is 2 for months and 3 for years.
	PeriodType *int `json:"period_type,omitempty"`
	// PeriodNum is 1–9 months or 1–10 years.
	PeriodNum   *int `json:"period_num,omitempty"`
	IsAutoPay   *int `json:"is_auto_pay,omitempty"`
	IsAutoRenew *int `json:"is_auto_renew,omitempty"`
	// EnterpriseProjectID is a UUID; empty or "0" means the default enterprise project.
	EnterpriseProjectID string `json:"enterprise_project_id,omitempty"`
}

// Nic is one network interface of a new server (section 5.1.4, table 5-28).
type Nic struct {
	// SubnetID is the UUID of a subnet of the request's tenant_vpc_id.
	SubnetID      string         `json:"subnet_id"`
	Ipv6Enable    *bool          `json:"ipv6_enable,omitempty"`
	Ipv6Bandwidth *Ipv6Bandwidth `json:"ipv6_bandwidth,omitempty"`
}

// Ipv6Bandwidth is the shared bandwidth an IPv6-enabled NIC binds to (section 5.1.4, table
// 5-29). The SDK names the field band_width_id; table 5-47 of 5.1.6 spells it bandwidth_id, and
// the SDK is what clients send.
type Ipv6Bandwidth struct {
	BandWidthID string `json:"band_width_id"`
}

// PublicIP is the EIP configuration of a new server (section 5.1.4, table 5-30).
type PublicIP struct {
	// IDs names one existing EIP to bind; only a single server can be bought that way.
	IDs []string `json:"ids,omitempty"`
	// EIP asks for new EIPs of the given type.
	EIP *EIP `json:"eip,omitempty"`
	// Count is the number of EIPs, 0 (none) up to the number of phone IPs; absent means 1.
	Count *int `json:"count,omitempty"`
}

// EIP is the kind of elastic IP to create (section 5.1.4, table 5-31): 5_telcom, 5_union,
// 5_bgp or 5_sbgp.
type EIP struct {
	Type string `json:"type"`
}

// PhoneDataVolume is the data disk each phone of a 2.0 phone model gets (section 5.1.4, table
// 5-32). This is the purchase shape (volume_type, size); a phone's detail (5.3.2) reports its
// volume in another shape.
type PhoneDataVolume struct {
	// VolumeType is SSD or GPSSD.
	VolumeType string `json:"volume_type"`
	// Size is in GiB, 10–32768.
	Size int `json:"size"`
}

// ServerShareDataVolume is the storage shared by a server's phones (section 5.1.4, table 5-33),
// optional for 2.0 phone models.
type ServerShareDataVolume struct {
	// VolumeType is SSD or GPSSD.
	VolumeType string `json:"volume_type"`
	// Size is in GiB, 10–32768.
	Size int `json:"size"`
}

// BandWidth is the public bandwidth of new servers (section 5.1.4, table 5-34): a dedicated one
// of band_width_size Mbit/s, or an existing shared one named by band_width_id.
type BandWidth struct {
	// BandWidthID is required for a shared bandwidth (share type 1).
	BandWidthID string `json:"band_width_id,omitempty"`
	// BandWidthSize is required for a dedicated bandwidth (share type 0), in Mbit/s.
	BandWidthSize *int `json:"band_width_size,omitempty"`
	// BandWidthChargeMode is 0 (by bandwidth) or 1 (by traffic).
	BandWidthChargeMode *int `json:"band_width_charge_mode,omitempty"`
	// BandWidthShareType is 0 (dedicated) or 1 (shared).
	BandWidthShareType *int `json:"band_width_share_type,omitempty"`
}

// CreateServersResponse is the answer to a purchase (section 5.1.4, table 5-35): the order and
// the ids of the servers it creates.
type CreateServersResponse struct {
	RequestID string   `json:"request_id"`
	OrderID   string   `json:"order_id"`
	ProductID string   `json:"product_id"`
	ServerIDs []string `json:"server_ids"`
}
