package cph

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/opencph/opencph/api"
	"github.com/opencph/opencph/internal/store"
)

// ResourceTypeServer is the resource_type of section 5.8's paths: a cloud phone server.
const ResourceTypeServer = store.TagResourceServer

// MaxTagsPerResource is how many tags one server may carry (CPS.0307 beyond). The reference names
// the code but not the number; 20 is Huawei Cloud's limit per resource in its tag service.
const MaxTagsPerResource = 20

// The limits of 5.8's tables.
const (
	maxTagKeyRunes   = 127
	maxTagValueRunes = 255
	maxQueryKeys     = 10
	maxQueryValues   = 10
	maxFilterLimit   = 1000
	// sysPrefix starts the keys reserved to the system (CPS.0306).
	sysPrefix = "_sys_"
	// sysEnterpriseProject is the one system key a filter may name, after Huawei Cloud's tag
	// service: its values are enterprise project ids ("0" or a UUID, CPS.0316), matched against
	// the server's enterprise_project_id.
	sysEnterpriseProject = "_sys_enterprise_project_id"
	matchResourceName    = "resource_name"
)

// tagChars reports whether s holds only what a tag may: letters of any language (with their
// combining marks), digits, spaces and _ . : = + - @.
func tagChars(s string) bool {
	for _, r := range s {
		switch {
		case unicode.IsLetter(r), unicode.IsMark(r), unicode.IsNumber(r), r == ' ':
		case strings.ContainsRune("_.:=+-@", r):
		default:
			return false
		}
	}
	return true
}

func validateTagKey(k string) error {
	n := utf8.RuneCountInString(k)
	switch {
	case n == 0:
		return CPS0304.Errf("key is empty")
	case n > maxTagKeyRunes:
		return CPS0304.Errf("key is longer than %d characters", maxTagKeyRunes)
	case !tagChars(k):
		return CPS0304.Errf("key %q holds a character other than letters, digits, space and _.:=+-@", k)
	case strings.HasPrefix(k, sysPrefix):
		return CPS0306.Err()
	}
	return nil
}

func validateTagValue(v string) error {
	n := utf8.RuneCountInString(v)
	switch {
	case n == 0:
		return CPS0305.Errf("value is empty")
	case n > maxTagValueRunes:
		return CPS0305.Errf("value is longer than %d characters", maxTagValueRunes)
	case !tagChars(v):
		return CPS0305.Errf("value %q holds a character other than letters, digits, space and _.:=+-@", v)
	case v[0] == ' ' || v[len(v)-1] == ' ':
		return CPS0305.Errf("value %q starts or ends with a space", v)
	}
	return nil
}

// validateTagAction checks a create or delete body (5.8.4, 5.8.5) whole, before anything changes.
func validateTagAction(body *api.BatchCreateTagsRequestBody) error {
	if body.Action != api.TagActionCreate && body.Action != api.TagActionDelete {
		return CPS0047.Errf("action must be %q or %q", api.TagActionCreate, api.TagActionDelete)
	}
	if len(body.Tags) == 0 {
		return CPS0303.Errf("tags is empty")
	}
	if body.Action == api.TagActionCreate && len(body.Tags) > MaxTagsPerResource {
		return CPS0307.Errf("at most %d tags per resource", MaxTagsPerResource)
	}
	seen := make(map[string]bool, len(body.Tags))
	for _, t := range body.Tags {
		if err := validateTagKey(t.Key); err != nil {
			return err
		}
		if err := validateTagValue(t.Value); err != nil {
			return err
		}
		if seen[t.Key] {
			return CPS0303.Errf("key %q appears twice", t.Key)
		}
		seen[t.Key] = true
	}
	return nil
}

// resourceQuery validates a filter or count body (5.8.3) and turns it into the store's filter
// for projectID. A true without_any_tag ignores tags (they are still validated), as Huawei
// Cloud's tag service does.
func resourceQuery(projectID string, body *api.ListResourceInstancesRequestBody) (*store.TagResourceListParams, error) {
	p := &store.TagResourceListParams{ProjectID: projectID, ResourceType: ResourceTypeServer}
	switch body.Action {
	case api.ResourceFilter:
		page, err := filterPage(body.Offset, body.Limit)
		if err != nil {
			return nil, err
		}
		p.Page = page
	case api.ResourceCount:
	default:
		return nil, CPS0047.Errf("action must be %q or %q", api.ResourceFilter, api.ResourceCount)
	}
	if err := queryTags(p, body.Tags); err != nil {
		return nil, err
	}
	if body.WithoutAnyTag != nil && *body.WithoutAnyTag {
		p.WithoutAnyTag, p.Tags = true, nil
	}
	if err := queryMatches(p, body.Matches); err != nil {
		return nil, err
	}
	return p, nil
}

// filterPage reads the string offset (default 0, not negative) and limit (default and most
// 1000, least 1).
func filterPage(offset, limit *string) (store.Page, error) {
	page := store.Page{Limit: maxFilterLimit}
	if offset != nil {
		n, err := strconv.Atoi(*offset)
		if err != nil || n < 0 {
			return page, CPS0002.Errf("offset must be a number of at least 0")
		}
		page.Offset = n
	}
	if limit != nil {
		n, err := strconv.Atoi(*limit)
		if err != nil || n < 1 || n > maxFilterLimit {
			return page, CPS0002.Errf("limit must be a number from 1 to %d", maxFilterLimit)
		}
		page.Limit = n
	}
	return page, nil
}

func queryTags(p *store.TagResourceListParams, tags []api.Tags) error {
	if len(tags) > maxQueryKeys {
		return CPS0309.Errf("at most %d keys", maxQueryKeys)
	}
	seen := make(map[string]bool, len(tags))
	for _, t := range tags {
		n := utf8.RuneCountInString(t.Key)
		if n == 0 || n > maxTagKeyRunes {
			return CPS0304.Errf("a key must have 1 to %d characters", maxTagKeyRunes)
		}
		if seen[t.Key] {
			return CPS0303.Errf("key %q appears twice", t.Key)
		}
		seen[t.Key] = true
		if err := queryValues(t); err != nil {
			return err
		}
		switch {
		case t.Key == sysEnterpriseProject:
			for _, id := range t.Values {
				if id != "0" && !isUUID(id) {
					return CPS0316.Errf("%q is not \"0\" or a UUID", id)
				}
			}
			p.EnterpriseProjectIDs = t.Values
		case strings.HasPrefix(t.Key, sysPrefix):
			return CPS0306.Err()
		default:
			p.Tags = append(p.Tags, store.TagQuery{Key: t.Key, Values: t.Values})
		}
	}
	return nil
}

// queryValues checks one key's values; an empty (or null) list is any value.
func queryValues(t api.Tags) error {
	if len(t.Values) > maxQueryValues {
		return CPS0310.Errf("key %q has more than %d values", t.Key, maxQueryValues)
	}
	seen := make(map[string]bool, len(t.Values))
	for _, v := range t.Values {
		n := utf8.RuneCountInString(v)
		if n == 0 || n > maxTagValueRunes {
			return CPS0305.Errf("a value must have 1 to %d characters", maxTagValueRunes)
		}
		if seen[v] {
			return CPS0315.Errf("value %q of key %q appears twice", v, t.Key)
		}
		seen[v] = true
	}
	return nil
}

func queryMatches(p *store.TagResourceListParams, matches []api.Match) error {
	for _, m := range matches {
		switch {
		case m.Key == "":
			return CPS0312.Errf("a match has no key")
		case m.Key != matchResourceName:
			return CPS0313.Errf("the only match key is %s", matchResourceName)
		case p.Name != nil:
			return CPS0311.Errf("%s appears twice", matchResourceName)
		}
		if n := utf8.RuneCountInString(m.Value); n == 0 || n > maxTagValueRunes {
			return CPS0314.Errf("a match value must have 1 to %d characters", maxTagValueRunes)
		}
		p.Name = &m.Value
	}
	return nil
}

// checkTagResource checks the path: the resource type (CPS.0300) and the id's format (CPS.0301).
func checkTagResource(resourceType, resourceID string) error {
	if err := checkResourceType(resourceType); err != nil {
		return err
	}
	if !isHexID(resourceID) {
		return CPS0301.Errf("resource_id must be 32 lowercase hex characters")
	}
	return nil
}

func checkResourceType(resourceType string) error {
	if resourceType != ResourceTypeServer {
		return CPS0300.Errf("the only resource type is %s", ResourceTypeServer)
	}
	return nil
}

// tagErr maps the store's answers to the tag codes: an unknown resource is CPS.0302 and a full
// resource CPS.0307.
func tagErr(err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return CPS0302.Wrap(err)
	case errors.Is(err, store.ErrTagLimit):
		return CPS0307.Wrap(err)
	}
	return err
}

// TagAction creates (5.8.4) or deletes (5.8.5) tags of one of the project's servers. Creating a
// key the server has replaces its value; deleting a pair the server does not hold is no error.
func (s *Service) TagAction(ctx context.Context, projectID, resourceType, resourceID string, body *api.BatchCreateTagsRequestBody) error {
	if err := checkTagResource(resourceType, resourceID); err != nil {
		return err
	}
	if err := validateTagAction(body); err != nil {
		return err
	}
	res := store.TagResource{ProjectID: projectID, ResourceType: resourceType, ResourceID: resourceID}
	tags := make([]store.Tag, len(body.Tags))
	for i, t := range body.Tags {
		tags[i] = store.Tag{Key: t.Key, Value: t.Value}
	}
	if body.Action == api.TagActionCreate {
		return tagErr(s.st.TagUpsert(ctx, &store.TagUpsertParams{TagResource: res, Tags: tags, Max: MaxTagsPerResource}))
	}
	return tagErr(s.st.TagDelete(ctx, &store.TagDeleteParams{TagResource: res, Tags: tags}))
}

// ListResourceTags is one server's tags, keys ascending (5.8.2).
func (s *Service) ListResourceTags(ctx context.Context, projectID, resourceType, resourceID string) ([]api.Tag, error) {
	if err := checkTagResource(resourceType, resourceID); err != nil {
		return nil, err
	}
	rows, err := s.st.TagList(ctx, &store.TagResource{ProjectID: projectID, ResourceType: resourceType, ResourceID: resourceID})
	if err != nil {
		return nil, tagErr(err)
	}
	return tagsView(rows), nil
}

// ListProjectTags is every key the project's servers use with its values (5.8.1), keys and values
// ascending, paged on keys, with the number of keys before paging.
func (s *Service) ListProjectTags(ctx context.Context, projectID, resourceType string, page store.Page) (*api.ListProjectTagsResponse, error) {
	if err := checkResourceType(resourceType); err != nil {
		return nil, err
	}
	keys, total, err := s.st.TagKeyList(ctx, &store.TagKeyListParams{ProjectID: projectID, ResourceType: resourceType, Page: page})
	if err != nil {
		return nil, err
	}
	out := &api.ListProjectTagsResponse{Tags: make([]api.Tags, len(keys)), TotalCount: total}
	for i, k := range keys {
		out.Tags[i] = api.Tags{Key: k.Key, Values: k.Values}
	}
	return out, nil
}

// ListResourceInstances filters the project's servers by tags and name (5.8.3): a page of them,
// newest first, or only their number.
func (s *Service) ListResourceInstances(ctx context.Context, projectID, resourceType string, body *api.ListResourceInstancesRequestBody) (*api.ListResourceInstancesResponse, error) {
	if err := checkResourceType(resourceType); err != nil {
		return nil, err
	}
	p, err := resourceQuery(projectID, body)
	if err != nil {
		return nil, err
	}
	if body.Action == api.ResourceCount {
		n, err := s.st.TagResourceCount(ctx, p)
		if err != nil {
			return nil, err
		}
		return &api.ListResourceInstancesResponse{TotalCount: n}, nil
	}
	rows, total, err := s.st.TagResourceList(ctx, p)
	if err != nil {
		return nil, err
	}
	out := &api.ListResourceInstancesResponse{Resources: make([]api.Resource, len(rows)), TotalCount: total}
	for i, r := range rows {
		out.Resources[i] = api.Resource{ResourceID: r.ID, ResourceName: r.Name, Tags: tagsView(r.Tags)}
	}
	return out, nil
}

func tagsView(rows []store.Tag) []api.Tag {
	out := make([]api.Tag, len(rows))
	for i, t := range rows {
		out[i] = api.Tag{Key: t.Key, Value: t.Value}
	}
	return out
}
