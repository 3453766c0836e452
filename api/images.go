package api

// Image types of 5.9.1 (image_type) as a project sees its custom images.
const (
	ImageTypePrivate = "private"
	ImageTypeShare   = "share"
)

// ImageInfo is one custom image in the answer of GET images (section 5.9.1, table 5-254; the
// SDK's ListImagesView). ProjectID is set only for the caller's own (private) images and
// SrcProjectID only for images shared with it.
type ImageInfo struct {
	DomainID     string `json:"domain_id"`
	ImageName    string `json:"image_name"`
	UpdateTime   string `json:"update_time"`
	CreateTime   string `json:"create_time"`
	ImageSize    int64  `json:"image_size"`
	ProjectID    string `json:"project_id,omitempty"`
	ImageID      string `json:"image_id"`
	ImageVersion string `json:"image_version"`
	ImageType    string `json:"image_type"`
	// Status is 0 creating, 1 ready (PRODUCTION), 2 creation failed.
	Status       int    `json:"status"`
	SrcProjectID string `json:"src_project_id,omitempty"`
}

// ListImagesResponse is the body of GET /v1/{project_id}/cloud-phone/images (5.9.1, table 5-253).
type ListImagesResponse struct {
	ImageInfos []ImageInfo `json:"image_infos"`
	// Total counts the matching images before paging.
	Total     int    `json:"total"`
	RequestID string `json:"request_id"`
}

// AddImageMemberRequest is the body of POST images/{image_id}/members (5.9.3, table 5-260).
type AddImageMemberRequest struct {
	// Member is the project id the image is shared with.
	Member *string `json:"member"`
}

// ImageMember is one project an image is shared with (5.9.4, table 5-265; the SDK's
// ListImageMembersView). The times are epoch milliseconds, unlike the rest of the API.
type ImageMember struct {
	CreateTime int64  `json:"create_time"`
	UpdateTime int64  `json:"update_time"`
	ImageID    string `json:"image_id"`
	MemberID   string `json:"member_id"`
}

// ListImageMembersResponse is the body of GET images/{image_id}/members (5.9.4, table 5-264),
// which carries no request_id.
type ListImageMembersResponse struct {
	Members []ImageMember `json:"members"`
}

// CreateImageRequest is the body of OpenCPH's extension POST phones/{phone_id}/image, which
// captures a stopped phone's data as a new private image (docs/images.md).
type CreateImageRequest struct {
	ImageName *string `json:"image_name"`
}

// CreateImageResponse answers CreateImageRequest: the new image, in status 0 until the job that
// captures it ends (GET jobs?request_id=… or GET images?image_id=…).
type CreateImageResponse struct {
	RequestID string `json:"request_id"`
	ImageID   string `json:"image_id"`
	JobID     string `json:"job_id"`
}

// ImportImageRequest is the body of the admin call POST /admin/v1/images (`cph admin images
// import`): an operator registers an image that exists outside OpenCPH as a private image of a
// project. RuntimeRef maps a runtime driver to its reference for the image: a container image for
// docker, a template directory for sim.
type ImportImageRequest struct {
	// Project is the owning project's id or name, in the admin's domain.
	Project          string            `json:"project"`
	ImageName        string            `json:"image_name"`
	ImageVersion     string            `json:"image_version"`
	ImageLabel       string            `json:"image_label"`
	IsSupportEncrypt bool              `json:"is_support_encrypt"`
	RuntimeRef       map[string]string `json:"runtime_ref"`
}

// ImportedImage is the answer of POST /admin/v1/images: the image as its project lists it, and
// the runtime references it was registered with.
type ImportedImage struct {
	ImageInfo
	ImageLabel string            `json:"image_label"`
	RuntimeRef map[string]string `json:"runtime_ref"`
}

// ImportImageResponse answers ImportImageRequest.
type ImportImageResponse struct {
	RequestID string        `json:"request_id"`
	Image     ImportedImage `json:"image"`
}
