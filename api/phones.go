package api

// PhoneMetadata is a phone's order information (table 5-102).
type PhoneMetadata struct {
	OrderID   string `json:"order_id"`
	ProductID string `json:"product_id"`
}

// Phone is one entry of GET phones (table 5-101). imei and vnc_enable are strings on the wire:
// the SDK decodes strictly.
type Phone struct {
	PhoneName        string        `json:"phone_name"`
	ServerID         string        `json:"server_id"`
	PhoneID          string        `json:"phone_id"`
	PhoneModelName   string        `json:"phone_model_name"`
	ImageID          string        `json:"image_id"`
	ImageVersion     string        `json:"image_version"`
	VNCEnable        string        `json:"vnc_enable"`
	Status           int           `json:"status"`
	Type             int           `json:"type"`
	IMEI             string        `json:"imei"`
	TrafficType      string        `json:"traffic_type"`
	VolumeMode       int           `json:"volume_mode"`
	AvailabilityZone string        `json:"availability_zone"`
	Metadata         PhoneMetadata `json:"metadata"`
	HasEncrypt       bool          `json:"has_encrypt"`
	CreateTime       string        `json:"create_time"`
	UpdateTime       string        `json:"update_time"`
}

// ListPhonesResponse answers GET phones (5.3.1).
type ListPhonesResponse struct {
	RequestID string  `json:"request_id"`
	Count     int     `json:"count"`
	Phones    []Phone `json:"phones"`
}

// PhoneAccessInfo is one way into a phone (table 5-106): a forwarded port, or the adb endpoint
// (type "adb"). device_ip, access_ip and intranet_ip repeat phone_ip, public_ip and server_ip under
// their deprecated names.
type PhoneAccessInfo struct {
	Type       string `json:"type"`
	DeviceIP   string `json:"device_ip"`
	PhoneIP    string `json:"phone_ip"`
	ListenPort int    `json:"listen_port"`
	AccessIP   string `json:"access_ip"`
	PublicIP   string `json:"public_ip"`
	IntranetIP string `json:"intranet_ip"`
	ServerIP   string `json:"server_ip"`
	AccessPort int    `json:"access_port"`
	PhoneIPv6  string `json:"phone_ipv6,omitempty"`
	ServerIPv6 string `json:"server_ipv6,omitempty"`
}

// PhoneVolume is a phone's data disk as GET phones/{phone_id} shows it (table 5-108).
type PhoneVolume struct {
	VolumeType string `json:"volume_type"`
	VolumeSize int    `json:"volume_size"`
}

// PhoneDetail answers GET phones/{phone_id} (5.3.2).
type PhoneDetail struct {
	RequestID        string            `json:"request_id"`
	PhoneName        string            `json:"phone_name"`
	ServerID         string            `json:"server_id"`
	PhoneID          string            `json:"phone_id"`
	ImageID          string            `json:"image_id"`
	ImageVersion     string            `json:"image_version"`
	VNCEnable        string            `json:"vnc_enable"`
	PhoneModelName   string            `json:"phone_model_name"`
	Status           int               `json:"status"`
	AccessInfos      []PhoneAccessInfo `json:"access_infos"`
	Property         string            `json:"property"`
	Metadata         PhoneMetadata     `json:"metadata"`
	PhoneDataVolume  *PhoneVolume      `json:"phone_data_volume,omitempty"`
	IMEI             string            `json:"imei"`
	Type             int               `json:"type"`
	TrafficType      string            `json:"traffic_type"`
	VolumeMode       int               `json:"volume_mode"`
	AvailabilityZone string            `json:"availability_zone"`
	HasEncrypt       bool              `json:"has_encrypt"`
	CreateTime       string            `json:"create_time"`
	UpdateTime       string            `json:"update_time"`
}

// UpdatePhoneNameRequest is the body of PUT phones/{phone_id} (5.3.9).
type UpdatePhoneNameRequest struct {
	PhoneName *string `json:"phone_name"`
}
