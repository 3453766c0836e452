package api

// Tag is one key/value pair of a resource (tables 5-233, 5-241, 5-245, 5-249).
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Tags is a key with a list of values: a key in use in the project (table 5-229), or one
// condition of a resource filter (table 5-237), where an empty list means any value.
type Tags struct {
	Key    string   `json:"key"`
	Values []string `json:"values"`
}

// Match is a search condition of a resource filter (table 5-238); the only key is resource_name.
type Match struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// ListProjectTagsResponse answers GET /v1/{project_id}/{resource_type}/tags (5.8.1). The
// reference shows no request_id here; total_count (the number of keys) is the SDK model's.
type ListProjectTagsResponse struct {
	Tags       []Tags `json:"tags"`
	TotalCount int    `json:"total_count"`
}

// ListResourceTagsResponse answers GET /v1/{project_id}/{resource_type}/{resource_id}/tags (5.8.2).
type ListResourceTagsResponse struct {
	Tags []Tag `json:"tags"`
}

// BatchCreateTagsRequestBody is the body of POST …/{resource_id}/tags/action (5.8.4 with action
// "create", 5.8.5 with action "delete"): one path, the action selects the operation.
type BatchCreateTagsRequestBody struct {
	Action string `json:"action"`
	Tags   []Tag  `json:"tags"`
}

// BatchDeleteTagsRequestBody is the same body with action "delete" (5.8.5).
type BatchDeleteTagsRequestBody = BatchCreateTagsRequestBody

// Actions of the tags/action and resource_instances/action bodies.
const (
	TagActionCreate = "create"
	TagActionDelete = "delete"
	ResourceFilter  = "filter"
	ResourceCount   = "count"
)

// ListResourceInstancesRequestBody is the body of POST …/resource_instances/action (5.8.3).
// offset and limit are strings on the wire.
type ListResourceInstancesRequestBody struct {
	Action        string  `json:"action"`
	Offset        *string `json:"offset,omitempty"`
	Limit         *string `json:"limit,omitempty"`
	WithoutAnyTag *bool   `json:"without_any_tag,omitempty"`
	Tags          []Tags  `json:"tags,omitempty"`
	Matches       []Match `json:"matches,omitempty"`
}

// Resource is one resource a filter found (table 5-240). The reference's example shows
// resource_detail as null, which is all OpenCPH has to say there.
type Resource struct {
	ResourceID     string  `json:"resource_id"`
	ResourceDetail *string `json:"resource_detail"`
	ResourceName   string  `json:"resource_name"`
	Tags           []Tag   `json:"tags"`
}

// ListResourceInstancesResponse answers POST …/resource_instances/action (5.8.3). A count
// answers total_count alone: resources is nil then, and omitted, while a filter that finds
// nothing answers an empty list.
type ListResourceInstancesResponse struct {
	Resources  []Resource `json:"resources,omitzero"`
	TotalCount int        `json:"total_count"`
}
