package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	cphv1 "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cph/v1"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cph/v1/model"
	"github.com/stretchr/testify/require"
)

// sdkTags is the SDK's create/delete list of key=value pairs.
func sdkTags(pairs ...string) []model.Tag {
	out := make([]model.Tag, len(pairs))
	for i, p := range pairs {
		k, v, _ := strings.Cut(p, "=")
		out[i] = model.Tag{Key: k, Value: v}
	}
	return out
}

func tagServer(t *testing.T, c *cphv1.CphClient, id string, pairs ...string) {
	t.Helper()
	_, err := c.BatchCreateTags(&model.BatchCreateTagsRequest{
		ResourceType: model.GetBatchCreateTagsRequestResourceTypeEnum().CPH_SERVER, ResourceId: id,
		Body: &model.BatchCreateTagsRequestBody{Action: "create", Tags: sdkTags(pairs...)},
	})
	require.NoError(t, err)
}

func serverTags(t *testing.T, c *cphv1.CphClient, id string) []model.Tag {
	t.Helper()
	resp, err := c.ListResourceTags(&model.ListResourceTagsRequest{
		ResourceType: model.GetListResourceTagsRequestResourceTypeEnum().CPH_SERVER, ResourceId: id})
	require.NoError(t, err)
	return *resp.Tags
}

// instances runs a filter (or count) and returns the ids found and total_count.
func instances(t *testing.T, c *cphv1.CphClient, body model.ListResourceInstancesRequestBody) ([]string, int32) {
	t.Helper()
	resp, err := c.ListResourceInstances(&model.ListResourceInstancesRequest{
		ResourceType: model.GetListResourceInstancesRequestResourceTypeEnum().CPH_SERVER, Body: &body})
	require.NoError(t, err)
	var ids []string
	if resp.Resources != nil {
		for _, r := range *resp.Resources {
			ids = append(ids, *r.ResourceId)
		}
	}
	return ids, *resp.TotalCount
}

func TestTagsWithSDK(t *testing.T) {
	t.Parallel()
	in := start(t, "")
	c := in.sdk()
	buy(t, c, "tagged", 3)
	// One purchase may create its servers in the same instant; GET servers gives the order every
	// list shares, newest first, with the id breaking ties.
	names := map[string]string{}
	list, err := c.ListCloudPhoneServers(&model.ListCloudPhoneServersRequest{})
	require.NoError(t, err)
	var order []string
	for _, s := range *list.Servers {
		names[*s.ServerId] = *s.ServerName
		order = append(order, *s.ServerId)
	}
	require.Len(t, order, 3)
	s3, s2, s1 := order[0], order[1], order[2]

	tagServer(t, c, s1, "env=prod", "team=red", "应用=游戏 一")
	tagServer(t, c, s2, "env=dev", "team=red")
	require.Equal(t, sdkTags("env=prod", "team=red", "应用=游戏 一"), serverTags(t, c, s1))
	require.Empty(t, serverTags(t, c, s3))

	// Creating a key the server has replaces its value.
	tagServer(t, c, s1, "env=staging")
	require.Equal(t, sdkTags("env=staging", "team=red", "应用=游戏 一"), serverTags(t, c, s1))

	pt, err := c.ListProjectTags(&model.ListProjectTagsRequest{ResourceType: model.GetListProjectTagsRequestResourceTypeEnum().CPH_SERVER})
	require.NoError(t, err)
	require.Equal(t, []model.Tags{
		{Key: "env", Values: []string{"dev", "staging"}},
		{Key: "team", Values: []string{"red"}},
		{Key: "应用", Values: []string{"游戏 一"}},
	}, *pt.Tags)
	require.Equal(t, int32(3), *pt.TotalCount)
	one, off := int32(1), int32(1)
	pt, err = c.ListProjectTags(&model.ListProjectTagsRequest{ResourceType: model.GetListProjectTagsRequestResourceTypeEnum().CPH_SERVER, Limit: &one, Offset: &off})
	require.NoError(t, err)
	require.Equal(t, []model.Tags{{Key: "team", Values: []string{"red"}}}, *pt.Tags)

	filter := model.GetListResourceInstancesRequestBodyActionEnum().FILTER
	count := model.GetListResourceInstancesRequestBodyActionEnum().COUNT
	tags := func(ts ...model.Tags) *[]model.Tags { return &ts }
	yes := true
	str := func(s string) *string { return &s }
	nameMatch := func(n string) *[]model.Match {
		return &[]model.Match{{Key: model.GetMatchKeyEnum().RESOURCE_NAME, Value: n}}
	}
	tests := []struct {
		name string
		body model.ListResourceInstancesRequestBody
		want []string
	}{
		{"every server, newest first", model.ListResourceInstancesRequestBody{}, []string{s3, s2, s1}},
		{"one value", model.ListResourceInstancesRequestBody{Tags: tags(model.Tags{Key: "env", Values: []string{"dev"}})}, []string{s2}},
		{"values OR", model.ListResourceInstancesRequestBody{Tags: tags(model.Tags{Key: "env", Values: []string{"dev", "staging"}})}, []string{s2, s1}},
		{"keys AND", model.ListResourceInstancesRequestBody{Tags: tags(
			model.Tags{Key: "team", Values: []string{"red"}}, model.Tags{Key: "env", Values: []string{"staging"}})}, []string{s1}},
		{"empty values is any value", model.ListResourceInstancesRequestBody{Tags: tags(model.Tags{Key: "应用", Values: []string{}})}, []string{s1}},
		{"without_any_tag", model.ListResourceInstancesRequestBody{WithoutAnyTag: &yes}, []string{s3}},
		{"resource_name exact", model.ListResourceInstancesRequestBody{Matches: nameMatch(names[s2])}, []string{s2}},
		{"resource_name is not a prefix match", model.ListResourceInstancesRequestBody{Matches: nameMatch("tagged")}, nil},
		{"page of string offset and limit", model.ListResourceInstancesRequestBody{Offset: str("1"), Limit: str("1")}, []string{s2}},
	}
	for _, tt := range tests {
		body := tt.body
		body.Action = filter
		ids, total := instances(t, c, body)
		require.Equal(t, tt.want, ids, tt.name)
		if body.Limit == nil {
			require.Equal(t, int32(len(tt.want)), total, tt.name)
		}
		body.Action, body.Offset, body.Limit = count, nil, nil
		ids, n := instances(t, c, body)
		require.Empty(t, ids, "count lists no resources")
		require.Equal(t, total, n, "%s: count agrees with the filter's total", tt.name)
	}
	found, err := c.ListResourceInstances(&model.ListResourceInstancesRequest{
		ResourceType: model.GetListResourceInstancesRequestResourceTypeEnum().CPH_SERVER,
		Body:         &model.ListResourceInstancesRequestBody{Action: filter, Tags: tags(model.Tags{Key: "env", Values: []string{"staging"}})},
	})
	require.NoError(t, err)
	r := (*found.Resources)[0]
	require.Equal(t, names[s1], *r.ResourceName)
	require.Equal(t, sdkTags("env=staging", "team=red", "应用=游戏 一"), *r.Tags, "a match carries all its tags")

	// Deleting removes the exact pairs; a pair the server does not hold is no error.
	_, err = c.BatchDeleteTags(&model.BatchDeleteTagsRequest{
		ResourceType: model.GetBatchDeleteTagsRequestResourceTypeEnum().CPH_SERVER, ResourceId: s1,
		Body: &model.BatchDeleteTagsRequestBody{Action: "delete", Tags: sdkTags("env=staging", "team=blue", "never=there")},
	})
	require.NoError(t, err)
	require.Equal(t, sdkTags("team=red", "应用=游戏 一"), serverTags(t, c, s1))
}

// Two projects' tags never meet: neither sees, filters or touches the other's.
func TestTagsProjectsIsolated(t *testing.T) {
	t.Parallel()
	in := start(t, "")
	a := in.sdk()
	ra, _ := buy(t, a, "tags-a", 1)
	aServer := (*ra.ServerIds)[0]
	tagServer(t, a, aServer, "env=prod", "owner=a")

	bProject, ak, sk := in.tenant("tags-b", "cph:*")
	b := in.sdkAs(ak, sk, bProject)
	pt, err := b.ListProjectTags(&model.ListProjectTagsRequest{ResourceType: model.GetListProjectTagsRequestResourceTypeEnum().CPH_SERVER})
	require.NoError(t, err)
	require.Empty(t, *pt.Tags)
	ids, total := instances(t, b, model.ListResourceInstancesRequestBody{Action: model.GetListResourceInstancesRequestBodyActionEnum().FILTER})
	require.Empty(t, ids)
	require.Zero(t, total)
	_, err = b.ListResourceTags(&model.ListResourceTagsRequest{
		ResourceType: model.GetListResourceTagsRequestResourceTypeEnum().CPH_SERVER, ResourceId: aServer})
	require.ErrorContains(t, err, "CPS.0302")
	_, err = b.BatchCreateTags(&model.BatchCreateTagsRequest{
		ResourceType: model.GetBatchCreateTagsRequestResourceTypeEnum().CPH_SERVER, ResourceId: aServer,
		Body: &model.BatchCreateTagsRequestBody{Action: "create", Tags: sdkTags("owner=b")},
	})
	require.ErrorContains(t, err, "CPS.0302")
	_, err = b.BatchDeleteTags(&model.BatchDeleteTagsRequest{
		ResourceType: model.GetBatchDeleteTagsRequestResourceTypeEnum().CPH_SERVER, ResourceId: aServer,
		Body: &model.BatchDeleteTagsRequestBody{Action: "delete", Tags: sdkTags("owner=a")},
	})
	require.ErrorContains(t, err, "CPS.0302")

	rb, _ := buy(t, b, "tags-b", 1)
	tagServer(t, b, (*rb.ServerIds)[0], "env=dev", "owner=b")
	pt, err = a.ListProjectTags(&model.ListProjectTagsRequest{ResourceType: model.GetListProjectTagsRequestResourceTypeEnum().CPH_SERVER})
	require.NoError(t, err)
	require.Equal(t, []model.Tags{{Key: "env", Values: []string{"prod"}}, {Key: "owner", Values: []string{"a"}}}, *pt.Tags)
	ids, _ = instances(t, a, model.ListResourceInstancesRequestBody{Action: model.GetListResourceInstancesRequestBodyActionEnum().FILTER,
		Tags: &[]model.Tags{{Key: "owner", Values: []string{"a", "b"}}}})
	require.Equal(t, []string{aServer}, ids)
	require.Equal(t, []model.Tag{{Key: "env", Value: "prod"}, {Key: "owner", Value: "a"}}, serverTags(t, a, aServer))
}

// The error paths over raw HTTP: routing of other resource types, validation codes, the limit,
// and that a refused call changes nothing.
func TestTagsErrors(t *testing.T) {
	t.Parallel()
	in := start(t, "")
	resp, _ := buy(t, in.sdk(), "tag-errors", 1)
	server := (*resp.ServerIds)[0]
	tok := in.token()
	p := "/v1/" + in.creds.ProjectID
	do := func(method, path, body string) rawResponse {
		return in.do(method, p+path, tok, strings.NewReader(body))
	}
	requireErr := func(r rawResponse, status int, code string) {
		t.Helper()
		require.Equal(t, status, r.status, "%s", r.body)
		require.Equal(t, code, r.json(t)["error_code"], "%s", r.body)
	}
	action := "/cph-server/" + server + "/tags/action"

	r := do("POST", action, `{"action":"create","tags":[{"key":"k1","value":"v1"}]}`)
	require.Equal(t, http.StatusNoContent, r.status, "%s", r.body)
	require.Empty(t, r.body)
	require.NotEmpty(t, r.header.Get("X-Request-Id"))

	// The reference's project tag list has no request_id in its body.
	r = do("GET", "/cph-server/tags", "")
	require.Equal(t, http.StatusOK, r.status)
	require.NotContains(t, r.json(t), "request_id")

	// Other resource types answer CPS.0300 on every tag route, after authentication.
	requireErr(do("GET", "/cph-phone/tags", ""), 400, "CPS.0300")
	requireErr(do("GET", "/cloud-phone/"+server+"/tags", ""), 400, "CPS.0300")
	requireErr(do("POST", "/servers/"+server+"/tags/action", `{"action":"delete","tags":[]}`), 400, "CPS.0300")
	requireErr(do("POST", "/ecs/resource_instances/action", `{"action":"count"}`), 400, "CPS.0300")
	noAuth := in.do("GET", p+"/cph-phone/tags", "", strings.NewReader(""))
	require.Equal(t, http.StatusUnauthorized, noAuth.status, "%s", noAuth.body)
	// The server routes the wildcard would have shadowed still serve, and unknown paths are 404.
	r = do("GET", "/cloud-phone/servers/"+server, "")
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	requireErr(do("GET", "/cloud-phone/servers/tags", ""), 404, "CPS.0015")
	requireErr(do("GET", "/cph-server/"+server+"/tags/extra", ""), 404, "APIGW.0101")
	requireErr(do("GET", "/cph-phone/x/y/tags", ""), 404, "APIGW.0101")
	requireErr(do("DELETE", "/cph-server/tags", ""), 405, "APIGW.0101")
	requireErr(do("DELETE", "/cph-phone/tags", ""), 405, "APIGW.0101")

	requireErr(do("GET", "/cph-server/not-an-id/tags", ""), 400, "CPS.0301")
	requireErr(do("GET", "/cph-server/"+strings.Repeat("0", 32)+"/tags", ""), 404, "CPS.0302")
	requireErr(do("POST", action, `{"action":"update","tags":[{"key":"a","value":"b"}]}`), 400, "CPS.0047")
	requireErr(do("POST", action, `{"action":"create"}`), 400, "CPS.0303")
	requireErr(do("POST", action, `{"action":"create","tags":[{"key":"a/b","value":"v"}]}`), 400, "CPS.0304")
	requireErr(do("POST", action, `{"action":"create","tags":[{"key":"a","value":" v"}]}`), 400, "CPS.0305")
	requireErr(do("POST", action, `{"action":"create","tags":[{"key":"_sys_a","value":"v"}]}`), 400, "CPS.0306")
	requireErr(do("POST", action, `{"action":"create","tags":[{"key":"a","value":"v"},{"key":"_sys_b","value":"v"}]}`), 400, "CPS.0306")

	var many []string
	for i := range 19 {
		many = append(many, fmt.Sprintf(`{"key":"k%d","value":"v"}`, i+2))
	}
	r = do("POST", action, `{"action":"create","tags":[`+strings.Join(many, ",")+`]}`)
	require.Equal(t, http.StatusNoContent, r.status, "%s", r.body)
	requireErr(do("POST", action, `{"action":"create","tags":[{"key":"k21","value":"v"}]}`), 400, "CPS.0307")
	r = do("GET", "/cph-server/"+server+"/tags", "")
	require.Len(t, r.json(t)["tags"], 20, "refused calls changed nothing")

	filter := "/cph-server/resource_instances/action"
	requireErr(do("POST", filter, `{"action":"filter","limit":"1001"}`), 400, "CPS.0002")
	requireErr(do("POST", filter, `{"action":"filter","offset":"-1"}`), 400, "CPS.0002")
	requireErr(do("POST", filter, `{"action":"list"}`), 400, "CPS.0047")
	requireErr(do("POST", filter, `{"action":"filter","tags":[{"key":"k","values":["a","a"]}]}`), 400, "CPS.0315")
	requireErr(do("POST", filter, `{"action":"filter","matches":[{"key":"resource_id","value":"x"}]}`), 400, "CPS.0313")
	requireErr(do("POST", filter, `{"action":"count","tags":[{"key":"_sys_enterprise_project_id","values":["nope"]}]}`), 400, "CPS.0316")
	r = do("POST", filter, `{"action":"count","tags":[{"key":"_sys_enterprise_project_id","values":["0"]}]}`)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	require.Equal(t, map[string]any{"total_count": float64(1)}, r.json(t), "count answers total_count alone")
	r = do("POST", filter, `{"action":"filter","without_any_tag":true}`)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	require.Equal(t, map[string]any{"resources": []any{}, "total_count": float64(0)}, r.json(t))
	r = do("POST", filter, `{"action":"filter","limit":"1","tags":[{"key":"k1","values":[]}]}`)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	res := r.json(t)["resources"].([]any)[0].(map[string]any)
	require.Contains(t, res, "resource_detail")
	require.Nil(t, res["resource_detail"])
}

// Creating and deleting tags share a path but not a permission (table 7-1).
func TestTagPermissionsFollowTheAction(t *testing.T) {
	t.Parallel()
	in := start(t, "")
	project, ak, sk := in.tenant("taggers", "cph:resource:tagResource,cph:resource:listTagsForResource")
	c := in.sdkAs(ak, sk, project)
	unknown := strings.Repeat("a", 32)
	_, err := c.BatchCreateTags(&model.BatchCreateTagsRequest{
		ResourceType: model.GetBatchCreateTagsRequestResourceTypeEnum().CPH_SERVER, ResourceId: unknown,
		Body: &model.BatchCreateTagsRequestBody{Action: "create", Tags: sdkTags("k=v")},
	})
	require.ErrorContains(t, err, "CPS.0302", "allowed, and the server is not there")
	_, err = c.BatchDeleteTags(&model.BatchDeleteTagsRequest{
		ResourceType: model.GetBatchDeleteTagsRequestResourceTypeEnum().CPH_SERVER, ResourceId: unknown,
		Body: &model.BatchDeleteTagsRequestBody{Action: "delete", Tags: sdkTags("k=v")},
	})
	require.ErrorContains(t, err, "CPS.0001", "unTagResource is not allowed")
	_, err = c.ListProjectTags(&model.ListProjectTagsRequest{ResourceType: model.GetListProjectTagsRequestResourceTypeEnum().CPH_SERVER})
	require.ErrorContains(t, err, "CPS.0001")
}
