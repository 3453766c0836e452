package api

// ServerModel is one cloud phone server specification (section 5.1.3, table 5-20), the unit a
// tenant buys. Field names and types follow the official SDK's model.ServerModel so that its
// ListCloudPhoneServerModels decodes our answer unchanged.
type ServerModel struct {
	ServerModelName string                `json:"server_model_name"`
	ServerType      string                `json:"server_type"`
	CPU             int                   `json:"cpu"`
	Memory          int                   `json:"memory"`
	ExtendSpec      ServerModelExtendSpec `json:"extend_spec"`
	// DiskMaxNum is in the SDK's model but not in the reference's table; it is sent only when set.
	DiskMaxNum  *int `json:"disk_max_num,omitempty"`
	ProductType int  `json:"product_type"`
	FreeSize    int  `json:"free_size"`
}

// ServerModelExtendSpec describes a server model's hardware (section 5.1.3, table 5-21). Unlike a
// phone model's extend_spec, which is a JSON string, this one is an object whose gpu_count and
// numa_count are integers.
type ServerModelExtendSpec struct {
	CPU              string `json:"cpu"`
	Memory           string `json:"memory"`
	Disk             string `json:"disk"`
	NetworkInterface string `json:"network_interface"`
	GPU              string `json:"gpu"`
	BmsFlavor        string `json:"bms_flavor"`
	GPUCount         int    `json:"gpu_count"`
	NumaCount        int    `json:"numa_count"`
	// OSVolume is present only for servers that boot from a cloud disk; local-disk servers omit it
	// (table 5-21).
	OSVolume *OSVolume `json:"os_volume,omitempty"`
}

// OSVolume is the operating system disk of a cloud-disk server model (section 5.1.3, table 5-22).
type OSVolume struct {
	Size       int    `json:"size"`
	VolumeType string `json:"volume_type"`
}

// ListServerModelsResponse is the body of GET /v1/{project_id}/cloud-phone/server-models
// (section 5.1.3, table 5-19).
type ListServerModelsResponse struct {
	RequestID    string        `json:"request_id"`
	ServerModels []ServerModel `json:"server_models"`
}

// PhoneModel is one cloud phone specification (section 5.3.4, table 5-120): how many phones of
// which size a server model runs. Its extend_spec is a JSON document carried as a string, as the
// reference's example and the SDK's model.PhoneModel have it.
type PhoneModel struct {
	ServerModelName string `json:"server_model_name"`
	PhoneModelName  string `json:"phone_model_name"`
	// Status is 1 for a model on sale and 0 for a retired one, which cannot be bought.
	Status int `json:"status"`
	CPU    int `json:"cpu"`
	// Memory is in MB, unlike a server model's, which is in GB.
	Memory     int    `json:"memory"`
	Disk       int    `json:"disk"`
	Resolution string `json:"resolution"`
	ExtendSpec string `json:"extend_spec"`
	SpecCode   string `json:"spec_code"`
	// PhoneCapacity is the number of phones one server of this model runs.
	PhoneCapacity int `json:"phone_capacity"`
	// ImageLabel ties the model to the phone images it can run (qemu_phone, cloud_phone,
	// cloud_phone_1620, cloud_game, cloud_game_1620).
	ImageLabel  string `json:"image_label"`
	ProductType int    `json:"product_type"`
	// PhoneModelVersion is 0 for a 1.0 model and 1 for a 2.0 model, which needs a phone data volume.
	PhoneModelVersion int    `json:"phone_model_version"`
	Dpi               int    `json:"dpi"`
	Fps               string `json:"fps"`
	// VolumeMode is 1 when each phone has its own data disk, 0 when phones share the server's.
	VolumeMode int `json:"volume_mode"`
	RenderFps  int `json:"render_fps"`
	StreamFps  int `json:"stream_fps"`
}

// ListPhoneModelsResponse is the body of GET /v1/{project_id}/cloud-phone/phone-models
// (section 5.3.4, table 5-119).
type ListPhoneModelsResponse struct {
	RequestID   string       `json:"request_id"`
	PhoneModels []PhoneModel `json:"phone_models"`
}

// PhoneImage is one Android image a phone can run (section 5.3.5, table 5-125).
type PhoneImage struct {
	ImageName string `json:"image_name"`
	OSType    string `json:"os_type"`
	// IsPublic is 1 for a public image and 2 for a private one.
	IsPublic int    `json:"is_public"`
	OSName   string `json:"os_name"`
	// ImageLabel must equal the phone model's image_label for the image to run on it.
	ImageLabel       string `json:"image_label"`
	ImageID          string `json:"image_id"`
	IsSupportEncrypt bool   `json:"is_support_encrypt"`
}

// ListPhoneImagesResponse is the body of GET /v1/{project_id}/cloud-phone/phone-images
// (section 5.3.5, table 5-124).
type ListPhoneImagesResponse struct {
	RequestID   string       `json:"request_id"`
	PhoneImages []PhoneImage `json:"phone_images"`
}
