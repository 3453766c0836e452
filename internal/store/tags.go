package store

import (
	"context"
	"errors"
)

// TagResourceServer is the one resource type that carries tags: a cloud phone server (5.8).
const TagResourceServer = "cph-server"

// ErrTagLimit reports that a TagUpsert would leave the resource with more tags than allowed.
// It is its own error, not ErrConflict, because the domain answers it with its own code.
var ErrTagLimit = errors.New("store: tag limit reached")

// Tag is one key/value pair on a resource; a resource has at most one value per key.
type Tag struct {
	Key   string
	Value string
}

// TagResource addresses the resource whose tags a call reads or writes.
type TagResource struct {
	ProjectID    string
	ResourceType string
	ResourceID   string
}

// TagUpsertParams sets tags on a resource.
type TagUpsertParams struct {
	TagResource
	Tags []Tag
	// Max is how many tags the resource may hold afterwards.
	Max int
}

// TagDeleteParams removes tags from a resource.
type TagDeleteParams struct {
	TagResource
	Tags []Tag
}

// TagKey is one key used in a project with every value it has there.
type TagKey struct {
	Key    string
	Values []string
}

// TagKeyListParams pages the keys of a project's resources of one type.
type TagKeyListParams struct {
	ProjectID    string
	ResourceType string
	Page         Page
}

// TagQuery is one key of a resource filter: the resource has the key with one of Values, or
// with any value when Values is empty.
type TagQuery struct {
	Key    string
	Values []string
}

// TagResourceListParams filters a project's resources of one type (section 5.8.3). Every set
// condition must hold.
type TagResourceListParams struct {
	ProjectID    string
	ResourceType string
	// Tags must all hold (AND across keys, OR across the values of one key).
	Tags []TagQuery
	// WithoutAnyTag keeps only resources that have no tag at all.
	WithoutAnyTag bool
	// Name, when set, is the exact resource name.
	Name *string
	// EnterpriseProjectIDs, when set, is the set of enterprise projects a resource may be in.
	EnterpriseProjectIDs []string
	Page                 Page
}

// TaggedResource is a resource a filter found, with all its tags by key.
type TaggedResource struct {
	ID   string
	Name string
	Tags []Tag
}

// Tags persists resource tags. The methods that address one resource answer ErrNotFound when it
// does not exist in the project; a resource's tags go when the resource does. The only resource
// type is TagResourceServer; any other is an error.
type Tags interface {
	// TagList returns a resource's tags, keys ascending.
	TagList(ctx context.Context, r *TagResource) ([]Tag, error)
	// TagUpsert adds the tags, replacing the value of a key the resource already has; when the
	// resource would then hold more than p.Max tags nothing changes and the error is ErrTagLimit.
	TagUpsert(ctx context.Context, p *TagUpsertParams) error
	// TagDelete removes each pair the resource holds with exactly that value; a pair it does not
	// hold is skipped.
	TagDelete(ctx context.Context, p *TagDeleteParams) error
	// TagKeyList returns one page of the keys in use, ascending, each with its distinct values
	// ascending, and the number of keys before paging.
	TagKeyList(ctx context.Context, p *TagKeyListParams) ([]TagKey, int, error)
	// TagResourceList returns one page of the matching resources, newest first, and the total
	// before paging.
	TagResourceList(ctx context.Context, p *TagResourceListParams) ([]TaggedResource, int, error)
	// TagResourceCount counts the matching resources; p.Page is ignored.
	TagResourceCount(ctx context.Context, p *TagResourceListParams) (int, error)
}
