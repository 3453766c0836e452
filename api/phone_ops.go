package api

// The request bodies of the asynchronous phone operations (5.3.6–5.3.8, 5.3.10, 5.3.13, 5.3.14),
// named and shaped as the SDK's model package sends them. All of them answer with a
// PhoneJobsResponse.

// PhoneProperty is one phone of a batch restart or reset (tables 5-129, 5-135) and the properties
// (appendix A.1, a JSON object in a string) it boots with.
type PhoneProperty struct {
	PhoneID  string  `json:"phone_id"`
	Property *string `json:"property,omitempty"`
}

// RestartCloudPhoneRequestBody is the body of POST phones/batch-restart (5.3.7): image_id, when
// given, is the image the phones boot from afterwards.
type RestartCloudPhoneRequestBody struct {
	ImageID *string         `json:"image_id,omitempty"`
	Phones  []PhoneProperty `json:"phones"`
}

// ResetCloudPhoneRequestBody is the body of POST phones/batch-reset (5.3.6).
type ResetCloudPhoneRequestBody struct {
	ImageID *string         `json:"image_id,omitempty"`
	Phones  []PhoneProperty `json:"phones"`
}

// StopCloudPhoneRequestBody is the body of POST phones/batch-stop (5.3.8).
type StopCloudPhoneRequestBody struct {
	PhoneIDs []string `json:"phone_ids"`
}

// PropertyToUpdate is one phone of a property update (table 5-150); property is required.
type PropertyToUpdate struct {
	PhoneID  string `json:"phone_id"`
	Property string `json:"property"`
}

// UpdateCloudPhonePropertyRequestBody is the body of POST phones/batch-update-property (5.3.10).
type UpdateCloudPhonePropertyRequestBody struct {
	Phones []PropertyToUpdate `json:"phones"`
}

// ImportTrafficRequestBody is the body of POST phones-traffic (5.3.13): traffic_type is direct or
// routing.
type ImportTrafficRequestBody struct {
	TrafficType string   `json:"traffic_type"`
	PhoneIDs    []string `json:"phone_ids"`
}

// PhoneDataVolumeSize is one phone of a data volume expansion (table 5-173). NewSize is a pointer
// so that a missing size is told apart from a size of 0; both are invalid.
type PhoneDataVolumeSize struct {
	PhoneID string `json:"phone_id"`
	NewSize *int   `json:"new_size"`
}

// ExpandPhoneDataVolumeSizeRequestBody is the body of POST phones/expand-volume (5.3.14).
type ExpandPhoneDataVolumeSizeRequestBody struct {
	Phones []PhoneDataVolumeSize `json:"phones"`
}
